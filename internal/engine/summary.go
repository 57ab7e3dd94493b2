package engine

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// Exit codes (DESIGN.md).
const (
	ExitOK      = 0
	ExitFailed  = 1
	ExitUsage   = 2
	ExitPartial = 3
)

// Summary is what a run did, per table and in total.
type Summary struct {
	Started, Finished time.Time
	Planned           int
	Tables            map[string]*TableSummary
	Failures          []string    // unit id: error
	Notes             []NoteCount // drift, versions adopted, checks: each once, with its unit count
	Published         int         // Parquet objects a reparse or import published from its staging
	Compacted         int         // month objects written by compaction (compact.go)
	Folded            int         // period objects compaction folded into month objects
	Migrated          int         // objects of the layout before months moved into it (etl compact)
	CompactErrors     []string    // compactions that failed (the loaded data stands)
	Overdue           int
	Late              []report.Unit // pending past their freshness due time (Overdue of them)

	// Families counts the same outcomes per family, with Dur the summed unit durations;
	// FamilyPlanned is the planned units per family (families that discover their units
	// as they go count them as they finish).
	Families      map[report.Family]*TableSummary
	FamilyPlanned map[report.Family]int
	// DataThrough says how far each dataset is loaded (DataThrough of the ledger after the
	// run; set by the caller, nil: not printed). Print shows the tables of the run.
	DataThrough []DatasetThrough `json:",omitempty"`
	observe     func(UnitDone)   // Pipeline.OnUnit

	// Accounts has one line per account of a run over several accounts (Merge); nil
	// otherwise.
	Accounts map[string]*AccountSummary `json:",omitempty"`
}

// TableSummary counts outcomes for one table.
type TableSummary struct {
	Loaded, Unchanged, Deferred, Empty, Pending, Failed, Expired int
	// Held counts the failed units whose new version was held by the shrink guard (they
	// are among Failed: the unit keeps its data, the pass is partial).
	Held        int `json:",omitempty"`
	Rows, Bytes int64
	Written     int           // Parquet objects written
	Dur         time.Duration `json:",omitempty"`
}

func newSummary(start time.Time) *Summary {
	return &Summary{Started: start, Tables: map[string]*TableSummary{},
		Families: map[report.Family]*TableSummary{}, FamilyPlanned: map[report.Family]int{}}
}

func (s *Summary) add(o outcome) {
	t := s.Tables[o.Unit.Table()]
	if t == nil {
		t = &TableSummary{}
		s.Tables[o.Unit.Table()] = t
	}
	if t.count(o) {
		s.Failures = append(s.Failures, fmt.Sprintf("%s: %v", o.Unit.ID(), o.Err))
	}
	if s.Families == nil {
		s.Families, s.FamilyPlanned = map[report.Family]*TableSummary{}, map[report.Family]int{}
	}
	f := s.Families[o.Unit.Family]
	if f == nil {
		f = &TableSummary{}
		s.Families[o.Unit.Family] = f
	}
	f.count(o)
	f.Dur += o.Dur
	if o.Overdue && o.State == load.Pending && !o.Deferred && !o.Unchanged {
		s.Overdue++
		s.Late = append(s.Late, o.Unit)
	}
	if s.observe != nil {
		s.observe(s.unitDone(o, f))
	}
}

// count adds one outcome; it reports whether the outcome is a failure.
func (t *TableSummary) count(o outcome) (failed bool) {
	switch {
	case o.Err != nil && o.State != load.Pending:
		t.Failed++
		if o.Held {
			t.Held++
		}
		failed = true
	case o.Deferred:
		t.Deferred++
	case o.Unchanged:
		t.Unchanged++
	case o.State == load.Loaded:
		t.Loaded++
	case o.State == load.Empty:
		t.Empty++
	case o.State == load.Pending:
		t.Pending++
	case o.State == load.Expired:
		t.Expired++
	}
	t.Rows += o.Rows
	t.Bytes += o.Bytes
	t.Written += o.Written
	return failed
}

// Totals adds up every table.
func (s *Summary) Totals() TableSummary {
	var t TableSummary
	for _, x := range s.Tables {
		t.Loaded += x.Loaded
		t.Unchanged += x.Unchanged
		t.Deferred += x.Deferred
		t.Empty += x.Empty
		t.Pending += x.Pending
		t.Failed += x.Failed
		t.Held += x.Held
		t.Expired += x.Expired
		t.Rows += x.Rows
		t.Bytes += x.Bytes
		t.Written += x.Written
		t.Dur += x.Dur
	}
	return t
}

// ExitCode: 0 when everything is done, 3 when some units failed or are overdue, 1 when
// units were attempted and none succeeded. A held unit kept its data: it makes the pass
// partial, never failed.
func (s *Summary) ExitCode() int {
	t := s.Totals()
	ok := t.Loaded + t.Unchanged + t.Deferred + t.Empty + t.Expired + t.Pending + t.Held
	for _, a := range s.Accounts {
		if a.Err != "" {
			t.Failed++ // an account whose pass could not run
		}
	}
	switch {
	case t.Failed > 0 && ok == 0:
		return ExitFailed
	case t.Failed > 0 || s.Overdue > 0 || len(s.CompactErrors) > 0:
		return ExitPartial
	}
	return ExitOK
}

// Print writes a human summary.
func (s *Summary) Print(w io.Writer) {
	names := make([]string, 0, len(s.Tables))
	for n := range s.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tloaded\tunchanged\tdeferred\tempty\tpending\tfailed\texpired\trows\t")
	row := func(n string, t *TableSummary) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", n, t.Loaded, t.Unchanged, t.Deferred, t.Empty, t.Pending, t.Failed, t.Expired, t.Rows)
	}
	for _, n := range names {
		row(n, s.Tables[n])
	}
	t := s.Totals()
	row("total", &t)
	tw.Flush()
	s.printAccounts(w)
	dur := s.Finished.Sub(s.Started).Round(time.Millisecond)
	fmt.Fprintf(w, "%d units planned in %s; %d Parquet objects written\n", s.Planned, dur, t.Written+s.Published+s.Compacted+s.Migrated)
	if s.Folded > 0 || s.Migrated > 0 {
		fmt.Fprintf(w, "compacted: %d month objects written, %d period objects folded into months, %d moved from the old layout\n",
			s.Compacted, s.Folded, s.Migrated)
	}
	if len(s.CompactErrors) > 0 {
		fmt.Fprintf(w, "compaction failed (%d):\n  %s\n", len(s.CompactErrors), strings.Join(limit(s.CompactErrors, 20), "\n  "))
	}
	s.printThrough(w)
	if len(s.Notes) > 0 {
		lines := make([]string, len(s.Notes))
		for i, n := range s.Notes {
			lines[i] = n.String()
		}
		fmt.Fprintf(w, "notices (%d):\n  %s\n", len(lines), strings.Join(limit(lines, 30), "\n  "))
	}
	if s.Overdue > 0 {
		fmt.Fprintf(w, "%d unit(s) still unpublished a day past Apple's usual time\n", s.Overdue)
	}
	if len(s.Failures) > 0 {
		sort.Strings(s.Failures)
		fmt.Fprintf(w, "failed (%d):\n  %s\n", len(s.Failures), strings.Join(limit(s.Failures, 20), "\n  "))
	}
}

func limit(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(xs[:n:n], fmt.Sprintf("… and %d more", len(xs)-n))
}
