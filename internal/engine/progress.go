package engine

import (
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// UnitDone is what Pipeline.OnUnit hears after each unit: the unit, how it ended and how
// far its family has got.
type UnitDone struct {
	Unit          report.Unit
	State         load.State // ledger state after the unit (failed when Err is set)
	Err           error
	Rows, Bytes   int64
	Dur           time.Duration
	FamilyDone    int // units of the family finished so far, this one included
	FamilyPlanned int // units of the family planned (at least FamilyDone)
	// Done and Planned are the same for the whole pass (every family): a progress bar's
	// total is known from the first unit on.
	Done, Planned int
}

func (s *Summary) unitDone(o outcome, f *TableSummary) UnitDone {
	done := f.finished()
	planned := max(s.FamilyPlanned[o.Unit.Family], done)
	all := 0
	for _, t := range s.Families {
		all += t.finished()
	}
	state := o.State
	if o.Err != nil && o.State != load.Pending {
		state = load.Failed
	}
	return UnitDone{Unit: o.Unit, State: state, Err: o.Err, Rows: o.Rows, Bytes: o.Bytes, Dur: o.Dur,
		FamilyDone: done, FamilyPlanned: planned, Done: all, Planned: max(s.Planned, all)}
}

// finished is how many units the counts hold.
func (t *TableSummary) finished() int {
	return t.Loaded + t.Unchanged + t.Deferred + t.Empty + t.Pending + t.Failed + t.Expired
}

// DueAt is when a unit still pending becomes late under cfg's freshness rules: Apple's
// expected publication day (report.ExpectedAvailable) at the family's "by" time plus its
// grace. ok is false for a family without a rule.
func DueAt(cfg *config.Config, u report.Unit) (due time.Time, ok bool) {
	r, ok := cfg.Freshness[string(u.Family)]
	if !ok {
		return time.Time{}, false
	}
	at, err := report.ExpectedAvailable(u)
	if err != nil {
		return time.Time{}, false
	}
	return r.Due(at), true
}
