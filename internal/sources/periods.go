package sources

import (
	"slices"
	"strings"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
)

// byPeriod lists the ledger entries of the units that equal proto but for the period,
// by period.
func byPeriod(entries map[string]load.Entry, proto report.Unit) map[string]load.Entry {
	prefix := strings.TrimSuffix(proto.ID(), proto.Period)
	idx := map[string]load.Entry{}
	for id, e := range entries {
		if strings.HasPrefix(id, prefix) && e.Unit.ID() == prefix+e.Unit.Period {
			idx[e.Unit.Period] = e
		}
	}
	return idx
}

// oldestKnown is the oldest period the ledger has an entry for, in any state ("" when
// none). The lookback never reaches before it: the first run records every unit it plans
// (pending) before fetching any, so when that run is interrupted after loading a later
// period, the next run's lookback does not load days before the first run's window that an
// uninterrupted run never loads (a kill must not change what the tables hold).
func oldestKnown(idx map[string]load.Entry) string {
	oldest := ""
	for per := range idx {
		if oldest == "" || per < oldest {
			oldest = per
		}
	}
	return oldest
}

// newestDone is the newest period loaded or known empty ("" when none).
func newestDone(idx map[string]load.Entry) string {
	newest := ""
	for per, e := range idx {
		if (e.State == load.Loaded || e.State == load.Empty) && per > newest {
			newest = per
		}
	}
	return newest
}

// salesPeriods are the periods of one report kind a pass covers: for a run, from the
// newest loaded or empty one minus the lookback (or, the first time, from sales.start or
// initial_days ago) to the newest Apple should have published by now; for a backfill,
// [From, To] up to that newest one.
func salesPeriods(env *engine.PlanEnv, freq string, cfg config.Sales, idx map[string]load.Entry, unit func(string) report.Unit) []string {
	latest, ok := latestAvailable(freq, env.Now, func(per string) time.Time {
		at, _ := report.ExpectedAvailable(unit(per))
		return at
	})
	if !ok {
		return nil
	}
	var first string
	switch w := env.Window; {
	case w.Backfill():
		first = report.PeriodFor(freq, w.From)
		if last := report.PeriodFor(freq, w.To); last < latest {
			latest = last
		}
	default:
		if newest := newestDone(idx); newest != "" {
			first = max(stepBack(freq, newest, cfg.LookbackDays), oldestKnown(idx))
		} else {
			from := env.Now.In(report.Pacific).AddDate(0, 0, -cfg.InitialDays)
			if cfg.Start != "" {
				from, _ = time.Parse("2006-01-02", cfg.Start)
			}
			first = report.PeriodFor(freq, from)
		}
	}
	var out []string
	for per := first; per <= latest; {
		out = append(out, per)
		next, err := report.NextPeriod(freq, per)
		if err != nil {
			break
		}
		per = next
	}
	return out
}

// latestAvailable walks back from today to the newest period Apple should have published.
func latestAvailable(freq string, now time.Time, availableAt func(string) time.Time) (string, bool) {
	per := report.PeriodFor(freq, now.In(report.Pacific))
	for i := 0; i < 8; i++ {
		if !availableAt(per).After(now) {
			return per, true
		}
		start, _, err := report.PeriodBounds(freq, per)
		if err != nil {
			return "", false
		}
		per = report.PeriodFor(freq, start.AddDate(0, 0, -1))
	}
	return "", false
}

// stepBack moves n periods back (days for daily reports, periods otherwise).
func stepBack(freq, per string, n int) string {
	for i := 0; i < n; i++ {
		start, _, err := report.PeriodBounds(freq, per)
		if err != nil {
			return per
		}
		per = report.PeriodFor(freq, start.AddDate(0, 0, -1))
	}
	return per
}

// financePeriods are the fiscal months a pass covers, like salesPeriods: the newest
// loaded minus lookback_periods (or start, or initial_periods back) up to the newest
// month Apple should have published (by the first Friday after it ends).
func financePeriods(env *engine.PlanEnv, cfg config.Finance, idx map[string]load.Entry, unit func(fiscal.Period) report.Unit) []string {
	latest := fiscal.Of(env.Now.In(report.Pacific))
	for i := 0; ; i++ {
		at, _ := report.ExpectedAvailable(unit(latest))
		if !at.After(env.Now) {
			break
		}
		if i > 3 {
			return nil
		}
		latest = latest.Prev()
	}
	var first fiscal.Period
	switch w := env.Window; {
	case w.Backfill():
		first = fiscal.Of(w.From)
		if last := fiscal.Of(w.To); last.String() < latest.String() {
			latest = last
		}
	default:
		if newest := newestDone(idx); newest != "" {
			first, _ = fiscal.Parse(newest)
			for i := 0; i < cfg.LookbackPeriods && first.String() > oldestKnown(idx); i++ {
				first = first.Prev()
			}
		} else if cfg.Start != "" {
			d, _ := time.Parse("2006-01-02", cfg.Start)
			first = fiscal.Of(d)
		} else {
			first = latest
			for i := 1; i < cfg.InitialPeriods; i++ {
				first = first.Prev()
			}
		}
	}
	var out []string
	for per := first; per.String() <= latest.String(); per = per.Next() {
		out = append(out, per.String())
	}
	return out
}

// recheckDue reports whether the loaded or empty period periods[i] is fetched again this
// pass, for Apple's late corrections: once, in the pass that first fetches the period
// lookback+1 after it (in a daily run, the day it has become lookback periods older than
// the newest one loaded), which is as late as the old rule — every run re-checks the last
// lookback+1 loaded periods — looked last, for a third of the requests. A re-check that
// failed (the entry keeps its error) is due again. periods is a pass's contiguous list
// (salesPeriods). Decision: a day loaded for the first time when the day lookback+1 after
// it was already loaded (a first run, a backfill) is final at once: its only fetch already
// came that late. A re-check the request budget deferred is not tried again; one that
// failed and has left the window is tried again by failedRechecks.
func recheckDue(idx map[string]load.Entry, periods []string, i, lookback int) bool {
	e, ok := idx[periods[i]]
	if !ok || e.Error != "" {
		return true
	}
	j := i + lookback + 1
	if j >= len(periods) {
		return false // the period that would bring its re-check is not published yet
	}
	n, ok := idx[periods[j]]
	return !ok || n.State != load.Loaded && n.State != load.Empty
}

// failedRechecks are the loaded or empty periods before the pass's first one whose last
// fetch failed (the entry keeps the error), up to lookback+1 periods back: a re-check that
// failed on the window's oldest day is tried again in the next runs, as long as it would
// have been re-checked under the old rule, instead of being lost.
func failedRechecks(freq string, idx map[string]load.Entry, periods []string, lookback int) []string {
	if len(periods) == 0 {
		return nil
	}
	oldest := stepBack(freq, periods[0], lookback+1)
	var out []string
	for per, e := range idx {
		if per < periods[0] && per >= oldest && e.Error != "" && (e.State == load.Loaded || e.State == load.Empty) {
			out = append(out, per)
		}
	}
	slices.Sort(out)
	return out
}
