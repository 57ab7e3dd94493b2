package load

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// Test tables of Store.Load. Their Arrow schema is the table's (data columns, then the
// four lineage columns); rows are written in that column order.

// mergeTable is a review_responses-like MergeByKey table keyed by id.
func mergeTable() *schemas.Table {
	return &schemas.Table{Name: "t_merge", Mode: schemas.MergeByKey, Key: "id", Columns: []schemas.Column{
		{Name: "id", Kind: schemas.String}, {Name: "v", Kind: schemas.String}, {Name: "n", Kind: schemas.Int64},
	}}
}

// scdTable is a dim_*-like SlowlyChanging table keyed by its first column, id.
func scdTable() *schemas.Table {
	return &schemas.Table{Name: "t_dim", Mode: schemas.SlowlyChanging, Columns: []schemas.Column{
		{Name: "id", Kind: schemas.String}, {Name: "app_id", Kind: schemas.String}, {Name: "name", Kind: schemas.String},
		{Name: schemas.ValidFrom, Kind: schemas.DateISO}, {Name: schemas.ValidTo, Kind: schemas.DateISO},
		{Name: schemas.IsCurrent, Kind: schemas.Bool},
	}}
}

// replaceTable is a sales-like Replace table.
func replaceTable() *schemas.Table {
	return &schemas.Table{Name: "t_replace", Columns: []schemas.Column{
		{Name: "sku", Kind: schemas.String}, {Name: "units", Kind: schemas.Int64},
	}}
}

// testStore is an empty store on backend be, with a checked allocator that must hold
// nothing when the test ends.
func testStore(t *testing.T, be backend) (*Store, *memory.CheckedAllocator) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return New(be.open(t)), mem
}

// nz is v, or null for "".
func nz(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// mrow is a row of mergeTable: id, v ("" = null), n, then lineage (_source_key src).
func mrow(id, v string, n int64, src string) row {
	return row{nz(id), nz(v), n, src, int64(1), nil, nil}
}

// srow is a snapshot row of scdTable (history columns null: Load sets them).
func srow(id, app, name, src string) row {
	return row{nz(id), nz(app), nz(name), nil, nil, nil, src, int64(1), nil, nil}
}

// day is 2026-04-<d> UTC.
func day(d int) time.Time { return time.Date(2026, 4, d, 0, 0, 0, 0, time.UTC) }

// rec builds a record of schema from rows; the caller releases it.
func rec(t testing.TB, mem memory.Allocator, schema *arrow.Schema, rows ...row) arrow.RecordBatch {
	t.Helper()
	r, err := (&rowSet{schema: schema, rows: rows}).record(mem)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// loadRows loads rows (as one record of the table's schema) with the rest of in.
func loadRows(t testing.TB, s *Store, mem memory.Allocator, tb *schemas.Table, part string, in Input, rows ...row) (Result, error) {
	t.Helper()
	if len(rows) > 0 {
		r := rec(t, mem, tb.ArrowSchema(nil), rows...)
		defer r.Release()
		in.Records = []arrow.RecordBatch{r}
	}
	return s.Load(context.Background(), tb, part, in, ParquetOptions{Alloc: mem})
}

// mustLoad is loadRows failing the test on an error.
func mustLoad(t testing.TB, s *Store, mem memory.Allocator, tb *schemas.Table, part string, in Input, rows ...row) Result {
	t.Helper()
	res, err := loadRows(t, s, mem, tb, part, in, rows...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// storedRows reads the object at key back as rows of its own schema.
func storedRows(t testing.TB, s *Store, key string, mem memory.Allocator) (*arrow.Schema, []row) {
	t.Helper()
	tbl, err := s.ReadTable(context.Background(), key, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	rows, err := rowsOfTable(nil, tbl.Schema(), tbl)
	if err != nil {
		t.Fatal(err)
	}
	return tbl.Schema(), rows
}

// dump renders the object at key one line per row, values in column order separated by
// spaces (null "∅", dates as YYYY-MM-DD), leaving out _source_line, _report_version and
// _extracted_at.
func dump(t testing.TB, s *Store, key string, mem memory.Allocator) []string {
	t.Helper()
	schema, rows := storedRows(t, s, key, mem)
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		var vals []string
		for i, f := range schema.Fields() {
			switch f.Name {
			case schemas.LineageSourceLine, schemas.LineageReportVersion, schemas.LineageExtractedAt:
				continue
			}
			vals = append(vals, formatValue(r[i]))
		}
		out = append(out, strings.Join(vals, " "))
	}
	return out
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "∅"
	case arrow.Date32:
		return x.ToTime().Format("2006-01-02")
	}
	return fmt.Sprint(v)
}

func checkLines(t testing.TB, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: rows =\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func object(t testing.TB, s *Store, key string) []byte {
	t.Helper()
	b, err := s.Bucket().ReadAll(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func modTime(t testing.TB, s *Store, key string) time.Time {
	t.Helper()
	a, err := s.Bucket().Attributes(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return a.ModTime
}

// cancelAlloc cancels a context on its n-th allocation.
type cancelAlloc struct {
	memory.Allocator
	n      int64
	count  atomic.Int64
	cancel context.CancelFunc
}

func (a *cancelAlloc) Allocate(size int) []byte {
	if a.count.Add(1) == a.n {
		a.cancel()
	}
	return a.Allocator.Allocate(size)
}
