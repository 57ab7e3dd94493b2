package load

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const mgKey = "parquet/review_responses/app_id=1/month=2026-04/data.parquet"

// mgSchema is a review_responses-like table: string key, text, a timestamp, lineage.
func mgSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "review_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "response_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "response_body", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "last_modified_at", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
		{Name: "_source_line", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
}

// mgRow is one row; "" body means null. Values are written per column name, so the same
// rows can be built for schemas that differ.
type mgRow struct {
	review, response, body string
	line                   int64
	extra                  string // value of any other string column ("" = null)
	num                    int64  // value of any other int64 column (0 = null)
}

func mgBatch(mem memory.Allocator, schema *arrow.Schema, rows ...mgRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, f := range schema.Fields() {
			fb := b.Field(i)
			switch f.Name {
			case "review_id":
				fb.(*array.StringBuilder).Append(r.review)
			case "response_id":
				fb.(*array.StringBuilder).Append(r.response)
			case "response_body":
				if r.body == "" {
					fb.AppendNull()
				} else {
					fb.(*array.StringBuilder).Append(r.body)
				}
			case "last_modified_at":
				fb.(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC).UnixMicro() + r.line))
			case "_source_line":
				fb.(*array.Int64Builder).Append(r.line)
			default:
				switch sb := fb.(type) {
				case *array.StringBuilder:
					if r.extra == "" {
						sb.AppendNull()
					} else {
						sb.Append(r.extra)
					}
				case *array.Int64Builder:
					if r.num == 0 {
						sb.AppendNull()
					} else {
						sb.Append(r.num)
					}
				default:
					panic("mgBatch: unsupported column " + f.Name)
				}
			}
		}
	}
	return b.NewRecordBatch()
}

