package pipeline

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
)

func analyticsOnly(c *config.Config) {
	c.Sales.Enabled, c.Finance.Enabled, c.Reviews.Enabled, c.Metrics.Enabled = false, false, false, false
	c.Catalog.Enabled, c.Analytics.Enabled = false, true
}

// newAnalyticsHarness is a harness for the analytics family on two of the simulator's apps
// (the first has subscriptions, the second has not).
func newAnalyticsHarness(t *testing.T, mutate func(*config.Config)) *harness {
	t.Helper()
	h := newHarness(t, simulator.Options{}, func(c *config.Config) {
		analyticsOnly(c)
		if mutate != nil {
			mutate(c)
		}
	})
	h.cfg.Analytics.Apps = h.sim.AppIDs()[:2]
	return h
}

// runOK runs once and fails the test on any failed unit.
func (h *harness) runOK(ctx context.Context) *Summary {
	h.t.Helper()
	sum := h.run(ctx)
	if code := sum.ExitCode(); code != ExitOK || len(sum.Failures) > 0 {
		h.t.Fatalf("exit %d: %v", code, sum.Failures)
	}
	return sum
}

// runDays runs once a day (at the harness's time of day) for n more days.
func (h *harness) runDays(ctx context.Context, n int) {
	h.t.Helper()
	for i := 0; i < n; i++ {
		h.clock.Add(24 * time.Hour)
		h.runOK(ctx)
	}
}

// instanceRows is what one instance contributed to one date.
type instanceRows struct {
	processing, access, instance string
	rows                         int
	sums                         map[string]int64 // column → sum in micro-units
}

// loadedDates reads every Parquet object of an analytics table for one app and groups the
// rows by granularity and date, then by instance.
func (h *harness) loadedDates(table, app string) map[string]map[string]*instanceRows {
	h.t.Helper()
	ctx := context.Background()
	keys, err := h.store.List(ctx, "parquet/"+table+"/app_id="+app+"/")
	if err != nil {
		h.t.Fatal(err)
	}
	tb, _ := schemas.Lookup(table)
	r, _ := schemas.LookupAnalyticsReport(strings.TrimPrefix(table, "analytics_"))
	for _, x := range schemas.AnalyticsReports() {
		if x.Table == table {
			r = x
		}
	}
	out := map[string]map[string]*instanceRows{}
	for _, key := range keys {
		tbl, err := h.store.ReadTable(ctx, key, h.alloc)
		if err != nil {
			h.t.Fatalf("%s: %v", key, err)
		}
		tr := array.NewTableReader(tbl, 4096)
		for tr.Next() {
			rec := tr.RecordBatch()
			col := func(n string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(n)[0]) }
			for i := 0; i < int(rec.NumRows()); i++ {
				date := col(r.DateColumn).(*array.Date32).Value(i).FormattedString()
				gd := col(schemas.AnalyticsGranularity).(*array.String).Value(i) + "/" + date
				inst := col(schemas.AnalyticsInstanceID).(*array.String).Value(i)
				if out[gd] == nil {
					out[gd] = map[string]*instanceRows{}
				}
				ir := out[gd][inst]
				if ir == nil {
					ir = &instanceRows{
						processing: col(schemas.AnalyticsProcessingDate).(*array.Date32).Value(i).FormattedString(),
						access:     col(schemas.AnalyticsAccessType).(*array.String).Value(i),
						instance:   inst, sums: map[string]int64{},
					}
					out[gd][inst] = ir
				}
				ir.rows++
				for _, c := range tb.Columns {
					if c.Kind != schemas.Int64 && c.Kind != schemas.Decimal {
						continue
					}
					a := col(c.Name)
					if a.IsNull(i) {
						continue
					}
					switch v := a.(type) {
					case *array.Int64:
						ir.sums[c.Name] += v.Value(i) * 1_000_000
					case *array.Decimal128:
						ir.sums[c.Name] += int64(v.Value(i).LowBits())
					}
				}
			}
		}
		tr.Release()
		tbl.Release()
	}
	return out
}

