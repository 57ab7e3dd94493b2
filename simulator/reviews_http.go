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
)

// HTTP side of customer reviews: routing, query validation, cursors and JSON:API bodies.

const (
	maxReviewLimit     = 200
	defaultReviewLimit = 50
	defaultReviewSort  = "-createdDate"
	cursorPrefix       = "AQ."
)

var (
	reviewSorts     = []string{"createdDate", "-createdDate", "rating", "-rating"}
	reviewFieldList = []string{"rating", "title", "body", "reviewerNickname", "createdDate", "territory", "response", "reviewTerritory"}
	respFieldList   = []string{"responseBody", "lastModifiedDate", "state", "review"}
	terrFieldList   = []string{"currency"}
	listParams      = []string{"filter[rating]", "filter[territory]", "filter[reviewTerritory]", "exists[publishedResponse]",
		"sort", "fields[customerReviews]", "fields[customerReviewResponses]", "fields[territories]", "include", "limit", "cursor"}
	reviewParams   = []string{"fields[customerReviews]", "fields[customerReviewResponses]", "fields[territories]", "include"}
	responseParams = []string{"fields[customerReviewResponses]", "fields[customerReviews]", "include"}
	validTerritory = func() map[string]bool {
		m := map[string]bool{}
		for _, c := range strings.Fields(reviewTerritoryCodes) {
			m[c] = true
		}
		return m
	}()
	territoryCurrency = func() map[string]string {
		m := map[string]string{}
		for _, t := range reviewTerritories {
			m[t.code] = t.currency
		}
		return m
	}()
)

func errNoResource(typ, id string) *httpError {
	return &httpError{status: 404, code: "NOT_FOUND", title: titleNotFound,
		detail: fmt.Sprintf("There is no resource of type '%s' with id '%s'", typ, id)}
}

func errNoResponse(reviewID string) *httpError {
	return &httpError{status: 404, code: "NOT_FOUND", title: titleNotFound,
		detail: fmt.Sprintf("There is no resource of type 'customerReviewResponses' related to the customerReviews with id '%s'", reviewID)}
}

// listOpts is a validated query.
type listOpts struct {
	sort        string
	ratings     map[int]bool    // nil = any
	territories map[string]bool // nil = any
	exists      *bool
	inclResp    bool
	inclTerr    bool
	inclReview  bool            // /response only
	fReview     map[string]bool // nil = all fields
	fResp       map[string]bool
	fTerr       map[string]bool
	limit       int
	cursor      string
}

// qget joins repeated occurrences of a parameter with commas (JSON:API array style).
func qget(q url.Values, k string) (string, bool) {
	v, ok := q[k]
	return strings.Join(v, ","), ok
}

// enumSet parses a comma list whose elements must be in allowed.
func enumSet(q url.Values, k string, allowed []string) (map[string]bool, *httpError) {
	v, ok := qget(q, k)
	if !ok {
		return nil, nil
	}
	m := map[string]bool{}
	for e := range strings.SplitSeq(v, ",") {
		if !slices.Contains(allowed, e) {
			return nil, errInvalidValue(k, e)
		}
		m[e] = true
	}
	return m, nil
}

