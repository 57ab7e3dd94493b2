package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
)

// planned is a unit with what the ledger knew about it when planned.
type planned struct {
	Unit    report.Unit
	Version string // sales only
	Prior   load.Entry
	Known   bool
}

func (p *Pipeline) wants(w Window, f report.Family) bool {
	return len(w.Families) == 0 || slices.Contains(w.Families, f)
}

func (p *Pipeline) plan(ctx context.Context, w Window) ([]planned, error) {
	var out []planned
	if p.Cfg.Sales.Enabled && p.wants(w, report.Sales) {
		for _, r := range p.Cfg.Sales.Reports {
			us, err := p.planSales(ctx, w, r.Type, r.SubType, r.Frequency, r.Version)
			if err != nil {
				return nil, err
			}
			out = append(out, us...)
		}
	}
	if p.Cfg.Finance.Enabled && p.wants(w, report.Finance) {
		kinds := [][2]string{}
		for _, r := range p.Cfg.Finance.Regions {
			kinds = append(kinds, [2]string{report.Financial, r})
		}
		if p.Cfg.Finance.Detail {
			kinds = append(kinds, [2]string{report.FinanceDetail, "Z1"})
		}
		for _, k := range kinds {
			us, err := p.planFinance(ctx, w, k[0], k[1])
			if err != nil {
				return nil, err
			}
			out = append(out, us...)
		}
	}
	prioritise(out)
	return out, nil
}

// prioritise orders the plan so a short request budget goes where it matters: units not
// loaded yet (new, pending, failed) first, oldest first because they are closest to Apple's
// retention horizon; re-checks of loaded or empty units last, newest first.
func prioritise(units []planned) {
	recheck := func(p planned) bool {
		return p.Known && (p.Prior.State == load.Loaded || p.Prior.State == load.Empty)
	}
	slices.SortStableFunc(units, func(a, b planned) int {
		ra, rb := recheck(a), recheck(b)
		switch {
		case ra != rb:
			if ra {
				return 1
			}
			return -1
		case ra:
			return compareStr(b.Unit.Period, a.Unit.Period)
		}
		return compareStr(a.Unit.Period, b.Unit.Period)
	})
}

// ledgerIndex lists one report kind's ledger entries by period.
func (p *Pipeline) ledgerIndex(ctx context.Context, prefix string) (map[string]load.Entry, error) {
	es, err := p.Store.Ledger().List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	idx := make(map[string]load.Entry, len(es))
	for _, e := range es {
		idx[e.Unit.Period] = e
	}
	return idx, nil
}

// include decides whether a period inside the window is fetched. A run re-checks every
// period of its window (the lookback exists to catch late corrections; an unchanged payload
// rewrites nothing); a backfill skips what is already loaded or empty unless forced; a unit
// Apple no longer serves is only asked for again when forced.
func include(w Window, e load.Entry, known bool) bool {
	switch {
	case w.Force:
		return true
	case known && e.State == load.Expired:
		return false
	case w.From.IsZero():
		return true
	}
	return !known || (e.State != load.Loaded && e.State != load.Empty)
}