// latestOf applies the <table>_latest rule: the greatest processing date, then ONGOING,
// then the greatest instance id.
func latestOf(insts map[string]*instanceRows) *instanceRows {
	var best *instanceRows
	for _, ir := range insts {
		if best == nil || ir.processing > best.processing ||
			ir.processing == best.processing && (ir.access == "ONGOING") != (best.access == "ONGOING") && ir.access == "ONGOING" ||
			ir.processing == best.processing && (ir.access == "ONGOING") == (best.access == "ONGOING") && ir.instance > best.instance {
			best = ir
		}
	}
	return best
}

// micro parses the simulator's exact sums ("1234", "-12.34") into micro-units.
func micro(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "000000")[:6]
	var n int64
	if _, err := fmt.Sscan(whole+frac, &n); err != nil {
		t.Fatalf("measure %q: %v", s, err)
	}
	if neg {
		n = -n
	}
	return n
}

// checkAnalyticsTruth compares, for every app, configured report and granularity, the
// latest rows per date with the simulator's final ground truth, exactly, and checks the
// raw table holds every processing date that carried each date. It returns the number of
// dates compared.
func (h *harness) checkAnalyticsTruth() int {
	h.t.Helper()
	n := 0
	for _, app := range h.cfg.AnalyticsApps() {
		for _, r := range h.cfg.AnalyticsReports() {
			loaded := h.loadedDates(r.Table, app)
			seen := map[string]bool{}
			for _, g := range h.cfg.Analytics.Granularities {
				for _, day := range h.sim.TruthAnalytics(app, r.Name, g) {
					gd := g + "/" + day.Date
					seen[gd] = true
					insts := loaded[gd]
					if len(insts) == 0 {
						h.t.Errorf("%s %s %s: date not loaded (truth %d rows)", app, r.Table, gd, day.Rows)
						continue
					}
					n++
					var procs []string
					for _, ir := range insts {
						if !slices.Contains(procs, ir.processing) {
							procs = append(procs, ir.processing)
						}
					}
					sort.Strings(procs)
					if !slices.Equal(procs, day.ProcessingDates) {
						h.t.Errorf("%s %s %s: raw processing dates %v, truth %v", app, r.Table, gd, procs, day.ProcessingDates)
					}
					best := latestOf(insts)
					if best.processing != day.ProcessingDate || best.rows != day.Rows {
						h.t.Errorf("%s %s %s: latest %s with %d rows, truth %s with %d", app, r.Table, gd, best.processing, best.rows, day.ProcessingDate, day.Rows)
					}
					for m, v := range day.Measures {
						if got, want := best.sums[schemas.ColumnName(m)], micro(h.t, v); got != want {
							h.t.Errorf("%s %s %s: %s = %d micro, truth %s", app, r.Table, gd, m, got, v)
						}
					}
					// is_final in the view: processing date at least FinalDays after the date.
					if g == report.Daily {
						p, _ := time.Parse("2006-01-02", best.processing)
						d, _ := time.Parse("2006-01-02", day.Date)
						if final := p.Sub(d) >= time.Duration(r.FinalDays)*24*time.Hour; final != day.Final {
							h.t.Errorf("%s %s %s: is_final %v, truth %v", app, r.Table, gd, final, day.Final)
						}
					}
				}
			}
			for gd := range loaded {
				if !seen[gd] {
					h.t.Errorf("%s %s %s: loaded, not in the truth", app, r.Table, gd)
				}
			}
		}
	}
	return n
}

