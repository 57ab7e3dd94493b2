package simulator

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const testKID = "2X9R4HXF34"

// testNow is 2026-11-25 12:00 PST.
var testNow = time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)

type env struct {
	srv   *Server
	clock *fakeClock
	key   *ecdsa.PrivateKey
}

func newEnv(t *testing.T, opt Options) *env {
	t.Helper()
	c := &fakeClock{t: testNow}
	opt.Now = c.Now
	if opt.Seed == 0 {
		opt.Seed = 42
	}
	s := New(opt)
	key, _, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s.AddKey(testKID, &key.PublicKey)
	return &env{srv: s, clock: c, key: key}
}

func (e *env) token(t *testing.T) string {
	t.Helper()
	tok, err := SignToken(e.key, testKID, e.srv.Options().IssuerID, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends a GET with a valid token (unless header Authorization is given).
func (e *env) do(t *testing.T, path string, q url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+e.token(t))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

func salesQuery(typ, sub, freq, date, version string) url.Values {
	q := url.Values{}
	q.Set("filter[vendorNumber]", DefaultVendor)
	q.Set("filter[reportType]", typ)
	q.Set("filter[reportSubType]", sub)
	q.Set("filter[frequency]", freq)
	if date != "" {
		q.Set("filter[reportDate]", date)
	}
	if version != "" {
		q.Set("filter[version]", version)
	}
	return q
}

func financeQuery(typ, region, date string) url.Values {
	q := url.Values{}
	q.Set("filter[vendorNumber]", DefaultVendor)
	q.Set("filter[reportType]", typ)
	q.Set("filter[regionCode]", region)
	q.Set("filter[reportDate]", date)
	return q
}

type testErr struct {
	Errors []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Code   string `json:"code"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Source *struct {
			Parameter string `json:"parameter"`
		} `json:"source"`
	} `json:"errors"`
}

func decodeErr(t *testing.T, rec *httptest.ResponseRecorder) testErr {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type = %q", ct)
	}
	var e testErr
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e.Errors) != 1 {
		t.Fatalf("error body %s: %v", rec.Body, err)
	}
	if e.Errors[0].Status != strconv.Itoa(rec.Code) {
		t.Fatalf("status field %q vs HTTP %d", e.Errors[0].Status, rec.Code)
	}
	return e
}

// lines gunzips a body and splits it into lines of tab-separated cells (test-only reader;
// no encoding/csv). The final newline is required.
func lines(t *testing.T, body []byte) [][]string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	s := string(raw)
	if !strings.HasSuffix(s, "\n") || strings.Contains(s, "\r") {
		t.Fatalf("body must use \\n line ends and end with one")
	}
	var out [][]string
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		out = append(out, strings.Split(l, "\t"))
	}
	return out
}

// sumTable computes Truth from parsed lines, independently of the server's code.
func sumTable(t *testing.T, header []string, rows [][]string, unitsCol, amtCol, curCol string, perUnit bool) Truth {
	t.Helper()
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		if name != "" {
			t.Fatalf("column %q not in header", name)
		}
		return -1
	}
	ui, ai, ci := col(unitsCol), col(amtCol), col(curCol)
	tr := Truth{Rows: int64(len(rows))}
	if ai >= 0 {
		tr.Proceeds = map[string]int64{}
	}
	for _, r := range rows {
		if len(r) != len(header) {
			t.Fatalf("row has %d cells, header %d: %q", len(r), len(header), r)
		}
		u, err := strconv.ParseInt(strings.TrimSpace(r[ui]), 10, 64)
		if err != nil {
			t.Fatalf("units %q: %v", r[ui], err)
		}
		tr.Units += u
		if ai < 0 || strings.TrimSpace(r[ci]) == "" {
			continue
		}
		m := micro(t, r[ai])
		if perUnit {
			m *= u
		}
		tr.Proceeds[strings.TrimSpace(r[ci])] += m
	}
	return tr
}

// micro parses a decimal with at most two places into micro-units.
func micro(t *testing.T, s string) int64 {
	t.Helper()
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) > 2 {
		t.Fatalf("amount %q has more than 2 decimals", s)
	}
	for len(fp) < 2 {
		fp += "0"
	}
	v, err := strconv.ParseInt(ip+fp, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	if neg {
		v = -v
	}
	return v * 10000
}
