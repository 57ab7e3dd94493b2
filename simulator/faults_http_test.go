package simulator

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseStorm(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Storm
		err  string
	}{
		{in: "", want: Storm{}},
		{in: "500=0.2,429=0.1,reset=0.05,truncate=0.05", want: Storm{ServerError: 0.2, RateLimited: 0.1, Reset: 0.05, Truncate: 0.05}},
		{in: " reset = 1 ", want: Storm{Reset: 1}},
		{in: "TRUNCATE=0.5", want: Storm{Truncate: 0.5}},
		{in: "500", err: `fault 1 "500": want fault=probability`},
		{in: "500=0.1,503=0.1", err: `fault 2 "503=0.1": unknown fault "503"`},
		{in: "500=0.1,500=0.2", err: "500 is given twice"},
		{in: "429=x", err: `probability "x" must be a number between 0 and 1`},
		{in: "429=1.5", err: `probability "1.5"`},
		{in: "429=-0.1", err: `probability "-0.1"`},
		{in: "500=0.6,429=0.6", err: "add up to 1.2, more than 1"},
	} {
		got, err := ParseStorm(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseStorm(%q): error %v, want one containing %q", tc.in, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("ParseStorm(%q): %v", tc.in, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("ParseStorm(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if tc.err == "" {
			if again, err := ParseStorm(got.String()); err != nil || again != got {
				t.Errorf("round trip of %q through %q: %+v %v", tc.in, got.String(), again, err)
			}
		}
	}
}

// The draws follow the rates, and the same seed gives the same sequence.
func TestStormDrawsAreSeededAndFollowTheRates(t *testing.T) {
	st := Storm{ServerError: 0.2, RateLimited: 0.1, Reset: 0.05, Truncate: 0.05}
	a, b, c := New(Options{Seed: 1, Storm: st}), New(Options{Seed: 1, Storm: st}), New(Options{Seed: 2, Storm: st})
	const n = 20000
	counts := map[stormFault]int{}
	same, differ := true, false
	for i := uint64(1); i <= n; i++ {
		fa, va := a.draw(i)
		fb, vb := b.draw(i)
		fc, _ := c.draw(i)
		counts[fa]++
		same = same && fa == fb && va == vb
		differ = differ || fa != fc
	}
	if !same || !differ {
		t.Errorf("same seed same draws: %v; another seed other draws: %v", same, differ)
	}
	for f, p := range map[stormFault]float64{storm500: 0.2, storm429: 0.1, stormReset: 0.05, stormTruncate: 0.05, stormNone: 0.6} {
		if got := float64(counts[f]) / n; math.Abs(got-p) > 0.015 {
			t.Errorf("fault %v: rate %.3f, want %.2f", stormNames[f], got, p)
		}
	}
}

// Each fault, at rate 1, looks on the wire as documented.
func TestStormFaultsOnTheWire(t *testing.T) {
	q := salesQuery("SALES", "SUMMARY", "DAILY", "2026-11-24", "")
	get := func(t *testing.T, st Storm, path string, auth bool) (*http.Response, []byte, error) {
		e := newEnv(t, Options{Storm: st})
		srv := httptest.NewServer(e.srv)
		defer srv.Close()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path+"?"+q.Encode(), nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+e.token(t))
		}
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}
	full := func(t *testing.T) []byte {
		_, body, err := get(t, Storm{}, "/v1/salesReports", true)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}(t)

	t.Run("500", func(t *testing.T) {
		resp, body, err := get(t, Storm{ServerError: 1}, "/v1/salesReports", true)
		if err != nil || resp.StatusCode != 500 || !bytes.Contains(body, []byte(`"code":"UNEXPECTED_ERROR"`)) {
			t.Fatalf("%v %v %s", resp, err, body)
		}
		resp, body, _ = get(t, Storm{ServerError: 1}, segmentPrefix+"x.csv.gz", false)
		if resp.StatusCode != 500 || !bytes.Contains(body, []byte("<Code>InternalError</Code>")) {
			t.Fatalf("segment: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("429", func(t *testing.T) {
		resp, body, err := get(t, Storm{RateLimited: 1}, "/v1/salesReports", true)
		if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !bytes.Contains(body, []byte("RATE_LIMIT_EXCEEDED")) {
			t.Fatalf("%v %v %s", resp, err, body)
		}
	})
	t.Run("reset", func(t *testing.T) {
		for i := 0; i < 6; i++ { // every variant: the body never arrives whole
			_, body, err := get(t, Storm{Reset: 1}, "/v1/salesReports", true)
			if err == nil && bytes.Equal(body, full) {
				t.Fatalf("a reset connection delivered the whole body")
			}
		}
	})
	t.Run("truncate", func(t *testing.T) {
		var short, chunked int
		e := newEnv(t, Options{Storm: Storm{Truncate: 1}})
		srv := httptest.NewServer(e.srv)
		defer srv.Close()
		for i := 0; i < 20; i++ {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/salesReports?"+q.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+e.token(t))
			req.Header.Set("Accept-Encoding", "identity")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case errors.Is(err, io.ErrUnexpectedEOF) && resp.ContentLength == int64(len(full)):
				short++
			case err == nil && resp.ContentLength == -1 && bytes.Equal(body, full[:len(full)/2]):
				chunked++
				if _, gzErr := io.ReadAll(mustGunzip(t, body)); gzErr == nil {
					t.Errorf("a half gzip body decompressed without error")
				}
			default:
				t.Fatalf("truncated answer: status %d, length %d, %d bytes, err %v", resp.StatusCode, resp.ContentLength, len(body), err)
			}
		}
		if short == 0 || chunked == 0 {
			t.Errorf("%d cut with a Content-Length, %d chunked: want both", short, chunked)
		}
		if got := e.srv.StormStats()["truncate"]; got != 20 {
			t.Errorf("StormStats truncate = %d, want 20", got)
		}
		// Errors are not truncated: there is no 200 body to cut.
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/salesReports", nil)
		req.Header.Set("Authorization", "Bearer "+e.token(t))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 400 || !bytes.HasSuffix(bytes.TrimSpace(body), []byte("}")) {
			t.Errorf("error answer under truncation: %d %v %s", resp.StatusCode, err, body)
		}
	})
}

func mustGunzip(t *testing.T, b []byte) io.Reader {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}
