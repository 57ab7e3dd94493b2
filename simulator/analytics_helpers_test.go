package simulator

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

// Test helpers for the Analytics Reports API.

type jRes struct {
	Type          string                     `json:"type"`
	ID            string                     `json:"id"`
	Attributes    map[string]any             `json:"attributes"`
	Relationships map[string]json.RawMessage `json:"relationships"`
	Links         struct{ Self string }      `json:"links"`
}

type jList struct {
	Data     []jRes `json:"data"`
	Included []jRes `json:"included"`
	Links    struct {
		Self string `json:"self"`
		Next string `json:"next"`
	} `json:"links"`
	Meta struct {
		Paging struct{ Total, Limit int } `json:"paging"`
	} `json:"meta"`
}

type jOne struct {
	Data     jRes   `json:"data"`
	Included []jRes `json:"included"`
}

// send issues a request with a valid token; target is a path with query or an absolute URL.
func (e *env) send(t *testing.T, method, target string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Header.Set("Authorization", "Bearer "+e.token(t))
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

// fetch downloads a URL as a plain client would (no Authorization unless given).
func (e *env) fetch(t *testing.T, rawURL string, auth string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, rawURL, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

func createBodyFor(appID, access string) []byte {
	return []byte(`{"data":{"type":"analyticsReportRequests","attributes":{"accessType":"` + access +
		`"},"relationships":{"app":{"data":{"type":"apps","id":"` + appID + `"}}}}}`)
}

// createRequest POSTs a request and returns its id (fails the test on anything but 201).
func (e *env) createRequest(t *testing.T, appID, access string) string {
	t.Helper()
	rec := e.send(t, http.MethodPost, "/v1/analyticsReportRequests", createBodyFor(appID, access),
		map[string]string{"Content-Type": "application/json"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create %s %s: %d %s", appID, access, rec.Code, rec.Body)
	}
	var one jOne
	if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	return one.Data.ID
}

func (e *env) getOne(t *testing.T, target string) jOne {
	t.Helper()
	rec := e.send(t, http.MethodGet, target, nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	var one jOne
	if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	return one
}

// listAll follows links.next from target and returns every item and the number of pages.
func (e *env) listAll(t *testing.T, target string) ([]jRes, int) {
	t.Helper()
	var out []jRes
	pages := 0
	for target != "" {
		rec := e.send(t, http.MethodGet, target, nil, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
		}
		var l jList
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l.Data...)
		pages++
		if l.Links.Next != "" && len(l.Data) != l.Meta.Paging.Limit {
			t.Fatalf("page of %d items with limit %d has a next link", len(l.Data), l.Meta.Paging.Limit)
		}
		target = l.Links.Next
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
	}
	return out, pages
}

// reportID finds the id of a named report of a request.
func (e *env) reportID(t *testing.T, reqID, name string) string {
	t.Helper()
	items, _ := e.listAll(t, "/v1/analyticsReportRequests/"+reqID+"/reports?filter%5Bname%5D="+url.QueryEscape(name))
	if len(items) != 1 {
		t.Fatalf("report %q: %d matches", name, len(items))
	}
	return items[0].ID
}

type segment struct {
	id, checksum, url string
	size              int
}

func (e *env) segments(t *testing.T, instID string) []segment {
	t.Helper()
	items, _ := e.listAll(t, "/v1/analyticsReportInstances/"+instID+"/segments")
	var out []segment
	for _, it := range items {
		out = append(out, segment{id: it.ID, checksum: it.Attributes["checksum"].(string),
			url: it.Attributes["url"].(string), size: int(it.Attributes["sizeInBytes"].(float64))})
	}
	return out
}

// table is a parsed segment file.
type table struct {
	header []string
	rows   [][]string
	comma  bool
}

// parseSegment gunzips a body and splits it by the delimiter sniffed from the header line.
func parseSegment(t *testing.T, body []byte) table {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if !strings.HasSuffix(s, "\n") || strings.Contains(s, "\r") {
		t.Fatal("segment must use \\n line ends and end with one")
	}
	first, _, _ := strings.Cut(s, "\n")
	if strings.Contains(first, "\t") {
		ls := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		tb := table{header: strings.Split(ls[0], "\t")}
		for _, l := range ls[1:] {
			tb.rows = append(tb.rows, strings.Split(l, "\t"))
		}
		return tb
	}
	cr := csv.NewReader(strings.NewReader(s))
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	return table{header: recs[0], rows: recs[1:], comma: true}
}

func (tb table) col(t *testing.T, name string) int {
	t.Helper()
	for i, h := range tb.header {
		if h == name {
			return i
		}
	}
	t.Fatalf("column %q not in %q", name, tb.header)
	return -1
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
