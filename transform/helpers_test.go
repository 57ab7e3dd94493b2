package transform

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

var extractedAt = time.Date(2026, 11, 21, 10, 30, 0, 123456000, time.UTC)

// result is a loaded file as strings, column name → values ("<null>" for nulls).
type result struct {
	rows    int64
	batches int
	cols    map[string][]string
	schema  *arrow.Schema
	drift   Drift
	hash    string
	layout  string
	err     error
	checks  []string     // Reader.Checks
	summary []SummaryRow // Reader.Summary
	footers []Footer     // Reader.Footers
}

func table(t testing.TB, name string) *schemas.Table {
	t.Helper()
	tb, ok := schemas.Lookup(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	return tb
}

// load reads everything with a checked allocator and asserts no leak. A NewReader error is
// returned in result.err as well.
func load(t *testing.T, in io.Reader, tb *schemas.Table, batchRows int) result {
	t.Helper()
	return loadVersion(t, in, tb, batchRows, "1_0")
}

// loadVersion is load with the report version the file was served under.
func loadVersion(t *testing.T, in io.Reader, tb *schemas.Table, batchRows int, version string) result {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := NewReader(in, tb, Options{Key: "raw/test.gz", Version: version, ExtractedAt: extractedAt, Alloc: mem, BatchRows: batchRows})
	if err != nil {
		return result{err: err}
	}
	defer r.Release()
	res := result{cols: map[string][]string{}, schema: r.Schema()}
	for r.Next() {
		rec := r.RecordBatch()
		if !rec.Schema().Equal(r.Schema()) {
			t.Fatalf("batch schema differs from Schema()")
		}
		res.batches++
		for c := 0; c < int(rec.NumCols()); c++ {
			name := rec.ColumnName(c)
			res.cols[name] = append(res.cols[name], values(rec.Column(c))...)
		}
	}
	res.rows, res.drift, res.hash, res.err, res.layout = r.Rows(), r.Drift(), r.HeaderHash(), r.Err(), r.Layout()
	res.checks, res.summary, res.footers = r.Checks(), r.Summary(), r.Footers()
	return res
}

func loadString(t *testing.T, s string, tb *schemas.Table) result {
	t.Helper()
	return load(t, strings.NewReader(s), tb, 0)
}

func values(a arrow.Array) []string {
	out := make([]string, a.Len())
	for i := range out {
		if a.IsNull(i) {
			out[i] = "<null>"
			continue
		}
		switch v := a.(type) {
		case *array.Decimal128:
			out[i] = v.Value(i).ToString(schemas.DecimalScale)
		case *array.Date32:
			out[i] = v.Value(i).FormattedString()
		case *array.Timestamp:
			out[i] = v.Value(i).ToTime(arrow.Microsecond).Format(time.RFC3339Nano)
		default:
			out[i] = a.ValueStr(i)
		}
	}
	return out
}
