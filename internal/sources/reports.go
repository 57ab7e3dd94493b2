// Package sources holds the report families, each an engine.Source: Sales and Trends,
// Finance, customer reviews, power and performance metrics with diagnostics, the Analytics
// Reports API, the catalog dimensions, TestFlight and Xcode Cloud. A Source plans its
// units, fetches their payloads through the shared client and the one JSON:API page
// iterator (extract.EachPage), and parses an archived version into records; the engine's
// Runner does everything else.
package sources

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// New returns the Sources the config enables, in the order a run plans them. The catalog
// dimensions come first, so the names for the ids of a run's facts are there as early as
// possible; apps is shared by every family that lists the key's apps.
func New(cfg *config.Config) []engine.Source {
	apps := &Apps{Vendor: cfg.VendorNumber}
	var out []engine.Source
	if cfg.Catalog.Enabled {
		out = append(out, &Catalog{Cfg: cfg})
	}
	if cfg.Sales.Enabled {
		out = append(out, &Sales{Cfg: cfg})
	}
	if cfg.Finance.Enabled {
		out = append(out, &Finance{Cfg: cfg})
	}
	_ = apps // the JSON:API families share it (one line each below)
	if cfg.Metrics.Enabled {
		out = append(out, &Metrics{Cfg: cfg, Apps: apps})
	}
	if cfg.Analytics.Enabled {
		out = append(out, &Analytics{Cfg: cfg, Apps: apps})
	}
	if cfg.TestFlight.Enabled {
		out = append(out, &TestFlight{Cfg: cfg, Apps: apps})
	}
	if cfg.XcodeCloud.Enabled {
		out = append(out, &XcodeCloud{Cfg: cfg, Apps: apps})
	}
	if cfg.Reviews.Enabled {
		out = append(out, &Reviews{Cfg: cfg, Apps: apps})
	}
	return out
}

// All returns every Source, enabled or not: for reparse and import, which rebuild what
// the archive holds whatever the config enables today.
func All(cfg *config.Config) []engine.Source {
	c := *cfg
	c.Sales.Enabled, c.Finance.Enabled = true, true
	c.Reviews.Enabled, c.Metrics.Enabled, c.Analytics.Enabled, c.Catalog.Enabled = true, true, true, true
	c.TestFlight.Enabled, c.XcodeCloud.Enabled = true, true
	return New(&c)
}

// Sales is the Sales and Trends family: one unit per configured report kind and period.
type Sales struct {
	Cfg *config.Config

	mu       sync.Mutex
	versions map[string]string // report kind -> version requested this pass (adopted ones included)
}

func (s *Sales) Family() report.Family { return report.Sales }

func (s *Sales) Tables() []*schemas.Table { return tablesOf(report.Sales) }

func tablesOf(f report.Family) []*schemas.Table {
	var out []*schemas.Table
	for _, t := range schemas.All() {
		if t.Family == f {
			out = append(out, t)
		}
	}
	return out
}

func kindOf(u report.Unit) string { return u.Type + "/" + u.SubType + "/" + u.Frequency }

func (s *Sales) version(kind string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versions[kind]
}

func (s *Sales) setVersion(kind, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.versions == nil {
		s.versions = map[string]string{}
	}
	s.versions[kind] = v
}

// Plan walks each configured report kind's periods (periods.go). A loaded day is fetched
// again only once, for late corrections, when it is lookback_days behind the newest loaded
// one (recheckDue); until then, and after, it is final.
func (s *Sales) Plan(ctx context.Context, env *engine.PlanEnv) (engine.Plan, error) {
	var plan engine.Plan
	for _, r := range s.Cfg.Sales.Reports {
		combo, ok := report.LookupCombo(r.Type, r.SubType, r.Frequency)
		if !ok {
			return plan, fmt.Errorf("%s/%s/%s is not a report Apple publishes", r.Type, r.SubType, r.Frequency)
		}
		unit := func(period string) report.Unit {
			return report.Unit{Family: report.Sales, Type: r.Type, SubType: r.SubType, Frequency: r.Frequency,
				Vendor: s.Cfg.VendorNumber, Period: period}
		}
		idx := byPeriod(env.Entries, unit("x"))
		kind := kindOf(unit("x"))
		s.setVersion(kind, initVersion(r.Version, combo.Latest(), idx))
		periods := salesPeriods(env, r.Frequency, s.Cfg.Sales, idx, func(per string) report.Unit { return unit(per) })
		skipped := 0
		for i, per := range periods {
			if combo.Discontinued(per) {
				skipped++ // Apple no longer generates it: nothing to ask for
				continue
			}
			plan.Units = append(plan.Units, engine.Planned{Unit: unit(per), ReportVersion: s.version(kind),
				Final: !recheckDue(idx, periods, i, s.Cfg.Sales.LookbackDays)})
		}
		for _, per := range failedRechecks(r.Frequency, idx, periods, s.Cfg.Sales.LookbackDays) {
			if combo.Discontinued(per) {
				continue
			}
			plan.Units = append(plan.Units, engine.Planned{Unit: unit(per), ReportVersion: s.version(kind)})
		}
		if skipped > 0 {
			env.Note(engine.Note{Kind: "discontinued", Table: unit("x").Table(), Subject: kind,
				Detail: fmt.Sprintf("%s is no longer generated after %s: %d later periods not requested", kind, combo.Until, skipped)})
		}
	}
	return plan, nil
}

