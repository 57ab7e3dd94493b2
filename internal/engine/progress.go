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
}

func (s *Summary) unitDone(o outcome, f *TableSummary) UnitDone {
	done := f.Loaded + f.Unchanged + f.Deferred + f.Empty + f.Pending + f.Failed + f.Expired
	planned := max(s.FamilyPlanned[o.Unit.Family], done)
	state := o.State
	if o.Err != nil && o.State != load.Pending {
		state = load.Failed
	}
	return UnitDone{Unit: o.Unit, State: state, Err: o.Err, Rows: o.Rows, Bytes: o.Bytes, Dur: o.Dur,
		FamilyDone: done, FamilyPlanned: planned}
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
