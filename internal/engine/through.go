package engine

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// DatasetThrough is how far one dataset (table) is loaded.
type DatasetThrough struct {
	Table  string        `json:"table"`
	Family report.Family `json:"family"`
	// Period is the newest period whose unit is loaded or empty (Apple said there was no
	// data: the period is known), as the unit names it: YYYY-MM-DD for days, crawls,
	// snapshots and analytics processing dates, YYYY-MM for months and fiscal months.
	Period string `json:"period"`
	// Through is the last day that period covers (fiscal months end on a Saturday).
	Through time.Time `json:"through"`
	// Pending and Failed count the dataset's units still waiting or failed.
	Pending int `json:"pending,omitempty"`
	Failed  int `json:"failed,omitempty"`
}

// DataThrough computes, from ledger entries, how far each dataset is loaded, sorted by
// table. A dataset with no loaded or empty unit has a zero Through and an empty Period.
// Entries whose period has no bounds (none today) are counted but set no date.
func DataThrough(entries []load.Entry) []DatasetThrough {
	m := map[string]*DatasetThrough{}
	for _, e := range entries {
		t := e.Unit.Table()
		d := m[t]
		if d == nil {
			d = &DatasetThrough{Table: t, Family: e.Unit.Family}
			m[t] = d
		}
		switch e.State {
		case load.Pending:
			d.Pending++
		case load.Failed:
			d.Failed++
		case load.Loaded, load.Empty:
			_, end, err := e.Unit.Bounds()
			if err != nil {
				continue
			}
			if end.After(d.Through) || (end.Equal(d.Through) && e.Unit.Period > d.Period) {
				d.Through, d.Period = end, e.Unit.Period
			}
		}
	}
	out := make([]DatasetThrough, 0, len(m))
	for _, d := range m {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Table < out[j].Table })
	return out
}

// printThrough writes the "data through" block for the tables the summary lists.
func (s *Summary) printThrough(w io.Writer) {
	var rows []DatasetThrough
	for _, d := range s.DataThrough {
		if _, ok := s.Tables[d.Table]; ok {
			rows = append(rows, d)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "data through:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, d := range rows {
		through := "nothing loaded yet"
		if !d.Through.IsZero() {
			through = d.Period
			if day := d.Through.Format(time.DateOnly); day != d.Period {
				through += " (to " + day + ")"
			}
		}
		var waiting string
		if d.Pending > 0 {
			waiting = fmt.Sprintf("%d pending", d.Pending)
		}
		if d.Failed > 0 {
			if waiting != "" {
				waiting += ", "
			}
			waiting += fmt.Sprintf("%d failed", d.Failed)
		}
		if waiting != "" {
			through += "\t" + waiting
		}
		fmt.Fprintf(tw, "  %s\t%s\n", d.Table, through)
	}
	tw.Flush()
}