// initVersion picks the version to request: the configured one, else the one the newest
// ledger entry was loaded with (a version adopted earlier), else Apple's documented latest.
func initVersion(configured, latest string, idx map[string]load.Entry) string {
	if configured != "" {
		return configured
	}
	v, newest := "", ""
	for per, e := range idx {
		if e.State == load.Loaded && e.Version != "" && per > newest {
			newest, v = per, e.Version
		}
	}
	if v == "" {
		v = latest
	}
	return v
}

// Fetch downloads one report. When Apple answers that the latest version of the report
// is another one, that version is adopted for the rest of the pass and noted once.
func (s *Sales) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	kind := kindOf(p.Unit)
	version := s.version(kind)
	if version == "" {
		version = p.ReportVersion
	}
	rep, err := env.API.SalesReport(ctx, p.Unit, version)
	if err != nil {
		return engine.Fetched{}, err
	}
	if rep.Version != "" && rep.Version != version {
		s.setVersion(kind, rep.Version)
		env.Note(engine.Note{Kind: "version adopted", Table: p.Unit.Table(), Subject: kind,
			Detail: fmt.Sprintf("%s: %s -> %s (Apple's latest; update config.yaml)", kind, version, rep.Version)})
	}
	return reportFetched(env, rep)
}

// kindOfReport names a report answer for a notice.
func kindOfReport(rep *extract.Report) string { return rep.FileName }

// reportFetched turns Apple's answer to a report request into the fetch's outcome.
func reportFetched(env *engine.FetchEnv, rep *extract.Report) (engine.Fetched, error) {
	switch rep.Outcome {
	case extract.Empty:
		return engine.Fetched{Outcome: engine.Empty, Detail: rep.Detail}, nil
	case extract.NotYet:
		return engine.Fetched{Outcome: engine.NotYet, Detail: rep.Detail}, nil
	case extract.Gone:
		return engine.Fetched{Outcome: engine.Gone, Detail: rep.Detail}, nil
	case extract.Discontinued:
		env.Note(engine.Note{Kind: "discontinued", Subject: kindOfReport(rep), Detail: rep.Detail})
		return engine.Fetched{Outcome: engine.Gone, Detail: rep.Detail}, nil
	}
	defer rep.Body.Close()
	if err := env.Put(rep.FileName, rep.Body); err != nil {
		return engine.Fetched{}, err
	}
	return engine.Fetched{Outcome: engine.Data, ReportVersion: rep.Version}, nil
}

// Parse streams the report into its partition: a million-row file never sits in memory,
// and a bad row aborts the write, leaving the partition as it was.
func (s *Sales) Parse(ctx context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	t, err := schemas.ForUnit(in.Unit)
	if err != nil {
		return nil, err
	}
	rdr, release, err := openReport(in, t)
	if err != nil {
		return nil, err
	}
	part, err := unitPartition(t, in.Unit)
	if err != nil {
		release()
		return nil, err
	}
	start, _, err := in.Unit.Bounds()
	if err != nil {
		release()
		return nil, err
	}
	pf := transform.Prefetch(rdr, 2) // parse ahead on a second core while Parquet encodes
	return &engine.Parsed{
		Outputs:    []engine.Output{{Table: t, Partition: part, Input: load.Input{Stream: pf, Period: start}, Primary: true}},
		HeaderHash: rdr.HeaderHash(),
		Layout:     rdr.Layout(),
		Release: func() {
			pf.Stop()
			for _, c := range rdr.Checks() { // complete once the stream was read: lines transcoded from Windows-1252
				in.Note(engine.Note{Kind: "check", Table: t.Name, Subject: checkSubject(c), Detail: c})
			}
			release()
		},
	}, nil
}

