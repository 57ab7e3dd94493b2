package load

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/schemas"
)

// A MergeByKey partition through its life, on every backend: sorted whatever the input
// order, merged by key, keys spoken for without rows deleted, a re-run not rewritten, and
// an emptied partition still a valid file.
func TestLoadMergeByKeyLifecycle(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			s, mem := testStore(t, be)
			tb := mergeTable()
			key := ParquetKey(tb.Name, "p=1")

			res := mustLoad(t, s, mem, tb, "p=1", Input{},
				mrow("c", "C", 3, "s1"), mrow("a", "A", 1, "s1"), mrow("b", "", 2, "s1"))
			if obj := object(t, s, key); res.Unchanged || res.Rows != 3 || res.Bytes != int64(len(obj)) || res.Key != key {
				t.Errorf("result %+v (object %d bytes)", res, len(obj))
			}
			checkLines(t, "new", dump(t, s, key, mem), "a A 1 s1", "b ∅ 2 s1", "c C 3 s1")

			res = mustLoad(t, s, mem, tb, "p=1", Input{}, mrow("d", "D", 4, "s2"), mrow("b", "B2", 5, "s2"))
			if res.Unchanged || res.Rows != 4 {
				t.Errorf("result %+v", res)
			}
			checkLines(t, "merged", dump(t, s, key, mem), "a A 1 s1", "b B2 5 s2", "c C 3 s1", "d D 4 s2")

			// Keys without rows delete (a response deleted upstream); unknown keys are harmless.
			res = mustLoad(t, s, mem, tb, "p=1", Input{Keys: []string{"c", "zz", "a"}}, mrow("a", "A", 1, "s1"))
			if res.Rows != 3 {
				t.Errorf("result %+v", res)
			}
			checkLines(t, "keys", dump(t, s, key, mem), "a A 1 s1", "b B2 5 s2", "d D 4 s2")

			before, at := object(t, s, key), modTime(t, s, key)
			time.Sleep(5 * time.Millisecond)
			res = mustLoad(t, s, mem, tb, "p=1", Input{Keys: []string{"c", "zz", "a"}}, mrow("a", "A", 1, "s1"))
			if !res.Unchanged || res.Rows != 3 || res.Bytes != int64(len(before)) || string(object(t, s, key)) != string(before) {
				t.Errorf("second run: %+v", res)
			}
			if got := modTime(t, s, key); !got.Equal(at) {
				t.Errorf("object rewritten: mod time %v → %v", at, got)
			}

			res = mustLoad(t, s, mem, tb, "p=1", Input{Keys: []string{"a", "b", "d"}})
			if res.Rows != 0 || res.Unchanged {
				t.Errorf("emptied: %+v", res)
			}
			checkLines(t, "emptied", dump(t, s, key, mem))
		})
	}
}

