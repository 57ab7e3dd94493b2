package transform

import (
	"sort"
	"time"

	"github.com/ascetl/etl/schemas"
)

// SCDResult counts what MergeSCD did.
type SCDResult struct {
	Opened, Closed, Unchanged int
}

// Changed reports whether the merge changed any row.
func (r SCDResult) Changed() bool { return r.Opened+r.Closed > 0 }

// MergeSCD merges today's snapshot of a dimension into its stored rows (slowly changing
// dimension, type 2). The table's first column is the entity id; valid_from, valid_to and
// is_current are the history columns; every other column is an attribute.
//
//   - An entity whose current row has the same attributes keeps that row untouched
//     (lineage included), so a re-run with the same catalog changes nothing.
//   - An entity whose attributes changed gets its current row closed (valid_to = day,
//     is_current false) and a new row valid from day. If the current row was itself opened
//     on day (a second run the same day), it is replaced instead: no empty intervals.
//   - A new entity, or one that reappears, gets a new row valid from day.
//   - A current row whose entity is not in the snapshot is closed the same way when
//     closeAbsent returns true for it (it belongs to a list that was read completely);
//     otherwise it stays current (an older build beyond the window read).
//   - Closed rows are history and are never changed.
//
// Snapshot rows need not carry the history columns (they are set here); an id that appears
// twice in the snapshot keeps its first occurrence. The result is sorted by id, valid_from.
func MergeSCD(t *schemas.Table, stored, snapshot []CatalogRow, day time.Time, closeAbsent func(CatalogRow) bool) ([]CatalogRow, SCDResult) {
	m := newSCDMerge(t, day)
	var res SCDResult
	snap := map[string]CatalogRow{}
	var order []string
	for _, r := range snapshot {
		if _, dup := snap[m.id(r)]; !dup {
			snap[m.id(r)] = r
			order = append(order, m.id(r))
		}
	}
	out := make([]CatalogRow, 0, len(stored)+len(snapshot))
	seen := map[string]bool{}
	for _, r := range stored {
		if !m.isCurrent(r) {
			out = append(out, r)
			continue
		}
		k := m.id(r)
		s, inSnap := snap[k]
		switch {
		case inSnap && !seen[k] && m.same(r, s):
			res.Unchanged++
			out = append(out, r)
			seen[k] = true
		case inSnap && !seen[k], !inSnap && closeAbsent != nil && closeAbsent(r):
			if !m.openedToday(r) {
				out = append(out, m.closeRow(r))
			}
			res.Closed++
		default:
			out = append(out, r)
		}
	}
	for _, k := range order {
		if !seen[k] {
			out = append(out, m.open(snap[k]))
			res.Opened++
		}
	}
	m.sort(out)
	return out, res
}

// scdMerge is one MergeSCD call: the history columns' positions, the attribute columns
// and the day.
type scdMerge struct {
	from, to, cur int
	attrs         []int
	day           time.Time
}

func newSCDMerge(t *schemas.Table, day time.Time) *scdMerge {
	m := &scdMerge{
		from: colIndex(t, schemas.ValidFrom), to: colIndex(t, schemas.ValidTo), cur: colIndex(t, schemas.IsCurrent),
		day: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC),
	}
	for i := range t.Columns {
		if i != m.from && i != m.to && i != m.cur {
			m.attrs = append(m.attrs, i)
		}
	}
	return m
}

// same reports whether a and b have the same attributes.
func (m *scdMerge) same(a, b CatalogRow) bool {
	for _, i := range m.attrs {
		if !sameValue(a.Vals[i], b.Vals[i]) {
			return false
		}
	}
	return true
}

func (m *scdMerge) id(r CatalogRow) string      { s, _ := r.Vals[0].(string); return s }
func (m *scdMerge) isCurrent(r CatalogRow) bool { return r.Vals[m.to] == nil }

func (m *scdMerge) openedToday(r CatalogRow) bool {
	f, ok := r.Vals[m.from].(time.Time)
	return ok && f.Equal(m.day)
}

// closeRow is a copy of r closed on the day.
func (m *scdMerge) closeRow(r CatalogRow) CatalogRow {
	r.Vals = append([]any(nil), r.Vals...)
	r.Vals[m.to], r.Vals[m.cur] = m.day, false
	return r
}

// open is a copy of r, current from the day.
func (m *scdMerge) open(r CatalogRow) CatalogRow {
	r.Vals = append([]any(nil), r.Vals...)
	r.Vals[m.from], r.Vals[m.to], r.Vals[m.cur] = m.day, nil, true
	return r
}

// sort orders rows by id, then valid_from.
func (m *scdMerge) sort(rows []CatalogRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		if a, b := m.id(rows[i]), m.id(rows[j]); a != b {
			return a < b
		}
		fi, _ := rows[i].Vals[m.from].(time.Time)
		fj, _ := rows[j].Vals[m.from].(time.Time)
		return fi.Before(fj)
	})
}

// MergeByKey merges fresh rows into stored ones by a key column: a stored row whose key
// is among the fresh rows is replaced — unless its values are identical, in which case the
// stored row (and its lineage) is kept, so re-reading the same data changes nothing.
// Fresh rows with a repeated key keep the last occurrence. The result is sorted by key.
func MergeByKey(t *schemas.Table, stored, fresh []CatalogRow, keyCol string) []CatalogRow {
	k := colIndex(t, keyCol)
	key := func(r CatalogRow) string { s, _ := r.Vals[k].(string); return s }
	byKey := map[string]CatalogRow{}
	for _, r := range stored {
		byKey[key(r)] = r
	}
	for _, r := range fresh {
		if old, ok := byKey[key(r)]; ok && sameValues(old.Vals, r.Vals) {
			continue
		}
		byKey[key(r)] = r
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]CatalogRow, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

func sameValues(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}
