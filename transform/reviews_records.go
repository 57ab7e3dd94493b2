package transform

// Reviews to record batches: customer_reviews and review_responses (see reviews.go for
// the null rules).

import (
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// ReviewIDs lists the ids of reviews in order. Passed as the merge keys (load.Input.Keys) for
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

	w := reviewRowWriter{reviews: rf, responses: sf, ext: arrow.Timestamp(extractedAt.UnixMicro())}
	for i := range reviews {
		w.review(&reviews[i])
	}
	return rb.NewRecordBatch(), sb.NewRecordBatch(), nil
}

// reviewRowWriter appends reviews to the two tables' field builders (by column name).
type reviewRowWriter struct {
	reviews, responses map[string]array.Builder
	ext                arrow.Timestamp
}

// review appends r's customer_reviews row and, if it has a response, its
// review_responses row.
func (w *reviewRowWriter) review(r *Review) {
	rf := w.reviews
	appendStr(rf["review_id"], r.ID, false)
	rf["rating"].(*array.Int64Builder).Append(r.Rating)
	appendStr(rf["title"], r.Title, r.Absent.Has(AttrTitle))
	appendStr(rf["body"], r.Body, r.Absent.Has(AttrBody))
	appendStr(rf["reviewer_nickname"], r.Nickname, r.Absent.Has(AttrNickname))
	appendTime(rf["created_at"], r.CreatedAt)
	appendStr(rf["created_at_offset"], r.Offset, r.Offset == "")
	appendStr(rf["territory"], r.Territory, r.Absent.Has(AttrTerritory))
	appendStr(rf["territory_alpha2"], r.Territory2, r.Absent.Has(AttrTerritory))
	w.lineage(rf, r)

	if p := r.Response; p != nil {
		sf := w.responses
		appendStr(sf["review_id"], r.ID, false)
		appendStr(sf["response_id"], p.ID, false)
		appendStr(sf["response_body"], p.Body, p.Absent.Has(AttrResponseBody))
		appendStr(sf["state"], p.State, p.Absent.Has(AttrState))
		appendTime(sf["last_modified_at"], p.LastModified)
		appendTime(sf["review_created_at"], r.CreatedAt)
		w.lineage(sf, r)
	}
}

// lineage appends the review's lineage columns: its page key and 1-based position.
func (w *reviewRowWriter) lineage(f map[string]array.Builder, r *Review) {
	f[schemas.LineageSourceKey].(*array.StringBuilder).Append(r.SourceKey)
	f[schemas.LineageSourceLine].(*array.Int64Builder).Append(r.SourceLine)
	f[schemas.LineageReportVersion].(*array.StringBuilder).Append("")
	f[schemas.LineageExtractedAt].(*array.TimestampBuilder).Append(w.ext)
}

// appendStr appends s, or null when null is set.
func appendStr(b array.Builder, s string, null bool) {
	if null {
		b.AppendNull()
		return
	}
	b.(*array.StringBuilder).Append(s)
}

// appendTime appends t at microsecond precision, or null when t is zero.
func appendTime(b array.Builder, t time.Time) {
	if t.IsZero() {
		b.AppendNull()
		return
	}
	b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
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
