package simulator

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The JSON:API helpers every family shares live in the jsonapi*.go files: here the request
// side (unknown parameters, enums, free lists, sort, limit and limit[rel]; the step-by-step
// query of the typed handlers; the jreq request of the catalog-style handlers with
// fields[type], include and included[]); in jsonapi_serve.go cursors, paging (links.self,
// links.next, meta.paging) and serving one resource or a list, by id or under a parent; in
// jsonapi_doc.go the document shapes.

// Query parameters.

// limit on every listing: 1–200, default 50; limit[rel] for included to-many relationships:
// 1–50.
const (
	maxLimit     = 200
	defaultLimit = 50
	maxSubLimit  = 50
)

// checkParams rejects query parameters the endpoint does not know.
func checkParams(q url.Values, allowed []string) *httpError {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return errIllegal(k)
		}
	}
	return nil
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

// freeSet parses a comma list of any values (nil when the parameter is absent).
func freeSet(q url.Values, k string) map[string]bool {
	v, ok := qget(q, k)
	if !ok {
		return nil
	}
	m := map[string]bool{}
	for e := range strings.SplitSeq(v, ",") {
		m[e] = true
	}
	return m
}

// sortedSet lists a set in order for a cursor key; "*" stands for an absent filter.
func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	if m == nil {
		out = append(out, "*")
	}
	return out
}

// parseSort reads sort, which must be exactly one of allowed (def when absent).
func parseSort(q url.Values, def string, allowed []string) (string, *httpError) {
	v, ok := qget(q, "sort")
	if !ok {
		return def, nil
	}
	if !slices.Contains(allowed, v) {
		return "", errInvalidValue("sort", v)
	}
	return v, nil
}

// parseLimit reads limit (1–200, default 50).
func parseLimit(q url.Values) (int, *httpError) {
	return parseCount(q, "limit", defaultLimit, maxLimit)
}

// parseSubLimit reads limit[rel] (1–50, def when absent).
func parseSubLimit(q url.Values, rel string, def int) (int, *httpError) {
	return parseCount(q, "limit["+rel+"]", def, maxSubLimit)
}

// parseCount reads a whole number 1–hi written canonically (no sign, no leading zero).
func parseCount(q url.Values, k string, def, hi int) (int, *httpError) {
	v, ok := qget(q, k)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > hi || strconv.Itoa(n) != v {
		return 0, errInvalidValue(k, v)
	}
	return n, nil
}

// query validates the query of a typed-document handler (reviews, metrics, analytics) step
// by step: the first error is kept, the later steps do nothing, and failed writes it. The
// catalog-style handlers use jreq instead.
type query struct {
	q url.Values
	e *httpError
}

// newQuery starts with the check that the query names only allowed parameters.
func newQuery(r *http.Request, allowed []string) *query {
	q := r.URL.Query()
	return &query{q: q, e: checkParams(q, allowed)}
}

// enum is enumSet of k.
func (v *query) enum(k string, allowed []string) map[string]bool {
	if v.e != nil {
		return nil
	}
	set, e := enumSet(v.q, k, allowed)
	v.e = e
	return set
}

// sort is parseSort.
func (v *query) sort(def string, allowed []string) string {
	if v.e != nil {
		return ""
	}
	sort, e := parseSort(v.q, def, allowed)
	v.e = e
	return sort
}

// limit is parseLimit.
func (v *query) limit() int {
	if v.e != nil {
		return 0
	}
	n, e := parseLimit(v.q)
	v.e = e
	return n
}

// cursor is cursorAt: the page's offset and snapshot for a listing bound to key.
func (v *query) cursor(s *Server, key string, now int64) (off uint64, snap int64) {
	if v.e != nil {
		return 0, 0
	}
	off, snap, v.e = s.cursorAt(v.q, key, now)
	return off, snap
}

// failed writes the error, if any, and reports whether there was one.
func (v *query) failed(w http.ResponseWriter) bool {
	if v.e != nil {
		writeError(w, v.e)
		return true
	}
	return false
}

// reqSpec says what a path accepts besides its own filters and sort.
type reqSpec struct {
	params   []string // filters, sort, other plain params
	fields   []string // types fields[...] may name
	includes []string // include members
	sublim   []string // limit[...] names (max 50)
	list     bool     // limit and cursor
}

