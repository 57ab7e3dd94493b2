package simulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// Decoded JSON:API documents (test side, independent of the server's types).
type tRes struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Attributes *struct {
		Rating           *int    `json:"rating"`
		Title            *string `json:"title"`
		Body             *string `json:"body"`
		ReviewerNickname *string `json:"reviewerNickname"`
		CreatedDate      *string `json:"createdDate"`
		Territory        *string `json:"territory"`
		ResponseBody     *string `json:"responseBody"`
		LastModifiedDate *string `json:"lastModifiedDate"`
		State            *string `json:"state"`
		Currency         *string `json:"currency"`
	} `json:"attributes"`
	Relationships map[string]struct {
		Links *struct {
			Self    string `json:"self"`
			Related string `json:"related"`
		} `json:"links"`
		Data json.RawMessage `json:"data"`
	} `json:"relationships"`
	Links struct {
		Self string `json:"self"`
	} `json:"links"`
}

type tList struct {
	Data     []tRes `json:"data"`
	Included []tRes `json:"included"`
	Links    struct {
		Self string `json:"self"`
		Next string `json:"next"`
	} `json:"links"`
	Meta struct {
		Paging struct {
			Total int `json:"total"`
			Limit int `json:"limit"`
		} `json:"paging"`
	} `json:"meta"`
}

type tSingle struct {
	Data     tRes   `json:"data"`
	Included []tRes `json:"included"`
	Links    struct {
		Self string `json:"self"`
	} `json:"links"`
}

func decodeJSON(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if !rateRE.MatchString(rec.Header().Get("X-Rate-Limit")) {
		t.Fatalf("X-Rate-Limit %q", rec.Header().Get("X-Rate-Limit"))
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode: %v\n%s", err, rec.Body)
	}
}

// walk follows links.next from the first page and returns every page.
func walk(t *testing.T, e *env, path string, q url.Values) []tList {
	t.Helper()
	var pages []tList
	for {
		var p tList
		decodeJSON(t, e.do(t, path, q, nil), &p)
		pages = append(pages, p)
		if p.Links.Next == "" {
			return pages
		}
		u, err := url.Parse(p.Links.Next)
		if err != nil || u.Scheme != "http" || u.Host != "example.com" || u.Path != path || u.Query().Get("cursor") == "" {
			t.Fatalf("next link %q", p.Links.Next)
		}
		path, q = u.Path, u.Query()
		if len(pages) > 1000 {
			t.Fatal("paging does not end")
		}
	}
}

func reviewsPath(appID string) string { return "/v1/apps/" + appID + "/customerReviews" }

func TestReviewsPagingWalk(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.srv.AppIDs()[0]
	truth, err := e.srv.TruthReviews(app)
	if err != nil || len(truth) < 1500 {
		t.Fatalf("truth: %d %v", len(truth), err)
	}
	for _, sortBy := range reviewSorts {
		want := slices.Clone(truth)
		sort.SliceStable(want, func(i, j int) bool {
			a, b := want[i], want[j]
			var c int
			switch sortBy {
			case "createdDate":
				c = a.Created.Compare(b.Created)
			case "-createdDate":
				c = b.Created.Compare(a.Created)
			case "rating":
				c = a.Rating - b.Rating
			case "-rating":
				c = b.Rating - a.Rating
			}
			return c < 0 || c == 0 && a.ID < b.ID
		})
		pages := walk(t, e, reviewsPath(app), url.Values{"sort": {sortBy}, "limit": {"200"}})
		var got []string
		for i, p := range pages {
			if p.Meta.Paging.Total != len(truth) || p.Meta.Paging.Limit != 200 {
				t.Fatalf("%s page %d meta %+v, want total %d", sortBy, i, p.Meta, len(truth))
			}
			if i < len(pages)-1 && len(p.Data) != 200 {
				t.Fatalf("%s page %d has %d items", sortBy, i, len(p.Data))
			}
			for _, d := range p.Data {
				got = append(got, d.ID)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: walked %d reviews, want %d", sortBy, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i].ID {
				t.Fatalf("%s: position %d is %s, want %s", sortBy, i, got[i], want[i].ID)
			}
		}
		if sortBy == "-createdDate" { // TruthReviews is newest first, like this sort
			for i := range truth {
				if truth[i].ID != got[i] {
					t.Fatalf("TruthReviews order differs at %d", i)
				}
			}
		}
	}
	// Default: limit 50, newest first.
	var p tList
	decodeJSON(t, e.do(t, reviewsPath(app), nil, nil), &p)
	if p.Meta.Paging.Limit != 50 || len(p.Data) != 50 || p.Data[0].ID != truth[0].ID || p.Links.Self != "http://example.com"+reviewsPath(app) {
		t.Fatalf("default page: limit %d, %d items, self %q", p.Meta.Paging.Limit, len(p.Data), p.Links.Self)
	}
}