// openReport opens the version's one payload as a transform.Reader and notes its drift.
func openReport(in *engine.ParseInput, t *schemas.Table) (*transform.Reader, func(), error) {
	p := in.Version.Payloads[0]
	rc, err := in.Open(p)
	if err != nil {
		return nil, nil, err
	}
	opt := transform.Options{Key: p.Key, Version: in.Version.ReportVersion, ExtractedAt: in.Version.FetchedAt, Alloc: in.Alloc}
	if t.PeriodColumn != "" {
		if opt.ReportDate, _, err = in.Unit.Bounds(); err != nil {
			rc.Close()
			return nil, nil, err
		}
	}
	rdr, err := transform.NewReader(rc, t, opt)
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	d := rdr.Drift()
	for _, c := range d.Unknown {
		in.Note(engine.Note{Kind: "drift", Table: t.Name, Subject: "unknown " + c, Detail: fmt.Sprintf("unknown column %q kept as text", c)})
	}
	for _, c := range d.Missing {
		in.Note(engine.Note{Kind: "drift", Table: t.Name, Subject: "missing " + c, Detail: fmt.Sprintf("expected column %q missing (null)", c)})
	}
	layout := rdr.Layout()
	for _, c := range d.Added {
		in.Note(engine.Note{Kind: "drift", Table: t.Name, Subject: "added " + c, Detail: fmt.Sprintf("column %q is not in the file's layout (%s)", c, layout)})
	}
	for _, c := range d.Renamed {
		in.Note(engine.Note{Kind: "drift", Table: t.Name, Subject: "renamed " + c, Detail: fmt.Sprintf("column %q is spelled otherwise in the file's layout (%s)", c, layout)})
	}
	return rdr, func() { rdr.Release(); rc.Close() }, nil
}

// unitPartition is the partition of a sales or finance unit in its table.
func unitPartition(t *schemas.Table, u report.Unit) (string, error) {
	part, err := u.Partition()
	if err != nil {
		return "", err
	}
	return part, nil
}

// Detect recognises a Sales and Trends report downloaded by hand.
func (s *Sales) Detect(name string, head []byte, hints engine.ImportHints) (engine.Planned, bool, error) {
	return detectReport(report.Sales, s.Cfg.VendorNumber, name, head, hints)
}

// detectReport asks transform.Detect what a file is; ok only for the family's files.
func detectReport(f report.Family, vendor, name string, head []byte, hints engine.ImportHints) (engine.Planned, bool, error) {
	var det transform.Detected
	if head == nil { // the content is unreadable: the name alone (engine.Runner.detectByName)
		d, ok := transform.DetectName(name)
		if !ok {
			return engine.Planned{}, false, nil
		}
		det = d
	} else {
		d, err := transform.Detect(name, head)
		if err != nil {
			return engine.Planned{}, false, err // not ours, but says why no family took it
		}
		det = d
	}
	if det.Table.Family != f {
		return engine.Planned{}, false, nil
	}
	u := report.Unit{Family: f, Type: det.Table.Type, SubType: det.Table.SubType,
		Vendor: first(hints.Vendor, det.Vendor, vendor), Region: first(hints.Region, det.Region),
		Period: first(hints.Period, det.Period)}
	if len(det.Table.Frequencies) > 0 {
		u.Frequency = det.Table.Frequencies[0]
	}
	if f == report.Finance && u.Type == report.FinanceDetail && u.Region == "" {
		u.Region = "Z1"
	}
	switch {
	case u.Period == "":
		return engine.Planned{}, true, fmt.Errorf("cannot tell the report period of this %s file: pass --period", det.Table.Name)
	case f == report.Finance && u.Region == "":
		return engine.Planned{}, true, fmt.Errorf("cannot tell the finance region of this file: pass --region (e.g. US, EU, ZZ)")
	}
	if err := u.Validate(); err != nil {
		return engine.Planned{}, true, err
	}
	return engine.Planned{Unit: u, ReportVersion: det.Version}, true, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// collect reads a whole report into memory (finance files are small) so that checks made
// at its end (footers, summary tables) fail the parse before anything is loaded.
func collect(rdr *transform.Reader) ([]arrow.RecordBatch, error) {
	var recs []arrow.RecordBatch
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rdr.Err(); err != nil {
		for _, r := range recs {
			r.Release()
		}
		return nil, err
	}
	return recs, nil
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}
