package transform

// Customer reviews come as JSON:API pages (GET /v1/apps/{id}/customerReviews with
// include=response), not TSV. DecodeReviewPage turns one page into Reviews, ReviewRecords
// turns reviews into the customer_reviews and review_responses record batches.
//
// Null rules (the Review/Response fields are plain strings, Absent says which are null):
//   - title, body, reviewerNickname, territory absent or JSON null → column null;
//     an empty string "" stays "" (not null).
//   - territory_alpha2 is null when territory is null, "" when territory is present but
//     not a known code (territory.Alpha2), else the alpha-2 code.
//   - responseBody, state absent or null → null; lastModifiedDate absent or null → null
//     (Response.LastModified zero).
//
// Text is kept exactly as decoded from JSON (no trimming, no Unicode normalisation);
// JSON escapes are resolved. As with encoding/json, invalid UTF-8 bytes and lone
// surrogate escapes in a string become U+FFFD: Arrow utf8 must be valid UTF-8.
//
// Timestamps are stored at microsecond precision; finer fractions are truncated.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/report/territory"
	"github.com/ascetl/etl/schemas"
)

// JSON:API resource types of the reviews endpoint.
const (
	ReviewType   = "customerReviews"
	ResponseType = "customerReviewResponses"
)

// Attr is a set of optional attributes; Review.Absent and Response.Absent use it to mark
// attributes that were absent or null in the JSON (their columns are null).
type Attr uint8

// Optional attributes.
const (
	AttrTitle        Attr = 1 << iota // customerReviews.attributes.title
	AttrBody                          // customerReviews.attributes.body
	AttrNickname                      // customerReviews.attributes.reviewerNickname
	AttrTerritory                     // customerReviews.attributes.territory
	AttrResponseBody                  // customerReviewResponses.attributes.responseBody
	AttrState                         // customerReviewResponses.attributes.state
)

// Has reports whether every attribute of b is in a.
func (a Attr) Has(b Attr) bool { return a&b == b }

// Review is one customerReviews resource.
type Review struct {
	ID         string
	Rating     int64 // 1–5
	Title      string
	Body       string
	Nickname   string
	CreatedAt  time.Time // UTC
	Offset     string    // offset as written in createdDate: "-08:00", "+05:30", "Z"
	Territory  string    // alpha-3 as sent
	Territory2 string    // alpha-2 (territory.Alpha2); "" when unknown or absent
	Absent     Attr      // optional attributes that were absent or null
	Response   *Response // nil when the review has no response on the page
	SourceKey  string    // raw object key of the page
	SourceLine int64     // 1-based position of the review in its page's data[]
}

// Month is the review's partition month, "YYYY-MM" of CreatedAt in UTC.
func (r *Review) Month() string { return r.CreatedAt.UTC().Format("2006-01") }

// Response is one customerReviewResponses resource (the developer's reply).
type Response struct {
	ID           string
	Body         string
	State        string    // PUBLISHED, PENDING_PUBLISH
	LastModified time.Time // UTC; zero when absent or null (column null)
	Absent       Attr      // AttrResponseBody, AttrState
}

// ReviewPage is one decoded page of the list endpoint.
type ReviewPage struct {
	Reviews []Review
	Next    string // links.next, "" on the last page
	Total   int    // meta.paging.total, 0 when absent
}

// Reasons used as ReviewError.Err; match them with errors.Is. Timestamps that do not
// parse use ErrInvalidDate.
var (
	ErrInvalidJSON   = errors.New("invalid JSON")
	ErrMissingField  = errors.New("missing")
	ErrInvalidRating = errors.New("rating must be an integer from 1 to 5")
	ErrWrongType     = errors.New("wrong JSON type")
	ErrLinkage       = errors.New("inconsistent linkage")
	ErrDuplicateID   = errors.New("duplicate id")
)

