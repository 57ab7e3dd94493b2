package transform

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// CatalogRecord builds the batch of rows for table t, with exactly t.ArrowSchema(nil).
// A value whose Go type does not fit its column's kind is an error naming the row and
// column. The caller releases the batch.
func CatalogRecord(alloc memory.Allocator, t *schemas.Table, rows []CatalogRow) (arrow.RecordBatch, error) {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	rb := array.NewRecordBuilder(alloc, t.ArrowSchema(nil))
	defer rb.Release()
	rb.Reserve(len(rows))
	n := len(t.Columns)
	for ri, r := range rows {
		if len(r.Vals) != n {
			return nil, fmt.Errorf("transform: %s row %d has %d values for %d columns", t.Name, ri+1, len(r.Vals), n)
		}
		for ci, v := range r.Vals {
			if err := appendValue(rb.Field(ci), t.Columns[ci].Kind, v); err != nil {
				return nil, fmt.Errorf("transform: %s row %d (%s:%d) column %s: %w", t.Name, ri+1, r.SourceKey, r.SourceLine, t.Columns[ci].Name, err)
			}
		}
		rb.Field(n).(*array.StringBuilder).Append(r.SourceKey)
		rb.Field(n + 1).(*array.Int64Builder).Append(r.SourceLine)
		rb.Field(n + 2).(*array.StringBuilder).Append("")
		rb.Field(n + 3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.ExtractedAt.UnixMicro()))
	}
	return rb.NewRecordBatch(), nil
}

func appendValue(b array.Builder, k schemas.Kind, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	ok := false
	switch k {
	case schemas.String:
		var s string
		if s, ok = v.(string); ok {
			b.(*array.StringBuilder).Append(s)
		}
	case schemas.Int64:
		var n int64
		if n, ok = v.(int64); ok {
			b.(*array.Int64Builder).Append(n)
		}
	case schemas.Float64:
		var f float64
		if f, ok = v.(float64); ok {
			b.(*array.Float64Builder).Append(f)
		}
	case schemas.Bool:
		var x bool
		if x, ok = v.(bool); ok {
			b.(*array.BooleanBuilder).Append(x)
		}
	case schemas.DateISO, schemas.DateMDY:
		var t time.Time
		if t, ok = v.(time.Time); ok {
			b.(*array.Date32Builder).Append(arrow.Date32FromTime(t))
		}
	case schemas.Timestamp:
		var t time.Time
		if t, ok = v.(time.Time); ok {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
		}
	}
	if !ok {
		return fmt.Errorf("value %v (%T) does not fit a %s column", v, v, k)
	}
	return nil
}

// CatalogRows reads rows of table t back from a stored object (as load.Store.ReadTable
// returns it). Columns are matched by name: a column of t the object lacks is null, a
// column the object has and t does not is dropped. Lineage is kept.
func CatalogRows(t *schemas.Table, tbl arrow.Table) ([]CatalogRow, error) {
	type src struct {
		chunks []arrow.Array
	}
	col := func(name string) (*src, error) {
		idx := tbl.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, nil
		}
		return &src{chunks: tbl.Column(idx[0]).Data().Chunks()}, nil
	}
	srcs := make([]*src, len(t.Columns))
	for i, c := range t.Columns {
		s, err := col(c.Name)
		if err != nil {
			return nil, err
		}
		srcs[i] = s
	}
	lin := make([]*src, 4)
	for i, n := range []string{schemas.LineageSourceKey, schemas.LineageSourceLine, schemas.LineageReportVersion, schemas.LineageExtractedAt} {
		lin[i], _ = col(n)
	}
	rows := make([]CatalogRow, 0, tbl.NumRows())
	// Walk the chunks of the first column; every column of a table read from one
	// Parquet object is chunked alike only by chance, so index each column separately.
	at := func(s *src, row int) (arrow.Array, int) {
		for _, c := range s.chunks {
			if row < c.Len() {
				return c, row
			}
			row -= c.Len()
		}
		return nil, 0
	}
	for ri := 0; ri < int(tbl.NumRows()); ri++ {
		r := CatalogRow{Vals: make([]any, len(t.Columns))}
		for ci, s := range srcs {
			if s == nil {
				continue
			}
			a, j := at(s, ri)
			v, err := arrowValue(a, j)
			if err != nil {
				return nil, fmt.Errorf("%s row %d column %s: %w", t.Name, ri+1, t.Columns[ci].Name, err)
			}
			r.Vals[ci] = v
		}
		if lin[0] != nil {
			a, j := at(lin[0], ri)
			r.SourceKey, _ = mustValue(a, j).(string)
		}
		if lin[1] != nil {
			a, j := at(lin[1], ri)
			r.SourceLine, _ = mustValue(a, j).(int64)
		}
		if lin[3] != nil {
			a, j := at(lin[3], ri)
			r.ExtractedAt, _ = mustValue(a, j).(time.Time)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func mustValue(a arrow.Array, i int) any {
	v, _ := arrowValue(a, i)
	return v
}

// arrowValue is the Go value of a[i] in CatalogRow's representation.
func arrowValue(a arrow.Array, i int) (any, error) {
	if a == nil || a.IsNull(i) {
		return nil, nil
	}
	switch c := a.(type) {
	case *array.String:
		return c.Value(i), nil
	case *array.Int64:
		return c.Value(i), nil
	case *array.Float64:
		return c.Value(i), nil
	case *array.Boolean:
		return c.Value(i), nil
	case *array.Date32:
		return c.Value(i).ToTime().UTC(), nil
	case *array.Timestamp:
		return time.UnixMicro(int64(c.Value(i))).UTC(), nil
	}
	return nil, fmt.Errorf("unexpected type %s", a.DataType())
}
