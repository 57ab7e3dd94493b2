package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// HTTP side of customer reviews: query validation, cursors and JSON:API bodies. The review
// paths (routes.go) answer JSON:API documents (Content-Type application/json, shaped like the
// Apple sample in samples/json/customer_reviews_list_apple-doc-example.json) for the
// catalog's apps (AppIDs). Auth, rate limiting, latency and Stats apply as everywhere; Inject
// does not. TruthReviews, AppStoreVersions, EditResponse and DeleteResponse are the test side
// (reviews_truth.go).

const defaultReviewSort = "-createdDate"

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
}

// parseListOpts validates a reviews query: parameters in allowed, include members in
// includes. Errors come in a fixed order: unknown parameter, sort, filters, include,
// fields, limit.
//
// Decision (Query): sort default -createdDate; every sort breaks ties by id ascending
// (bytewise), also for -rating and -createdDate. Repeated parameters are joined with commas
// (JSON:API arrays). filter[territory] and filter[reviewTerritory] accept the spec's 233
// TerritoryCode values (both given: intersection). exists[publishedResponse]=true keeps reviews
// whose visible response is PUBLISHED; false keeps the others (none or PENDING_PUBLISH). limit
// 1–200, default 50. Invalid values (sort not exactly one of the four, rating outside 1–5,
// unknown territory/include/fields value, exists not true/false, limit out of range or not an
// integer, bad cursor): 400 PARAMETER_ERROR.INVALID with the parameter as source; unknown
// parameters 400 PARAMETER_ERROR.ILLEGAL (first in sorted order). Parameters are checked before
// the path id; an unknown id is 404 NOT_FOUND "There is no resource of type 'apps' with id 'X'"
// (appStoreVersions, customerReviews likewise). A review not yet created is 404.
func parseListOpts(q url.Values, allowed []string, includes []string) (*listOpts, *httpError) {
	if e := checkParams(q, allowed); e != nil {
		return nil, e
	}
	o := &listOpts{}
	var e *httpError
	if o.sort, e = parseSort(q, defaultReviewSort, reviewSorts); e != nil {
		return nil, e
	}
	if e = o.parseFilters(q); e != nil {
		return nil, e
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
	if o.limit, e = parseLimit(q); e != nil {
		return nil, e
	}
	return o, nil
}

// parseFilters reads filter[rating], filter[territory] and filter[reviewTerritory] (both
// given: the intersection) and exists[publishedResponse].
func (o *listOpts) parseFilters(q url.Values) *httpError {
	if v, ok := qget(q, "filter[rating]"); ok {
		o.ratings = map[int]bool{}
		for e := range strings.SplitSeq(v, ",") {
			n, err := strconv.Atoi(e)
			if err != nil || n < 1 || n > 5 || strconv.Itoa(n) != e {
				return errInvalidValue("filter[rating]", e)
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
				return errInvalidValue(k, e)
			}
			if o.territories == nil || o.territories[e] {
				m[e] = true
			}
		}
		o.territories = m
	}
	if v, ok := qget(q, "exists[publishedResponse]"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil || (v != "true" && v != "false") {
			return errInvalidValue("exists[publishedResponse]", v)
		}
		o.exists = &b
	}
	return nil
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

// Decision (include=response): every review's relationships.response gets "data" (the {type,id}
// or null) and included[] holds the customerReviewResponses (attributes responseBody,
// lastModifiedDate, state; relationships.review.data; links.self
// /v1/customerReviewResponses/{id}); "included" is omitted when empty. include=reviewTerritory
// adds relationships.reviewTerritory.data and territories resources (attribute currency).
// fields[...] restrict attributes; a review's response relationship is served when
// fields[customerReviews] is absent, names response, or include=response; a response's review
// relationship when fields[customerReviewResponses] is absent or names review; "attributes" is
// omitted when no attribute is left. The single-review and /response endpoints take fields and
// include (include=review on /response); a review without a visible response answers 404 on
// /response and /relationships/response. JSON is compact, not HTML-escaped ("<" stays "<";
// U+2028 is escaped by encoding/json), one trailing newline.
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

// Decision (Paging): links.self = "http://"+Host + the request's path and raw query; links.next
// = the same path with the request's query plus cursor, re-encoded by url.Values (sorted keys,
// %5B…%5D), absent on the last page. The cursor "AQ.<base64url>" holds offset, snapshot time
// (Now of the first page) and an 8-byte check over seed, path, sort and filters; any change to
// those or to its bytes → 400 on cursor. Pages after the first list the snapshot (reviews and
// generated responses visible at that time), so a walk sees each review once and total stays
// put while the clock moves; limit, fields and include may change between pages. Edits made
// with EditResponse/DeleteResponse show at once, even inside a walk.
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
	off, snap, e := s.cursorAt(r.URL.Query(), key, s.now().Unix())
	if e != nil {
		writeError(w, e)
		return
	}
	rd := newRenderer(r, o)
	st.mu.Lock()
	sel := s.selectReviews(st, ar, ver, o, snap)
	doc, start, end := pageDoc[*resource, *resource](s, r, rd.base, key, off, o.limit, len(sel), snap)
	page := sel[start:end]
	resps := make([]*reviewResponse, len(page))
	for i, rv := range page {
		resps[i] = st.responseAt(rv, snap)
	}
	st.mu.Unlock()
	for i, rv := range page {
		doc.Data = append(doc.Data, rd.review(rv, resps[i]))
	}
	doc.Included = rd.inc
	writeJSON(w, r, doc)
}

// selectReviews lists the reviews of ar (of version ver when not nil) visible at snap that
// pass o's filters, in o's order. The caller holds st.mu.
func (s *Server) selectReviews(st *reviewStore, ar *appReviews, ver *appVersion, o *listOpts, snap int64) []*review {
	var sel []*review
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
	return sel
}

// openReview validates a single-review query and finds the review visible now and its
// response; on failure it writes the error and returns a nil review.
func (s *Server) openReview(w http.ResponseWriter, r *http.Request, params, includes []string, id string) (*listOpts, *review, *reviewResponse) {
	o, e := parseListOpts(r.URL.Query(), params, includes)
	if e != nil {
		writeError(w, e)
		return nil, nil, nil
	}
	rv, resp := s.reviewAt(id, s.now().Unix())
	if !found(w, rv, "customerReviews", id) {
		return nil, nil, nil
	}
	return o, rv, resp
}

func (s *Server) serveReview(w http.ResponseWriter, r *http.Request, id string) {
	o, rv, resp := s.openReview(w, r, reviewParams, []string{"response", "reviewTerritory"}, id)
	if rv == nil {
		return
	}
	rd := newRenderer(r, o)
	doc := oneDoc[*resource, *resource]{Data: rd.review(rv, resp), Links: docLinks{Self: selfURL(r, rd.base)}}
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
	o, rv, resp := s.openReview(w, r, params, []string{"review"}, id)
	if rv == nil {
		return
	}
	if resp == nil {
		writeError(w, errNoResponse(id))
		return
	}
	rd := newRenderer(r, o)
	doc := oneDoc[any, *resource]{Links: docLinks{Self: selfURL(r, rd.base)}}
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