// ReviewError is a problem with a reviews page. Its text is
// "<key>: review 3 (id …): attributes.createdDate: cannot parse \"…\"", where the index
// is 1-based in data[] (or in included[] for "included"); page-level problems have no
// index.
type ReviewError struct {
	Key    string
	Where  string // "review", "included" or "" (the page)
	Index  int    // 1-based position in data[] or included[]; 0 for the page
	ID     string // resource id, if known
	Field  string // JSON path inside the resource, e.g. "attributes.rating"
	Detail string // what is wrong, in words; Err's text when empty
	Err    error
}

func (e *ReviewError) Error() string {
	var b strings.Builder
	b.WriteString(e.Key)
	b.WriteString(": ")
	if e.Where != "" {
		fmt.Fprintf(&b, "%s %d ", e.Where, e.Index)
		if e.ID != "" {
			fmt.Fprintf(&b, "(id %s): ", e.ID)
		} else {
			b.WriteString("(no id): ")
		}
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Detail != "" {
		b.WriteString(e.Detail)
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *ReviewError) Unwrap() error { return e.Err }

// JSON shapes. Attributes and relationships are maps of raw values so that absent, null
// and present are told apart and unknown members are ignored.
type jsonPage struct {
	Data     json.RawMessage   `json:"data"`
	Included []json.RawMessage `json:"included"`
	Links    struct {
		Next *string `json:"next"`
	} `json:"links"`
	Meta struct {
		Paging struct {
			Total *int64 `json:"total"`
		} `json:"paging"`
	} `json:"meta"`
	Errors json.RawMessage `json:"errors"`
}

type jsonResource struct {
	Type          string                       `json:"type"`
	ID            json.RawMessage              `json:"id"`
	Attributes    map[string]json.RawMessage   `json:"attributes"`
	Relationships map[string]jsonRelationships `json:"relationships"`
}

type jsonRelationships struct {
	Data json.RawMessage `json:"data"` // absent, null or {"type","id"}
}

type jsonIdentifier struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func isJSONNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// resourceDecoder carries the error context of one resource.
type resourceDecoder struct {
	key   string
	where string
	index int
	id    string
}

func (d *resourceDecoder) fail(field string, err error, detail string) error {
	return &ReviewError{Key: d.key, Where: d.where, Index: d.index, ID: d.id, Field: field, Err: err, Detail: detail}
}

// decode parses the resource envelope and its id (required, a non-empty string).
func (d *resourceDecoder) decode(raw json.RawMessage, wantType string) (*jsonResource, error) {
	var r jsonResource
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, d.fail("", ErrInvalidJSON, "invalid resource: "+err.Error())
	}
	if isJSONNull(r.ID) {
		return nil, d.fail("id", ErrMissingField, "")
	}
	if err := json.Unmarshal(r.ID, &d.id); err != nil {
		return nil, d.fail("id", ErrWrongType, "want a string, got "+string(r.ID))
	}
	if d.id == "" {
		return nil, d.fail("id", ErrMissingField, "empty")
	}
	if wantType != "" && r.Type != wantType {
		return nil, d.fail("type", ErrWrongType, fmt.Sprintf("want %q, got %q", wantType, r.Type))
	}
	return &r, nil
}

// text decodes an optional string attribute; ok is false when it is absent or null.
func (d *resourceDecoder) text(r *jsonResource, name string) (s string, ok bool, err error) {
	raw, present := r.Attributes[name]
	if !present || isJSONNull(raw) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, d.fail("attributes."+name, ErrWrongType, "want a string, got "+clipJSON(raw))
	}
	return s, true, nil
}

// timestamp decodes an RFC 3339 date-time with offset; ok is false when absent or null.
// It returns the instant in UTC and the offset text as written.
func (d *resourceDecoder) timestamp(r *jsonResource, name string) (t time.Time, offset string, ok bool, err error) {
	s, ok, err := d.text(r, name)
	if err != nil || !ok {
		return time.Time{}, "", ok, err
	}
	t, off, perr := parseRFC3339(s)
	if perr != nil {
		return time.Time{}, "", false, d.fail("attributes."+name, ErrInvalidDate, fmt.Sprintf("cannot parse %q", s))
	}
	return t, off, true, nil
}

