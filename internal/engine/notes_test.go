package engine

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestNotesDedup(t *testing.T) {
	drift := func(table, subject, detail, unit string) Note {
		return Note{Kind: "drift", Table: table, Subject: subject, Detail: detail, Unit: unit}
	}
	var ns notes
	for _, n := range []Note{
		drift("t1", "Foo", `unknown column "Foo" kept as text`, "u1"),
		drift("t1", "Foo", `unknown column "Foo" kept as text`, "u2"),
		drift("t1", "Foo", "another wording, same subject", "u3"),     // one subject: one notice
		drift("t1", "Foo", `unknown column "Foo" kept as text`, "u1"), // the same unit again
		drift("t2", "Foo", `unknown column "Foo" kept as text`, "u1"), // another table
		drift("t1", "Bar", `unknown column "Bar" kept as text`, "u1"),
		{Kind: "check", Table: "t1", Subject: "Foo", Detail: "sums disagree", Unit: "u4"}, // another kind
		{Kind: "version adopted", Detail: "SALES 1_1", Unit: ""},                          // no subject: by detail; a plan's, no unit
		{Kind: "version adopted", Detail: "SALES 1_1", Unit: "u5"},
		{Kind: "version adopted", Detail: "SALES 1_2", Unit: ""},
	} {
		ns.add(n)
	}
	var got []string
	for _, c := range ns.list() {
		got = append(got, fmt.Sprintf("%s|%s|%s|%d|%s", c.Kind, c.Table, c.Subject, c.Units, c.First))
	}
	want := []string{
		"check|t1|Foo|1|u4",
		"drift|t1|Bar|1|u1",
		"drift|t1|Foo|3|u1",
		"drift|t2|Foo|1|u1",
		"version adopted|||1|u5",
		"version adopted|||0|",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notices\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if d := ns.list()[2].Detail; d != `unknown column "Foo" kept as text` {
		t.Errorf("a notice keeps its first detail, got %q", d)
	}
}

func TestNotesConcurrent(t *testing.T) {
	var ns notes
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns.add(Note{Kind: "drift", Table: "t", Subject: "x", Unit: fmt.Sprintf("u%d", i%10)})
		}()
	}
	wg.Wait()
	if l := ns.list(); len(l) != 1 || l[0].Units != 10 {
		t.Errorf("notices %+v, want one of 10 units", l)
	}
}

func TestNoteCountString(t *testing.T) {
	for _, c := range []struct {
		n    NoteCount
		want string
	}{
		{NoteCount{Note: Note{Kind: "drift", Table: "sales_summary_daily", Detail: `unknown column "Foo" kept as text`}, Units: 3, First: "u1"},
			`drift: sales_summary_daily: unknown column "Foo" kept as text (3 units)`},
		{NoteCount{Note: Note{Kind: "drift", Table: "t", Detail: "d"}, Units: 1, First: "sales/SALES/SUMMARY/DAILY/1/2026-11-20"},
			"drift: t: d (sales/SALES/SUMMARY/DAILY/1/2026-11-20)"},
		{NoteCount{Note: Note{Kind: "version adopted", Detail: "SALES 1_1"}}, "version adopted: SALES 1_1"},
	} {
		if got := c.n.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}

func TestSummaryNotesOf(t *testing.T) {
	var ns notes
	ns.add(Note{Kind: "drift", Table: "b", Detail: "second", Unit: "u"})
	ns.add(Note{Kind: "kept", Table: "a", Detail: "other kind", Unit: "u"})
	ns.add(Note{Kind: "drift", Table: "a", Detail: "first", Unit: "u"})
	s := &Summary{Notes: ns.list()}
	if got := strings.Join(s.NotesOf("drift"), "|"); got != "first|second" {
		t.Errorf("NotesOf(drift) = %q", got)
	}
	if got := s.NotesOf("none"); got != nil {
		t.Errorf("NotesOf(none) = %q", got)
	}
}