// The bytes depend on the set of rows only: not on the order they arrived in, nor on how
// they were split between the stored object and the input, nor on the stored object's
// row groups.
func TestLoadOrderIndependent(t *testing.T) {
	s, mem := testStore(t, backends[0])
	tb := mergeTable()
	var rows []row
	for i := 0; i < 300; i++ {
		// Keys with several rows of different values exercise the tiebreak columns.
		rows = append(rows, mrow(fmt.Sprintf("r%03d", i%120), strings.Repeat("x", i%7), int64(i%5), fmt.Sprintf("s%d", i%3)))
	}
	reversed := slices.Clone(rows)
	slices.Reverse(reversed)
	shuffled := make([]row, 0, len(rows))
	for i := range rows {
		shuffled = append(shuffled, rows[(i*7919)%len(rows)])
	}
	load := func(part string, opt ParquetOptions, rs []row) Result {
		t.Helper()
		opt.Alloc = mem
		r := rec(t, mem, tb.ArrowSchema(nil), rs...)
		defer r.Release()
		res, err := s.Load(context.Background(), tb, part, Input{Records: []arrow.RecordBatch{r}}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	obj := func(part string) string { return string(object(t, s, ParquetKey(tb.Name, part))) }
	load("p=1", ParquetOptions{}, rows)
	load("p=2", ParquetOptions{}, reversed)
	load("p=3", ParquetOptions{}, shuffled)
	for _, p := range []string{"p=2", "p=3"} {
		if obj(p) != obj("p=1") {
			t.Errorf("%s differs from p=1", p)
		}
	}

	var first, second []row
	for _, r := range shuffled {
		if r[0].(string) < "r060" {
			first = append(first, r)
		} else {
			second = append(second, r)
		}
	}
	load("p=4", ParquetOptions{}, second)
	load("p=4", ParquetOptions{}, first)
	if obj("p=4") != obj("p=1") {
		t.Error("p=4, loaded in two halves, differs from p=1")
	}
	if res := load("p=4", ParquetOptions{}, reversed); !res.Unchanged {
		t.Errorf("loading the whole set again changed p=4: %+v", res)
	}

	small := ParquetOptions{RowGroupRows: 7} // the stored object reads back in many chunks
	load("p=6", small, rows)
	load("p=7", small, first)
	load("p=7", small, second)
	if obj("p=6") != obj("p=7") {
		t.Error("p=7 differs from p=6")
	}
	if res := load("p=7", small, shuffled); !res.Unchanged || res.Rows != int64(len(rows)) {
		t.Errorf("loading the whole set again changed p=7: %+v", res)
	}

	// The object is exactly what WriteParquet gives the sorted rows.
	sorted := slices.Clone(rows)
	sortRows(tb.ArrowSchema(nil), 0, sorted)
	r := rec(t, mem, tb.ArrowSchema(nil), sorted...)
	defer r.Release()
	if _, err := s.WriteParquet(context.Background(), "k5", newSliceReader(r.Schema(), r), ParquetOptions{Alloc: mem}); err != nil {
		t.Fatal(err)
	}
	if string(object(t, s, "k5")) != obj("p=1") {
		t.Error("WriteParquet of the sorted rows differs from Load's object")
	}
}

// Schemas are unioned by column name: the input's columns in its order, then the columns
// only the stored object has; a type conflict is an error that leaves the object alone.
func TestLoadSchemaUnion(t *testing.T) {
	s, mem := testStore(t, backends[0])
	tb := mergeTable()
	key := ParquetKey(tb.Name, "p=1")
	str := func(n string) arrow.Field {
		return arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	i64 := func(n string) arrow.Field {
		return arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64, Nullable: true}
	}
	line := arrow.Field{Name: schemas.LineageSourceLine, Type: arrow.PrimitiveTypes.Int64}
	load := func(sc *arrow.Schema, rows ...row) error {
		r := rec(t, mem, sc, rows...)
		defer r.Release()
		_, err := s.Load(context.Background(), tb, "p=1", Input{Records: []arrow.RecordBatch{r}}, ParquetOptions{Alloc: mem})
		return err
	}

	oldSc := arrow.NewSchema([]arrow.Field{str("id"), i64("old_count"), str("v"), line}, nil)
	if err := load(oldSc, row{"a", int64(7), "A", int64(1)}, row{"b", int64(8), "B", int64(2)}); err != nil {
		t.Fatal(err)
	}
	newSc := arrow.NewSchema([]arrow.Field{str("id"), str("v"), str("new_note"), line}, nil)
	if err := load(newSc, row{"b", "B2", "note", int64(3)}); err != nil {
		t.Fatal(err)
	}
	want := arrow.NewSchema([]arrow.Field{str("id"), str("v"), str("new_note"), line, i64("old_count")}, nil)
	schema, rows := storedRows(t, s, key, mem)
	if !schema.Equal(want) {
		t.Errorf("schema\n%s\nwant\n%s", schema, want)
	}
	got := fmt.Sprint(rows)
	if wantRows := "[[a A <nil> 1 7] [b B2 note 3 <nil>]]"; got != wantRows {
		t.Errorf("rows %s, want %s", got, wantRows)
	}

	before := object(t, s, key)
	bad := arrow.NewSchema([]arrow.Field{str("id"), str("old_count")}, nil)
	err := load(bad, row{"c", "x"})
	if err == nil || !strings.Contains(err.Error(), "column old_count: type utf8 conflicts with int64") || !strings.Contains(err.Error(), key) {
		t.Errorf("type conflict: err = %v", err)
	}
	if string(object(t, s, key)) != string(before) {
		t.Error("object changed by a failed load")
	}
}

// Bad input is an error naming the object and what is wrong, and changes nothing.
func TestLoadBadInput(t *testing.T) {
	s, mem := testStore(t, backends[0])
	ctx := context.Background()
	tb := mergeTable()
	key := ParquetKey(tb.Name, "p=1")
	mustLoad(t, s, mem, tb, "p=1", Input{}, mrow("a", "A", 1, "s1"))
	before := object(t, s, key)
	if err := s.Bucket().WriteAll(ctx, ParquetKey(tb.Name, "junk"), []byte("not parquet"), nil); err != nil {
		t.Fatal(err)
	}
	intKey := mergeTable()
	intKey.Key = "n"
	noKey := mergeTable()
	noKey.Key = "nope"
	scdNoDay := scdTable()
	unknown := mergeTable()
	unknown.Mode = schemas.LoadMode(9)
	for _, c := range []struct {
		name string
		tb   *schemas.Table
		part string
		in   Input
		rows []row
		want string
	}{
		{"null key", tb, "p=1", Input{}, []row{mrow("", "x", 1, "s")}, key + ": input row 0: key is null"},
		{"null key after good rows", tb, "p=1", Input{}, []row{mrow("b", "x", 1, "s"), mrow("", "x", 1, "s")}, "input row 1: key is null"},
		{"key not a string", intKey, "p=1", Input{}, []row{mrow("b", "x", 1, "s")}, "input row 0: key is int64, not a string"},
		{"no key column", noKey, "p=1", Input{}, []row{mrow("b", "x", 1, "s")}, `table t_merge: no key column "nope"`},
		{"corrupt existing object", tb, "junk", Input{}, []row{mrow("b", "x", 1, "s")}, "load " + ParquetKey(tb.Name, "junk") + ": existing object: "},
		{"no snapshot day", scdNoDay, "p=1", Input{}, []row{srow("a", "1", "n", "s")}, "slowly-changing input without a snapshot day"},
		{"no history columns", &schemas.Table{Name: "t_dim", Mode: schemas.SlowlyChanging, Columns: mergeTable().Columns}, "p=2", Input{Day: day(1)}, []row{mrow("b", "x", 1, "s")}, "slowly-changing table has no column valid_from"},
		{"unknown mode", unknown, "p=1", Input{}, []row{mrow("b", "x", 1, "s")}, "unknown load mode LoadMode(9)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadRows(t, s, mem, c.tb, c.part, c.in, c.rows...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
	if string(object(t, s, key)) != string(before) {
		t.Error("object changed by failed loads")
	}
	if ok, _ := s.Exists(ctx, ParquetKey("t_dim", "p=1")); ok {
		t.Error("a failed load created an object")
	}
}

// Cancelling at any point of a merge leaves the stored object as it was, or absent.
func TestLoadCancel(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			s, checked := testStore(t, be)
			tb := mergeTable()
			key, newKey := ParquetKey(tb.Name, "p=1"), ParquetKey(tb.Name, "p=2")
			mustLoad(t, s, checked, tb, "p=1", Input{}, mrow("a", "A", 1, "s1"), mrow("b", "B", 2, "s1"))
			old := object(t, s, key)
			r := rec(t, checked, tb.ArrowSchema(nil), mrow("c", "C", 3, "s2"))
			defer r.Release()
			in := Input{Records: []arrow.RecordBatch{r}, Keys: []string{"a"}}

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := s.Load(ctx, tb, "p=1", in, ParquetOptions{Alloc: checked}); !errors.Is(err, context.Canceled) {
				t.Fatalf("already cancelled: err = %v", err)
			}

			done := map[string]int64{}
			for n := int64(1); n < 10000 && len(done) < 2; n++ {
				for part, k := range map[string]string{"p=1": key, "p=2": newKey} {
					if done[k] != 0 {
						continue
					}
					ctx, cancel := context.WithCancel(context.Background())
					ca := &cancelAlloc{Allocator: checked, n: n, cancel: cancel}
					res, err := s.Load(ctx, tb, part, in, ParquetOptions{Alloc: ca})
					cancelled := ctx.Err() != nil
					cancel()
					switch {
					case err != nil && !errors.Is(err, context.Canceled):
						t.Fatalf("n=%d %s: err = %v", n, k, err)
					case err != nil && k == key && string(object(t, s, key)) != string(old):
						t.Fatalf("n=%d: object changed by a cancelled load", n)
					case err != nil && k == newKey:
						if ok, _ := s.Exists(context.Background(), newKey); ok {
							t.Fatalf("n=%d: object created by a cancelled load", n)
						}
					case err == nil && cancelled:
						t.Fatalf("n=%d %s: succeeded (%+v) although cancelled", n, k, res)
					case err == nil:
						done[k] = n
					}
				}
			}
			if len(done) < 2 {
				t.Fatal("load never completed")
			}
			t.Logf("loads went through at allocation %d (existing) and %d (new)", done[key], done[newKey])
			checkLines(t, "after", dump(t, s, key, checked), "b B 2 s1", "c C 3 s2")
		})
	}
}

// A Replace partition is the input; equal bytes are not rewritten. A stream loads only a
// Replace table, and alone.
func TestLoadReplace(t *testing.T) {
	s, mem := testStore(t, backends[0])
	ctx := context.Background()
	tb := replaceTable()
	key := ParquetKey(tb.Name, "p=1")
	sc := tb.ArrowSchema(nil)
	r1 := rec(t, mem, sc, row{"b", int64(2), "s1", int64(1), nil, nil}, row{"a", nil, "s1", int64(2), nil, nil})
	defer r1.Release()
	r2 := rec(t, mem, sc, row{"c", int64(3), "s1", int64(3), nil, nil})
	defer r2.Release()
	load := func(in Input) Result {
		t.Helper()
		res, err := s.Load(ctx, tb, "p=1", in, ParquetOptions{Alloc: mem})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	if res := load(Input{Records: []arrow.RecordBatch{r1, r2}}); res.Unchanged || res.Rows != 3 {
		t.Errorf("first: %+v", res)
	}
	// Replace keeps the input's order (the partition is the unit's file).
	checkLines(t, "first", dump(t, s, key, mem), "b 2 s1", "a ∅ s1", "c 3 s1")
	at := modTime(t, s, key)
	time.Sleep(5 * time.Millisecond)
	if res := load(Input{Records: []arrow.RecordBatch{r1, r2}}); !res.Unchanged || res.Rows != 3 || res.Bytes != int64(len(object(t, s, key))) {
		t.Errorf("same records: %+v", res)
	}
	if !modTime(t, s, key).Equal(at) {
		t.Error("unchanged bytes rewritten")
	}
	if res := load(Input{Records: []arrow.RecordBatch{r2}}); res.Unchanged || res.Rows != 1 {
		t.Errorf("other records: %+v", res)
	}
	checkLines(t, "replaced", dump(t, s, key, mem), "c 3 s1")
	if res := load(Input{}); res.Unchanged || res.Rows != 0 {
		t.Errorf("no records: %+v", res)
	}
	if schema, _ := storedRows(t, s, key, mem); !schema.Equal(sc) {
		t.Errorf("empty partition schema %s, want the table's %s", schema, sc)
	}

	// Streams.
	res, err := s.Load(ctx, tb, "p=2", Input{Stream: newSliceReader(sc, r1, r2)}, ParquetOptions{Alloc: mem})
	if err != nil || res.Rows != 3 || res.Key != ParquetKey(tb.Name, "p=2") {
		t.Errorf("stream: %+v, %v", res, err)
	}
	for _, c := range []struct {
		name string
		tb   *schemas.Table
		in   Input
	}{
		{"merge-by-key", mergeTable(), Input{Stream: newSliceReader(sc, r1)}},
		{"slowly-changing", scdTable(), Input{Stream: newSliceReader(sc, r1), Day: day(1)}},
		{"with records", tb, Input{Stream: newSliceReader(sc, r1), Records: []arrow.RecordBatch{r2}}},
	} {
		_, err := s.Load(ctx, c.tb, "p=3", c.in, ParquetOptions{Alloc: mem})
		if err == nil || !strings.Contains(err.Error(), "a stream loads only a replace table, and alone") {
			t.Errorf("stream %s: err = %v", c.name, err)
		}
		if ok, _ := s.Exists(ctx, ParquetKey(c.tb.Name, "p=3")); ok {
			t.Errorf("stream %s: object written", c.name)
		}
	}
	// A failing stream leaves the stored object as it was.
	before := object(t, s, ParquetKey(tb.Name, "p=2"))
	bad := newSliceReader(sc, r2, r1)
	bad.failAfter = 1
	if _, err := s.Load(ctx, tb, "p=2", Input{Stream: bad}, ParquetOptions{Alloc: mem}); !errors.Is(err, errBoom) {
		t.Errorf("failing stream: err = %v", err)
	}
	if string(object(t, s, ParquetKey(tb.Name, "p=2"))) != string(before) {
		t.Error("a failing stream changed the object")
	}
}
