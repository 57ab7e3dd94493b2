package simulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cursors, paging and serving, shared by every JSON:API family (see jsonapi.go).

// Cursors and paging.

const cursorPrefix = "AQ."

// Cursors: "AQ." + base64url(version 1, offset, snapshot unix seconds, 8-byte check over the
// seed, the filters, offset and snapshot).
func (s *Server) cursorMAC(key string, off uint64, snap int64) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "asc-cursor|%d|%s|%d|%d", s.opt.Seed, key, off, snap)
	return h.Sum(nil)[:8]
}

func (s *Server) encodeCursor(key string, off uint64, snap int64) string {
	b := []byte{1}
	b = binary.AppendUvarint(b, off)
	b = binary.AppendVarint(b, snap)
	b = append(b, s.cursorMAC(key, off, snap)...)
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) decodeCursor(key, c string) (off uint64, snap int64, ok bool) {
	raw, found := strings.CutPrefix(c, cursorPrefix)
	if !found {
		return 0, 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(b) < 1+1+1+8 || b[0] != 1 {
		return 0, 0, false
	}
	rest := b[1:]
	off, n := binary.Uvarint(rest)
	if n <= 0 {
		return 0, 0, false
	}
	rest = rest[n:]
	snap, n = binary.Varint(rest)
	if n <= 0 || len(rest[n:]) != 8 {
		return 0, 0, false
	}
	if !bytes.Equal(rest[n:], s.cursorMAC(key, off, snap)) || off > 1<<40 {
		return 0, 0, false
	}
	return off, snap, true
}

// cursorKey is the canonical text of what selects and orders a listing.
func cursorKey(r *http.Request) string {
	q := r.URL.Query()
	for k := range q {
		if k == "cursor" || k == "limit" || k == "include" || strings.HasPrefix(k, "fields[") || strings.HasPrefix(k, "limit[") {
			delete(q, k)
		}
	}
	return "cat|" + r.URL.Path + "|" + q.Encode()
}

// cursorAt resolves the cursor of a listing bound to key: the offset of the page and the
// snapshot (unix seconds) it describes, now on a first page and the first page's time on
// the pages after it. A cursor that is not ours or was minted for another key is a 400.
func (s *Server) cursorAt(q url.Values, key string, now int64) (off uint64, snap int64, e *httpError) {
	c, ok := qget(q, "cursor")
	if !ok {
		return 0, now, nil
	}
	if off, snap, ok = s.decodeCursor(key, c); !ok {
		return 0, 0, errInvalidValue("cursor", c)
	}
	return off, snap, nil
}

// pageOf resolves the cursor of a jreq listing; after the first page jq.now becomes the
// first page's time.
func (s *Server) pageOf(jq *jreq) (off uint64, snap int64, e *httpError) {
	off, snap, e = s.cursorAt(jq.q, cursorKey(jq.r), jq.now.Unix())
	if e == nil && jq.q.Has("cursor") {
		jq.now = time.Unix(snap, 0).UTC()
	}
	return off, snap, e
}

// pageBounds is the [start, end) of the page at offset off, limit long, in total items.
func pageBounds(off uint64, limit, total int) (start, end int) {
	start = min(int(off), total)
	return start, min(start+limit, total)
}

// nextLink is links.next for a page ending at end: the request's own query with a fresh
// cursor, or "" on the last page.
func (s *Server) nextLink(r *http.Request, base, key string, end, total int, snap int64) string {
	if end >= total {
		return ""
	}
	q := r.URL.Query()
	q.Set("cursor", s.encodeCursor(key, uint64(end), snap))
	return base + r.URL.Path + "?" + q.Encode()
}

// pageDoc starts the document of one page of total items at offset off: links.self,
// links.next (a fresh cursor bound to key and snap, none on the last page) and meta.paging.
// The page is items[start:end]; the caller fills Data (and Included).
func pageDoc[D, I any](s *Server, r *http.Request, base, key string, off uint64, limit, total int, snap int64) (doc *listDoc[D, I], start, end int) {
	start, end = pageBounds(off, limit, total)
	doc = &listDoc[D, I]{Data: make([]D, 0, end-start), Meta: &pagingMeta{},
		Links: docLinks{Self: selfURL(r, base), Next: s.nextLink(r, base, key, end, total, snap)}}
	doc.Meta.Paging.Total, doc.Meta.Paging.Limit = total, limit
	return doc, start, end
}

// selfURL is links.self: the request's path and raw query on base.
func selfURL(r *http.Request, base string) string {
	if r.URL.RawQuery == "" {
		return base + r.URL.Path
	}
	return base + r.URL.Path + "?" + r.URL.RawQuery
}

// Serving.

// serveByID answers a single-resource GET: the request is validated against sp, find looks
// the resource up (a 404 naming typ and id when it is absent) and render builds it.
func serveByID[T any](s *Server, w http.ResponseWriter, r *http.Request, sp reqSpec, typ, id string,
	find func(jq *jreq) *T, render func(jq *jreq, v *T) *jres) {
	jq, e := s.parseJReq(r, sp)
	if e != nil {
		writeError(w, e)
		return
	}
	v := find(jq)
	if !found(w, v, typ, id) {
		return
	}
	serveOne(w, jq, render(jq, v))
}

// openList validates a listing request against sp (limit and cursor allowed), runs check
// (filters, sort; may be nil) and resolves the cursor. On failure it writes the error and
// returns a nil jq.
func (s *Server) openList(w http.ResponseWriter, r *http.Request, sp reqSpec,
	check func(jq *jreq) *httpError) (jq *jreq, off uint64, snap int64) {
	sp.list = true
	jq, e := s.parseJReq(r, sp)
	if e == nil && check != nil {
		e = check(jq)
	}
	if e == nil {
		off, snap, e = s.pageOf(jq)
	}
	if e != nil {
		writeError(w, e)
		return nil, 0, 0
	}
	return jq, off, snap
}

// openListUnder is openList for a listing under a parent resource: find looks the parent up
// once the request is valid (a 404 naming typ and id when it is absent). On failure it
// writes the error and returns a nil parent.
func openListUnder[P any](s *Server, w http.ResponseWriter, r *http.Request, sp reqSpec, typ, id string,
	find func(jq *jreq) *P, check func(jq *jreq) *httpError) (jq *jreq, off uint64, snap int64, parent *P) {
	jq, off, snap = s.openList(w, r, sp, check)
	if jq == nil {
		return nil, 0, 0, nil
	}
	if parent = find(jq); !found(w, parent, typ, id) {
		return nil, 0, 0, nil
	}
	return jq, off, snap, parent
}

// found reports whether v is there, writing the 404 for typ and id when it is not.
func found[T any](w http.ResponseWriter, v *T, typ, id string) bool {
	if v == nil {
		writeError(w, errNoResource(typ, id))
		return false
	}
	return true
}

// orderBy sorts items stably by cmp, descending when sort starts with '-'; an empty sort
// leaves the order alone.
func orderBy[T any](items []T, sort string, cmp func(a, b T) int) {
	if sort == "" {
		return
	}
	desc := sort[0] == '-'
	slices.SortStableFunc(items, func(a, b T) int {
		c := cmp(a, b)
		if desc {
			c = -c
		}
		return c
	})
}

// byKey compares by a string key.
func byKey[T any](key func(T) string) func(a, b T) int {
	return func(a, b T) int { return strings.Compare(key(a), key(b)) }
}

// servePage writes one page of items rendered by render (which may add included resources).
func servePage[T any](s *Server, w http.ResponseWriter, jq *jreq, off uint64, snap int64, items []T, render func(T) *jres) {
	doc, start, end := pageDoc[*jres, *jres](s, jq.r, jq.base, cursorKey(jq.r), off, jq.limit, len(items), snap)
	for _, it := range items[start:end] {
		doc.Data = append(doc.Data, jq.shape(render(it)))
	}
	doc.Included = jq.inc
	writeJSON(w, jq.r, doc)
}

// serveOne writes a single-resource document with what render added to included[].
func serveOne(w http.ResponseWriter, jq *jreq, res *jres) {
	writeJSON(w, jq.r, oneDoc[*jres, *jres]{Data: jq.shape(res), Included: jq.inc, Links: docLinks{Self: selfURL(jq.r, jq.base)}})
}

// writeJSON writes v as a 200 application/json body: compact, not HTML-escaped, one
// trailing newline, with Content-Length; no body for HEAD.
func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		writeError(w, errUnexpected())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// errNoResource is the 404 for an unknown id of typ.
func errNoResource(typ, id string) *httpError {
	return &httpError{status: 404, code: "NOT_FOUND", title: titleNotFound,
		detail: fmt.Sprintf("There is no resource of type '%s' with id '%s'", typ, id)}
}

// writeTyped writes v as compact JSON (not HTML-escaped, one trailing newline) with the
// given Content-Type and status 200.
func writeTyped(w http.ResponseWriter, r *http.Request, contentType string, v any) {
	rec := &headerCapture{ResponseWriter: w, ctype: contentType}
	writeJSON(rec, r, v)
}

// headerCapture rewrites the Content-Type writeJSON sets when it writes a 200.
type headerCapture struct {
	http.ResponseWriter
	ctype string
}

func (h *headerCapture) WriteHeader(code int) {
	if code == http.StatusOK {
		h.Header().Set("Content-Type", h.ctype)
	}
	h.ResponseWriter.WriteHeader(code)
}
