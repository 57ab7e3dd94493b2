package sources_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
)

// anaHarness is a harness for the analytics family on two of the simulator's apps (the
// first has subscriptions, the second has not).
type anaHarness struct {
	*enginetest.Harness
	t *testing.T
}

func newAnalyticsHarness(t *testing.T, sim simulator.Options, mutate func(*config.Config)) *anaHarness {
	t.Helper()
	h := enginetest.New(t, enginetest.Options{Sim: sim, Config: enginetest.Family(report.Analytics, func(c *config.Config) {
		c.Analytics.Snapshot = false // the shipped default is on; tests that want it say so
		if mutate != nil {
			mutate(c)
		}
	}), Sources: sourcesNew})
	h.Cfg.Analytics.Apps = h.Sim.AppIDs()[:2]
	return &anaHarness{Harness: h, t: t}
}

// runOK runs once and fails the test on any failed unit.
func (h *anaHarness) runOK() *engine.Summary {
	h.t.Helper()
	sum := h.RunOK(context.Background())
	if len(sum.Failures) > 0 {
		h.t.Fatalf("failures: %v", sum.Failures)
	}
	return sum
}

// runDays runs once a day (at the harness's time of day) for n more days.
func (h *anaHarness) runDays(n int) {
	h.t.Helper()
	for i := 0; i < n; i++ {
		h.Clock.Add(24 * time.Hour)
		h.runOK()
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
func (h *anaHarness) loadedDates(table, app string) map[string]map[string]*instanceRows {
	h.t.Helper()
	ctx := context.Background()
	keys, err := h.Store.List(ctx, "parquet/"+table+"/app_id="+app+"/")
	if err != nil {
		h.t.Fatal(err)
	}
	tb, _ := schemas.Lookup(table)
	var r schemas.AnalyticsReport
	for _, x := range schemas.AnalyticsReports() {
		if x.Table == table {
			r = x
		}
	}
	out := map[string]map[string]*instanceRows{}
	for _, key := range keys {
		tbl, err := h.Store.ReadTable(ctx, key, h.Alloc)
		if err != nil {
			h.t.Fatalf("%s: %v", key, err)
		}
		tr := array.NewTableReader(tbl, 4096)
		for tr.Next() {
			addRows(out, tb, r, tr.RecordBatch())
		}
		tr.Release()
		tbl.Release()
	}
	return out
}

func addRows(out map[string]map[string]*instanceRows, tb *schemas.Table, r schemas.AnalyticsReport, rec arrow.RecordBatch) {
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

// latestOf applies the <table>_latest rule: the greatest processing date, then ONGOING,
// then the greatest instance id.
func latestOf(insts map[string]*instanceRows) *instanceRows {
	var best *instanceRows
	for _, ir := range insts {
		ongoing, bestOngoing := ir.access == "ONGOING", best != nil && best.access == "ONGOING"
		switch {
		case best == nil, ir.processing > best.processing:
			best = ir
		case ir.processing < best.processing:
		case ongoing != bestOngoing:
			if ongoing {
				best = ir
			}
		case ir.instance > best.instance:
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

// checkTruth compares, for every app, configured report and granularity, the latest rows
// per date with the simulator's final ground truth, exactly, and checks the table holds
// every processing date that carried each date. It returns the number of dates compared.
func (h *anaHarness) checkTruth() int {
	h.t.Helper()
	n := 0
	for _, app := range h.Cfg.AnalyticsApps() {
		for _, r := range h.Cfg.AnalyticsReports() {
			loaded := h.loadedDates(r.Table, app)
			seen := map[string]bool{}
			for _, g := range h.Cfg.Analytics.Granularities {
				for _, day := range h.Sim.TruthAnalytics(app, r.Name, g) {
					gd := g + "/" + day.Date
					seen[gd] = true
					if h.checkDay(app, r, gd, loaded[gd], day) {
						n++
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

// checkDay compares one date's instances with the truth; false when the date is missing.
func (h *anaHarness) checkDay(app string, r schemas.AnalyticsReport, gd string, insts map[string]*instanceRows, day simulator.AnalyticsTruthDay) bool {
	h.t.Helper()
	if len(insts) == 0 {
		if day.Rows == 0 {
			return true // a day the report has no row for (no in-app purchase that day): nothing to load
		}
		h.t.Errorf("%s %s %s: date not loaded (truth %d rows)", app, r.Table, gd, day.Rows)
		return false
	}
	var procs []string
	for _, ir := range insts {
		if !slices.Contains(procs, ir.processing) {
			procs = append(procs, ir.processing)
		}
	}
	sort.Strings(procs)
	if !slices.Equal(procs, day.ProcessingDates) {
		h.t.Errorf("%s %s %s: processing dates %v, truth %v", app, r.Table, gd, procs, day.ProcessingDates)
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
	if strings.HasPrefix(gd, report.Daily+"/") {
		p, _ := time.Parse("2006-01-02", best.processing)
		d, _ := time.Parse("2006-01-02", strings.TrimPrefix(gd, report.Daily+"/"))
		if final := p.Sub(d) >= time.Duration(r.FinalDays)*24*time.Hour; final != day.Final {
			h.t.Errorf("%s %s %s: is_final %v, truth %v", app, r.Table, gd, final, day.Final)
		}
	}
	return true
}