func TestReviewsParameterErrors(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: 50})
	app := e.srv.AppIDs()[0]
	cases := []struct {
		q           url.Values
		code, param string
	}{
		{url.Values{"limit": {"201"}}, "PARAMETER_ERROR.INVALID", "limit"},
		{url.Values{"limit": {"0"}}, "PARAMETER_ERROR.INVALID", "limit"},
		{url.Values{"limit": {"ten"}}, "PARAMETER_ERROR.INVALID", "limit"},
		{url.Values{"sort": {"date"}}, "PARAMETER_ERROR.INVALID", "sort"},
		{url.Values{"sort": {"rating,-createdDate"}}, "PARAMETER_ERROR.INVALID", "sort"},
		{url.Values{"filter[rating]": {"0"}}, "PARAMETER_ERROR.INVALID", "filter[rating]"},
		{url.Values{"filter[rating]": {"5,6"}}, "PARAMETER_ERROR.INVALID", "filter[rating]"},
		{url.Values{"filter[territory]": {"US"}}, "PARAMETER_ERROR.INVALID", "filter[territory]"},
		{url.Values{"filter[territory]": {"USA,XYZ"}}, "PARAMETER_ERROR.INVALID", "filter[territory]"},
		{url.Values{"exists[publishedResponse]": {"yes"}}, "PARAMETER_ERROR.INVALID", "exists[publishedResponse]"},
		{url.Values{"include": {"app"}}, "PARAMETER_ERROR.INVALID", "include"},
		{url.Values{"fields[customerReviews]": {"rating,stars"}}, "PARAMETER_ERROR.INVALID", "fields[customerReviews]"},
		{url.Values{"fields[customerReviewResponses]": {"body"}}, "PARAMETER_ERROR.INVALID", "fields[customerReviewResponses]"},
		{url.Values{"filter[stars]": {"5"}}, "PARAMETER_ERROR.ILLEGAL", "filter[stars]"},
		{url.Values{"cursor": {"AQ.garbage"}}, "PARAMETER_ERROR.INVALID", "cursor"},
		{url.Values{"cursor": {"nonsense!"}}, "PARAMETER_ERROR.INVALID", "cursor"},
	}
	for _, c := range cases {
		rec := e.do(t, reviewsPath(app), c.q, nil)
		x := decodeErr(t, rec).Errors[0]
		if rec.Code != 400 || x.Code != c.code || x.Source == nil || x.Source.Parameter != c.param {
			t.Errorf("%v: %d %+v", c.q, rec.Code, x)
		}
		if !rateRE.MatchString(rec.Header().Get("X-Rate-Limit")) {
			t.Errorf("%v: no X-Rate-Limit", c.q)
		}
	}
	// Unknown app and version: 404 naming the resource type.
	for path, detail := range map[string]string{
		"/v1/apps/123/customerReviews":                             "There is no resource of type 'apps' with id '123'",
		"/v1/appStoreVersions/abc/customerReviews":                 "There is no resource of type 'appStoreVersions' with id 'abc'",
		"/v1/customerReviews/00000000-0000-0000-0000-000000000000": "There is no resource of type 'customerReviews' with id '00000000-0000-0000-0000-000000000000'",
	} {
		rec := e.do(t, path, nil, nil)
		if x := decodeErr(t, rec).Errors[0]; rec.Code != 404 || x.Code != "NOT_FOUND" || x.Detail != detail {
			t.Errorf("%s: %d %+v", path, rec.Code, x)
		}
	}
	// A tampered cursor, and a cursor reused with other filters, are refused.
	var p tList
	decodeJSON(t, e.do(t, reviewsPath(app), url.Values{"limit": {"5"}}, nil), &p)
	u, _ := url.Parse(p.Links.Next)
	cur := u.Query().Get("cursor")
	flipped := []byte(cur)
	i := len(cursorPrefix) + 1
	flipped[i] = map[bool]byte{true: 'B', false: 'A'}[flipped[i] == 'A']
	for _, q := range []url.Values{
		{"limit": {"5"}, "cursor": {string(flipped)}},
		{"limit": {"5"}, "cursor": {cur}, "filter[rating]": {"5"}},
		{"limit": {"5"}, "cursor": {cur}, "sort": {"rating"}},
	} {
		rec := e.do(t, reviewsPath(app), q, nil)
		if x := decodeErr(t, rec).Errors[0]; rec.Code != 400 || x.Source == nil || x.Source.Parameter != "cursor" {
			t.Errorf("cursor %v: %d %+v", q, rec.Code, x)
		}
	}
	// The untouched cursor works, with another limit too.
	decodeJSON(t, e.do(t, reviewsPath(app), url.Values{"limit": {"7"}, "cursor": {cur}}, nil), &p)
	if len(p.Data) != 7 {
		t.Fatalf("page after cursor: %d items", len(p.Data))
	}
	// Auth applies: no token → 401 with X-Rate-Limit.
	req := httptest.NewRequest(http.MethodGet, reviewsPath(app), nil)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code != 401 || !rateRE.MatchString(rec.Header().Get("X-Rate-Limit")) {
		t.Fatalf("no token: %d %q", rec.Code, rec.Header().Get("X-Rate-Limit"))
	}
	if st := e.srv.Stats(); st.ByPath[reviewsPath(app)] < len(cases) || st.Unauthorized != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReviewsFilters(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: 600})
	app := e.srv.AppIDs()[1]
	truth, _ := e.srv.TruthReviews(app)
	count := func(f func(TruthReview) bool) int {
		n := 0
		for _, r := range truth {
			if f(r) {
				n++
			}
		}
		return n
	}
	published := func(r TruthReview) bool { return r.Response != nil && r.Response.State == "PUBLISHED" }
	cases := []struct {
		q    url.Values
		keep func(TruthReview) bool
	}{
		{url.Values{"filter[rating]": {"1,5"}}, func(r TruthReview) bool { return r.Rating == 1 || r.Rating == 5 }},
		{url.Values{"filter[rating]": {"3"}}, func(r TruthReview) bool { return r.Rating == 3 }},
		{url.Values{"filter[territory]": {"JPN,SAU,ISR"}}, func(r TruthReview) bool {
			return r.Territory == "JPN" || r.Territory == "SAU" || r.Territory == "ISR"
		}},
		{url.Values{"filter[territory]": {"ZWE"}}, func(r TruthReview) bool { return false }},
		{url.Values{"exists[publishedResponse]": {"true"}}, published},
		{url.Values{"exists[publishedResponse]": {"false"}}, func(r TruthReview) bool { return !published(r) }},
		{url.Values{"exists[publishedResponse]": {"true"}, "filter[rating]": {"1"}, "filter[territory]": {"USA"}},
			func(r TruthReview) bool { return published(r) && r.Rating == 1 && r.Territory == "USA" }},
	}
	for _, c := range cases {
		want := count(c.keep)
		q := c.q
		q.Set("limit", "200")
		q.Set("include", "response")
		pages := walk(t, e, reviewsPath(app), q)
		n := 0
		for _, p := range pages {
			if p.Meta.Paging.Total != want {
				t.Fatalf("%v: total %d, want %d", c.q, p.Meta.Paging.Total, want)
			}
			byID := map[string]tRes{}
			for _, inc := range p.Included {
				byID[inc.ID] = inc
			}
			for _, d := range p.Data {
				n++
				tr := truthByID(t, truth, d.ID)
				if !c.keep(tr) || *d.Attributes.Rating != tr.Rating || *d.Attributes.Territory != tr.Territory {
					t.Fatalf("%v: review %s should not be served (%d %s)", c.q, d.ID, tr.Rating, tr.Territory)
				}
			}
		}
		if n != want {
			t.Fatalf("%v: served %d, want %d", c.q, n, want)
		}
	}
	if count(published) == 0 || count(published) == len(truth) {
		t.Fatal("test data has no mix of responses")
	}
}

