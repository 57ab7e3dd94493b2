package transform

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzDecodeReviewPage: any page decodes or fails with a *JSONError naming the key and
// the field; a decoded page has valid reviews and builds its record batches without
// leaking memory. Seeds: testdata/fuzz/FuzzDecodeReviewPage.
func FuzzDecodeReviewPage(f *testing.F) {
	f.Add(readFuzzSeed(f, "reviews_apple-doc-example.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const key = "raw/reviews.json"
		page, err := DecodeReviewPage(key, data)
		if err != nil {
			checkJSONError(t, key, err)
			return
		}
		for i, r := range page.Reviews {
			if r.ID == "" || r.Rating < 1 || r.Rating > 5 || r.SourceKey != key || r.SourceLine != int64(i+1) || r.CreatedAt.IsZero() {
				t.Fatalf("review %d: %+v", i, r)
			}
			for _, s := range []string{r.Title, r.Body, r.Nickname, r.Territory} {
				if !utf8.ValidString(s) {
					t.Fatalf("review %d: invalid UTF-8 %q", i, s)
				}
			}
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rv, rs, err := ReviewRecords(mem, page.Reviews, time.Unix(0, 0))
		if err != nil {
			t.Fatalf("ReviewRecords: %v", err)
		}
		defer rv.Release()
		defer rs.Release()
		if int(rv.NumRows()) != len(page.Reviews) {
			t.Fatalf("%d rows for %d reviews", rv.NumRows(), len(page.Reviews))
		}
	})
}