// mgRows renders the object at key as one line per row: column=value, nulls as "∅".
func mgRows(t *testing.T, s *Store, key string, mem memory.Allocator) []string {
	t.Helper()
	tbl, err := s.ReadTable(context.Background(), key, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	rows := make([]string, tbl.NumRows())
	for c := 0; c < int(tbl.NumCols()); c++ {
		if tbl.Schema().Field(c).Name == "last_modified_at" {
			continue
		}
		r := 0
		for _, ch := range tbl.Column(c).Data().Chunks() {
			for i := 0; i < ch.Len(); i, r = i+1, r+1 {
				v := "∅"
				if ch.IsValid(i) {
					v = ch.ValueStr(i)
				}
				if rows[r] != "" {
					rows[r] += " "
				}
				rows[r] += tbl.Schema().Field(c).Name + "=" + v
			}
		}
	}
	return rows
}

func mgCheckRows(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func mgMerge(t *testing.T, s *Store, mem memory.Allocator, key string, replace []string, schema *arrow.Schema, rows ...mgRow) MergeInfo {
	t.Helper()
	rec := mgBatch(mem, schema, rows...)
	defer rec.Release()
	info, err := s.MergeParquet(context.Background(), key, "review_id", replace, rec, ParquetOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func mgObject(t *testing.T, s *Store, key string) []byte {
	t.Helper()
	b, err := s.Bucket().ReadAll(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMergeParquet(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s := New(be.open(t))
			sc := mgSchema()

			// New object: rows sorted by key whatever the input order.
			info := mgMerge(t, s, mem, mgKey, nil, sc,
				mgRow{review: "c", response: "pc", body: "C", line: 3},
				mgRow{review: "a", response: "pa", body: "A", line: 1},
				mgRow{review: "b", response: "pb", line: 2})
			obj := mgObject(t, s, mgKey)
			if info.Unchanged || info.Rows != 3 || info.Bytes != int64(len(obj)) || info.Key != mgKey {
				t.Errorf("info %+v (object %d bytes)", info, len(obj))
			}
			mgCheckRows(t, mgRows(t, s, mgKey, mem),
				"review_id=a response_id=pa response_body=A _source_line=1",
				"review_id=b response_id=pb response_body=∅ _source_line=2",
				"review_id=c response_id=pc response_body=C _source_line=3")

			// Merge: b is replaced, d added, a and c kept.
			info = mgMerge(t, s, mem, mgKey, nil, sc,
				mgRow{review: "d", response: "pd", body: "D", line: 4},
				mgRow{review: "b", response: "pb2", body: "B2", line: 5})
			if info.Unchanged || info.Rows != 4 {
				t.Errorf("info %+v", info)
			}
			mgCheckRows(t, mgRows(t, s, mgKey, mem),
				"review_id=a response_id=pa response_body=A _source_line=1",
				"review_id=b response_id=pb2 response_body=B2 _source_line=5",
				"review_id=c response_id=pc response_body=C _source_line=3",
				"review_id=d response_id=pd response_body=D _source_line=4")

			// Replace without a new row deletes (a response deleted upstream); unknown
			// replace keys are harmless.
			info = mgMerge(t, s, mem, mgKey, []string{"c", "zz", "a"}, sc,
				mgRow{review: "a", response: "pa", body: "A", line: 1})
			if info.Rows != 3 {
				t.Errorf("info %+v", info)
			}
			mgCheckRows(t, mgRows(t, s, mgKey, mem),
				"review_id=a response_id=pa response_body=A _source_line=1",
				"review_id=b response_id=pb2 response_body=B2 _source_line=5",
				"review_id=d response_id=pd response_body=D _source_line=4")

			// Idempotence: the same input again changes nothing and does not rewrite.
			before := mgObject(t, s, mgKey)
			attrs, err := s.Bucket().Attributes(context.Background(), mgKey)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
			info = mgMerge(t, s, mem, mgKey, []string{"c", "zz", "a"}, sc,
				mgRow{review: "a", response: "pa", body: "A", line: 1})
			after := mgObject(t, s, mgKey)
			if !info.Unchanged || info.Rows != 3 || info.Bytes != int64(len(before)) || string(after) != string(before) {
				t.Errorf("second run: %+v, bytes equal %v", info, string(after) == string(before))
			}
			attrs2, err := s.Bucket().Attributes(context.Background(), mgKey)
			if err != nil {
				t.Fatal(err)
			}
			if !attrs2.ModTime.Equal(attrs.ModTime) {
				t.Errorf("object rewritten: mod time %v → %v", attrs.ModTime, attrs2.ModTime)
			}

			// Deleting every row leaves a valid empty file.
			info = mgMerge(t, s, mem, mgKey, []string{"a", "b", "d"}, sc)
			if info.Rows != 0 || info.Unchanged {
				t.Errorf("info %+v", info)
			}
			mgCheckRows(t, mgRows(t, s, mgKey, mem))
		})
	}
}

// The bytes depend on the set of rows only, not on the order they arrived in nor on how
// they were split between the stored object and the new batch.
func TestMergeParquetOrderIndependent(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := New(backends[0].open(t))
	sc := mgSchema()
	var rows []mgRow
	for i := 0; i < 300; i++ {
		// Duplicate keys with different values exercise the tiebreak columns.
		rows = append(rows, mgRow{review: fmt.Sprintf("r%03d", i%120), response: fmt.Sprintf("p%d", i), body: strings.Repeat("x", i%7), line: int64(i % 5)})
	}
	reversed := make([]mgRow, len(rows))
	for i, r := range rows {
		reversed[len(rows)-1-i] = r
	}
	shuffled := make([]mgRow, 0, len(rows))
	for i := 0; i < len(rows); i++ {
		shuffled = append(shuffled, rows[(i*7919)%len(rows)])
	}
	mgMerge(t, s, mem, "k1", nil, sc, rows...)
	mgMerge(t, s, mem, "k2", nil, sc, reversed...)
	mgMerge(t, s, mem, "k3", nil, sc, shuffled...)
	want := mgObject(t, s, "k1")
	for _, k := range []string{"k2", "k3"} {
		if got := mgObject(t, s, k); string(got) != string(want) {
			t.Errorf("%s differs from k1 (%d vs %d bytes)", k, len(got), len(want))
		}
	}

	// Same rows split across two merges (no key in both halves), in another order.
	var first, second []mgRow
	for _, r := range shuffled {
		if r.review < "r060" {
			first = append(first, r)
		} else {
			second = append(second, r)
		}
	}
	mgMerge(t, s, mem, "k4", nil, sc, second...)
	info := mgMerge(t, s, mem, "k4", nil, sc, first...)
	if got := mgObject(t, s, "k4"); string(got) != string(want) {
		t.Errorf("k4 differs from k1 (%+v)", info)
	}
	// And merging the whole set again over it is a no-op.
	if info := mgMerge(t, s, mem, "k4", nil, sc, reversed...); !info.Unchanged {
		t.Errorf("re-merge changed k4: %+v", info)
	}

	// Several row groups (the stored object reads back as several chunks).
	small := func(key string, rows []mgRow) MergeInfo {
		rec := mgBatch(mem, sc, rows...)
		defer rec.Release()
		info, err := s.MergeParquet(context.Background(), key, "review_id", nil, rec, ParquetOptions{Alloc: mem, RowGroupRows: 7})
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	small("k6", rows)
	small("k7", first)
	small("k7", second)
	if string(mgObject(t, s, "k6")) != string(mgObject(t, s, "k7")) {
		t.Error("k7 differs from k6")
	}
	if info := small("k7", shuffled); !info.Unchanged || info.Rows != int64(len(rows)) {
		t.Errorf("re-merge changed k7: %+v", info)
	}

	// The merged object is exactly what WriteParquet gives the sorted rows.
	rec := mgBatch(mem, sc, rows...)
	defer rec.Release()
	var oldTbl arrow.Table
	sorted, err := mergeRows(context.Background(), mem, "review_id", nil, rec, oldTbl)
	if err != nil {
		t.Fatal(err)
	}
	defer sorted.Release()
	if _, err := s.WriteParquet(context.Background(), "k5", newSliceReader(sc, sorted), ParquetOptions{Alloc: mem}); err != nil {
		t.Fatal(err)
	}
	if got := mgObject(t, s, "k5"); string(got) != string(want) {
		t.Error("WriteParquet of the merged rows differs from MergeParquet's object")
	}
}

func TestMergeParquetSchemaUnion(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := New(backends[0].open(t))

	// Old version: has old_count (int64), lacks new_note.
	oldSc := arrow.NewSchema([]arrow.Field{
		{Name: "review_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "old_count", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "response_body", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "_source_line", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	mgMerge(t, s, mem, mgKey, nil, oldSc,
		mgRow{review: "a", body: "A", num: 7, line: 1},
		mgRow{review: "b", body: "B", num: 8, line: 2})

	// New version: new_note added, old_count gone, _source_line kept non-nullable.
	newSc := arrow.NewSchema([]arrow.Field{
		{Name: "review_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "response_body", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "new_note", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "_source_line", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	info := mgMerge(t, s, mem, mgKey, nil, newSc, mgRow{review: "b", body: "B2", extra: "note", line: 3})
	if info.Rows != 2 {
		t.Errorf("info %+v", info)
	}
	tbl, err := s.ReadTable(context.Background(), mgKey, mem)
	if err != nil {
		t.Fatal(err)
	}
	wantSc := arrow.NewSchema([]arrow.Field{
		{Name: "review_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "response_body", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "new_note", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "_source_line", Type: arrow.PrimitiveTypes.Int64},
		{Name: "old_count", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	if !tbl.Schema().Equal(wantSc) {
		t.Errorf("schema\n%s\nwant\n%s", tbl.Schema(), wantSc)
	}
	tbl.Release()
	mgCheckRows(t, mgRows(t, s, mgKey, mem),
		"review_id=a response_body=A new_note=∅ _source_line=1 old_count=7",
		"review_id=b response_body=B2 new_note=note _source_line=3 old_count=∅")

	// A type conflict is an error and leaves the object alone.
	before := mgObject(t, s, mgKey)
	badSc := arrow.NewSchema([]arrow.Field{
		{Name: "review_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "old_count", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rec := mgBatch(mem, badSc, mgRow{review: "c", extra: "x"})
	defer rec.Release()
	_, err = s.MergeParquet(context.Background(), mgKey, "review_id", nil, rec, ParquetOptions{Alloc: mem})
	if err == nil || !strings.Contains(err.Error(), "column old_count: type utf8 conflicts with int64") {
		t.Errorf("err = %v", err)
	}
	if string(mgObject(t, s, mgKey)) != string(before) {
		t.Error("object changed after a failed merge")
	}
}

func TestMergeParquetBadInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	s := New(backends[0].open(t))
	sc := mgSchema()
	ctx := context.Background()
	mgMerge(t, s, mem, mgKey, nil, sc, mgRow{review: "a", line: 1})
	before := mgObject(t, s, mgKey)

	// Null key in the batch.
	b := array.NewRecordBuilder(mem, sc)
	b.Field(0).AppendNull()
	b.Field(1).(*array.StringBuilder).Append("p")
	b.Field(2).AppendNull()
	b.Field(3).AppendNull()
	b.Field(4).(*array.Int64Builder).Append(1)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	if _, err := s.MergeParquet(ctx, mgKey, "review_id", nil, rec, ParquetOptions{Alloc: mem}); err == nil || !strings.Contains(err.Error(), "is null") {
		t.Errorf("null key: %v", err)
	}
	// Key column missing or not a string.
	for _, col := range []string{"nope", "_source_line"} {
		if _, err := s.MergeParquet(ctx, mgKey, col, nil, rec, ParquetOptions{Alloc: mem}); err == nil {
			t.Errorf("key column %s: no error", col)
		}
	}
	if _, err := s.MergeParquet(ctx, mgKey, "review_id", nil, nil, ParquetOptions{Alloc: mem}); err == nil {
		t.Error("nil batch: no error")
	}
	// Existing object is not Parquet.
	if err := s.Bucket().WriteAll(ctx, "junk", []byte("not parquet"), nil); err != nil {
		t.Fatal(err)
	}
	good := mgBatch(mem, sc, mgRow{review: "a", line: 1})
	defer good.Release()
	if _, err := s.MergeParquet(ctx, "junk", "review_id", nil, good, ParquetOptions{Alloc: mem}); err == nil || !strings.Contains(err.Error(), "merge junk: existing object") {
		t.Errorf("junk: %v", err)
	}
	if string(mgObject(t, s, mgKey)) != string(before) {
		t.Error("object changed after failed merges")
	}
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

// Cancelling at any point of a merge leaves the old object (or no object) in place.
func TestMergeParquetCancel(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer checked.AssertSize(t, 0)
			s := New(be.open(t))
			sc := mgSchema()
			mgMerge(t, s, checked, mgKey, nil, sc,
				mgRow{review: "a", response: "pa", body: "A", line: 1},
				mgRow{review: "b", response: "pb", body: "B", line: 2})
			old := mgObject(t, s, mgKey)

			// Already cancelled.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			rec := mgBatch(checked, sc, mgRow{review: "c", response: "pc", line: 3})
			defer rec.Release()
			if _, err := s.MergeParquet(ctx, mgKey, "review_id", []string{"a"}, rec, ParquetOptions{Alloc: checked}); !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v", err)
			}
			if string(mgObject(t, s, mgKey)) != string(old) {
				t.Fatal("object changed")
			}

			// Cancelled on the n-th allocation, for every n until the merge gets through.
			newKey := "parquet/other/data.parquet"
			done := map[string]int64{}
			for n := int64(1); n < 10000 && len(done) < 2; n++ {
				for _, key := range []string{mgKey, newKey} {
					if done[key] != 0 {
						continue
					}
					ctx, cancel := context.WithCancel(context.Background())
					ca := &cancelAlloc{Allocator: checked, n: n, cancel: cancel}
					info, err := s.MergeParquet(ctx, key, "review_id", []string{"a"}, rec, ParquetOptions{Alloc: ca})
					cancelled := ctx.Err() != nil
					cancel()
					if err != nil {
						if !errors.Is(err, context.Canceled) {
							t.Fatalf("n=%d %s: err = %v", n, key, err)
						}
						if key == mgKey && string(mgObject(t, s, mgKey)) != string(old) {
							t.Fatalf("n=%d: object changed by a cancelled merge", n)
						}
						if ok, _ := s.Exists(context.Background(), newKey); key == newKey && ok {
							t.Fatalf("n=%d: object created by a cancelled merge", n)
						}
						continue
					}
					if cancelled {
						t.Fatalf("n=%d %s: succeeded (%+v) although cancelled", n, key, info)
					}
					done[key] = n
				}
			}
			if len(done) < 2 {
				t.Fatal("merge never completed")
			}
			t.Logf("merges went through at allocation %d (existing) and %d (new)", done[mgKey], done[newKey])
			mgCheckRows(t, mgRows(t, s, mgKey, checked),
				"review_id=b response_id=pb response_body=B _source_line=2",
				"review_id=c response_id=pc response_body=∅ _source_line=3")
		})
	}
}