func truthByID(t *testing.T, truth []TruthReview, id string) TruthReview {
	t.Helper()
	for _, r := range truth {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("review %s is not in the truth", id)
	return TruthReview{}
}

// keyShape lists the JSON object key paths of a document (array elements merged).
func keyShape(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			out[prefix+"/"+k] = true
			keyShape(c, prefix+"/"+k, out)
		}
	case []any:
		for _, c := range x {
			keyShape(c, prefix+"[]", out)
		}
	}
}

func TestReviewsShapeMatchesSample(t *testing.T) {
	// Apple's documentation example, as copied into transform's testdata from shared/asc/samples.
	sample, err := os.ReadFile("../transform/testdata/reviews_apple-doc-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var sv any
	if err := json.Unmarshal(sample, &sv); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	keyShape(sv, "", want)

	e := newEnv(t, Options{ReviewsPerApp: 100})
	app := e.srv.AppIDs()[0]
	rec := e.do(t, reviewsPath(app), url.Values{"limit": {"1"}}, nil)
	var gv any
	decodeJSON(t, rec, &gv)
	got := map[string]bool{}
	keyShape(gv, "", got)
	if !maps2Equal(got, want) {
		t.Fatalf("shape differs:\n got %v\nwant %v", sortedKeys(got), sortedKeys(want))
	}
	// Same value formats as the sample: self links, createdDate with a numeric offset.
	var p tList
	decodeJSON(t, rec, &p)
	d := p.Data[0]
	rel := d.Relationships["response"].Links
	if d.Type != "customerReviews" || d.Links.Self != "http://example.com/v1/customerReviews/"+d.ID ||
		rel.Self != d.Links.Self+"/relationships/response" || rel.Related != d.Links.Self+"/response" {
		t.Fatalf("links: %+v %+v", d.Links, rel)
	}
	if !reviewIDRE(d.ID) || !createdRE(*d.Attributes.CreatedDate) {
		t.Fatalf("id %q createdDate %q", d.ID, *d.Attributes.CreatedDate)
	}
	if !strings.Contains(p.Links.Next, "cursor=AQ.") || !strings.Contains(p.Links.Next, "limit=1") {
		t.Fatalf("next %q", p.Links.Next)
	}

	// include=response: data on every response relationship (object or null), included
	// customerReviewResponses pointing back.
	var raw map[string]any
	rec = e.do(t, reviewsPath(app), url.Values{"limit": {"200"}, "include": {"response"}}, nil)
	decodeJSON(t, rec, &raw)
	decodeJSON(t, rec, &p)
	inc := map[string]tRes{}
	for _, x := range p.Included {
		if x.Type != "customerReviewResponses" || x.Links.Self != "http://example.com/v1/customerReviewResponses/"+x.ID {
			t.Fatalf("included %+v", x)
		}
		inc[x.ID] = x
	}
	truth, _ := e.srv.TruthReviews(app)
	withResp, without := 0, 0
	for i, d := range p.Data {
		r := raw["data"].([]any)[i].(map[string]any)["relationships"].(map[string]any)["response"].(map[string]any)
		if _, ok := r["data"]; !ok {
			t.Fatalf("review %s: relationships.response.data missing with include=response", d.ID)
		}
		tr := truthByID(t, truth, d.ID)
		if tr.Response == nil {
			without++
			if string(d.Relationships["response"].Data) != "null" {
				t.Fatalf("review %s without response: data %s", d.ID, d.Relationships["response"].Data)
			}
			continue
		}
		withResp++
		var ref resID
		if err := json.Unmarshal(d.Relationships["response"].Data, &ref); err != nil || ref.Type != "customerReviewResponses" || ref.ID != tr.Response.ID {
			t.Fatalf("review %s: response data %s", d.ID, d.Relationships["response"].Data)
		}
		x, ok := inc[ref.ID]
		if !ok {
			t.Fatalf("response %s not included", ref.ID)
		}
		var back resID
		_ = json.Unmarshal(x.Relationships["review"].Data, &back)
		if back.Type != "customerReviews" || back.ID != d.ID || *x.Attributes.ResponseBody != tr.Response.Body ||
			*x.Attributes.State != tr.Response.State || *x.Attributes.LastModifiedDate != tr.Response.LastModifiedRaw {
			t.Fatalf("response %s: %+v", ref.ID, x)
		}
		lm, err := time.Parse(time.RFC3339, *x.Attributes.LastModifiedDate)
		if err != nil || !lm.Equal(tr.Response.LastModified) || lm.Before(tr.Created) {
			t.Fatalf("lastModifiedDate %q: %v", *x.Attributes.LastModifiedDate, err)
		}
	}
	if withResp == 0 || without == 0 || len(inc) != withResp {
		t.Fatalf("with %d without %d included %d", withResp, without, len(inc))
	}
}

func maps2Equal(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func reviewIDRE(id string) bool {
	parts := strings.Split(id, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return false
	}
	return strings.Trim(strings.Join(parts, ""), "0123456789abcdef") == ""
}

func createdRE(s string) bool {
	tm, err := time.Parse(reviewDateLayout, s)
	return err == nil && tm.Format(reviewDateLayout) == s && !strings.HasSuffix(s, "Z")
}

func TestReviewsFields(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: 200})
	app := e.srv.AppIDs()[2]
	q := url.Values{"fields[customerReviews]": {"rating,title"}, "limit": {"20"}}
	var raw struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	decodeJSON(t, e.do(t, reviewsPath(app), q, nil), &raw)
	for _, d := range raw.Data {
		var attrs map[string]any
		_ = json.Unmarshal(d["attributes"], &attrs)
		if len(attrs) != 2 || attrs["rating"] == nil || attrs["title"] == nil {
			t.Fatalf("attributes %v", attrs)
		}
		if _, ok := d["relationships"]; ok {
			t.Fatal("relationships served although fields[customerReviews] omits response")
		}
	}
	// Response fields restrict included resources; review relationship only when asked.
	q = url.Values{"fields[customerReviews]": {"response"}, "fields[customerReviewResponses]": {"state"},
		"include": {"response"}, "limit": {"200"}}
	var p tList
	decodeJSON(t, e.do(t, reviewsPath(app), q, nil), &p)
	if len(p.Included) == 0 {
		t.Fatal("nothing included")
	}
	for _, d := range p.Data {
		if d.Attributes != nil || d.Relationships["response"].Data == nil {
			t.Fatalf("review %+v", d)
		}
	}
	for _, x := range p.Included {
		a := x.Attributes
		if a.State == nil || a.ResponseBody != nil || a.LastModifiedDate != nil || x.Relationships != nil {
			t.Fatalf("included %+v", x)
		}
	}
	// include=reviewTerritory adds territories resources.
	q = url.Values{"include": {"reviewTerritory"}, "fields[territories]": {"currency"}, "limit": {"50"}}
	decodeJSON(t, e.do(t, reviewsPath(app), q, nil), &p)
	terr := map[string]string{}
	for _, x := range p.Included {
		if x.Type != "territories" || x.Attributes.Currency == nil {
			t.Fatalf("included %+v", x)
		}
		terr[x.ID] = *x.Attributes.Currency
	}
	for _, d := range p.Data {
		var ref resID
		_ = json.Unmarshal(d.Relationships["reviewTerritory"].Data, &ref)
		if ref.Type != "territories" || ref.ID != *d.Attributes.Territory || terr[ref.ID] == "" {
			t.Fatalf("reviewTerritory %+v %v", ref, terr)
		}
	}
}