// parseRFC3339 parses an RFC 3339 date-time, which always carries "Z" or a ±hh:mm offset,
// and returns it in UTC together with the offset text.
func parseRFC3339(s string) (time.Time, string, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, "", err
	}
	var off string
	switch {
	case strings.HasSuffix(s, "Z"):
		off = "Z"
	case len(s) >= 6 && (s[len(s)-6] == '+' || s[len(s)-6] == '-') && s[len(s)-3] == ':':
		off = s[len(s)-6:]
	default:
		return time.Time{}, "", fmt.Errorf("no offset in %q", s)
	}
	return t.UTC(), off, nil
}

// related returns the id of a to-one relationship's linkage data; ok is false when the
// relationship or its data is absent or null.
func (d *resourceDecoder) related(r *jsonResource, name string) (string, bool, error) {
	rel, present := r.Relationships[name]
	if !present || isJSONNull(rel.Data) {
		return "", false, nil
	}
	var id jsonIdentifier
	if err := json.Unmarshal(rel.Data, &id); err != nil || id.ID == "" {
		return "", false, d.fail("relationships."+name+".data", ErrWrongType, "want a resource identifier, got "+clipJSON(rel.Data))
	}
	return id.ID, true, nil
}

func clipJSON(raw []byte) string {
	const max = 60
	if len(raw) > max {
		return string(raw[:max]) + "…"
	}
	return string(raw)
}