func TestAnalyticsRestatementsMatchTruth(t *testing.T) {
	h := newAnalyticsHarness(t, nil)
	ctx := context.Background()
	h.runOK(ctx) // creates the ONGOING requests; no instance for 24–48 h
	for _, app := range h.cfg.AnalyticsApps() {
		reqs := h.sim.AnalyticsRequests(app)
		if len(reqs) != 1 || reqs[0].AccessType != "ONGOING" {
			t.Fatalf("app %s: requests %+v", app, reqs)
		}
	}
	h.runDays(ctx, 9)
	if n := h.checkAnalyticsTruth(); n < 2*10 {
		t.Fatalf("only %d dates compared", n)
	}
	// A second run the same day downloads nothing and rewrites nothing.
	before, snap := h.sim.SegmentStats(), h.snapshot()
	sum := h.runOK(ctx)
	if after := h.sim.SegmentStats(); after.Downloads != before.Downloads {
		t.Errorf("second run downloaded %d segments", after.Downloads-before.Downloads)
	}
	if tot := sum.Totals(); tot.Loaded+tot.Failed+tot.Unchanged != 0 {
		t.Errorf("second run loaded %+v", tot)
	}
	after := h.snapshot()
	for k, v := range snap {
		if !strings.HasPrefix(k, "_etl/state/") && after[k] != v {
			t.Errorf("%s rewritten by a steady-state run", k)
		}
	}
	// The next day downloads exactly the segments of the new instances (one each).
	entries := func() int {
		es, err := h.store.Ledger().List(ctx, "analytics/")
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	e0, d0 := entries(), h.sim.SegmentStats().Downloads
	h.runDays(ctx, 1)
	if newInst, dl := entries()-e0, h.sim.SegmentStats().Downloads-d0; newInst == 0 || dl != newInst {
		t.Errorf("next day: %d new instances, %d downloads", newInst, dl)
	}
	if s := h.sim.SegmentStats(); s.WithAuthorization != 0 || s.Expired != 0 || s.BadSignature != 0 {
		t.Errorf("segment stats %+v", s)
	}
	h.checkAnalyticsTruth()
	// Every instance is in the ledger as loaded or empty.
	es, err := h.store.Ledger().List(ctx, "analytics/")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.State != load.Loaded && e.State != load.Empty {
			t.Errorf("%s: %s %s", e.Unit.ID(), e.State, e.Error)
		}
	}
}

// expiringFetcher lets the first segment URL expire: the clock moves past its 5 minutes
// between the listing and the download.
type expiringFetcher struct {
	Fetcher
	clock *clock
	once  sync.Once
}

func (f *expiringFetcher) Download(ctx context.Context, rawURL string) ([]byte, error) {
	f.once.Do(func() { f.clock.Add(6 * time.Minute) })
	return f.Fetcher.Download(ctx, rawURL)
}

func TestAnalyticsExpiredURLRecovered(t *testing.T) {
	h := newAnalyticsHarness(t, func(c *config.Config) { c.Analytics.Reports = []string{"App Downloads Standard"} })
	ctx := context.Background()
	h.runOK(ctx)
	h.clock.Add(48 * time.Hour)
	p := h.pipeline()
	p.API = &expiringFetcher{Fetcher: h.client, clock: h.clock}
	sum, err := p.Run(ctx)
	if err != nil || len(sum.Failures) > 0 {
		t.Fatalf("run: %v %v", err, sum.Failures)
	}
	if s := h.sim.SegmentStats(); s.Expired != 1 {
		t.Errorf("segment stats %+v: want exactly one expired download", s)
	}
	if tot := sum.Totals(); tot.Loaded == 0 {
		t.Errorf("nothing loaded: %+v", tot)
	}
	h.checkAnalyticsTruth()
}

func TestAnalyticsStoppedRequestRecreated(t *testing.T) {
	h := newAnalyticsHarness(t, func(c *config.Config) {
		c.Analytics.Reports = []string{"App Sessions Standard", "App Crashes Expanded"}
	})
	ctx := context.Background()
	h.runOK(ctx)
	h.runDays(ctx, 4)
	app := h.cfg.AnalyticsApps()[0]
	old := h.sim.AnalyticsRequests(app)[0]
	if err := h.sim.StopAnalyticsRequest(app, "ONGOING"); err != nil {
		t.Fatal(err)
	}
	h.runOK(ctx) // loads what the stopped request still has, deletes it, creates a new one
	var live []simulator.AnalyticsRequestInfo
	for _, r := range h.sim.AnalyticsRequests(app) {
		switch {
		case r.ID == old.ID && !r.Deleted:
			t.Errorf("stopped request %s not deleted", r.ID)
		case r.ID != old.ID && !r.Deleted && !r.Stopped:
			live = append(live, r)
		}
	}
	if len(live) != 1 || live[0].AccessType != "ONGOING" {
		t.Fatalf("after the run: %+v", h.sim.AnalyticsRequests(app))
	}
	var st analyticsState
	if err := h.pipeline().readJSON(ctx, analyticsStateKey(app), &st); err != nil || st.Recreated != 1 || st.OngoingRequest != live[0].ID {
		t.Errorf("state %+v (%v)", st, err)
	}
	h.runDays(ctx, 6) // the new request publishes from c+2 on
	loadedFromNew := false
	es, err := h.store.Ledger().List(ctx, "analytics/")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Unit.Vendor == app && e.Unit.Period > h.clock.Now().AddDate(0, 0, -4).UTC().Format("2006-01-02") && e.State == load.Loaded {
			loadedFromNew = true
		}
	}
	if !loadedFromNew {
		t.Error("nothing loaded from the new request")
	}
	h.checkAnalyticsTruth()
}

