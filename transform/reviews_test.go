package transform_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

var rvExtractedAt = time.Date(2026, 4, 3, 12, 0, 0, 654321000, time.UTC)

func TestDecodeReviewPageAppleSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "reviews_apple-doc-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	const key = "raw/reviews/682658836/2017-11/page-0001.json"
	pg, err := transform.DecodeReviewPage(key, data)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Total != 4326 || pg.Next != "https://api.appstoreconnect.apple.com/v1/apps/682658836/customerReviews?cursor=AQ.AMt2C-U&limit=1" {
		t.Errorf("paging: total %d next %q", pg.Total, pg.Next)
	}
	if len(pg.Reviews) != 1 {
		t.Fatalf("%d reviews", len(pg.Reviews))
	}
	r := pg.Reviews[0]
	want := transform.Review{
		ID: "00000028-b08c-0014-729e-fbd500000000", Rating: 5, Title: "Awesome!!!",
		Body: "It's a really fantastic app!", Nickname: "Anne Johnson",
		CreatedAt: time.Date(2017, 11, 15, 16, 10, 34, 0, time.UTC), Offset: "-08:00",
		Territory: "USA", Territory2: "US", SourceKey: key, SourceLine: 1,
	}
	if r.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt location %v, want UTC", r.CreatedAt.Location())
	}
	if r != want {
		t.Errorf("review =\n%+v\nwant\n%+v", r, want)
	}
	if r.Month() != "2017-11" {
		t.Errorf("Month = %s", r.Month())
	}

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rv, rs, err := transform.ReviewRecords(mem, pg.Reviews, rvExtractedAt)
	if err != nil {
		t.Fatal(err)
	}
	defer rv.Release()
	defer rs.Release()
	if rv.NumRows() != 1 || rs.NumRows() != 0 {
		t.Fatalf("rows %d/%d", rv.NumRows(), rs.NumRows())
	}
	if got := rv.Column(5).(*array.Timestamp).Value(0); got != arrow.Timestamp(want.CreatedAt.UnixMicro()) {
		t.Errorf("created_at = %d", got)
	}
}

// Nasty text: every one must come back byte for byte.
var (
	rvFamily = "👨‍👩‍👧 family"
	rvNasty  = "tab\there\nnew line\r\n\"double\" 'single' `back` \\ slash\x00nul " +
		"مرحبا بالعالم e\u0301 (NFD, not normalised) \u200b zero-width  trailing spaces  "
	rvLong   = strings.Repeat("Ab💥é\t", 1000) // 5000 characters
	rvReply  = "  Thanks! 🙏\nشكرا  "
	rvPadded = "  Nick  "
)

