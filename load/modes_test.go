package load

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/schemas"
)

// step is one Load of a mode test.
type step struct {
	in   Input
	rows []row
}

// checkSteps loads the stored steps into an empty partition of tb, then last, and checks
// the partition's rows (dump) and whether the last load was Unchanged.
func checkSteps(t *testing.T, tb *schemas.Table, stored []step, last step, want []string, unchanged bool) {
	t.Helper()
	s, mem := testStore(t, backends[0])
	for _, st := range stored {
		mustLoad(t, s, mem, tb, "p=1", st.in, st.rows...)
	}
	res := mustLoad(t, s, mem, tb, "p=1", last.in, last.rows...)
	checkLines(t, "rows", dump(t, s, res.Key, mem), want...)
	if res.Unchanged != unchanged || res.Rows != int64(len(want)) {
		t.Errorf("result %+v, want unchanged %v and %d rows", res, unchanged, len(want))
	}
}

func TestMergeByKey(t *testing.T) {
	for _, c := range []struct {
		name      string
		stored    []step // loaded first
		load      step
		want      []string // id v n _source_key
		unchanged bool
	}{
		{name: "new object",
			load: step{rows: []row{mrow("b", "y", 2, "s2"), mrow("a", "x", 1, "s2")}},
			want: []string{"a x 1 s2", "b y 2 s2"}},
		{name: "identical data keeps the stored rows with their lineage",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1")}}},
			load:   step{rows: []row{mrow("a", "x", 1, "s2")}},
			want:   []string{"a x 1 s1"}, unchanged: true},
		{name: "changed data replaces the key's rows",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1"), mrow("a", "y", 1, "s1")}}},
			load:   step{rows: []row{mrow("a", "z", 1, "s2")}},
			want:   []string{"a z 1 s2"}},
		{name: "a null value is data",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1")}}},
			load:   step{rows: []row{mrow("a", "", 1, "s2")}},
			want:   []string{"a ∅ 1 s2"}},
		{name: "other keys untouched",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1"), mrow("b", "y", 2, "s1")}}},
			load:   step{rows: []row{mrow("b", "z", 2, "s2")}},
			want:   []string{"a x 1 s1", "b z 2 s2"}},
		{name: "keys drop stored rows the input has none for",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1"), mrow("b", "y", 2, "s1"), mrow("c", "z", 3, "s1")}}},
			load:   step{in: Input{Keys: []string{"b", "zz"}}, rows: []row{mrow("a", "x", 1, "s2")}},
			want:   []string{"a x 1 s1", "c z 3 s1"}},
		{name: "keys only, nothing stored for them",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1")}}},
			load:   step{in: Input{Keys: []string{"zz"}}},
			want:   []string{"a x 1 s1"}, unchanged: true},
		{name: "multi-row keys compare as multisets",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1"), mrow("a", "y", 2, "s1"), mrow("a", "x", 1, "s1")}}},
			load:   step{rows: []row{mrow("a", "y", 2, "s2"), mrow("a", "x", 1, "s2"), mrow("a", "x", 1, "s2")}},
			want:   []string{"a x 1 s1", "a x 1 s1", "a y 2 s1"}, unchanged: true},
		{name: "a multiset with another count differs",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1"), mrow("a", "x", 1, "s1")}}},
			load:   step{rows: []row{mrow("a", "x", 1, "s2")}},
			want:   []string{"a x 1 s2"}},
		{name: "the same rows in other proportions differ",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1"), mrow("a", "x", 1, "s1"), mrow("a", "y", 1, "s1")}}},
			load:   step{rows: []row{mrow("a", "x", 1, "s2"), mrow("a", "y", 1, "s2"), mrow("a", "y", 1, "s2")}},
			want:   []string{"a x 1 s2", "a y 1 s2", "a y 1 s2"}},
		{name: "rows of several loads, then a re-run of the first",
			stored: []step{{rows: []row{mrow("a", "x", 1, "s1")}}, {rows: []row{mrow("b", "y", 1, "s2")}}},
			load:   step{rows: []row{mrow("a", "x", 1, "s3")}},
			want:   []string{"a x 1 s1", "b y 1 s2"}, unchanged: true},
	} {
		t.Run(c.name, func(t *testing.T) { checkSteps(t, mergeTable(), c.stored, c.load, c.want, c.unchanged) })
	}
}

// Stored rows with a null key (written by something else than Load) are kept.
func TestMergeByKeyKeepsNullStoredKeys(t *testing.T) {
	s, mem := testStore(t, backends[0])
	tb := mergeTable()
	key := ParquetKey(tb.Name, "p=1")
	r := rec(t, mem, tb.ArrowSchema(nil), mrow("", "x", 1, "s0"), mrow("a", "y", 1, "s0"))
	defer r.Release()
	if _, err := s.WriteParquet(context.Background(), key, newSliceReader(r.Schema(), r), ParquetOptions{Alloc: mem}); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, s, mem, tb, "p=1", Input{Keys: []string{"a"}})
	checkLines(t, "null key", dump(t, s, key, mem), "∅ x 1 s0")
}