// DecodeReviewPage decodes one page of GET /v1/apps/{id}/customerReviews (key is the raw
// object key, for lineage and errors). Reviews are data[] in order; each gets the
// customerReviewResponses resource of included[] that its relationships.response.data.id
// names or, when that linkage is absent or null, the one whose relationships.review.data.id
// names the review. Other included types (territories) and unknown members are ignored.
//
// Strict: a review needs a non-empty id, type customerReviews, an integer rating 1–5 and
// a createdDate in RFC 3339 with offset; a response needs an id and, if present, a valid
// lastModifiedDate. A review id repeated on the page, a response linked to two reviews,
// links that disagree, or a linked response missing from included[] are errors. An
// unknown territory code is not an error (Territory2 ""). Errors are *ReviewError.
func DecodeReviewPage(key string, data []byte) (ReviewPage, error) {
	var pg jsonPage
	if err := json.Unmarshal(data, &pg); err != nil {
		return ReviewPage{}, &ReviewError{Key: key, Err: ErrInvalidJSON, Detail: invalidJSON(data, err)}
	}
	if !isJSONNull(pg.Errors) {
		return ReviewPage{}, &ReviewError{Key: key, Field: "errors", Err: ErrInvalidJSON, Detail: "API error document: " + clipJSON(pg.Errors)}
	}
	if isJSONNull(pg.Data) {
		return ReviewPage{}, &ReviewError{Key: key, Field: "data", Err: ErrMissingField}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(pg.Data, &items); err != nil {
		return ReviewPage{}, &ReviewError{Key: key, Field: "data", Err: ErrWrongType, Detail: "want an array"}
	}
	out := ReviewPage{Reviews: make([]Review, 0, len(items))}
	if pg.Links.Next != nil {
		out.Next = *pg.Links.Next
	}
	if pg.Meta.Paging.Total != nil {
		out.Total = int(*pg.Meta.Paging.Total)
	}

	// Responses of included[], by id, with the review their own linkage names.
	type incResponse struct {
		resp   *Response
		review string // relationships.review.data.id, "" if absent
		index  int
		usedBy string // review that claimed it
	}
	responses := map[string]*incResponse{}
	byReview := map[string]*incResponse{}
	for i, raw := range pg.Included {
		d := &resourceDecoder{key: key, where: "included", index: i + 1}
		r, err := d.decode(raw, "")
		if err != nil {
			return ReviewPage{}, err
		}
		if r.Type != ResponseType {
			continue
		}
		if _, dup := responses[d.id]; dup {
			return ReviewPage{}, d.fail("id", ErrDuplicateID, "response appears twice in included[]")
		}
		resp, err := d.response(r)
		if err != nil {
			return ReviewPage{}, err
		}
		reviewID, _, err := d.related(r, "review")
		if err != nil {
			return ReviewPage{}, err
		}
		ir := &incResponse{resp: resp, review: reviewID, index: i + 1}
		responses[d.id] = ir
		if reviewID != "" {
			if other, dup := byReview[reviewID]; dup {
				return ReviewPage{}, d.fail("relationships.review.data.id", ErrLinkage,
					fmt.Sprintf("review %s already has response %s", reviewID, other.resp.ID))
			}
			byReview[reviewID] = ir
		}
	}

	seen := make(map[string]int, len(items))
	for i, raw := range items {
		d := &resourceDecoder{key: key, where: "review", index: i + 1}
		r, err := d.decode(raw, ReviewType)
		if err != nil {
			return ReviewPage{}, err
		}
		if prev, dup := seen[d.id]; dup {
			return ReviewPage{}, d.fail("id", ErrDuplicateID, fmt.Sprintf("same id as review %d", prev))
		}
		seen[d.id] = i + 1
		rv, err := d.review(r)
		if err != nil {
			return ReviewPage{}, err
		}
		rv.SourceKey, rv.SourceLine = key, int64(i+1)

		respID, linked, err := d.related(r, "response")
		if err != nil {
			return ReviewPage{}, err
		}
		var ir *incResponse
		if linked {
			ir = responses[respID]
			if ir == nil {
				return ReviewPage{}, d.fail("relationships.response.data.id", ErrLinkage,
					fmt.Sprintf("response %s is not in included[]", respID))
			}
			if ir.review != "" && ir.review != rv.ID {
				return ReviewPage{}, d.fail("relationships.response.data.id", ErrLinkage,
					fmt.Sprintf("response %s links back to review %s", respID, ir.review))
			}
		} else {
			ir = byReview[rv.ID]
		}
		if ir != nil {
			if ir.usedBy != "" {
				return ReviewPage{}, d.fail("relationships.response", ErrLinkage,
					fmt.Sprintf("response %s already belongs to review %s", ir.resp.ID, ir.usedBy))
			}
			ir.usedBy = rv.ID
			resp := *ir.resp
			rv.Response = &resp
		}
		out.Reviews = append(out.Reviews, rv)
	}
	return out, nil
}

// invalidJSON says where a page stops being JSON: "invalid JSON at line 3, column 7: …",
// the byte at which decoding failed (a truncated page: its last byte), or which member
// has the wrong type.
func invalidJSON(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineColumn(data, se.Offset-1) // Offset counts the bytes read, the bad one included
		return fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("invalid JSON: field %s: want %s, got %s (offset %d)", te.Field, te.Type, te.Value, te.Offset)
	}
	return "invalid JSON: " + err.Error()
}