func (p *Pipeline) planSales(ctx context.Context, w Window, typ, sub, freq, version string) ([]planned, error) {
	combo, ok := report.LookupCombo(typ, sub, freq)
	if !ok {
		return nil, fmt.Errorf("plan: %s/%s/%s is not a report Apple publishes", typ, sub, freq)
	}
	vendor := p.Cfg.VendorNumber
	unit := func(period string) report.Unit {
		return report.Unit{Family: report.Sales, Type: typ, SubType: sub, Frequency: freq, Vendor: vendor, Period: period}
	}
	idx, err := p.ledgerIndex(ctx, fmt.Sprintf("sales/%s/%s/%s/%s/", typ, sub, freq, vendor))
	if err != nil {
		return nil, err
	}
	p.initVersion(kindOf(typ, sub, freq), version, combo.Latest(), idx)

	now := p.now()
	latest, ok := latestAvailable(freq, now, func(per string) time.Time {
		at, _ := report.ExpectedAvailable(unit(per))
		return at
	})
	if !ok {
		return nil, nil
	}
	var first string
	switch {
	case !w.From.IsZero():
		first = report.PeriodFor(freq, w.From)
		if last := report.PeriodFor(freq, w.To); last < latest {
			latest = last
		}
	default:
		if newest := newestDone(idx); newest != "" {
			first = stepBack(freq, newest, p.Cfg.Sales.LookbackDays)
		} else {
			from := now.In(report.Pacific).AddDate(0, 0, -p.Cfg.Sales.InitialDays)
			if p.Cfg.Sales.Start != "" {
				from, _ = time.Parse("2006-01-02", p.Cfg.Sales.Start)
			}
			first = report.PeriodFor(freq, from)
		}
	}
	var out []planned
	seen := map[string]bool{}
	for per := first; per <= latest; {
		if e, known := idx[per]; include(w, e, known) {
			out = append(out, planned{Unit: unit(per), Prior: e, Known: known})
		}
		seen[per] = true
		next, err := report.NextPeriod(freq, per)
		if err != nil {
			return nil, err
		}
		per = next
	}
	if w.From.IsZero() {
		out = append(out, repoll(idx, seen)...)
	}
	return out, nil
}

// initVersion picks the version to request: the configured one, else the one the newest
// ledger entry was loaded with (a version adopted earlier), else Apple's documented latest.
func (p *Pipeline) initVersion(kind, configured, latest string, idx map[string]load.Entry) {
	v := configured
	if v == "" {
		newest := ""
		for per, e := range idx {
			if e.State == load.Loaded && e.Version != "" && per > newest {
				newest, v = per, e.Version
			}
		}
	}
	if v == "" {
		v = latest
	}
	p.setVersion(kind, v)
}

func (p *Pipeline) planFinance(ctx context.Context, w Window, typ, region string) ([]planned, error) {
	vendor := p.Cfg.VendorNumber
	unit := func(per fiscal.Period) report.Unit {
		return report.Unit{Family: report.Finance, Type: typ, Region: region, Vendor: vendor, Period: per.String()}
	}
	idx, err := p.ledgerIndex(ctx, fmt.Sprintf("finance/%s/%s/%s/", typ, region, vendor))
	if err != nil {
		return nil, err
	}
	now := p.now()
	latest := fiscal.Of(now.In(report.Pacific))
	for i := 0; ; i++ {
		at, _ := report.ExpectedAvailable(unit(latest))
		if !at.After(now) {
			break
		}
		if i > 3 {
			return nil, nil
		}
		latest = latest.Prev()
	}
	var first fiscal.Period
	switch {
	case !w.From.IsZero():
		first = fiscal.Of(w.From)
		if last := fiscal.Of(w.To); last.String() < latest.String() {
			latest = last
		}
	default:
		if newest := newestDone(idx); newest != "" {
			first, _ = fiscal.Parse(newest)
			for i := 0; i < p.Cfg.Finance.LookbackPeriods; i++ {
				first = first.Prev()
			}
		} else if p.Cfg.Finance.Start != "" {
			d, _ := time.Parse("2006-01-02", p.Cfg.Finance.Start)
			first = fiscal.Of(d)
		} else {
			first = latest
			for i := 1; i < p.Cfg.Finance.InitialPeriods; i++ {
				first = first.Prev()
			}
		}
	}
	var out []planned
	seen := map[string]bool{}
	for per := first; per.String() <= latest.String(); per = per.Next() {
		if e, known := idx[per.String()]; include(w, e, known) {
			out = append(out, planned{Unit: unit(per), Prior: e, Known: known})
		}
		seen[per.String()] = true
	}
	if w.From.IsZero() {
		out = append(out, repoll(idx, seen)...)
	}
	return out, nil
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

// repoll returns the units outside the window that earlier runs left pending or failed.
func repoll(idx map[string]load.Entry, inWindow map[string]bool) []planned {
	var out []planned
	for per, e := range idx {
		if !inWindow[per] && (e.State == load.Pending || e.State == load.Failed) {
			out = append(out, planned{Unit: e.Unit, Prior: e, Known: true})
		}
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

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
