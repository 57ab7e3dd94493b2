package load

import (
	"fmt"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/schemas"
)

// dataColumns are the indices of schema's columns that are not lineage, in order.
func dataColumns(schema *arrow.Schema, skip ...int) []int {
	var out []int
	for i, f := range schema.Fields() {
		if !schemas.IsLineage(f.Name) && !slices.Contains(skip, i) {
			out = append(out, i)
		}
	}
	return out
}

// sortRows sorts rows by the key column, then by every other column in order: a total
// order, so the result depends on the set of rows only.
func sortRows(schema *arrow.Schema, keyIdx int, rows []row) {
	order := []int{keyIdx}
	for i := range schema.Fields() {
		if i != keyIdx {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(rows, compareRows(order))
}

// groupByKey groups rows by their string key; a null key is an error for fresh rows.
func groupByKey(rows []row, keyIdx int, what string) (map[string][]row, []string, error) {
	g := map[string][]row{}
	var order []string
	for i, r := range rows {
		k, ok := r[keyIdx].(string)
		if !ok {
			if r[keyIdx] == nil {
				return nil, nil, fmt.Errorf("%s row %d: key is null", what, i)
			}
			return nil, nil, fmt.Errorf("%s row %d: key is %T, not a string", what, i, r[keyIdx])
		}
		if _, seen := g[k]; !seen {
			order = append(order, k)
		}
		g[k] = append(g[k], r)
	}
	return g, order, nil
}

// sameData reports whether two groups of rows hold the same data (lineage aside), as
// multisets.
func sameData(a, b []row, data []int) bool {
	if len(a) != len(b) {
		return false
	}
	cmp := compareRows(data)
	x, y := slices.Clone(a), slices.Clone(b)
	slices.SortFunc(x, cmp)
	slices.SortFunc(y, cmp)
	for i := range x {
		if cmp(x[i], y[i]) != 0 {
			return false
		}
	}
	return true
}

// mergeByKey is the MergeByKey mode: for every key of fresh or keys, the stored rows of
// that key give way to the fresh ones, unless both hold the same data (then the stored
// rows stay, lineage included); stored rows of other keys, and stored rows with a null
// key, stay.
func mergeByKey(schema *arrow.Schema, keyIdx int, stored, fresh []row, keys []string) ([]row, error) {
	byKey, _, err := groupByKey(fresh, keyIdx, "input")
	if err != nil {
		return nil, err
	}
	speaks := make(map[string]bool, len(keys)+len(byKey))
	for _, k := range keys {
		speaks[k] = true
	}
	for k := range byKey {
		speaks[k] = true
	}
	data := dataColumns(schema)
	old := map[string][]row{}
	out := make([]row, 0, len(stored)+len(fresh))
	for _, r := range stored {
		k, ok := r[keyIdx].(string)
		if !ok || !speaks[k] {
			out = append(out, r)
			continue
		}
		old[k] = append(old[k], r)
	}
	for k, rows := range byKey {
		if prev, ok := old[k]; ok && sameData(prev, rows, data) {
			out = append(out, prev...)
			continue
		}
		out = append(out, rows...)
	}
	sortRows(schema, keyIdx, out)
	return out, nil
}

// mergeSCD is the SlowlyChanging mode (type-2 history). The key column is the entity id;
// valid_from, valid_to and is_current are the history columns; every other non-lineage
// column is an attribute.
//
//   - An entity whose current row has the same attributes keeps that row untouched
//     (lineage included), so a re-run with the same catalog changes nothing.
//   - An entity whose attributes changed gets its current row closed (valid_to = day,
//     is_current false) and a new row valid from day. If the current row was itself
//     opened on day (a second snapshot the same day), it is replaced instead: no empty
//     intervals.
//   - A new entity, or one that reappears, gets a new row valid from day.
//   - A current row whose entity is not in the snapshot is closed the same way when scope
//     covers it (it belongs to a list that was read completely); otherwise it stays
//     current (an older build beyond the window read).
//   - Closed rows are history and never change.
//
// Snapshot rows need not carry the history columns (they are set here); an id that
// appears twice in the snapshot keeps its first occurrence.
func mergeSCD(schema *arrow.Schema, keyIdx int, stored, snapshot []row, scope *Scope, day time.Time) ([]row, error) {
	idx := func(name string) (int, error) {
		is := schema.FieldIndices(name)
		if len(is) != 1 {
			return -1, fmt.Errorf("slowly-changing table has no column %s", name)
		}
		return is[0], nil
	}
	from, err := idx(schemas.ValidFrom)
	if err != nil {
		return nil, err
	}
	to, err := idx(schemas.ValidTo)
	if err != nil {
		return nil, err
	}
	cur, err := idx(schemas.IsCurrent)
	if err != nil {
		return nil, err
	}
	if day.IsZero() {
		return nil, fmt.Errorf("slowly-changing input without a snapshot day")
	}
	d := arrow.Date32FromTime(time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC))
	attrs := dataColumns(schema, keyIdx, from, to, cur)
	same := func(a, b row) bool { return compareRows(attrs)(a, b) == 0 }
	closeRow := func(r row) row {
		r = slices.Clone(r)
		r[to], r[cur] = d, false
		return r
	}
	open := func(r row) row {
		r = slices.Clone(r)
		r[from], r[to], r[cur] = d, nil, true
		return r
	}
	openedToday := func(r row) bool { f, ok := r[from].(arrow.Date32); return ok && f == d }

	snap, order, err := groupByKey(snapshot, keyIdx, "snapshot")
	if err != nil {
		return nil, err
	}
	out := make([]row, 0, len(stored)+len(snapshot))
	seen := map[string]bool{}
	for _, r := range stored {
		if r[to] != nil { // history
			out = append(out, r)
			continue
		}
		k, _ := r[keyIdx].(string)
		s, inSnap := snap[k]
		switch {
		case inSnap && !seen[k] && same(r, s[0]):
			out = append(out, r)
			seen[k] = true
		case inSnap && !seen[k], !inSnap && scope.has(schema, r):
			if !openedToday(r) {
				out = append(out, closeRow(r))
			}
		default:
			out = append(out, r)
		}
	}
	for _, k := range order {
		if !seen[k] {
			out = append(out, open(snap[k][0]))
		}
	}
	sortRows(schema, keyIdx, out)
	return out, nil
}
