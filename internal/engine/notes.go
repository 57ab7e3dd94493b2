package engine

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

// NoteCount is a notice of the run with the units that raised it.
type NoteCount struct {
	Note
	Units int      `json:"units"`
	First string   `json:"first_unit"`
	ids   []string // distinct units
}

// String is the notice's one line: `drift: sales_summary_daily: unknown column "Foo" kept
// as text (3 units)`.
func (n NoteCount) String() string {
	s := n.Kind + ": "
	if n.Table != "" {
		s += n.Table + ": "
	}
	s += n.Detail
	switch {
	case n.Units > 1:
		s += fmt.Sprintf(" (%d units)", n.Units)
	case n.First != "":
		s += " (" + n.First + ")"
	}
	return s
}

// notes deduplicates the run's notices by kind, table and subject.
type notes struct {
	mu sync.Mutex
	m  map[[3]string]*NoteCount
}

func (ns *notes) add(n Note) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.m == nil {
		ns.m = map[[3]string]*NoteCount{}
	}
	k := [3]string{n.Kind, n.Table, n.Subject}
	if n.Subject == "" {
		k[2] = n.Detail
	}
	c := ns.m[k]
	if c == nil {
		c = &NoteCount{Note: n, First: n.Unit}
		ns.m[k] = c
	}
	if n.Unit == "" || slices.Contains(c.ids, n.Unit) {
		return // a note about a scope (a Plan's) raised no unit
	}
	if c.First == "" {
		c.First = n.Unit
	}
	c.ids = append(c.ids, n.Unit)
	c.Units = len(c.ids)
}

// addCount adds a notice counted elsewhere (another account's pass), uniting the units.
func (ns *notes) addCount(n NoteCount) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.m == nil {
		ns.m = map[[3]string]*NoteCount{}
	}
	k := [3]string{n.Kind, n.Table, n.Subject}
	if n.Subject == "" {
		k[2] = n.Detail
	}
	c := ns.m[k]
	if c == nil {
		cp := n
		cp.ids = append([]string(nil), n.ids...)
		ns.m[k] = &cp
		return
	}
	for _, id := range n.ids {
		if !slices.Contains(c.ids, id) {
			c.ids = append(c.ids, id)
		}
	}
	c.Units = max(len(c.ids), c.Units)
}

// list returns the notices sorted by kind, table and subject.
func (ns *notes) list() []NoteCount {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	out := make([]NoteCount, 0, len(ns.m))
	for _, c := range ns.m {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		return a.Subject+a.Detail < b.Subject+b.Detail
	})
	return out
}

// NotesOf returns the details of the pass's notices of one kind ("drift", "version
// adopted", …), in order.
func (s *Summary) NotesOf(kind string) []string {
	var out []string
	for _, n := range s.Notes {
		if n.Kind == kind {
			out = append(out, n.Detail)
		}
	}
	return out
}
