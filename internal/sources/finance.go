package sources

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
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
			// Final: a published finance report is what Apple paid on; it is not restated,
			// so a loaded (or empty) month is never fetched again. lookback_periods only
			// re-polls the months not loaded yet.
			plan.Units = append(plan.Units, engine.Planned{Unit: unit(per), Final: true})
		}
	}
	return plan, nil
}

// Fetch downloads one finance report. Apple says "no sales" both for a month without
// sales and for one not published yet, so the answer is only final (empty) once the
// expected publication date is finance.empty_after_days behind.
func (s *Finance) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	if p.Unit.Type == report.Payments {
		// Apple serves the Payments report on the Payments page only, never through the API.
		return engine.Fetched{Outcome: engine.Gone, Detail: "the Payments report is not served by the API: import the file again"}, nil
	}
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
// are checked against the rows at the end, and a file whose footers disagree with its rows
// loads nothing. Besides its rows, a report gives its footers (finance_footers) and its
// per-country summary table (finance_summary); a summary that disagrees with the rows is a
// notice, not a failure (a cut-down file lists countries its rows do not cover).
func (s *Finance) Parse(ctx context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	if in.Unit.Type == report.Payments {
		return parsePayments(in)
	}
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
	p := in.Version.Payloads[0]
	opt := transform.Options{Key: p.Key, Version: in.Version.ReportVersion, ExtractedAt: in.Version.FetchedAt}
	outs := []engine.Output{{Table: t, Partition: part, Input: load.Input{Records: recs, Schema: rdr.Schema()}, Primary: true}}
	side := func(name string, rec arrow.RecordBatch) error {
		st, _ := schemas.Lookup(name)
		sp, err := st.PartitionPath(in.Unit.Vendor, in.Unit.Region, in.Unit.Period)
		if err != nil {
			rec.Release()
			return err
		}
		recs = append(recs, rec)
		outs = append(outs, engine.Output{Table: st, Partition: sp, Input: load.Input{Records: []arrow.RecordBatch{rec}}})
		return nil
	}
	if f := rdr.Footers(); len(f) > 0 {
		if err := side(schemas.FinanceFootersTable, transform.FootersRecord(in.Alloc, mustTable(schemas.FinanceFootersTable), f, opt)); err != nil {
			releaseAll(recs)
			return nil, err
		}
	}
	if sum := rdr.Summary(); len(sum) > 0 {
		if err := side(schemas.FinanceSummaryTable, transform.SummaryRecord(in.Alloc, mustTable(schemas.FinanceSummaryTable), sum, opt)); err != nil {
			releaseAll(recs)
			return nil, err
		}
	}
	for _, c := range rdr.Checks() {
		in.Note(engine.Note{Kind: "check", Table: t.Name, Subject: checkSubject(c), Detail: c})
	}
	return &engine.Parsed{Outputs: outs, HeaderHash: rdr.HeaderHash(), Layout: rdr.Layout(), Release: func() { releaseAll(recs) }}, nil
}

// checkSubject groups the notices of one kind of check across units: the text up to the
// first colon ("summary ZZ: …").
func checkSubject(c string) string {
	if i := strings.IndexByte(c, ':'); i > 0 {
		return c[:i]
	}
	return c
}

func mustTable(name string) *schemas.Table {
	t, ok := schemas.Lookup(name)
	if !ok {
		panic("sources: no table " + name)
	}
	return t
}

// parsePayments reads Apple's Payments and Financial Reports CSV into finance_payments.
func parsePayments(in *engine.ParseInput) (*engine.Parsed, error) {
	p := in.Version.Payloads[0]
	rc, err := in.Open(p)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	res, err := transform.ParsePayments(p.Key, rc, in.Alloc, in.Version.FetchedAt)
	if err != nil {
		return nil, err
	}
	t := mustTable(schemas.FinancePaymentsTable)
	part, err := t.PartitionPath(in.Unit.Vendor, in.Unit.Period)
	if err != nil {
		res.Release()
		return nil, fmt.Errorf("%s: %w", p.Key, err)
	}
	for _, c := range res.Checks {
		in.Note(engine.Note{Kind: "check", Table: t.Name, Subject: checkSubject(c), Detail: c})
	}
	for _, c := range res.Drift.Unknown {
		in.Note(engine.Note{Kind: "drift", Table: t.Name, Subject: "unknown " + c, Detail: fmt.Sprintf("unknown column %q kept as text", c)})
	}
	return &engine.Parsed{
		Outputs:    []engine.Output{{Table: t, Partition: part, Input: load.Input{Records: []arrow.RecordBatch{res.Record}}, Primary: true}},
		HeaderHash: res.HeaderHash,
		Release:    res.Release,
	}, nil
}

// Detect recognises a finance report downloaded by hand, and the Payments and Financial
// Reports CSV (its unit: finance/PAYMENTS/ZZ/<vendor>/<fiscal period of the title month>).
func (s *Finance) Detect(name string, head []byte, hints engine.ImportHints) (engine.Planned, bool, error) {
	det, err := transform.Detect(name, head)
	if err == nil && det.Table.Name == schemas.FinancePaymentsTable {
		u := report.Unit{Family: report.Finance, Type: report.Payments, Region: "ZZ",
			Vendor: first(hints.Vendor, det.Vendor, s.Cfg.VendorNumber), Period: first(hints.Period, det.Period)}
		if u.Period == "" {
			return engine.Planned{}, true, fmt.Errorf("cannot tell the fiscal period of this Payments report (no month in its title): pass --period YYYY-MM")
		}
		if err := u.Validate(); err != nil {
			return engine.Planned{}, true, err
		}
		return engine.Planned{Unit: u}, true, nil
	}
	return detectReport(report.Finance, s.Cfg.VendorNumber, name, head, hints)
}
