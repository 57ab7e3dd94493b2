package extract

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// cut describes how one answer goes wrong.
type cut int

const (
	whole     cut = iota
	shortCL       // Content-Length promises the whole body; the connection closes after half
	chunked       // no Content-Length; half the body, ending cleanly
	badCRC        // the whole body with the gzip CRC-32 flipped
	resetHead     // the connection closes after the headers
)

// flaky serves body with Content-Type ct, the first answers spoiled as cuts says.
func flaky(t *testing.T, ct string, body []byte, cuts ...cut) (http.Handler, *atomic.Int32) {
	var hits atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(hits.Add(1))
		c := whole
		if n <= len(cuts) {
			c = cuts[n-1]
		}
		w.Header().Set("Content-Type", ct)
		switch c {
		case whole:
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		case chunked:
			w.Write(body[:len(body)/2])
		case badCRC:
			b := append([]byte(nil), body...)
			b[len(b)-8] ^= 0xff
			w.Write(b)
		case shortCL, resetHead:
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", ct, len(body))
			if c == shortCL {
				buf.Write(body[:len(body)/2])
			}
			buf.Flush()
		}
	}), &hits
}

// A body cut short is fetched again within the request's retries, and only the verified
// bytes come back; every attempt is a request of its own.
func TestIncompleteBodiesAreRetried(t *testing.T) {
	gz := gzipBytes(t, strings.Repeat("Provider\tUnits\nAPPLE\t1\n", 200))
	doc := []byte(`{"data":[{"type":"apps","id":"1"}],"links":{"self":"x"}}`)
	for _, tc := range []struct {
		name string
		ct   string
		body []byte
		cuts []cut
		call func(c *Client) ([]byte, error)
		free bool // outside the API budget (pre-signed downloads)
	}{
		{"report Content-Length short", "application/a-gzip", gz, []cut{shortCL, resetHead}, salesBytes, false},
		{"report chunked half", "application/a-gzip", gz, []cut{chunked, chunked}, salesBytes, false},
		{"report bad CRC", "application/a-gzip", gz, []cut{badCRC}, salesBytes, false},
		{"json chunked half", "application/json", doc, []cut{chunked}, getJSON, false},
		{"json Content-Length short", "application/json", doc, []cut{shortCL, chunked, resetHead}, getJSON, false},
		{"post chunked half", "application/json", doc, []cut{chunked}, postJSON, false},
		{"segment chunked half", "application/octet-stream", gz, []cut{chunked, shortCL}, download, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, hits := flaky(t, tc.ct, tc.body, tc.cuts...)
			env := newEnv(t, h)
			got, err := tc.call(env.client)
			if err != nil {
				t.Fatalf("err %v after %d requests\n%s", err, hits.Load(), env.logs)
			}
			if !bytes.Equal(got, tc.body) {
				t.Fatalf("got %d bytes, want the %d of the whole body", len(got), len(tc.body))
			}
			st := env.client.Stats()
			n := int64(len(tc.cuts))
			if int64(hits.Load()) != n+1 || st.Retries != n || st.Incomplete != n {
				t.Errorf("%d requests, stats %+v: want %d requests, %d retries, %d incomplete", hits.Load(), st, n+1, n, n)
			}
			if !tc.free && st.Requests != n+1 {
				t.Errorf("%d requests counted, want %d (each attempt is charged)", st.Requests, n+1)
			}
		})
	}
}

// A body that never arrives whole fails after MaxAttempts with ErrIncomplete; nothing
// spoiled is handed on.
func TestIncompleteEveryTime(t *testing.T) {
	gz := gzipBytes(t, "Provider\tUnits\nAPPLE\t1\n")
	cuts := []cut{chunked, chunked, chunked, chunked, chunked, chunked, chunked}
	h, hits := flaky(t, "application/a-gzip", gz, cuts...)
	env := newEnv(t, h, func(c *Config) { c.MaxAttempts = 3 })
	rep, err := env.client.SalesReport(context.Background(), salesUnit, "1_0")
	if err == nil || !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "unexpected EOF") || rep != nil {
		t.Fatalf("report %v, err %v: want ErrIncomplete naming unexpected EOF", rep, err)
	}
	if hits.Load() != 3 || !Temporary(err) {
		t.Errorf("%d requests (want 3); Temporary %v", hits.Load(), Temporary(err))
	}
}

// A report above the in-memory bound is buffered in a temporary file and comes back whole.
func TestLargeReportSpills(t *testing.T) {
	defer func(n int) { reportMemory = n }(reportMemory)
	reportMemory = 1 << 10
	raw := make([]byte, 64<<10)
	rand.Read(raw)
	gz := gzipBytes(t, string(raw))
	h, _ := flaky(t, "application/a-gzip", gz, shortCL)
	env := newEnv(t, h)
	got, err := salesBytes(env.client)
	if err != nil || !bytes.Equal(got, gz) {
		t.Fatalf("%d bytes, err %v", len(got), err)
	}
}

func TestTemporary(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&APIError{Status: 500}, true},
		{fmt.Errorf("x: %w", &APIError{Status: 503}), true},
		{&APIError{Status: 429}, false},
		{&APIError{Status: 404}, false},
		{&DownloadError{Status: 500}, true},
		{&DownloadError{Status: 403, Code: "AccessDenied"}, false},
		{fmt.Errorf("GET x: %w", incompletef("cut")), true},
		{fmt.Errorf("GET x: %w", io.ErrUnexpectedEOF), true},
		{fmt.Errorf("GET x: %w", transportError("read: connection reset by peer")), true},
		{fmt.Errorf("%w (last failure: %w)", ErrBudgetExhausted, &APIError{Status: 500}), false},
		{context.Canceled, false},
		{errors.New("no table"), false},
	} {
		if got := Temporary(tc.err); got != tc.want {
			t.Errorf("Temporary(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func salesBytes(c *Client) ([]byte, error) {
	rep, err := c.SalesReport(context.Background(), salesUnit, "1_0")
	if err != nil {
		return nil, err
	}
	defer rep.Body.Close()
	return io.ReadAll(bufio.NewReader(rep.Body))
}

func getJSON(c *Client) ([]byte, error) { return c.GetJSON(context.Background(), "/v1/apps", nil) }

func postJSON(c *Client) ([]byte, error) {
	return c.PostJSON(context.Background(), "/v1/analyticsReportRequests", []byte(`{}`))
}

func download(c *Client) ([]byte, error) {
	return c.Download(context.Background(), c.base.String()+"/segment.csv.gz?X-Amz-Signature=abc")
}
