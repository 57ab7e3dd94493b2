package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
)

// Never shrink silently.
//
// A version that would replace a loaded unit's partitions with far fewer rows is archived
// (the archive is append-only, as for every fetch) but not applied: the unit stays loaded
// with its data, the attempt is recorded as held (on the version and in the entry's Error),
// and the pass exits partial (3) until a pass with Runner.AllowShrink (--allow-shrink)
// applies it. "Far fewer" is:
//
//   - zero rows where rows are loaded, whatever the size (a header-only file, a file cut
//     after its header, a report that lost its rows), or
//   - under half the loaded rows (ShrinkRatio) when the unit holds at least ShrinkMinRows.
//
// Why these numbers: Apple publishes a Sales and Trends or finance report once; a later
// fetch of the same period is the same file, or a restatement that changes a few rows, so a
// replacement that loses half of them is a cut download or the wrong file, not data (the
// issue's sales file cut at a line boundary loaded 122 of 246 rows). Small units are left
// out of the ratio because their counts vary for real (a day of 3 rows restated to 1) and a
// wrong file there costs little; zero is held at any size. A file cut late (more than half
// of it kept) passes this check: finance files are caught by their footers instead
// (transform/finance.go), sales files have no footer, and gzip downloads by their trailer.
//
// Only Replace tables can shrink this way: MergeByKey and SlowlyChanging tables keep every
// stored row the input does not speak for, so a short version removes nothing (the keys a
// unit speaks for, Input.Keys, are its own). Reviews, analytics, TestFlight and Xcode Cloud
// therefore need no guard: a crawl or instance with fewer rows leaves the others stored.
const (
	ShrinkMinRows = 20
	ShrinkRatio   = 0.5
)

// ShrinkError is the held attempt: the new version has Rows primary rows where Loaded are
// loaded, or it lacks columns the loaded version has (Lost; New are the columns it has that
// the loaded version did not: a rename shows as one lost and one new).
type ShrinkError struct {
	Rows, Loaded int64
	Lost, New    []string
}

func (e *ShrinkError) Error() string {
	if len(e.Lost) > 0 {
		msg := fmt.Sprintf("held: the new version lacks column %s, which the loaded version has", quoteList(e.Lost))
		if len(e.New) > 0 {
			msg += fmt.Sprintf(" (it has unknown column %s instead: renamed?)", quoteList(e.New))
		}
		return msg + "; pass --allow-shrink to apply it"
	}
	return fmt.Sprintf("held: the new version has %d rows where %d are loaded; pass --allow-shrink to apply it", e.Rows, e.Loaded)
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

// Shrinks reports whether replacing loaded rows with rows is held (see ShrinkMinRows).
func Shrinks(loaded, rows int64) bool {
	switch {
	case loaded <= 0 || rows >= loaded:
		return false
	case rows == 0:
		return true
	}
	return loaded >= ShrinkMinRows && float64(rows) < ShrinkRatio*float64(loaded)
}

// guardShrink checks a parsed version against the unit's loaded rows before anything is
// loaded. Outputs held in memory are counted at once; a streamed output (a sales report,
// whose row count is known only at its end) is wrapped so that its write is aborted before
// it commits when the stream ends short: memory stays flat and nothing is written.
//
// Columns count too: a version whose header lacks a column the loaded version has (a
// column renamed, Units → Unitz, or dropped) would replace the column's values with nulls,
// so it is held the same way, whatever its rows. A first load of such a file loads, with
// the drift reported (the column is null).
func (r *Runner) guardShrink(entry *load.Entry, parsed *Parsed, drift *driftNotes) error {
	if r.AllowShrink || entry.State != load.Loaded {
		return nil
	}
	if !replacesPrimary(parsed) {
		return nil
	}
	if lost, added := drift.since(entry.Drift); len(lost) > 0 {
		return &ShrinkError{Lost: lost, New: added}
	}
	if entry.Rows <= 0 {
		return nil
	}
	var rows int64
	for _, out := range parsed.Outputs {
		if out.Primary {
			rows += recordRows(out.Records)
		}
	}
	for i := range parsed.Outputs {
		out := &parsed.Outputs[i]
		if out.Primary && out.Stream != nil {
			out.Stream = &guardedStream{RecordReader: out.Stream, rows: rows, loaded: entry.Rows}
			return nil // checked when the stream ends
		}
	}
	if Shrinks(entry.Rows, rows) {
		return &ShrinkError{Rows: rows, Loaded: entry.Rows}
	}
	return nil
}

// replacesPrimary reports whether the version's primary outputs replace partitions (a
// merging unit removes nothing it does not speak for).
func replacesPrimary(parsed *Parsed) bool {
	primary := false
	for _, out := range parsed.Outputs {
		if !out.Primary {
			continue
		}
		if out.Table.Mode != schemas.Replace {
			return false
		}
		primary = true
	}
	return primary
}

func recordRows(recs []arrow.RecordBatch) int64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return n
}

// guardedStream counts the rows of a stream and, when it ends without error but short of
// the loaded rows, ends with a *ShrinkError instead: load.Store.WriteParquet then aborts
// the write and the stored partition stays as it was.
type guardedStream struct {
	load.RecordReader
	rows, loaded int64
	err          error
}

func (g *guardedStream) Next() bool {
	if g.RecordReader.Next() {
		if rec := g.RecordReader.RecordBatch(); rec != nil {
			g.rows += rec.NumRows()
		}
		return true
	}
	if g.RecordReader.Err() == nil && Shrinks(g.loaded, g.rows) {
		g.err = &ShrinkError{Rows: g.rows, Loaded: g.loaded}
	}
	return false
}

func (g *guardedStream) Err() error {
	if err := g.RecordReader.Err(); err != nil {
		return err
	}
	return g.err
}

// applyHeld records a version held by the shrink guard: archived, not applied. The unit
// keeps its state and data; the attempt is noted on the version and in the entry's Error.
func (r *Runner) applyHeld(entry *load.Entry, v *load.Version, err error) outcome {
	if ref, ok := entry.FindVersion(v.ID); ok {
		ref.Error = err.Error()
	}
	entry.Error = err.Error()
	return outcome{State: entry.State, Err: err, Held: true}
}