// lineColumn is the 1-based line and column (in bytes) of offset in data.
func lineColumn(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	if offset == int64(len(data)) && offset > 0 {
		offset-- // the last byte
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	return line, int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
}

// review decodes the attributes of a customerReviews resource.
func (d *resourceDecoder) review(r *jsonResource) (Review, error) {
	rv := Review{ID: d.id}
	raw, present := r.Attributes["rating"]
	if !present || isJSONNull(raw) {
		return Review{}, d.fail("attributes.rating", ErrMissingField, "")
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil || n < 1 || n > 5 {
		return Review{}, d.fail("attributes.rating", ErrInvalidRating, fmt.Sprintf("%v, got %s", ErrInvalidRating, clipJSON(raw)))
	}
	rv.Rating = n

	for _, f := range []struct {
		name string
		attr Attr
		dst  *string
	}{
		{"title", AttrTitle, &rv.Title},
		{"body", AttrBody, &rv.Body},
		{"reviewerNickname", AttrNickname, &rv.Nickname},
		{"territory", AttrTerritory, &rv.Territory},
	} {
		s, ok, err := d.text(r, f.name)
		if err != nil {
			return Review{}, err
		}
		if !ok {
			rv.Absent |= f.attr
		}
		*f.dst = s
	}
	if !rv.Absent.Has(AttrTerritory) {
		rv.Territory2, _ = territory.Alpha2(rv.Territory)
	}

	t, off, ok, err := d.timestamp(r, "createdDate")
	if err != nil {
		return Review{}, err
	}
	if !ok {
		return Review{}, d.fail("attributes.createdDate", ErrMissingField, "")
	}
	rv.CreatedAt, rv.Offset = t, off
	return rv, nil
}

// response decodes the attributes of a customerReviewResponses resource.
func (d *resourceDecoder) response(r *jsonResource) (*Response, error) {
	resp := &Response{ID: d.id}
	for _, f := range []struct {
		name string
		attr Attr
		dst  *string
	}{
		{"responseBody", AttrResponseBody, &resp.Body},
		{"state", AttrState, &resp.State},
	} {
		s, ok, err := d.text(r, f.name)
		if err != nil {
			return nil, err
		}
		if !ok {
			resp.Absent |= f.attr
		}
		*f.dst = s
	}
	t, _, _, err := d.timestamp(r, "lastModifiedDate")
	if err != nil {
		return nil, err
	}
	resp.LastModified = t
	return resp, nil
}

// ReviewIDs lists the ids of reviews in order. Passed as MergeParquet's replace list for
// review_responses, it drops stored responses that were deleted since the last run.
func ReviewIDs(reviews []Review) []string {
	ids := make([]string, len(reviews))
	for i := range reviews {
		ids[i] = reviews[i].ID
	}
	return ids
}

// ReviewRecords builds the customer_reviews and review_responses batches, with exactly
// the schemas' ArrowSchema(nil): one reviews row per review in order, and one responses
// row per review that has a response (in the same order). A review id that appears more
// than once (pages overlapping while paging) gets one row, from its first occurrence, as
// DedupeReviews does. Lineage: _source_key and _source_line of the review (its page key
// and 1-based position), _report_version "", _extracted_at. A review without an id is an
// error. The caller releases both batches; on error both are nil.
func ReviewRecords(alloc memory.Allocator, reviews []Review, extractedAt time.Time) (reviewsRec, responsesRec arrow.RecordBatch, err error) {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	rt, ok1 := schemas.Lookup(schemas.ReviewsTable)
	st, ok2 := schemas.Lookup(schemas.ResponsesTable)
	if !ok1 || !ok2 {
		return nil, nil, errors.New("transform: review tables not registered in schemas")
	}
	for i := range reviews {
		if reviews[i].ID == "" {
			r := &reviews[i]
			return nil, nil, fmt.Errorf("transform: review %d (%s:%d) has no id", i, r.SourceKey, r.SourceLine)
		}
	}
	reviews = DedupeReviews(reviews)
	ext := arrow.Timestamp(extractedAt.UnixMicro())

	rb := array.NewRecordBuilder(alloc, rt.ArrowSchema(nil))
	defer rb.Release()
	sb := array.NewRecordBuilder(alloc, st.ArrowSchema(nil))
	defer sb.Release()
	rb.Reserve(len(reviews))
	rf, err := fieldsByName(rb, schemas.ReviewsTable)
	if err != nil {
		return nil, nil, err
	}
	sf, err := fieldsByName(sb, schemas.ResponsesTable)
	if err != nil {
		return nil, nil, err
	}

	str := func(b array.Builder, s string, null bool) {
		if null {
			b.AppendNull()
			return
		}
		b.(*array.StringBuilder).Append(s)
	}
	ts := func(b array.Builder, t time.Time) {
		if t.IsZero() {
			b.AppendNull()
			return
		}
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
	}
	lineage := func(f map[string]array.Builder, r *Review) {
		f[schemas.LineageSourceKey].(*array.StringBuilder).Append(r.SourceKey)
		f[schemas.LineageSourceLine].(*array.Int64Builder).Append(r.SourceLine)
		f[schemas.LineageReportVersion].(*array.StringBuilder).Append("")
		f[schemas.LineageExtractedAt].(*array.TimestampBuilder).Append(ext)
	}
	for i := range reviews {
		r := &reviews[i]
		str(rf["review_id"], r.ID, false)
		rf["rating"].(*array.Int64Builder).Append(r.Rating)
		str(rf["title"], r.Title, r.Absent.Has(AttrTitle))
		str(rf["body"], r.Body, r.Absent.Has(AttrBody))
		str(rf["reviewer_nickname"], r.Nickname, r.Absent.Has(AttrNickname))
		ts(rf["created_at"], r.CreatedAt)
		str(rf["created_at_offset"], r.Offset, r.Offset == "")
		str(rf["territory"], r.Territory, r.Absent.Has(AttrTerritory))
		str(rf["territory_alpha2"], r.Territory2, r.Absent.Has(AttrTerritory))
		lineage(rf, r)

		if p := r.Response; p != nil {
			str(sf["review_id"], r.ID, false)
			str(sf["response_id"], p.ID, false)
			str(sf["response_body"], p.Body, p.Absent.Has(AttrResponseBody))
			str(sf["state"], p.State, p.Absent.Has(AttrState))
			ts(sf["last_modified_at"], p.LastModified)
			ts(sf["review_created_at"], r.CreatedAt)
			lineage(sf, r)
		}
	}
	return rb.NewRecordBatch(), sb.NewRecordBatch(), nil
}

// reviewColumns are the data columns ReviewRecords fills, per table, with their kinds;
// fieldsByName checks the schema against them, so a schema change fails loudly instead of
// leaving a column unfilled.
var reviewColumns = map[string]map[string]schemas.Kind{
	schemas.ReviewsTable: {
		"review_id": schemas.String, "rating": schemas.Int64, "title": schemas.String,
		"body": schemas.String, "reviewer_nickname": schemas.String,
		"created_at": schemas.Timestamp, "created_at_offset": schemas.String,
		"territory": schemas.String, "territory_alpha2": schemas.String,
	},
	schemas.ResponsesTable: {
		"review_id": schemas.String, "response_id": schemas.String,
		"response_body": schemas.String, "state": schemas.String,
		"last_modified_at": schemas.Timestamp, "review_created_at": schemas.Timestamp,
	},
}

// fieldsByName maps the builder's field names to its field builders, checking them
// against reviewColumns[table] plus the lineage columns.
func fieldsByName(b *array.RecordBuilder, table string) (map[string]array.Builder, error) {
	want := reviewColumns[table]
	fs := b.Schema().Fields()
	m := make(map[string]array.Builder, len(fs))
	for i, f := range fs {
		m[f.Name] = b.Field(i)
		switch f.Name {
		case schemas.LineageSourceKey, schemas.LineageSourceLine, schemas.LineageReportVersion, schemas.LineageExtractedAt:
			continue
		}
		k, ok := want[f.Name]
		if !ok || !arrow.TypeEqual(k.ArrowType(), f.Type) {
			return nil, fmt.Errorf("transform: %s column %s (%s) is not one ReviewRecords fills", table, f.Name, f.Type)
		}
	}
	if len(m) != len(want)+4 {
		return nil, fmt.Errorf("transform: %s schema has %d columns, ReviewRecords fills %d", table, len(m), len(want)+4)
	}
	return m, nil
}

// DedupeReviews returns reviews with each id kept once, at its first occurrence (pages in
// the order they were fetched; a review that moved to the next page while paging shows
// up twice). The input slice is not modified.
func DedupeReviews(reviews []Review) []Review {
	seen := make(map[string]bool, len(reviews))
	out := make([]Review, 0, len(reviews))
	for _, r := range reviews {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}