func parseListOpts(q url.Values, allowed []string, includes []string) (*listOpts, *httpError) {
	if e := checkParams(q, allowed); e != nil {
		return nil, e
	}
	o := &listOpts{sort: defaultReviewSort, limit: defaultReviewLimit}
	if v, ok := qget(q, "sort"); ok {
		if !slices.Contains(reviewSorts, v) {
			return nil, errInvalidValue("sort", v)
		}
		o.sort = v
	}
	if v, ok := qget(q, "filter[rating]"); ok {
		o.ratings = map[int]bool{}
		for e := range strings.SplitSeq(v, ",") {
			n, err := strconv.Atoi(e)
			if err != nil || n < 1 || n > 5 || strconv.Itoa(n) != e {
				return nil, errInvalidValue("filter[rating]", e)
			}
			o.ratings[n] = true
		}
	}
	for _, k := range []string{"filter[territory]", "filter[reviewTerritory]"} {
		v, ok := qget(q, k)
		if !ok {
			continue
		}
		m := map[string]bool{}
		for e := range strings.SplitSeq(v, ",") {
			if !validTerritory[e] {
				return nil, errInvalidValue(k, e)
			}
			if o.territories == nil || o.territories[e] {
				m[e] = true
			}
		}
		o.territories = m // both given: the intersection
	}
	if v, ok := qget(q, "exists[publishedResponse]"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil || (v != "true" && v != "false") {
			return nil, errInvalidValue("exists[publishedResponse]", v)
		}
		o.exists = &b
	}
	inc, e := enumSet(q, "include", includes)
	if e != nil {
		return nil, e
	}
	o.inclResp, o.inclTerr, o.inclReview = inc["response"], inc["reviewTerritory"], inc["review"]
	if o.fReview, e = enumSet(q, "fields[customerReviews]", reviewFieldList); e != nil {
		return nil, e
	}
	if o.fResp, e = enumSet(q, "fields[customerReviewResponses]", respFieldList); e != nil {
		return nil, e
	}
	if o.fTerr, e = enumSet(q, "fields[territories]", terrFieldList); e != nil {
		return nil, e
	}
	if v, ok := qget(q, "limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxReviewLimit {
			return nil, errInvalidValue("limit", v)
		}
		o.limit = n
	}
	if v, ok := qget(q, "cursor"); ok {
		o.cursor = v
	}
	return o, nil
}