func TestSlowlyChanging(t *testing.T) {
	all := &Scope{All: true}
	app1 := &Scope{Column: "app_id", Values: []string{"1"}}
	snap := func(d int, scope *Scope, rows ...row) step {
		return step{in: Input{Day: day(d), Scope: scope}, rows: rows}
	}
	for _, c := range []struct {
		name      string
		stored    []step
		load      step
		want      []string // id app_id name valid_from valid_to is_current _source_key
		unchanged bool
	}{
		{name: "first snapshot opens every entity",
			load: snap(1, nil, srow("b", "1", "B", "s1"), srow("a", "1", "A", "s1")),
			want: []string{"a 1 A 2026-04-01 ∅ true s1", "b 1 B 2026-04-01 ∅ true s1"}},
		{name: "an unchanged entity keeps its row",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1"))},
			load:   snap(2, all, srow("a", "1", "A", "s2")),
			want:   []string{"a 1 A 2026-04-01 ∅ true s1"}, unchanged: true},
		{name: "a changed entity is closed and opened",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1"))},
			load:   snap(3, nil, srow("a", "1", "A2", "s2")),
			want:   []string{"a 1 A 2026-04-01 2026-04-03 false s1", "a 1 A2 2026-04-03 ∅ true s2"}},
		{name: "a same-day change replaces the row opened today",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1")), snap(2, nil, srow("a", "1", "A2", "s2"))},
			load:   snap(2, nil, srow("a", "1", "A3", "s3")),
			want:   []string{"a 1 A 2026-04-01 2026-04-02 false s1", "a 1 A3 2026-04-02 ∅ true s3"}},
		{name: "a same-day change of a new entity leaves one row",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1"))},
			load:   snap(1, nil, srow("a", "1", "A2", "s2")),
			want:   []string{"a 1 A2 2026-04-01 ∅ true s2"}},
		{name: "absent entity stays current without a scope",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1"), srow("b", "2", "B", "s1"))},
			load:   snap(2, nil, srow("a", "1", "A", "s2")),
			want:   []string{"a 1 A 2026-04-01 ∅ true s1", "b 2 B 2026-04-01 ∅ true s1"}, unchanged: true},
		{name: "absent entity is closed when the scope is all",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1"), srow("b", "2", "B", "s1"))},
			load:   snap(2, all, srow("a", "1", "A", "s2")),
			want:   []string{"a 1 A 2026-04-01 ∅ true s1", "b 2 B 2026-04-01 2026-04-02 false s1"}},
		{name: "absent entity is closed only when the scope's values cover it",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1"), srow("b", "2", "B", "s1"))},
			load:   snap(2, app1),
			want:   []string{"a 1 A 2026-04-01 2026-04-02 false s1", "b 2 B 2026-04-01 ∅ true s1"}},
		{name: "a scope on a column the table lacks covers nothing",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1"))},
			load:   snap(2, &Scope{Column: "nope", Values: []string{"1"}}),
			want:   []string{"a 1 A 2026-04-01 ∅ true s1"}, unchanged: true},
		{name: "an entity absent the day it appeared leaves no row",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1")), snap(2, nil, srow("b", "1", "B", "s2"))},
			load:   snap(2, all, srow("a", "1", "A", "s3")),
			want:   []string{"a 1 A 2026-04-01 ∅ true s1"}},
		{name: "history rows never change",
			stored: []step{
				snap(1, nil, srow("a", "1", "A", "s1"), srow("b", "1", "B", "s1")),
				snap(2, all, srow("a", "1", "A2", "s2")),
			},
			load: snap(3, all, srow("a", "1", "A", "s3")),
			want: []string{
				"a 1 A 2026-04-01 2026-04-02 false s1",
				"a 1 A 2026-04-03 ∅ true s3",
				"a 1 A2 2026-04-02 2026-04-03 false s2",
				"b 1 B 2026-04-01 2026-04-02 false s1",
			}},
		{name: "an entity that reappears gets a new row",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1")), snap(2, all)},
			load:   snap(3, all, srow("a", "1", "A", "s3")),
			want:   []string{"a 1 A 2026-04-01 2026-04-02 false s1", "a 1 A 2026-04-03 ∅ true s3"}},
		{name: "duplicate snapshot ids keep the first",
			load: snap(1, nil, srow("a", "1", "first", "s1"), srow("a", "1", "second", "s1")),
			want: []string{"a 1 first 2026-04-01 ∅ true s1"}},
		{name: "a duplicate id does not count as a change",
			stored: []step{snap(1, nil, srow("a", "1", "A", "s1"))},
			load:   snap(2, nil, srow("a", "1", "A", "s2"), srow("a", "1", "other", "s2")),
			want:   []string{"a 1 A 2026-04-01 ∅ true s1"}, unchanged: true},
		{name: "the snapshot's history columns are ignored",
			load: snap(2, nil, row{"a", "1", "A", arrow.Date32FromTime(day(1)), arrow.Date32FromTime(day(1)), false, "s1", int64(1), nil, nil}),
			want: []string{"a 1 A 2026-04-02 ∅ true s1"}},
	} {
		t.Run(c.name, func(t *testing.T) { checkSteps(t, scdTable(), c.stored, c.load, c.want, c.unchanged) })
	}
}