func TestReviewsClock(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.srv.AppIDs()[0]
	before, _ := e.srv.TruthReviews(app)
	var first tList
	q := url.Values{"limit": {"100"}}
	decodeJSON(t, e.do(t, reviewsPath(app), q, nil), &first)
	if first.Meta.Paging.Total != len(before) {
		t.Fatalf("total %d truth %d", first.Meta.Paging.Total, len(before))
	}

	e.clock.Add(5 * 24 * time.Hour)
	now := e.clock.Now()
	after, _ := e.srv.TruthReviews(app)
	if len(after) <= len(before) {
		t.Fatalf("no new reviews after 5 days: %d → %d", len(before), len(after))
	}
	for _, r := range after {
		if r.Created.After(now) || r.Response != nil && r.Response.LastModified.After(now) {
			t.Fatalf("review %s from the future", r.ID)
		}
	}
	newResp := 0
	for _, r := range after[len(after)-len(before):] {
		if old := truthByID(t, before, r.ID); old.Response == nil && r.Response != nil {
			newResp++
		}
	}
	if newResp == 0 {
		t.Fatal("no response appeared on older reviews in 5 days")
	}
	// A walk begun before the clock moved continues over the old snapshot.
	u, _ := url.Parse(first.Links.Next)
	pages := walk(t, e, u.Path, u.Query())
	n := len(first.Data)
	for _, p := range pages {
		n += len(p.Data)
		if p.Meta.Paging.Total != len(before) {
			t.Fatalf("snapshot total %d, want %d", p.Meta.Paging.Total, len(before))
		}
	}
	if n != len(before) {
		t.Fatalf("snapshot walk %d, want %d", n, len(before))
	}
	// A fresh request sees the new ones.
	var p tList
	decodeJSON(t, e.do(t, reviewsPath(app), q, nil), &p)
	if p.Meta.Paging.Total != len(after) || p.Data[0].ID != after[0].ID {
		t.Fatalf("fresh total %d want %d", p.Meta.Paging.Total, len(after))
	}
	// A review from the future is not found; it is once the clock passes it.
	e2 := newEnv(t, Options{})
	if rec := e2.do(t, "/v1/customerReviews/"+after[0].ID, nil, nil); rec.Code != 404 {
		t.Fatalf("future review: %d", rec.Code)
	}
	e2.clock.Add(5 * 24 * time.Hour)
	if rec := e2.do(t, "/v1/customerReviews/"+after[0].ID, nil, nil); rec.Code != 200 {
		t.Fatalf("review now visible: %d", rec.Code)
	}
	// Before the epoch only part of the history is visible.
	e2.clock.t = ReviewEpoch().AddDate(-1, 0, 0)
	early, _ := e2.srv.TruthReviews(app)
	if len(early) == 0 || len(early) >= DefaultReviewsPerApp {
		t.Fatalf("a year before the epoch: %d reviews", len(early))
	}
}