func rvNastyPage(t testing.TB) []byte {
	t.Helper()
	page := map[string]any{
		"data": []any{
			map[string]any{
				"type": "customerReviews", "id": "r-1",
				"attributes": map[string]any{
					"rating": 1, "body": rvFamily + " " + rvNasty, "reviewerNickname": rvPadded,
					"createdDate": "2026-03-31T23:59:59.123456+05:30", "territory": "IND",
					"someFutureAttribute": map[string]any{"x": []int{1, 2}},
				},
				"relationships": map[string]any{
					"response": map[string]any{
						"data":  map[string]any{"type": "customerReviewResponses", "id": "p-1"},
						"links": map[string]any{"self": "https://example.invalid/self"},
					},
				},
			},
			map[string]any{
				"type": "customerReviews", "id": "r-2",
				"attributes": map[string]any{
					"rating": 5, "title": "", "body": rvLong, "reviewerNickname": "ليلى",
					"createdDate": "2026-04-01T00:00:00Z", "territory": "XYZ",
				},
				"relationships": map[string]any{"response": map[string]any{"data": nil}},
			},
		},
		"included": []any{
			map[string]any{"type": "territories", "id": "IND", "attributes": map[string]any{"currency": "INR"}},
			map[string]any{
				"type": "customerReviewResponses", "id": "p-1",
				"attributes": map[string]any{
					"responseBody": rvReply, "lastModifiedDate": "2026-04-02T10:00:00-07:00",
					"state": "PUBLISHED",
				},
				"relationships": map[string]any{
					"review": map[string]any{"data": map[string]any{"type": "customerReviews", "id": "r-1"}},
				},
			},
		},
		"links": map[string]any{"self": "https://example.invalid/page"},
		"meta":  map[string]any{"paging": map[string]any{"total": 2, "limit": 200}},
	}
	b, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeReviewPageNasty(t *testing.T) {
	if n := len([]rune(rvLong)); n != 5000 {
		t.Fatalf("long body has %d characters", n)
	}
	const key = "raw/reviews/1/2026-04/p1.json"
	pg, err := transform.DecodeReviewPage(key, rvNastyPage(t))
	if err != nil {
		t.Fatal(err)
	}
	if pg.Next != "" || pg.Total != 2 || len(pg.Reviews) != 2 {
		t.Fatalf("page: next %q total %d reviews %d", pg.Next, pg.Total, len(pg.Reviews))
	}
	r1, r2 := pg.Reviews[0], pg.Reviews[1]
	if r1.Body != rvFamily+" "+rvNasty || r1.Nickname != rvPadded || r2.Body != rvLong || r2.Nickname != "ليلى" {
		t.Errorf("text changed: %q %q", r1.Body, r1.Nickname)
	}
	if !r1.Absent.Has(transform.AttrTitle) || r1.Title != "" {
		t.Errorf("r1 title: absent=%v %q", r1.Absent.Has(transform.AttrTitle), r1.Title)
	}
	if r2.Absent != 0 || r2.Title != "" {
		t.Errorf("r2: absent %b title %q", r2.Absent, r2.Title)
	}
	if r1.Offset != "+05:30" || !r1.CreatedAt.Equal(time.Date(2026, 3, 31, 18, 29, 59, 123456000, time.UTC)) {
		t.Errorf("r1 created %v offset %s", r1.CreatedAt, r1.Offset)
	}
	if r2.Offset != "Z" || r2.Territory != "XYZ" || r2.Territory2 != "" {
		t.Errorf("r2 offset %q territory %q/%q", r2.Offset, r2.Territory, r2.Territory2)
	}
	if r1.Territory2 != "IN" {
		t.Errorf("r1 territory2 %q", r1.Territory2)
	}
	if r2.Response != nil {
		t.Errorf("r2 has a response: %+v", r2.Response)
	}
	p := r1.Response
	if p == nil || p.ID != "p-1" || p.Body != rvReply || p.State != "PUBLISHED" ||
		!p.LastModified.Equal(time.Date(2026, 4, 2, 17, 0, 0, 0, time.UTC)) || p.LastModified.Location() != time.UTC {
		t.Fatalf("r1 response %+v", p)
	}
	if r1.SourceLine != 1 || r2.SourceLine != 2 || r2.SourceKey != key {
		t.Errorf("lineage %s:%d %s:%d", r1.SourceKey, r1.SourceLine, r2.SourceKey, r2.SourceLine)
	}
}

// Raw JSON escapes (surrogate pairs, \u escapes, escaped slash) decode to the exact text.
func TestDecodeReviewPageEscapes(t *testing.T) {
	page := `{"data":[{"type":"customerReviews","id":"e","attributes":{"rating":3,` +
		`"title":"\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 a\/b \"q\" \t\n\u00e9",` +
		`"body":null,"createdDate":"2026-01-01T00:00:00.5-00:00"}}]}`
	pg, err := transform.DecodeReviewPage("k", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	r := pg.Reviews[0]
	if want := "👨‍👩‍👧 a/b \"q\" \t\né"; r.Title != want {
		t.Errorf("title %q, want %q", r.Title, want)
	}
	if r.Absent != transform.AttrBody|transform.AttrNickname|transform.AttrTerritory {
		t.Errorf("absent %b", r.Absent)
	}
	if r.Offset != "-00:00" || r.CreatedAt.Nanosecond() != 500000000 || pg.Next != "" || pg.Total != 0 {
		t.Errorf("%+v", r)
	}
}

// The response is found from either side of the linkage.
func TestDecodeReviewPageLinkage(t *testing.T) {
	// Only the response names its review; the review's relationship has links only, or
	// data null.
	for _, rel := range []string{`{"links":{"self":"x"}}`, `{"data":null}`} {
		page := `{"data":[{"type":"customerReviews","id":"a","attributes":{"rating":2,"createdDate":"2026-01-01T00:00:00Z"},` +
			`"relationships":{"response":` + rel + `}},` +
			`{"type":"customerReviews","id":"b","attributes":{"rating":2,"createdDate":"2026-01-01T00:00:00Z"}}],` +
			`"included":[{"type":"customerReviewResponses","id":"p","attributes":{"responseBody":"hi"},` +
			`"relationships":{"review":{"data":{"type":"customerReviews","id":"b"}}}}]}`
		pg, err := transform.DecodeReviewPage("k", []byte(page))
		if err != nil {
			t.Fatal(err)
		}
		if pg.Reviews[0].Response != nil || pg.Reviews[1].Response == nil || pg.Reviews[1].Response.ID != "p" {
			t.Errorf("%s: responses %+v %+v", rel, pg.Reviews[0].Response, pg.Reviews[1].Response)
		}
		p := pg.Reviews[1].Response
		if !p.LastModified.IsZero() || !p.Absent.Has(transform.AttrState) || p.Absent.Has(transform.AttrResponseBody) {
			t.Errorf("response %+v", p)
		}
	}
	// Only the review names its response.
	page := `{"data":[{"type":"customerReviews","id":"a","attributes":{"rating":2,"createdDate":"2026-01-01T00:00:00Z"},` +
		`"relationships":{"response":{"data":{"type":"customerReviewResponses","id":"p"}}}}],` +
		`"included":[{"type":"customerReviewResponses","id":"p","attributes":{"responseBody":"hi","state":"PENDING_PUBLISH"}}]}`
	pg, err := transform.DecodeReviewPage("k", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	if p := pg.Reviews[0].Response; p == nil || p.State != "PENDING_PUBLISH" {
		t.Errorf("response %+v", p)
	}
}

func TestDecodeReviewPageErrors(t *testing.T) {
	const ok = `{"type":"customerReviews","id":"ok","attributes":{"rating":4,"createdDate":"2026-01-01T00:00:00Z"}}`
	review := func(id, attrs string) string {
		return `{"type":"customerReviews","id":` + id + `,"attributes":{` + attrs + `}}`
	}
	const date = `"createdDate":"2026-01-01T00:00:00Z"`
	for _, c := range []struct {
		name, page string
		reason     error
		want       string
	}{
		{"rating 6", `{"data":[` + ok + `,` + review(`"x7"`, `"rating":6,`+date) + `]}`,
			transform.ErrInvalidRating, `k.json: review 2 (id x7): attributes.rating: rating must be an integer from 1 to 5, got 6`},
		{"rating 0", `{"data":[` + review(`"x"`, `"rating":0,`+date) + `]}`, transform.ErrInvalidRating, `review 1 (id x): attributes.rating:`},
		{"rating float", `{"data":[` + review(`"x"`, `"rating":4.5,`+date) + `]}`, transform.ErrInvalidRating, `got 4.5`},
		{"rating 5.0", `{"data":[` + review(`"x"`, `"rating":5.0,`+date) + `]}`, transform.ErrInvalidRating, `got 5.0`},
		{"rating string", `{"data":[` + review(`"x"`, `"rating":"5",`+date) + `]}`, transform.ErrInvalidRating, `got "5"`},
		{"rating missing", `{"data":[` + review(`"x"`, date) + `]}`, transform.ErrMissingField, `review 1 (id x): attributes.rating: missing`},
		{"rating null", `{"data":[` + review(`"x"`, `"rating":null,`+date) + `]}`, transform.ErrMissingField, `attributes.rating: missing`},
		{"duplicate id", `{"data":[` + ok + `,` + ok + `]}`,
			transform.ErrDuplicateID, `review 2 (id ok): id: same id as review 1`},
		{"bad date 3", `{"data":[` + ok + `,` + review(`"d2"`, `"rating":1,"createdDate":"2026-01-01T00:00:00Z"`) + `,` +
			review(`"d3"`, `"rating":1,"createdDate":"2017-11-15 08:10:34"`) + `]}`,
			transform.ErrInvalidDate, `k.json: review 3 (id d3): attributes.createdDate: cannot parse "2017-11-15 08:10:34"`},
		{"date without offset", `{"data":[` + review(`"x"`, `"rating":1,"createdDate":"2017-11-15T08:10:34"`) + `]}`,
			transform.ErrInvalidDate, `cannot parse "2017-11-15T08:10:34"`},
		{"date offset without colon", `{"data":[` + review(`"x"`, `"rating":1,"createdDate":"2017-11-15T08:10:34-0800"`) + `]}`,
			transform.ErrInvalidDate, `attributes.createdDate`},
		{"date missing", `{"data":[` + review(`"x"`, `"rating":1`) + `]}`, transform.ErrMissingField, `attributes.createdDate: missing`},
		{"date number", `{"data":[` + review(`"x"`, `"rating":1,"createdDate":12`) + `]}`, transform.ErrWrongType, `attributes.createdDate: want a string`},
		{"id missing", `{"data":[` + ok + `,{"type":"customerReviews","attributes":{"rating":4,` + date + `}}]}`,
			transform.ErrMissingField, `k.json: review 2 (no id): id: missing`},
		{"id empty", `{"data":[` + review(`""`, `"rating":1,`+date) + `]}`, transform.ErrMissingField, `review 1 (no id): id: empty`},
		{"id number", `{"data":[` + review(`7`, `"rating":1,`+date) + `]}`, transform.ErrWrongType, `review 1 (no id): id: want a string`},
		{"wrong type", `{"data":[{"type":"apps","id":"x","attributes":{}}]}`, transform.ErrWrongType, `review 1 (id x): type: want "customerReviews"`},
		{"title number", `{"data":[` + review(`"x"`, `"rating":1,"title":5,`+date) + `]}`, transform.ErrWrongType, `attributes.title: want a string`},
		{"not json", `{"data":[`, transform.ErrInvalidJSON, `k.json: invalid JSON at line 1, column 9: unexpected end of JSON input`},
		{"bad byte", "{\n  \"data\": [x]}", transform.ErrInvalidJSON, `k.json: invalid JSON at line 2, column 12: invalid character 'x'`},
		{"no data", `{"meta":{}}`, transform.ErrMissingField, `k.json: data: missing`},
		{"data object", `{"data":{}}`, transform.ErrWrongType, `k.json: data: want an array`},
		{"error document", `{"errors":[{"status":"403"}]}`, transform.ErrInvalidJSON, `API error document`},
		{"page not an object", `[]`, transform.ErrInvalidJSON, `k.json: want a JSON object, got array`},
		{"next number", `{"data":[],"links":{"next":5}}`, transform.ErrWrongType, `k.json: links.next: want a string, got 5`},
		{"total string", `{"data":[],"meta":{"paging":{"total":"x"}}}`, transform.ErrWrongType, `k.json: meta.paging.total: want an integer, got "x"`},
		{"included object", `{"data":[],"included":{}}`, transform.ErrWrongType, `k.json: included: want an array, got {}`},
		{"resource not an object", `{"data":[7]}`, transform.ErrWrongType, `k.json: review 1 (no id): want an object, got 7`},
		{"type number", `{"data":[{"type":1,"id":"x"}]}`, transform.ErrWrongType, `review 1 (id x): type: want a string, got 1`},
		{"attributes array", `{"data":[{"type":"customerReviews","id":"x","attributes":[]}]}`, transform.ErrWrongType, `review 1 (id x): attributes: want an object, got []`},
		{"relationship string", `{"data":[` + review(`"x"`, `"rating":1,`+date) + `],"included":[{"type":"customerReviewResponses","id":"p","relationships":{"review":"x"}}]}`,
			transform.ErrWrongType, `included 1 (id p): relationships.review: want an object, got "x"`},
		{"response bad date", `{"data":[],"included":[{"type":"customerReviewResponses","id":"p9","attributes":{"lastModifiedDate":"yesterday"}}]}`,
			transform.ErrInvalidDate, `k.json: included 1 (id p9): attributes.lastModifiedDate: cannot parse "yesterday"`},
		{"response not included", `{"data":[{"type":"customerReviews","id":"x","attributes":{"rating":1,` + date + `},` +
			`"relationships":{"response":{"data":{"type":"customerReviewResponses","id":"p"}}}}]}`,
			transform.ErrLinkage, `review 1 (id x): relationships.response.data.id: response p is not in included[]`},
		{"links disagree", `{"data":[{"type":"customerReviews","id":"x","attributes":{"rating":1,` + date + `},` +
			`"relationships":{"response":{"data":{"type":"customerReviewResponses","id":"p"}}}}],` +
			`"included":[{"type":"customerReviewResponses","id":"p","relationships":{"review":{"data":{"type":"customerReviews","id":"y"}}}}]}`,
			transform.ErrLinkage, `response p links back to review y`},
		{"response shared", `{"data":[` +
			`{"type":"customerReviews","id":"x","attributes":{"rating":1,` + date + `},"relationships":{"response":{"data":{"type":"customerReviewResponses","id":"p"}}}},` +
			`{"type":"customerReviews","id":"y","attributes":{"rating":1,` + date + `},"relationships":{"response":{"data":{"type":"customerReviewResponses","id":"p"}}}}],` +
			`"included":[{"type":"customerReviewResponses","id":"p"}]}`,
			transform.ErrLinkage, `review 2 (id y): relationships.response: response p already belongs to review x`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := transform.DecodeReviewPage("k.json", []byte(c.page))
			if err == nil {
				t.Fatal("no error")
			}
			var re *transform.JSONError
			if !errors.As(err, &re) || !errors.Is(err, c.reason) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q (%T)\nwant %v containing %q", err, err, c.reason, c.want)
			}
			if !strings.HasPrefix(err.Error(), "k.json: ") {
				t.Errorf("error %q does not name the key", err)
			}
		})
	}
}

// colStrings returns column name of tbl as strings, "<null>" for nulls.
func rvColStrings(t *testing.T, tbl arrow.Table, name string) []string {
	t.Helper()
	idx := tbl.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %s", name)
	}
	var out []string
	for _, ch := range tbl.Column(idx[0]).Data().Chunks() {
		for i := 0; i < ch.Len(); i++ {
			switch {
			case ch.IsNull(i):
				out = append(out, "<null>")
			default:
				out = append(out, ch.ValueStr(i))
			}
		}
	}
	return out
}

func rvEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s[%d] = %q\nwant %q", what, i, got[i], want[i])
		}
	}
}

// DecodeReviewPage → ReviewRecords → WriteParquet → ReadTable keeps every byte.
func TestReviewRoundTripParquet(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	const key = "raw/reviews/1/2026-04/p1.json"
	pg, err := transform.DecodeReviewPage(key, rvNastyPage(t))
	if err != nil {
		t.Fatal(err)
	}
	rv, rs, err := transform.ReviewRecords(mem, pg.Reviews, rvExtractedAt)
	if err != nil {
		t.Fatal(err)
	}
	defer rv.Release()
	defer rs.Release()
	for _, c := range []struct {
		table string
		rec   arrow.RecordBatch
	}{{schemas.ReviewsTable, rv}, {schemas.ResponsesTable, rs}} {
		tb, _ := schemas.Lookup(c.table)
		if !c.rec.Schema().Equal(tb.ArrowSchema(nil)) {
			t.Fatalf("%s schema\n%s\nwant\n%s", c.table, c.rec.Schema(), tb.ArrowSchema(nil))
		}
	}

	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	st := load.New(bucket)
	read := func(name string, rec arrow.RecordBatch) arrow.Table {
		rr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Release()
		k := load.ParquetKey(name, "app_id=1/month=2026-04")
		if _, err := st.WriteParquet(ctx, k, rr, load.ParquetOptions{Alloc: mem}); err != nil {
			t.Fatal(err)
		}
		tbl, err := st.ReadTable(ctx, k, mem)
		if err != nil {
			t.Fatal(err)
		}
		if !tbl.Schema().Equal(rec.Schema()) {
			t.Errorf("%s: read schema\n%s\nwant\n%s", name, tbl.Schema(), rec.Schema())
		}
		return tbl
	}
	rt := read(schemas.ReviewsTable, rv)
	defer rt.Release()
	st2 := read(schemas.ResponsesTable, rs)
	defer st2.Release()

	const null = "<null>"
	rvEqual(t, "review_id", rvColStrings(t, rt, "review_id"), []string{"r-1", "r-2"})
	rvEqual(t, "rating", rvColStrings(t, rt, "rating"), []string{"1", "5"})
	rvEqual(t, "title", rvColStrings(t, rt, "title"), []string{null, ""})
	rvEqual(t, "body", rvColStrings(t, rt, "body"), []string{rvFamily + " " + rvNasty, rvLong})
	rvEqual(t, "reviewer_nickname", rvColStrings(t, rt, "reviewer_nickname"), []string{rvPadded, "ليلى"})
	rvEqual(t, "created_at_offset", rvColStrings(t, rt, "created_at_offset"), []string{"+05:30", "Z"})
	rvEqual(t, "territory", rvColStrings(t, rt, "territory"), []string{"IND", "XYZ"})
	rvEqual(t, "territory_alpha2", rvColStrings(t, rt, "territory_alpha2"), []string{"IN", ""})
	rvEqual(t, "_source_key", rvColStrings(t, rt, "_source_key"), []string{key, key})
	rvEqual(t, "_source_line", rvColStrings(t, rt, "_source_line"), []string{"1", "2"})
	rvEqual(t, "_report_version", rvColStrings(t, rt, "_report_version"), []string{"", ""})
	ts := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339Nano) }
	rvEqual(t, "created_at", rvColStrings(t, rt, "created_at"), []string{
		ts(time.Date(2026, 3, 31, 18, 29, 59, 123456000, time.UTC)), ts(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))})
	rvEqual(t, "_extracted_at", rvColStrings(t, rt, "_extracted_at"), []string{ts(rvExtractedAt), ts(rvExtractedAt)})

	rvEqual(t, "responses.review_id", rvColStrings(t, st2, "review_id"), []string{"r-1"})
	rvEqual(t, "response_id", rvColStrings(t, st2, "response_id"), []string{"p-1"})
	rvEqual(t, "response_body", rvColStrings(t, st2, "response_body"), []string{rvReply})
	rvEqual(t, "state", rvColStrings(t, st2, "state"), []string{"PUBLISHED"})
	rvEqual(t, "last_modified_at", rvColStrings(t, st2, "last_modified_at"), []string{ts(time.Date(2026, 4, 2, 17, 0, 0, 0, time.UTC))})
	rvEqual(t, "review_created_at", rvColStrings(t, st2, "review_created_at"), []string{ts(time.Date(2026, 3, 31, 18, 29, 59, 123456000, time.UTC))})
	rvEqual(t, "responses._source_line", rvColStrings(t, st2, "_source_line"), []string{"1"})
}