// jreq is a validated request of the catalog families.
type jreq struct {
	r       *http.Request
	q       url.Values
	base    string
	now     time.Time // the snapshot the answer describes
	fields  map[string]map[string]bool
	include map[string]bool
	limits  map[string]int // limit[rel] (included to-many)
	limit   int
	inc     []*jres
	seen    map[string]bool
}

// Decision: fields[type] restricts attributes and relationships; an unknown member, include
// value, sort, enum filter value or limit outside 1–200 is a 400 PARAMETER_ERROR.INVALID naming
// the parameter; an unknown parameter is PARAMETER_ERROR.ILLEGAL; an unknown id is 404 "There
// is no resource of type 'T' with id 'X'". Cursors reuse the reviews cursor ("AQ." + offset +
// snapshot + check over path and selecting parameters); a walk answers as of its first page's
// clock.
func (s *Server) parseJReq(r *http.Request, sp reqSpec) (*jreq, *httpError) {
	q := r.URL.Query()
	allowed := slices.Clone(sp.params)
	for _, t := range sp.fields {
		allowed = append(allowed, "fields["+t+"]")
	}
	if len(sp.includes) > 0 {
		allowed = append(allowed, "include")
	}
	for _, l := range sp.sublim {
		allowed = append(allowed, "limit["+l+"]")
	}
	if sp.list {
		allowed = append(allowed, "limit", "cursor")
	}
	if e := checkParams(q, allowed); e != nil {
		return nil, e
	}
	jq := &jreq{r: r, q: q, base: "http://" + r.Host, now: s.now(), fields: map[string]map[string]bool{},
		include: map[string]bool{}, limits: map[string]int{}, limit: defaultLimit, seen: map[string]bool{}}
	for _, t := range sp.fields {
		set, e := enumSet(q, "fields["+t+"]", typeFields[t])
		if e != nil {
			return nil, e
		}
		if set != nil {
			jq.fields[t] = set
		}
	}
	inc, e := enumSet(q, "include", sp.includes)
	if e != nil {
		return nil, e
	}
	for k := range inc {
		jq.include[k] = true
	}
	for _, l := range sp.sublim {
		if jq.limits[l], e = parseSubLimit(q, l, maxSubLimit); e != nil {
			return nil, e
		}
	}
	if sp.list {
		if jq.limit, e = parseLimit(q); e != nil {
			return nil, e
		}
	}
	return jq, nil
}

// list returns the comma list of a parameter (nil when absent).
func (jq *jreq) list(k string) []string {
	v, ok := qget(jq.q, k)
	if !ok {
		return nil
	}
	return strings.Split(v, ",")
}

// match reports whether v passes the filter k (absent filter = everything passes).
func (jq *jreq) match(k, v string) bool {
	l := jq.list(k)
	return l == nil || slices.Contains(l, v)
}

// sortParam validates sort against allowed (first = default).
func (jq *jreq) sortParam(allowed ...string) (string, *httpError) {
	return parseSort(jq.q, allowed[0], allowed)
}

// shape applies fields[type] to a fully built resource.
func (jq *jreq) shape(res *jres) *jres {
	f, ok := jq.fields[res.Type]
	if !ok {
		return res
	}
	var a, rl kvs
	for _, e := range res.Attributes {
		if f[e.k] {
			a = append(a, e)
		}
	}
	for _, e := range res.Relationships {
		if f[e.k] {
			rl = append(rl, e)
		}
	}
	res.Attributes, res.Relationships = a, rl
	return res
}

// add puts a resource into included[] once.
func (jq *jreq) add(res *jres) {
	k := res.Type + "/" + res.ID
	if !jq.seen[k] {
		jq.seen[k] = true
		jq.inc = append(jq.inc, jq.shape(res))
	}
}

// nested is the request an included resource is rendered with: the same base, clock and
// fields[type], nothing included (what it would add goes nowhere).
func (jq *jreq) nested() *jreq {
	return &jreq{base: jq.base, now: jq.now, fields: jq.fields, include: map[string]bool{}, seen: map[string]bool{}}
}

// rel is a relationship with self/related links under the resource's self link.
func (jq *jreq) rel(self, name string) *jrel {
	return &jrel{Links: &relLinks{Self: self + "/relationships/" + name, Related: self + "/" + name}}
}
