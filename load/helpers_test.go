package load

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

var errBoom = errors.New("boom")

// backend opens an empty bucket for one test.
type backend struct {
	name string
	open func(t testing.TB) *blob.Bucket
}

// backends are the buckets every storage test runs against. fileblob always runs with
// metadata=skip (as the project configures it); the no_tmp_dir variant puts temp files
// next to their targets, where a leaked one would show up in List.
var backends = []backend{
	{"memblob", func(t testing.TB) *blob.Bucket {
		b := memblob.OpenBucket(nil)
		t.Cleanup(func() { _ = b.Close() })
		return b
	}},
	{"fileblob", fileBackend("metadata=skip")},
	{"fileblob_no_tmp_dir", fileBackend("metadata=skip&no_tmp_dir=true")},
}

func fileBackend(query string) func(t testing.TB) *blob.Bucket {
	return func(t testing.TB) *blob.Bucket {
		dir := t.TempDir()
		b, err := blob.OpenBucket(context.Background(), "file://"+filepath.ToSlash(dir)+"?"+query)
		if err != nil {
			t.Fatal(err)
		}
		// Registered after TempDir's cleanup, so it runs before the directory goes.
		t.Cleanup(func() {
			_ = b.Close()
			_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if strings.HasSuffix(p, ".attrs") || strings.HasSuffix(p, ".tmp") {
					t.Errorf("fileblob left %s behind", p)
				}
				return nil
			})
		})
		return b
	}
}

// sliceReader is a RecordReader over prepared batches. After failAfter batches (if >= 0)
// it stops with errBoom; onNext, if set, runs before batch i is handed out.
type sliceReader struct {
	schema    *arrow.Schema
	recs      []arrow.RecordBatch
	failAfter int
	onNext    func(i int)
	i         int
	cur       arrow.RecordBatch
	err       error
}

func newSliceReader(schema *arrow.Schema, recs ...arrow.RecordBatch) *sliceReader {
	return &sliceReader{schema: schema, recs: recs, failAfter: -1}
}

func (r *sliceReader) Schema() *arrow.Schema          { return r.schema }
func (r *sliceReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *sliceReader) Err() error                     { return r.err }

func (r *sliceReader) Next() bool {
	r.cur = nil
	if r.failAfter >= 0 && r.i >= r.failAfter {
		r.err = errBoom
		return false
	}
	if r.i >= len(r.recs) {
		return false
	}
	if r.onNext != nil {
		r.onNext(r.i)
	}
	r.cur = r.recs[r.i]
	r.i++
	return true
}

var (
	testDecimal = &arrow.Decimal128Type{Precision: 18, Scale: 6}
	testTS      = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	extractedAt = time.Date(2026, 11, 21, 9, 30, 0, 123456000, time.UTC)
)