func TestReviewRecordsDuplicates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rs := []transform.Review{
		{ID: "a", Rating: 1, SourceKey: "p1", SourceLine: 1, CreatedAt: rvExtractedAt, Offset: "Z"},
		{ID: "b", Rating: 2, SourceKey: "p1", SourceLine: 2, CreatedAt: rvExtractedAt, Offset: "Z"},
		{ID: "a", Rating: 1, SourceKey: "p2", SourceLine: 1, CreatedAt: rvExtractedAt, Offset: "Z"},
	}
	d := transform.DedupeReviews(rs)
	if len(d) != 2 || d[0].SourceKey != "p1" || d[1].ID != "b" || len(rs) != 3 {
		t.Fatalf("dedupe = %+v", d)
	}
	rv, rsp, err := transform.ReviewRecords(mem, rs, rvExtractedAt)
	if err != nil {
		t.Fatal(err)
	}
	if rv.NumRows() != 2 || rv.Column(0).ValueStr(0) != "a" || rv.Column(9).ValueStr(0) != "p1" {
		t.Errorf("records:\n%v", rv)
	}
	rv.Release()
	rsp.Release()
	if _, _, err := transform.ReviewRecords(mem, []transform.Review{{Rating: 1}}, rvExtractedAt); err == nil {
		t.Error("review without id: no error")
	}
	if ids := transform.ReviewIDs(d); len(ids) != 2 || ids[0] != "a" || ids[1] != "b" {
		t.Errorf("ids %v", ids)
	}
}
