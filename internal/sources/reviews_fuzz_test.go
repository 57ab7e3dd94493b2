package sources_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// FuzzReviewsParse: whatever a page holds, Parse never panics or leaks; an error names
// the payload's key; every row it emits lies in its month's partition, among the keys the
// output speaks for.
func FuzzReviewsParse(f *testing.F) {
	if b, err := os.ReadFile("../../transform/testdata/reviews_apple-doc-example.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"data":[]}`))
	f.Add([]byte(`{"data":[{"type":"customerReviews","id":"r1","attributes":{"rating":5,"createdDate":"2026-02-28T23:30:00-08:00"}}]}`))
	f.Add([]byte(`{"data":[`))
	src := &sources.Reviews{}
	const key = "raw/reviews/CUSTOMER_REVIEWS/1/2026-11-21/v/page-00001.json.gz"
	f.Fuzz(func(t *testing.T, page []byte) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		in := &engine.ParseInput{
			Unit:    report.Unit{Family: report.Reviews, Type: sources.ReviewsType, Vendor: "1", Period: "2026-11-21"},
			Version: &load.Version{FetchedAt: time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC), Payloads: []load.Payload{{Name: "page-00001.json", Key: key}}},
			Open:    func(load.Payload) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(page)), nil },
			Alloc:   mem,
			Note:    func(engine.Note) {},
		}
		parsed, err := src.Parse(context.Background(), in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), key+": ") {
				t.Fatalf("error %q does not name the key", err)
			}
			return
		}
		defer parsed.Release()
		for _, o := range parsed.Outputs {
			if !strings.HasPrefix(o.Partition, "app_id=1/month=") {
				t.Fatalf("partition %q", o.Partition)
			}
			keys := map[string]bool{}
			for _, k := range o.Keys {
				keys[k] = true
			}
			rec := o.Records[0]
			ids := rec.Column(rec.Schema().FieldIndices("review_id")[0]).(*array.String)
			for i := 0; i < ids.Len(); i++ {
				if !keys[ids.Value(i)] {
					t.Fatalf("%s: row %q outside the output's keys", o.Table.Name, ids.Value(i))
				}
			}
			if o.Table.Name == schemas.ReviewsTable && ids.Len() != len(o.Keys) {
				t.Fatalf("%d reviews for %d keys", ids.Len(), len(o.Keys))
			}
		}
	})
}