// filterKey is the canonical text of what selects and orders a listing (cursor binding).
func (o *listOpts) filterKey(path string) string {
	var b strings.Builder
	b.WriteString(path + "|" + o.sort + "|")
	for i := 1; i <= 5; i++ {
		if o.ratings[i] {
			b.WriteString(strconv.Itoa(i))
		}
	}
	b.WriteString("|")
	if o.ratings == nil {
		b.WriteString("*")
	}
	ts := make([]string, 0, len(o.territories))
	for t := range o.territories {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	b.WriteString("|" + strings.Join(ts, ","))
	if o.territories == nil {
		b.WriteString("*")
	}
	if o.exists != nil {
		fmt.Fprintf(&b, "|%t", *o.exists)
	}
	return b.String()
}

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

// reviewOrder is the comparison for a sort value; ties always break by id ascending.
func reviewOrder(sort string) func(a, b *review) int {
	return func(a, b *review) int {
		var c int
		switch sort {
		case "createdDate":
			c = cmpInt64(a.unix, b.unix)
		case "-createdDate":
			c = cmpInt64(b.unix, a.unix)
		case "rating":
			c = a.rating - b.rating
		case "-rating":
			c = b.rating - a.rating
		}
		if c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	}
}

// JSON:API shapes.
type docLinks struct {
	Self string `json:"self"`
	Next string `json:"next,omitempty"`
}

type relLinks struct {
	Self    string `json:"self"`
	Related string `json:"related"`
}

type resID struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type relationship struct {
	Links *relLinks       `json:"links,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
}

type reviewAttrs struct {
	Rating           *int    `json:"rating,omitempty"`
	Title            *string `json:"title,omitempty"`
	Body             *string `json:"body,omitempty"`
	ReviewerNickname *string `json:"reviewerNickname,omitempty"`
	CreatedDate      *string `json:"createdDate,omitempty"`
	Territory        *string `json:"territory,omitempty"`
}

type responseAttrs struct {
	ResponseBody     *string `json:"responseBody,omitempty"`
	LastModifiedDate *string `json:"lastModifiedDate,omitempty"`
	State            *string `json:"state,omitempty"`
}

type territoryAttrs struct {
	Currency *string `json:"currency,omitempty"`
}

type resource struct {
	Type          string                   `json:"type"`
	ID            string                   `json:"id"`
	Attributes    any                      `json:"attributes,omitempty"`
	Relationships map[string]*relationship `json:"relationships,omitempty"`
	Links         docLinks                 `json:"links"`
}

type pagingMeta struct {
	Paging struct {
		Total int `json:"total"`
		Limit int `json:"limit"`
	} `json:"paging"`
}

type listDoc struct {
	Data     []*resource `json:"data"`
	Included []*resource `json:"included,omitempty"`
	Links    docLinks    `json:"links"`
	Meta     *pagingMeta `json:"meta,omitempty"`
}

type singleDoc struct {
	Data     any         `json:"data"`
	Included []*resource `json:"included,omitempty"`
	Links    docLinks    `json:"links"`
}

func want(fields map[string]bool, f string) bool { return fields == nil || fields[f] }

func ptr[T any](v T) *T { return &v }

func rawID(typ, id string) json.RawMessage {
	b, _ := json.Marshal(resID{Type: typ, ID: id})
	return b
}

// renderer builds resources with absolute links on the request's host.
type renderer struct {
	base string
	o    *listOpts
	inc  []*resource
	seen map[string]bool
}

func newRenderer(r *http.Request, o *listOpts) *renderer {
	return &renderer{base: "http://" + r.Host, o: o, seen: map[string]bool{}}
}

func (rd *renderer) review(rv *review, resp *reviewResponse) *resource {
	o := rd.o
	res := &resource{Type: "customerReviews", ID: rv.id,
		Links: docLinks{Self: rd.base + "/v1/customerReviews/" + rv.id}}
	a := &reviewAttrs{}
	has := false
	set := func(f string, fn func()) {
		if want(o.fReview, f) {
			fn()
			has = true
		}
	}
	set("rating", func() { a.Rating = ptr(rv.rating) })
	set("title", func() { a.Title = ptr(rv.title) })
	set("body", func() { a.Body = ptr(rv.body) })
	set("reviewerNickname", func() { a.ReviewerNickname = ptr(rv.nick) })
	set("createdDate", func() { a.CreatedDate = ptr(rv.createdRaw) })
	set("territory", func() { a.Territory = ptr(rv.territory) })
	if has {
		res.Attributes = a
	}
	rels := map[string]*relationship{}
	if want(o.fReview, "response") || o.inclResp {
		rel := &relationship{Links: &relLinks{
			Self:    rd.base + "/v1/customerReviews/" + rv.id + "/relationships/response",
			Related: rd.base + "/v1/customerReviews/" + rv.id + "/response"}}
		if o.inclResp {
			rel.Data = json.RawMessage("null")
			if resp != nil {
				rel.Data = rawID("customerReviewResponses", resp.id)
				rd.add(rd.response(rv, resp))
			}
		}
		rels["response"] = rel
	}
	if o.inclTerr || (o.fReview != nil && o.fReview["reviewTerritory"]) {
		rels["reviewTerritory"] = &relationship{Data: rawID("territories", rv.territory)}
		if o.inclTerr {
			rd.add(rd.territory(rv.territory))
		}
	}
	if len(rels) > 0 {
		res.Relationships = rels
	}
	return res
}

func (rd *renderer) response(rv *review, resp *reviewResponse) *resource {
	o := rd.o
	res := &resource{Type: "customerReviewResponses", ID: resp.id,
		Links: docLinks{Self: rd.base + "/v1/customerReviewResponses/" + resp.id}}
	a := &responseAttrs{}
	has := false
	if want(o.fResp, "responseBody") {
		a.ResponseBody, has = ptr(resp.body), true
	}
	if want(o.fResp, "lastModifiedDate") {
		a.LastModifiedDate, has = ptr(resp.raw), true
	}
	if want(o.fResp, "state") {
		a.State, has = ptr(resp.state), true
	}
	if has {
		res.Attributes = a
	}
	if want(o.fResp, "review") {
		res.Relationships = map[string]*relationship{"review": {Data: rawID("customerReviews", rv.id)}}
	}
	return res
}

func (rd *renderer) territory(code string) *resource {
	res := &resource{Type: "territories", ID: code, Links: docLinks{Self: rd.base + "/v1/territories/" + code}}
	if want(rd.o.fTerr, "currency") {
		cur := territoryCurrency[code]
		res.Attributes = &territoryAttrs{Currency: &cur}
	}
	return res
}

func (rd *renderer) add(res *resource) {
	k := res.Type + "/" + res.ID
	if !rd.seen[k] {
		rd.seen[k] = true
		rd.inc = append(rd.inc, res)
	}
}

func selfURL(r *http.Request, base string) string {
	if r.URL.RawQuery == "" {
		return base + r.URL.Path
	}
	return base + r.URL.Path + "?" + r.URL.RawQuery
}

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

func (s *Server) serveReviewList(w http.ResponseWriter, r *http.Request, kind, id string) {
	o, e := parseListOpts(r.URL.Query(), listParams, []string{"response", "reviewTerritory"})
	if e != nil {
		writeError(w, e)
		return
	}
	st := s.reviewsStore()
	var ar *appReviews
	var ver *appVersion
	if kind == "apps" {
		ar = st.apps[id]
	} else if ar = st.versionOf[id]; ar != nil {
		ver = st.versions[id]
	}
	if ar == nil {
		writeError(w, errNoResource(kind, id))
		return
	}
	key := o.filterKey(r.URL.Path)
	snap, off := s.now().Unix(), uint64(0)
	if o.cursor != "" {
		var ok bool
		if off, snap, ok = s.decodeCursor(key, o.cursor); !ok {
			writeError(w, errInvalidValue("cursor", o.cursor))
			return
		}
	}
	st.mu.Lock()
	var sel []*review
	var resps []*reviewResponse
	for _, rv := range s.visible(st, ar, snap) {
		if ver != nil && rv.version != ver ||
			o.ratings != nil && !o.ratings[rv.rating] ||
			o.territories != nil && !o.territories[rv.territory] {
			continue
		}
		if o.exists != nil {
			resp := st.responseAt(rv, snap)
			if (resp != nil && resp.state == "PUBLISHED") != *o.exists {
				continue
			}
		}
		sel = append(sel, rv)
	}
	slices.SortFunc(sel, reviewOrder(o.sort))
	total := len(sel)
	start, end := pageBounds(off, o.limit, total)
	page := sel[start:end]
	for _, rv := range page {
		resps = append(resps, st.responseAt(rv, snap))
	}
	st.mu.Unlock()

	rd := newRenderer(r, o)
	doc := listDoc{Data: make([]*resource, 0, len(page)), Links: docLinks{Self: selfURL(r, rd.base)},
		Meta: &pagingMeta{}}
	for i, rv := range page {
		doc.Data = append(doc.Data, rd.review(rv, resps[i]))
	}
	doc.Included = rd.inc
	doc.Links.Next = s.nextLink(r, rd.base, key, end, total, snap)
	doc.Meta.Paging.Total, doc.Meta.Paging.Limit = total, o.limit
	writeJSON(w, r, doc)
}

func (s *Server) serveReview(w http.ResponseWriter, r *http.Request, id string) {
	o, e := parseListOpts(r.URL.Query(), reviewParams, []string{"response", "reviewTerritory"})
	if e != nil {
		writeError(w, e)
		return
	}
	rv, resp := s.reviewAt(id, s.now().Unix())
	if rv == nil {
		writeError(w, errNoResource("customerReviews", id))
		return
	}
	rd := newRenderer(r, o)
	doc := singleDoc{Data: rd.review(rv, resp), Links: docLinks{Self: selfURL(r, rd.base)}}
	doc.Included = rd.inc
	writeJSON(w, r, doc)
}

// serveReviewResponse answers /v1/customerReviews/{id}/response (the resource) and
// /v1/customerReviews/{id}/relationships/response (the linkage).
func (s *Server) serveReviewResponse(w http.ResponseWriter, r *http.Request, id string, linkage bool) {
	params := responseParams
	if linkage {
		params = nil
	}
	o, e := parseListOpts(r.URL.Query(), params, []string{"review"})
	if e != nil {
		writeError(w, e)
		return
	}
	rv, resp := s.reviewAt(id, s.now().Unix())
	if rv == nil {
		writeError(w, errNoResource("customerReviews", id))
		return
	}
	if resp == nil {
		writeError(w, errNoResponse(id))
		return
	}
	rd := newRenderer(r, o)
	doc := singleDoc{Links: docLinks{Self: selfURL(r, rd.base)}}
	if linkage {
		doc.Data = resID{Type: "customerReviewResponses", ID: resp.id}
	} else {
		doc.Data = rd.response(rv, resp)
		if o.inclReview {
			ro := *o
			ro.inclResp, ro.inclTerr = false, false
			rd.o = &ro
			rd.add(rd.review(rv, resp))
		}
	}
	doc.Included = rd.inc
	writeJSON(w, r, doc)
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

// reviewAt finds a review visible at now and its response visible then (nil, nil when the
// review is not visible).
func (s *Server) reviewAt(id string, now int64) (*review, *reviewResponse) {
	st := s.reviewsStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	rv := s.lookupReview(st, id, now)
	if rv == nil {
		return nil, nil
	}
	return rv, st.responseAt(rv, now)
}
