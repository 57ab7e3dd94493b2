package sources

import (
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
			first = stepBack(freq, newest, cfg.LookbackDays)
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
			for i := 0; i < cfg.LookbackPeriods; i++ {
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
