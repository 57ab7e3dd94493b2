package load

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// A null in a required string column (the lineage columns of hand-built records) is
// stored as "", as pqarrow does: the dictionary must not index an entry it lacks.
func TestEncodeNullInRequiredString(t *testing.T) {
	s, mem := testStore(t, backends[0])
	sc := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.BinaryTypes.String}}, nil)
	for _, vals := range [][]any{{nil, nil}, {"x", nil, "y"}} {
		r := rec(t, mem, sc, func() []row {
			var rs []row
			for _, v := range vals {
				rs = append(rs, row{v})
			}
			return rs
		}()...)
		rr, _ := array.NewRecordReader(sc, []arrow.RecordBatch{r})
		if _, err := s.WriteParquet(context.Background(), "x.parquet", rr, ParquetOptions{Alloc: mem}); err != nil {
			t.Fatal(err)
		}
		rr.Release()
		r.Release()
		_, rows := storedRows(t, s, "x.parquet", mem)
		for i, v := range vals {
			want := v
			if v == nil {
				want = ""
			}
			if rows[i][0] != want {
				t.Errorf("%v: row %d = %v, want %q", vals, i, rows[i][0], want)
			}
		}
	}
}
