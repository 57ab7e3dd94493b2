package sources

import (
	"context"
	"fmt"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
	"github.com/ascetl/etl/schemas"
)

// Finance is the Finance family: FINANCIAL per configured region (ZZ: all regions in one
// file) and FINANCE_DETAIL (region Z1), one unit per fiscal month.
type Finance struct {
	Cfg *config.Config
}

func (s *Finance) Family() report.Family { return report.Finance }

func (s *Finance) Tables() []*schemas.Table { return tablesOf(report.Finance) }

func (s *Finance) Plan(ctx context.Context, env *engine.PlanEnv) (engine.Plan, error) {
	type kind struct{ typ, region string }
	var kinds []kind
	for _, r := range s.Cfg.Finance.Regions {
		kinds = append(kinds, kind{report.Financial, r})
	}
	if s.Cfg.Finance.Detail {
		kinds = append(kinds, kind{report.FinanceDetail, "Z1"})
	}
	var plan engine.Plan
	for _, k := range kinds {
		unit := func(per string) report.Unit {
			return report.Unit{Family: report.Finance, Type: k.typ, Region: k.region, Vendor: s.Cfg.VendorNumber, Period: per}
		}
		idx := byPeriod(env.Entries, unit("x"))
		for _, per := range financePeriods(env, s.Cfg.Finance, idx, func(p fiscal.Period) report.Unit { return unit(p.String()) }) {
			plan.Units = append(plan.Units, engine.Planned{Unit: unit(per)})
		}
	}
	return plan, nil
}

// Fetch downloads one finance report. Apple says "no sales" both for a month without
// sales and for one not published yet, so the answer is only final (empty) once the
// expected publication date is finance.empty_after_days behind.
func (s *Finance) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	rep, err := env.API.FinanceReport(ctx, p.Unit)
	if err != nil {
		return engine.Fetched{}, err
	}
	if rep.Outcome == extract.Empty {
		at, _ := report.ExpectedAvailable(p.Unit)
		if env.Now.Before(at.AddDate(0, 0, s.Cfg.Finance.EmptyAfterDays)) {
			return engine.Fetched{Outcome: engine.NotYet, Detail: rep.Detail}, nil
		}
	}
	return reportFetched(env, rep)
}

// Parse reads the whole report (finance files are small): its footers and summary table
// are checked against the rows at the end, and a file that fails them loads nothing.
func (s *Finance) Parse(ctx context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	t, err := schemas.ForUnit(in.Unit)
	if err != nil {
		return nil, err
	}
	rdr, release, err := openReport(in, t)
	if err != nil {
		return nil, err
	}
	defer release()
	recs, err := collect(rdr)
	if err != nil {
		return nil, err
	}
	part, err := unitPartition(t, in.Unit)
	if err != nil {
		releaseAll(recs)
		return nil, fmt.Errorf("%s: %w", in.Version.Payloads[0].Key, err)
	}
	return &engine.Parsed{
		Outputs:    []engine.Output{{Table: t, Partition: part, Input: load.Input{Records: recs, Schema: rdr.Schema()}, Primary: true}},
		HeaderHash: rdr.HeaderHash(),
		Release:    func() { releaseAll(recs) },
	}, nil
}

// Detect recognises a finance report downloaded by hand.
func (s *Finance) Detect(name string, head []byte, hints engine.ImportHints) (engine.Planned, bool, error) {
	return detectReport(report.Finance, s.Cfg.VendorNumber, name, head, hints)
}