func TestAnalyticsSnapshotNoDuplicates(t *testing.T) {
	h := newAnalyticsHarness(t, func(c *config.Config) {
		c.Analytics.Reports = []string{"App Downloads Standard", "App Store Subscription Event Report Standard"}
		c.Analytics.Granularities = []string{"DAILY", "WEEKLY", "MONTHLY"}
		c.Analytics.Snapshot = true
	})
	ctx := context.Background()
	h.runOK(ctx)
	for _, app := range h.cfg.AnalyticsApps() {
		if reqs := h.sim.AnalyticsRequests(app); len(reqs) != 2 {
			t.Fatalf("app %s: requests %+v", app, reqs)
		}
	}
	h.runDays(ctx, 6)
	// Requested once: later runs neither ask again nor fail on Apple's one-a-month rule.
	for _, app := range h.cfg.AnalyticsApps() {
		if reqs := h.sim.AnalyticsRequests(app); len(reqs) != 2 {
			t.Errorf("app %s: requests %+v", app, reqs)
		}
	}
	snapshotDates := 0
	for _, app := range h.cfg.AnalyticsApps() {
		for _, r := range h.cfg.AnalyticsReports() {
			for gd, insts := range h.loadedDates(r.Table, app) {
				procs := map[string]int{}
				for _, ir := range insts {
					procs[ir.processing]++
					if ir.access == "ONE_TIME_SNAPSHOT" && len(insts) == 1 {
						snapshotDates++
					}
				}
				for p, n := range procs {
					if n > 1 && !(n == 2 && strings.HasPrefix(gd, "DAILY/")) {
						t.Errorf("%s %s %s: %d instances of processing date %s", app, r.Table, gd, n, p)
					}
				}
			}
		}
	}
	if snapshotDates < 30 {
		t.Errorf("only %d dates come from the snapshot alone (history)", snapshotDates)
	}
	if n := h.checkAnalyticsTruth(); n < 60 {
		t.Errorf("only %d dates compared", n)
	}
}

func TestAnalyticsUnitsAndState(t *testing.T) {
	u := analyticsUnit("123", "ONGOING", schemas.AnalyticsReports()[0], apiInstance{ID: "x", Granularity: "DAILY", ProcessingDate: "2026-11-23"})
	if err := u.Validate(); err != nil {
		t.Fatal(err)
	}
	if u.Table() != schemas.AnalyticsReports()[0].Table || !strings.HasPrefix(u.ID(), "analytics/") {
		t.Errorf("%s %s", u.Table(), u.ID())
	}
	if err := verifySegment(apiSegment{Size: 3, Checksum: "900150983cd24fb0d6963f7d28e17f72"}, []byte("abc")); err != nil {
		t.Error(err)
	}
	if err := verifySegment(apiSegment{Size: 4}, []byte("abc")); err == nil {
		t.Error("size mismatch accepted")
	}
	if err := verifySegment(apiSegment{Checksum: "900150983cd24fb0d6963f7d28e17f73"}, []byte("abc")); err == nil {
		t.Error("checksum mismatch accepted")
	}
	_ = url.Values{}
}