func TestReviewsEditResponse(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: 200})
	app := e.srv.AppIDs()[0]
	truth, _ := e.srv.TruthReviews(app)
	var bare, answered TruthReview
	for _, r := range truth {
		if r.Response == nil && bare.ID == "" {
			bare = r
		}
		if r.Response != nil && answered.ID == "" {
			answered = r
		}
	}
	at := time.Date(2026, 11, 25, 9, 30, 15, 0, time.FixedZone("", -7*3600))
	body := "Thanks \"Anne\"!\n\tWe fixed it 👍🏽 — \\o/ شكراً"
	if err := e.srv.EditResponse(bare.ID, body, at); err != nil {
		t.Fatal(err)
	}
	var one tSingle
	decodeJSON(t, e.do(t, "/v1/customerReviews/"+bare.ID+"/response", url.Values{"include": {"review"}}, nil), &one)
	a := one.Data.Attributes
	if one.Data.Type != "customerReviewResponses" || *a.ResponseBody != body || *a.LastModifiedDate != "2026-11-25T09:30:15-07:00" ||
		*a.State != "PUBLISHED" || len(one.Included) != 1 || one.Included[0].ID != bare.ID {
		t.Fatalf("edited response %+v %+v", one.Data, a)
	}
	// Replace an existing one: same id, new body and date (UTC → "Z").
	at2 := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	if err := e.srv.EditResponse(answered.ID, "Updated.", at2); err != nil {
		t.Fatal(err)
	}
	truth2, _ := e.srv.TruthReviews(app)
	r := truthByID(t, truth2, answered.ID)
	if r.Response == nil || r.Response.ID != answered.Response.ID || r.Response.Body != "Updated." ||
		r.Response.LastModifiedRaw != "2026-11-25T18:00:00Z" || !r.Response.LastModified.Equal(at2) {
		t.Fatalf("replaced %+v", r.Response)
	}
	// The linkage endpoint names the response.
	decodeJSON(t, e.do(t, "/v1/customerReviews/"+answered.ID+"/relationships/response", nil, nil), &one)
	if one.Data.Type != "customerReviewResponses" || one.Data.ID != answered.Response.ID {
		t.Fatalf("linkage %+v", one.Data)
	}
	// Delete: 404 on the response, null data when included.
	if err := e.srv.DeleteResponse(answered.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.DeleteResponse(answered.ID); err == nil {
		t.Fatal("second delete succeeded")
	}
	if err := e.srv.EditResponse("nope", "x", at); err == nil {
		t.Fatal("edit of unknown review succeeded")
	}
	rec := e.do(t, "/v1/customerReviews/"+answered.ID+"/response", nil, nil)
	if x := decodeErr(t, rec).Errors[0]; rec.Code != 404 || x.Code != "NOT_FOUND" {
		t.Fatalf("deleted response: %d %+v", rec.Code, x)
	}
	var gone tSingle
	decodeJSON(t, e.do(t, "/v1/customerReviews/"+answered.ID, url.Values{"include": {"response"}}, nil), &gone)
	if string(gone.Data.Relationships["response"].Data) != "null" || len(gone.Included) != 0 {
		t.Fatalf("after delete: %s %d", gone.Data.Relationships["response"].Data, len(gone.Included))
	}
	if tr, _ := e.srv.TruthReviews(app); truthByID(t, tr, answered.ID).Response != nil {
		t.Fatal("truth still has the deleted response")
	}
}