// testSchema is a SALES-like slice: strings with nulls, counts, money, dates, lineage.
func testSchema() *arrow.Schema {
	md := arrow.NewMetadata([]string{"ascetl.table"}, []string{"sales_summary_daily"})
	return arrow.NewSchema([]arrow.Field{
		{Name: "sku", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "units", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "developer_proceeds", Type: testDecimal, Nullable: true},
		{Name: "begin_date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "_source_key", Type: arrow.BinaryTypes.String},
		{Name: "_source_line", Type: arrow.PrimitiveTypes.Int64},
		{Name: "_extracted_at", Type: testTS},
	}, &md)
}

// Expected values of global row i.
func wantSKU(i int) (string, bool)     { return fmt.Sprintf("SKU-%05d", i%977), i%10 != 3 }
func wantUnits(i int) int64            { return int64(i%7) - 1 }
func wantProceeds(i int) int64         { return int64(i)*1234567 - 5_000_000 } // scaled by 1e6
func wantDate(i int) arrow.Date32      { return arrow.Date32(20000 + i%30) }
func wantLine(i int) int64             { return int64(i) + 2 }
func wantKey() string                  { return "raw/sales/sales_summary_daily/vendor=1/2026-11-20/f.gz" }
func wantTS() arrow.Timestamp          { return arrow.Timestamp(extractedAt.UnixMicro()) }
func proceedsDec(i int) decimal128.Num { return decimal128.FromI64(wantProceeds(i)) }

// makeBatch builds rows [start, start+n) of testSchema.
func makeBatch(mem memory.Allocator, schema *arrow.Schema, start, n int) arrow.RecordBatch {
	bld := array.NewRecordBuilder(mem, schema)
	defer bld.Release()
	for i := start; i < start+n; i++ {
		if s, ok := wantSKU(i); ok {
			bld.Field(0).(*array.StringBuilder).Append(s)
		} else {
			bld.Field(0).AppendNull()
		}
		bld.Field(1).(*array.Int64Builder).Append(wantUnits(i))
		bld.Field(2).(*array.Decimal128Builder).Append(proceedsDec(i))
		bld.Field(3).(*array.Date32Builder).Append(wantDate(i))
		bld.Field(4).(*array.StringBuilder).Append(wantKey())
		bld.Field(5).(*array.Int64Builder).Append(wantLine(i))
		bld.Field(6).(*array.TimestampBuilder).Append(wantTS())
	}
	return bld.NewRecordBatch()
}

// makeBatches splits rows [0, sum(sizes)) into batches of the given sizes.
func makeBatches(mem memory.Allocator, schema *arrow.Schema, sizes ...int) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	start := 0
	for _, n := range sizes {
		out = append(out, makeBatch(mem, schema, start, n))
		start += n
	}
	return out
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// checkTable verifies every value of tbl against the want* functions.
func checkTable(t *testing.T, tbl arrow.Table, rows int) {
	t.Helper()
	if got := tbl.NumRows(); got != int64(rows) {
		t.Fatalf("rows = %d, want %d", got, rows)
	}
	want := testSchema()
	if !tbl.Schema().Equal(want) {
		t.Fatalf("schema =\n%s\nwant\n%s", tbl.Schema(), want)
	}
	if v, ok := tbl.Schema().Metadata().GetValue("ascetl.table"); !ok || v != "sales_summary_daily" {
		t.Errorf("schema metadata lost: %v", tbl.Schema().Metadata())
	}
	for c := 0; c < int(tbl.NumCols()); c++ {
		row := 0
		for _, chunk := range tbl.Column(c).Data().Chunks() {
			for j := 0; j < chunk.Len(); j, row = j+1, row+1 {
				if msg := checkCell(c, chunk, j, row); msg != "" {
					t.Fatalf("row %d column %s: %s", row, tbl.Schema().Field(c).Name, msg)
				}
			}
		}
		if row != rows {
			t.Fatalf("column %d has %d rows, want %d", c, row, rows)
		}
	}
}

func checkCell(c int, a arrow.Array, j, i int) string {
	switch c {
	case 0:
		s, ok := wantSKU(i)
		if a.IsNull(j) != !ok || ok && a.(*array.String).Value(j) != s {
			return fmt.Sprintf("got %v, want %q (valid %v)", a.ValueStr(j), s, ok)
		}
	case 1:
		if got := a.(*array.Int64).Value(j); got != wantUnits(i) {
			return fmt.Sprintf("got %d, want %d", got, wantUnits(i))
		}
	case 2:
		if got := a.(*array.Decimal128).Value(j); got != proceedsDec(i) {
			return fmt.Sprintf("got %s, want %s", got.ToString(6), proceedsDec(i).ToString(6))
		}
	case 3:
		if got := a.(*array.Date32).Value(j); got != wantDate(i) {
			return fmt.Sprintf("got %v, want %v", got, wantDate(i))
		}
	case 4:
		if got := a.(*array.String).Value(j); got != wantKey() {
			return fmt.Sprintf("got %q", got)
		}
	case 5:
		if got := a.(*array.Int64).Value(j); got != wantLine(i) {
			return fmt.Sprintf("got %d, want %d", got, wantLine(i))
		}
	case 6:
		if got := a.(*array.Timestamp).Value(j); got != wantTS() {
			return fmt.Sprintf("got %v, want %v", got, wantTS())
		}
	}
	return ""
}
