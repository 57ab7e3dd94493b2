package load

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"gocloud.dev/blob/memblob"
)

// encSchema has what the encoder treats differently: a low-cardinality string column with
// nulls that start late, a string column whose distinct values outgrow the dictionary
// page limit, a constant column, numbers and a required column.
var encSchema = arrow.NewSchema([]arrow.Field{
	{Name: "country", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "units", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "price", Type: &arrow.Decimal128Type{Precision: 18, Scale: 6}, Nullable: true},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "_source_key", Type: arrow.BinaryTypes.String},
}, nil)

// encRows builds n rows; id is unique per row and long, so it falls back to plain encoding
// after about dictPageLimit bytes.
func encRows(t testing.TB, mem memory.Allocator, n int) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, encSchema)
	defer b.Release()
	countries := []string{"US", "DE", "FR", "JP", ""}
	for i := 0; i < n; i++ {
		if i > n/3 && i%7 == 0 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(countries[i%len(countries)])
		}
		if i%11 == 5 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("subscriber-%040d", i))
		}
		b.Field(2).(*array.Int64Builder).Append(int64(i % 13))
		if i%5 == 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i % 17)))
		}
		b.Field(4).(*array.Date32Builder).Append(arrow.Date32(20000 + i%3))
		b.Field(5).(*array.StringBuilder).Append("raw/sales/x/v1/S_D.txt.gz")
	}
	return b.NewRecordBatch()
}

func encode(t testing.TB, rec arrow.RecordBatch, batches []int64, opt ParquetOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := newPQWriter(&buf, rec.Schema(), opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	var off int64
	for _, n := range batches {
		part := rec.NewSlice(off, off+n)
		if err := w.Write(part); err != nil {
			t.Fatal(err)
		}
		part.Release()
		off += n
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestEncoderBatchIndependent: the bytes depend on the rows only, not on how they arrive
// in batches, and the file reads back as written (nulls, the plain fallback, row groups).
func TestEncoderBatchIndependent(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n = 50_000
	rec := encRows(t, mem, n)
	defer rec.Release()
	opt := ParquetOptions{RowGroupRows: 20_000, Alloc: mem}
	want := encode(t, rec, []int64{n}, opt)
	for _, split := range [][]int64{{1, n - 1}, {20_000, 20_000, 10_000}, {7_001, 13_000, 29_999}, {33_333, 16_667}} {
		if got := encode(t, rec, split, opt); !bytes.Equal(got, want) {
			t.Errorf("batches %v: %d bytes, differ from one batch's %d", split, len(got), len(want))
		}
	}
	tbl, err := readTable(context.Background(), want, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if !tbl.Schema().Equal(encSchema) || tbl.NumRows() != n {
		t.Fatalf("read back %d rows of %s", tbl.NumRows(), tbl.Schema())
	}
	for i := 0; i < int(tbl.NumCols()); i++ {
		got, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
		if err != nil {
			t.Fatal(err)
		}
		if !array.Equal(got, rec.Column(i)) {
			t.Errorf("column %s differs after the round trip", encSchema.Field(i).Name)
		}
		got.Release()
	}
	pf, err := file.NewParquetReader(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	if got := pf.NumRowGroups(); got != 3 {
		t.Errorf("%d row groups, want 3", got)
	}
	rg := pf.MetaData().RowGroup(0)
	for i, wantDict := range []bool{true, false, true, true, true, true} {
		cc, err := rg.ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		dict := false
		for _, e := range cc.Encodings() {
			dict = dict || e == parquet.Encodings.RLEDict || e == parquet.Encodings.PlainDict
		}
		// id falls back: its first page is dictionary-encoded, the rest plain.
		if i == 1 {
			plain := false
			for _, e := range cc.Encodings() {
				plain = plain || e == parquet.Encodings.Plain
			}
			if !plain {
				t.Errorf("column id: encodings %v, want a plain fallback", cc.Encodings())
			}
			continue
		}
		if dict != wantDict {
			t.Errorf("column %d: encodings %v", i, cc.Encodings())
		}
		if ok, err := cc.StatsSet(); !ok || err != nil {
			t.Errorf("column %d: no statistics (%v)", i, err)
		}
	}
}

// TestEncoderStats: row-group statistics are exact (what day filters prune by).
func TestEncoderStats(t *testing.T) {
	mem := memory.NewGoAllocator()
	rec := encRows(t, mem, 1000)
	defer rec.Release()
	data := encode(t, rec, []int64{400, 600}, ParquetOptions{Alloc: mem})
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	cc, err := pf.MetaData().RowGroup(0).ColumnChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cc.Statistics()
	if err != nil {
		t.Fatal(err)
	}
	nulls := 0
	for i := 0; i < 1000; i++ {
		if i > 1000/3 && i%7 == 0 {
			nulls++
		}
	}
	enc, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(enc.Min) != "" || string(enc.Max) != "US" || st.NullCount() != int64(nulls) {
		t.Errorf("country stats: min %q max %q nulls %d, want \"\" US %d", enc.Min, enc.Max, st.NullCount(), nulls)
	}
}

// TestEncoderEmpty: no rows, no row group, the schema stored.
func TestEncoderEmpty(t *testing.T) {
	b := memblob.OpenBucket(nil)
	defer b.Close()
	rr, err := array.NewRecordReader(encSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	info, err := New(b).WriteParquet(context.Background(), "x/data.parquet", rr, ParquetOptions{})
	if err != nil || info.Rows != 0 {
		t.Fatalf("%+v %v", info, err)
	}
	tbl, err := New(b).ReadTable(context.Background(), "x/data.parquet", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if !tbl.Schema().Equal(encSchema) {
		t.Fatalf("schema %s", tbl.Schema())
	}
}