// Served texts decode to exactly the truth, and the data covers the awkward cases.
func TestReviewsTextRoundTrip(t *testing.T) {
	e := newEnv(t, Options{})
	var all []TruthReview
	offsets := map[string]bool{}
	for _, app := range e.srv.AppIDs() {
		truth, err := e.srv.TruthReviews(app)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, truth...)
		served := map[string]tRes{}
		resps := map[string]tRes{}
		for _, p := range walk(t, e, reviewsPath(app), url.Values{"limit": {"200"}, "include": {"response"}}) {
			for _, d := range p.Data {
				served[d.ID] = d
			}
			for _, x := range p.Included {
				resps[x.ID] = x
			}
		}
		if len(served) != len(truth) {
			t.Fatalf("app %s: served %d, truth %d", app, len(served), len(truth))
		}
		for _, tr := range truth {
			d := served[tr.ID]
			a := d.Attributes
			if a == nil || *a.Rating != tr.Rating || *a.Title != tr.Title || *a.Body != tr.Body ||
				*a.ReviewerNickname != tr.Nickname || *a.CreatedDate != tr.CreatedRaw || *a.Territory != tr.Territory {
				t.Fatalf("review %s differs from truth:\n%+v\n%+v", tr.ID, a, tr)
			}
			if tr.Created.Format(reviewDateLayout) != tr.CreatedRaw || tr.AppID != app {
				t.Fatalf("truth %s: Created %v raw %q", tr.ID, tr.Created, tr.CreatedRaw)
			}
			offsets[tr.CreatedRaw[19:]] = true
			if tr.Response != nil {
				x := resps[tr.Response.ID].Attributes
				if x == nil || *x.ResponseBody != tr.Response.Body || *x.LastModifiedDate != tr.Response.LastModifiedRaw || *x.State != tr.Response.State {
					t.Fatalf("response of %s differs", tr.ID)
				}
			}
		}
	}
	has := func(what string, f func(TruthReview) bool) {
		for _, r := range all {
			if f(r) {
				return
			}
		}
		t.Errorf("no review with %s", what)
	}
	text := func(r TruthReview) string { return r.Title + r.Body + r.Nickname }
	has("a tab", func(r TruthReview) bool { return strings.Contains(r.Body, "\t") })
	has("a newline", func(r TruthReview) bool { return strings.Contains(r.Body, "\n") })
	has("a backslash", func(r TruthReview) bool { return strings.Contains(text(r), `\`) })
	has("double quotes", func(r TruthReview) bool { return strings.Contains(text(r), `"`) })
	has("single quotes", func(r TruthReview) bool { return strings.Contains(text(r), `'`) })
	has("a ZWJ emoji", func(r TruthReview) bool { return strings.Contains(text(r), "👨‍👩‍👧") })
	has("a skin tone emoji", func(r TruthReview) bool { return strings.Contains(text(r), "👍🏽") })
	has("an emoji nickname", func(r TruthReview) bool {
		return strings.ContainsFunc(r.Nickname, func(c rune) bool { return c > 0x1F000 })
	})
	has("Arabic", func(r TruthReview) bool {
		return r.Territory == "SAU" && strings.ContainsFunc(r.Body, isScript(unicode.Arabic))
	})
	has("Hebrew", func(r TruthReview) bool {
		return r.Territory == "ISR" && strings.ContainsFunc(r.Body, isScript(unicode.Hebrew))
	})
	has("CJK", func(r TruthReview) bool { return strings.ContainsFunc(r.Body, isScript(unicode.Han)) })
	has("a 4000+ character body", func(r TruthReview) bool { return utf8.RuneCountInString(r.Body) >= 4000 })
	has("an empty title", func(r TruthReview) bool { return r.Title == "" })
	has("a pending response", func(r TruthReview) bool { return r.Response != nil && r.Response.State == "PENDING_PUBLISH" })
	has("a UTC response date", func(r TruthReview) bool {
		return r.Response != nil && strings.HasSuffix(r.Response.LastModifiedRaw, "Z")
	})
	for _, off := range []string{"-08:00", "+09:00", "+05:30", "+00:00", "+03:00"} {
		if !offsets[off] {
			t.Errorf("no createdDate with offset %s (have %v)", off, sortedKeys(offsets))
		}
	}
	if offsets["Z"] {
		t.Error("a createdDate uses Z")
	}
	ratings := map[int]int{}
	responded := 0
	for _, r := range all {
		ratings[r.Rating]++
		if r.Response != nil {
			responded++
		}
	}
	if ratings[5] < ratings[4] || ratings[1] < ratings[2] || ratings[1] < ratings[3] {
		t.Errorf("ratings not skewed: %v", ratings)
	}
	if pct := responded * 100 / len(all); pct < 22 || pct > 38 {
		t.Errorf("%d %% of reviews have a response", pct)
	}
	// HTML-sensitive characters are served as themselves, not \u003c.
	rec := e.do(t, "/v1/customerReviews/"+all[0].ID, nil, nil)
	for _, r := range all {
		if strings.Contains(r.Body, "<3") {
			rec = e.do(t, "/v1/customerReviews/"+r.ID, nil, nil)
			break
		}
	}
	if !bytes.Contains(rec.Body.Bytes(), []byte("<3")) || bytes.Contains(rec.Body.Bytes(), []byte(`\u003c`)) {
		t.Errorf("HTML characters escaped or missing: %s", rec.Body)
	}
}

func isScript(tab *unicode.RangeTable) func(rune) bool {
	return func(c rune) bool { return unicode.Is(tab, c) }
}

func TestReviewsByVersionAndSingle(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: 400})
	app := e.srv.AppIDs()[3]
	truth, _ := e.srv.TruthReviews(app)
	versions, err := e.srv.AppStoreVersions(app)
	if err != nil || len(versions) < 2 {
		t.Fatalf("versions %v %v", versions, err)
	}
	sum := 0
	for _, v := range versions {
		pages := walk(t, e, "/v1/appStoreVersions/"+v.ID+"/customerReviews", url.Values{"limit": {"200"}})
		for _, p := range pages {
			for _, d := range p.Data {
				sum++
				if tr := truthByID(t, truth, d.ID); tr.VersionID != v.ID || tr.Created.Before(v.Released) {
					t.Fatalf("review %s served for version %s, belongs to %s", d.ID, v.ID, tr.VersionID)
				}
			}
		}
	}
	if sum != len(truth) {
		t.Fatalf("versions hold %d reviews, app %d", sum, len(truth))
	}
	// Single review, with the response included.
	var r TruthReview
	for _, x := range truth {
		if x.Response != nil {
			r = x
			break
		}
	}
	var one tSingle
	decodeJSON(t, e.do(t, "/v1/customerReviews/"+r.ID, url.Values{"include": {"response"}}, nil), &one)
	if one.Data.ID != r.ID || *one.Data.Attributes.Body != r.Body || len(one.Included) != 1 ||
		one.Included[0].ID != r.Response.ID || one.Links.Self != "http://example.com/v1/customerReviews/"+r.ID+"?include=response" {
		t.Fatalf("single %+v", one)
	}
	rec := e.do(t, "/v1/customerReviews/"+r.ID, url.Values{"limit": {"5"}}, nil)
	if x := decodeErr(t, rec).Errors[0]; rec.Code != 400 || x.Code != "PARAMETER_ERROR.ILLEGAL" {
		t.Fatalf("limit on single review: %d %+v", rec.Code, x)
	}
	// Same seed, same bytes; another seed, other reviews.
	e2 := newEnv(t, Options{ReviewsPerApp: 400})
	e3 := newEnv(t, Options{ReviewsPerApp: 400, Seed: 9})
	q := url.Values{"limit": {"50"}, "include": {"response"}}
	a, b := e.do(t, reviewsPath(app), q, nil), e2.do(t, reviewsPath(app), q, nil)
	if !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
		t.Fatal("same seed, different bytes")
	}
	if c := e3.do(t, reviewsPath(e3.srv.AppIDs()[3]), q, nil); bytes.Equal(a.Body.Bytes(), c.Body.Bytes()) {
		t.Fatal("different seeds, same bytes")
	}
}

func TestReviewsConcurrent(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: 300})
	ids := e.srv.AppIDs()
	done := make(chan error, 8)
	tok := e.token(t)
	for i := range 8 {
		go func() {
			req := httptest.NewRequest(http.MethodGet, reviewsPath(ids[i%len(ids)])+"?limit=200&include=response", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			e.srv.ServeHTTP(rec, req)
			if rec.Code != 200 {
				done <- &httpError{status: rec.Code}
				return
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
