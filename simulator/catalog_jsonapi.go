package simulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A small JSON:API engine for the catalog, TestFlight and Xcode Cloud resources: ordered
// attributes and relationships, fields[type] sparse fieldsets, include with included[]
// de-duplication, and cursor paging over a snapshot (see catalog.go, decisions 70–).

// kv is one attribute or relationship; lists of them marshal as JSON objects in order.
type kv struct {
	k string
	v any
}

type kvs []kv

func (o kvs) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		var vb bytes.Buffer
		enc := json.NewEncoder(&vb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e.v); err != nil {
			return nil, err
		}
		b.Write(bytes.TrimRight(vb.Bytes(), "\n"))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// jres is a JSON:API resource object of the catalog families.
type jres struct {
	Type          string   `json:"type"`
	ID            string   `json:"id"`
	Attributes    kvs      `json:"attributes,omitempty"`
	Relationships kvs      `json:"relationships,omitempty"`
	Links         docLinks `json:"links"`
}

// jrel is a relationship object: links, and data linkage when known.
type jrel struct {
	Links any `json:"links,omitempty"`
	Data  any `json:"data,omitempty"`
	Meta  any `json:"meta,omitempty"`
}

type jlist struct {
	Data     []*jres     `json:"data"`
	Included []*jres     `json:"included,omitempty"`
	Links    docLinks    `json:"links"`
	Meta     *pagingMeta `json:"meta"`
}

type jsingle struct {
	Data     *jres    `json:"data"`
	Included []*jres  `json:"included,omitempty"`
	Links    docLinks `json:"links"`
}

// typeFields are the members fields[type] accepts (attributes and relationships).
var typeFields = map[string][]string{
	"apps": {"name", "bundleId", "sku", "primaryLocale", "isOrEverWasMadeForKids",
		"contentRightsDeclaration", "appStoreVersions", "builds", "preReleaseVersions",
		"inAppPurchasesV2", "subscriptionGroups", "ciProduct", "customerReviews", "perfPowerMetrics"},
	"appStoreVersions": {"platform", "versionString", "appStoreState", "appVersionState", "copyright",
		"reviewType", "releaseType", "earliestReleaseDate", "downloadable", "createdDate", "app", "build",
		"customerReviews"},
	"builds": {"version", "uploadedDate", "expirationDate", "expired", "minOsVersion", "processingState",
		"app", "preReleaseVersion", "appStoreVersion", "perfPowerMetrics", "diagnosticSignatures"},
	"preReleaseVersions": {"version", "platform", "builds", "app"},
	"inAppPurchases": {"name", "productId", "inAppPurchaseType", "state", "reviewNote", "familySharable",
		"contentHosting", "app"},
	"subscriptionGroups": {"referenceName", "subscriptions", "app"},
	"subscriptions": {"name", "productId", "familySharable", "state", "subscriptionPeriod", "reviewNote",
		"groupLevel", "group"},
	"ciProducts": {"name", "createdDate", "productType", "app", "buildRuns"},
	"ciBuildRuns": {"number", "createdDate", "startedDate", "finishedDate", "sourceCommit",
		"isPullRequestBuild", "issueCounts", "executionProgress", "completionStatus", "startReason",
		"builds", "product", "actions"},
	"ciBuildActions": {"name", "actionType", "startedDate", "finishedDate", "issueCounts",
		"executionProgress", "completionStatus", "isRequiredToPass", "buildRun"},
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

// reqSpec says what a path accepts besides its own filters and sort.
type reqSpec struct {
	params   []string // filters, sort, other plain params
	fields   []string // types fields[...] may name
	includes []string // include members
	sublim   []string // limit[...] names (max 50)
	list     bool     // limit and cursor
}

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
		include: map[string]bool{}, limits: map[string]int{}, limit: defaultReviewLimit, seen: map[string]bool{}}
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
		jq.limits[l] = 50
		if v, ok := qget(q, "limit["+l+"]"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 50 || strconv.Itoa(n) != v {
				return nil, errInvalidValue("limit["+l+"]", v)
			}
			jq.limits[l] = n
		}
	}
	if sp.list {
		n, e := parseLimit(q)
		if e != nil {
			return nil, e
		}
		jq.limit = n
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
	v, ok := qget(jq.q, "sort")
	if !ok {
		return allowed[0], nil
	}
	if !slices.Contains(allowed, v) {
		return "", errInvalidValue("sort", v)
	}
	return v, nil
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

// rel is a relationship with self/related links under the resource's self link.
func (jq *jreq) rel(self, name string) *jrel {
	return &jrel{Links: &relLinks{Self: self + "/relationships/" + name, Related: self + "/" + name}}
}

// relatedOnly is a relationship with only a related link (metrics relationships).
func relatedOnly(url string) *jrel { return &jrel{Links: map[string]string{"related": url}} }

// linkage is a resource identifier.
func linkage(typ, id string) resID { return resID{Type: typ, ID: id} }

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

// pageOf resolves the cursor: the snapshot time and the offset of the page.
func (s *Server) pageOf(jq *jreq) (off uint64, snap int64, e *httpError) {
	snap = jq.now.Unix()
	if c, ok := qget(jq.q, "cursor"); ok {
		var good bool
		if off, snap, good = s.decodeCursor(cursorKey(jq.r), c); !good {
			return 0, 0, errInvalidValue("cursor", c)
		}
		jq.now = time.Unix(snap, 0).UTC()
	}
	return off, snap, nil
}

// servePage writes one page of items rendered by render (which may add included resources).
func servePage[T any](s *Server, w http.ResponseWriter, jq *jreq, off uint64, snap int64, items []T, render func(T) *jres) {
	total := len(items)
	start, end := pageBounds(off, jq.limit, total)
	doc := jlist{Data: make([]*jres, 0, end-start), Links: docLinks{Self: selfURL(jq.r, jq.base)}, Meta: &pagingMeta{}}
	for _, it := range items[start:end] {
		doc.Data = append(doc.Data, jq.shape(render(it)))
	}
	doc.Included = jq.inc
	doc.Links.Next = s.nextLink(jq.r, jq.base, cursorKey(jq.r), end, total, snap)
	doc.Meta.Paging.Total, doc.Meta.Paging.Limit = total, jq.limit
	writeJSON(w, jq.r, doc)
}

func serveOne(w http.ResponseWriter, jq *jreq, res *jres) {
	doc := jsingle{Data: jq.shape(res), Links: docLinks{Self: selfURL(jq.r, jq.base)}}
	doc.Included = jq.inc
	writeJSON(w, jq.r, doc)
}