// FuzzLoadMerge loads random small inputs into a MergeByKey and a SlowlyChanging table:
// no load panics or fails, every object is sorted, a SlowlyChanging entity has at most one
// current row, and loading the same input again is Unchanged.
func FuzzLoadMerge(f *testing.F) {
	f.Add([]byte{3, 0x01, 0x15, 0x22, 0x00, 0x05})
	f.Add([]byte{2, 0x10, 0x10, 0x03, 0x04, 4, 0x31, 0x05, 0x09, 0x0d, 0xff, 0x01})
	f.Add([]byte{5, 0x00, 0x01, 0x02, 0x03, 0x04, 0x0f, 0x02, 0, 0x00, 0x06, 1, 0x27, 0x08, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		b := memblob.OpenBucket(nil)
		defer b.Close()
		s := New(b)
		for _, tb := range []*schemas.Table{mergeTable(), scdTable()} {
			for i, st := range fuzzSteps(tb, data) {
				res, err := loadRows(t, s, mem, tb, "p=1", st.in, st.rows...)
				if err != nil {
					t.Fatalf("%s load %d: %v", tb.Name, i, err)
				}
				checkMergeObject(t, s, tb, res.Key, mem)
				again, err := loadRows(t, s, mem, tb, "p=1", st.in, st.rows...)
				if err != nil {
					t.Fatalf("%s load %d again: %v", tb.Name, i, err)
				}
				if !again.Unchanged {
					t.Fatalf("%s load %d: the same input again changed the object", tb.Name, i)
				}
			}
		}
	})
}

// fuzzSteps decodes up to 4 loads from data: a row count, then per row a byte (key, value,
// app, lineage), then a byte of keys (MergeByKey) or of day and scope (SlowlyChanging).
func fuzzSteps(tb *schemas.Table, data []byte) []step {
	var out []step
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		c := data[0]
		data = data[1:]
		return c
	}
	ids, vals := []string{"a", "b", "c", "d"}, []string{"", "x", "y", "z"}
	for len(data) > 0 && len(out) < 4 {
		var st step
		for n := int(next() % 6); n > 0; n-- {
			x := next()
			id, v, app, src := ids[x&3], vals[x>>2&3], string(rune('1'+x>>4&1)), "s"+string(rune('0'+x>>5&7))
			if tb.Mode == schemas.SlowlyChanging {
				st.rows = append(st.rows, srow(id, app, v, src))
			} else {
				st.rows = append(st.rows, mrow(id, v, int64(x>>4&1), src))
			}
		}
		k := next()
		if tb.Mode == schemas.SlowlyChanging {
			st.in.Day = day(1 + int(k&3))
			switch k >> 2 & 3 {
			case 1:
				st.in.Scope = &Scope{All: true}
			case 2:
				st.in.Scope = &Scope{Column: "app_id", Values: []string{"1"}}
			}
		} else {
			for i, id := range ids {
				if k>>i&1 == 1 {
					st.in.Keys = append(st.in.Keys, id)
				}
			}
		}
		out = append(out, st)
	}
	return out
}

// checkMergeObject checks that the object's rows are sorted by key, then by every other
// column, and for a SlowlyChanging table that no entity has two current rows or a current
// row with an end.
func checkMergeObject(t *testing.T, s *Store, tb *schemas.Table, key string, mem memory.Allocator) {
	t.Helper()
	schema, rows := storedRows(t, s, key, mem)
	order := []int{0}
	for i := 1; i < schema.NumFields(); i++ {
		order = append(order, i)
	}
	if !slices.IsSortedFunc(rows, compareRows(order)) {
		t.Fatalf("%s: rows not sorted: %v", tb.Name, rows)
	}
	if tb.Mode != schemas.SlowlyChanging {
		return
	}
	to, cur := schema.FieldIndices(schemas.ValidTo)[0], schema.FieldIndices(schemas.IsCurrent)[0]
	current := map[any]bool{}
	for _, r := range rows {
		if (r[to] == nil) != (r[cur] == true) {
			t.Fatalf("%s: row %v: valid_to and is_current disagree", tb.Name, r)
		}
		if r[to] == nil {
			if current[r[0]] {
				t.Fatalf("%s: entity %v has two current rows: %v", tb.Name, r[0], rows)
			}
			current[r[0]] = true
		}
	}
}
