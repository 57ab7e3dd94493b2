package sources_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
)

func TestConformanceMetrics(t *testing.T) {
	enginetest.RunConformanceTests(t, enginetest.Case{
		Family:   report.Metrics,
		Options:  enginetest.Options{Config: enginetest.Family(report.Metrics, metricsSmall), Sources: sourcesNew},
		MinUnits: 2,
	})
}

// metricsSmall keeps a metrics run short: two builds per app, with diagnostics.
func metricsSmall(c *config.Config) { c.Metrics.Builds, c.Metrics.Diagnostics = 2, true }

// metricsHarness is a harness with only metrics enabled, for apps (nil: discovered).
func metricsHarness(t *testing.T, sim simulator.Options, builds int, apps func(*enginetest.Harness) []string) *enginetest.Harness {
	t.Helper()
	h := enginetest.New(t, enginetest.Options{Sim: sim, Sources: sourcesNew,
		Config: enginetest.Family(report.Metrics, func(c *config.Config) { c.Metrics.Builds, c.Metrics.Diagnostics = builds, true })})
	if apps != nil {
		h.Cfg.Metrics.Apps = apps(h)
	}
	return h
}

func firstApps(n int) func(*enginetest.Harness) []string {
	return func(h *enginetest.Harness) []string { return h.Sim.AppIDs()[:n] }
}

func metricsUnit(app, day string) report.Unit {
	return report.Unit{Family: report.Metrics, Type: "PERF_METRICS", Vendor: app, Period: day}
}

func utcDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// metricsRows reads one table's partition of a snapshot and calls fn (if set) for every row.
func metricsRows(t *testing.T, h *enginetest.Harness, table, app, day string, fn func(rec arrow.RecordBatch, i int)) int {
	t.Helper()
	key := load.ParquetKey(table, "app_id="+app+"/snapshot_date="+day)
	tbl, err := h.Store.ReadTable(context.Background(), key, h.Alloc)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 4096)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			if fn != nil {
				fn(rec, i)
			}
		}
	}
	return int(tbl.NumRows())
}

func colStr(rec arrow.RecordBatch, name string, i int) string {
	c := rec.Column(rec.Schema().FieldIndices(name)[0]).(*array.String)
	if c.IsNull(i) {
		return ""
	}
	return c.Value(i)
}

func colI64(rec arrow.RecordBatch, name string, i int) int64 {
	return rec.Column(rec.Schema().FieldIndices(name)[0]).(*array.Int64).Value(i)
}

// servedCounts is what the simulator served for one app's snapshot of its newest builds.
type servedCounts struct {
	tables      map[string]int
	orderID     string   // a signature whose first stack's frames are known in order
	orderFrames []string // its symbols, in pre-order
}

func served(t *testing.T, h *enginetest.Harness, app string, builds int) servedCounts {
	t.Helper()
	truth, err := h.Sim.TruthMetrics(app)
	if err != nil {
		t.Fatal(err)
	}
	a := truth.App
	n := servedCounts{tables: map[string]int{schemas.MetricsTable: a.Points, schemas.BreakdownsTable: a.Breakdowns,
		schemas.GoalsTable: a.GoalKeys, schemas.InsightsTable: a.InsightPopulations}}
	for _, b := range h.Sim.Builds(app)[:builds] {
		bt := truth.Builds[b.ID]
		n.tables[schemas.MetricsTable] += bt.Points
		n.tables[schemas.BreakdownsTable] += bt.Breakdowns
		n.tables[schemas.GoalsTable] += bt.GoalKeys
		n.tables[schemas.InsightsTable] += bt.InsightPopulations
		dt, err := h.Sim.TruthDiagnostics(b.ID)
		if err != nil {
			t.Fatal(err)
		}
		n.tables[schemas.SignaturesTable] += len(dt.Signatures)
		for _, s := range dt.Signatures {
			n.tables[schemas.LogFramesTable] += s.Frames
		}
		if n.orderID == "" && dt.OrderSignatureID != "" {
			n.orderID, n.orderFrames = dt.OrderSignatureID, dt.OrderSymbols
		}
	}
	return n
}

// TestMetricsSnapshotIsLossless: every point, breakdown, goal band, insight population,
// signature and frame served is a row, frames in the order served; the metric the loader
// cannot know is loaded and noted once; a second run the same day makes no request; the
// next day is a new snapshot beside the first.
func TestMetricsSnapshotIsLossless(t *testing.T) {
	for _, tc := range []struct {
		name   string
		builds int
	}{
		{"three newest builds", 3},
		{"every build, the oldest without diagnostics (404)", simulator.BuildsPerApp},
		{"no build", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := metricsHarness(t, simulator.Options{MetricsExtra: true}, tc.builds, firstApps(2))
			ctx := context.Background()
			sum := h.RunOK(ctx)
			day := utcDay(h.Clock.Now())
			for _, app := range h.Cfg.Metrics.Apps {
				checkSnapshot(t, h, app, day, served(t, h, app, tc.builds))
				e := entry(t, h, metricsUnit(app, day))
				if e.State != load.Loaded || !strings.Contains(strings.Join(e.Drift, ";"), "prewarmTime") {
					t.Errorf("app %s: ledger %+v", app, e)
				}
			}
			checkPrewarmNote(t, sum, len(h.Cfg.Metrics.Apps))

			before := h.Snapshot("")
			h.Sim.ResetStats()
			h.RunOK(ctx)
			if n := h.Sim.Stats().Requests; n != 0 {
				t.Errorf("second run the same day made %d requests", n)
			}
			if d := enginetest.Diff(before, h.Snapshot("")); len(d) > 0 {
				t.Errorf("second run changed %v", d)
			}

			h.Clock.Add(24 * time.Hour)
			h.RunOK(ctx)
			next := utcDay(h.Clock.Now())
			app := h.Cfg.Metrics.Apps[0]
			if metricsRows(t, h, schemas.MetricsTable, app, next, nil) == 0 || metricsRows(t, h, schemas.MetricsTable, app, day, nil) == 0 {
				t.Error("both days' snapshots should be kept")
			}
		})
	}
}

func checkSnapshot(t *testing.T, h *enginetest.Harness, app, day string, want servedCounts) {
	t.Helper()
	for _, table := range []string{schemas.MetricsTable, schemas.BreakdownsTable, schemas.GoalsTable,
		schemas.InsightsTable, schemas.SignaturesTable} {
		if got := metricsRows(t, h, table, app, day, nil); got != want.tables[table] {
			t.Errorf("app %s: %s has %d rows, served %d", app, table, got, want.tables[table])
		}
	}
	var order []string
	got := metricsRows(t, h, schemas.LogFramesTable, app, day, func(rec arrow.RecordBatch, i int) {
		if colStr(rec, "signature_id", i) == want.orderID && colI64(rec, "log_index", i) == 0 &&
			colI64(rec, "tree_index", i) == 0 && colI64(rec, "stack_index", i) == 0 {
			if int(colI64(rec, "frame_order", i)) != len(order) {
				t.Errorf("frame_order %d out of sequence", colI64(rec, "frame_order", i))
			}
			order = append(order, colStr(rec, "symbol_name", i))
		}
	})
	if got != want.tables[schemas.LogFramesTable] {
		t.Errorf("app %s: %d frames loaded, served %d", app, got, want.tables[schemas.LogFramesTable])
	}
	if want.orderID != "" && (len(order) == 0 || strings.Join(order, "|") != strings.Join(want.orderFrames[:min(len(order), len(want.orderFrames))], "|")) {
		t.Errorf("frames out of order:\n got %v\nwant %v", order, want.orderFrames)
	}
	found := false
	metricsRows(t, h, schemas.MetricsTable, app, day, func(rec arrow.RecordBatch, i int) {
		found = found || colStr(rec, "metric", i) == "prewarmTime"
	})
	if !found {
		t.Errorf("app %s: the unknown metric was dropped", app)
	}
}

// checkPrewarmNote: the unknown metric is one notice of the run, counting every snapshot
// that served it — never one line per snapshot or per document.
func checkPrewarmNote(t *testing.T, sum *engine.Summary, units int) {
	t.Helper()
	seen := map[[2]string]bool{}
	prewarm := 0
	for _, n := range sum.Notes {
		if n.Kind != "drift" {
			continue
		}
		k := [2]string{n.Table, n.Subject}
		if seen[k] {
			t.Errorf("drift %v noted twice", k)
		}
		seen[k] = true
		if strings.Contains(n.Subject, "metric LAUNCH/prewarmTime") {
			prewarm++
			if n.Units != units {
				t.Errorf("%s: %d units, want %d", n, n.Units, units)
			}
		}
	}
	if prewarm != 1 {
		t.Errorf("%d notices of the unknown metric, want 1:\n%s", prewarm, enginetest.Printed(sum))
	}
}

func entry(t *testing.T, h *enginetest.Harness, u report.Unit) load.Entry {
	t.Helper()
	e, ok, err := h.Store.Ledger().Get(context.Background(), u)
	if err != nil || !ok {
		t.Fatalf("%s: not in the ledger (%v)", u.ID(), err)
	}
	return e
}

// faulty wraps an API: GET requests whose path matches get err, or their body garbled.
type faulty struct {
	engine.API
	match  func(target string) bool
	err    error
	garble bool
}

func (f *faulty) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	if !f.match(target) {
		return f.API.GetJSON(ctx, target, q)
	}
	if f.err != nil {
		return nil, f.err
	}
	b, err := f.API.GetJSON(ctx, target, q)
	if err == nil && f.garble {
		b = enginetest.Garble(b)
	}
	return b, err
}

func pathHas(s string) func(string) bool {
	return func(t string) bool { return strings.Contains(t, s) }
}

// TestMetricsPlan: one snapshot of today per app of metrics.apps, else reviews.apps, else
// the apps discovered (the live ones: AppIDs); a failed discovery fails the pass, not the
// family's plan.
func TestMetricsPlan(t *testing.T) {
	errDown := errors.New("apps listing down")
	for _, tc := range []struct {
		name             string
		metrics, reviews int // apps in metrics.apps, reviews.apps
		fault            error
		want             int // the first want apps of AppIDs (-1: all)
	}{
		{"metrics.apps", 1, 2, nil, 1},
		{"else reviews.apps", 0, 2, nil, 2},
		{"else discovered", 0, 0, nil, -1},
		{"discovery fails", 0, 0, errDown, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := metricsHarness(t, simulator.Options{}, 0, nil)
			all := h.Sim.AppIDs()
			h.Cfg.Metrics.Apps, h.Cfg.Reviews.Apps = all[:tc.metrics], all[:tc.reviews]
			if tc.fault != nil {
				h.API = func(api engine.API) engine.API {
					return &faulty{API: api, match: func(t string) bool { return t == "/v1/apps" }, err: tc.fault}
				}
			}
			sum := h.Run(context.Background())
			var got []string
			for _, e := range h.Entries("metrics/") {
				if e.State != load.Loaded || e.Unit.Period != utcDay(h.Clock.Now()) {
					t.Errorf("%s: %s %s", e.Unit.ID(), e.State, e.Error)
				}
				got = append(got, e.Unit.Vendor)
			}
			want := all
			if tc.want >= 0 {
				want = all[:tc.want]
			}
			slices.Sort(got)
			want = slices.Sorted(slices.Values(want))
			if !slices.Equal(got, want) {
				t.Errorf("snapshots of %v, want %v", got, want)
			}
			wantCode := engine.ExitOK
			if tc.fault != nil {
				wantCode = engine.ExitFailed
				if !strings.Contains(strings.Join(sum.Failures, "\n"), errDown.Error()) {
					t.Errorf("failures %v do not say why", sum.Failures)
				}
			}
			if code := sum.ExitCode(); code != wantCode {
				t.Errorf("exit %d, want %d:\n%s", code, wantCode, enginetest.Printed(sum))
			}
		})
	}
}

// TestMetricsPastDayExpires: a snapshot that failed is redone whole later the same day;
// one still not loaded the next day can no longer be taken and ends expired, without a
// request, beside the new day's snapshot.
func TestMetricsPastDayExpires(t *testing.T) {
	h := metricsHarness(t, simulator.Options{}, 2, firstApps(1))
	app := h.Cfg.Metrics.Apps[0]
	ctx := context.Background()
	h.API = func(api engine.API) engine.API {
		return &faulty{API: api, match: pathHas("/perfPowerMetrics"), err: errors.New("connection reset")}
	}
	if code := h.Run(ctx).ExitCode(); code != engine.ExitFailed {
		t.Fatalf("faulty run: exit %d", code)
	}
	day := utcDay(h.Clock.Now())
	if e := entry(t, h, metricsUnit(app, day)); e.State != load.Failed {
		t.Fatalf("after a failed fetch: %s", e.State)
	}
	h.Clock.Add(25 * time.Hour)
	h.API = nil
	sum := h.RunOK(ctx)
	if e := entry(t, h, metricsUnit(app, day)); e.State != load.Expired || e.Error != "a snapshot of a past day cannot be taken" {
		t.Errorf("yesterday's snapshot: %s %q", e.State, e.Error)
	}
	if e := entry(t, h, metricsUnit(app, utcDay(h.Clock.Now()))); e.State != load.Loaded {
		t.Errorf("today's snapshot: %s %s", e.State, e.Error)
	}
	if tot := sum.Totals(); tot.Expired != 1 || tot.Loaded != 1 {
		t.Errorf("totals %+v", tot)
	}
	// Expired is final: the next run does not fetch it again.
	h.Sim.ResetStats()
	h.RunOK(ctx)
	if n := h.Sim.Stats().Requests; n != 0 {
		t.Errorf("a run after the expiry made %d requests", n)
	}
}

// TestMetricsBackfillIsToday: Apple keeps no past snapshots, so a backfill over past days
// takes today's.
func TestMetricsBackfillIsToday(t *testing.T) {
	h := metricsHarness(t, simulator.Options{}, 1, firstApps(2))
	now := h.Clock.Now()
	sum, err := h.Runner().Run(context.Background(), engine.Window{From: now.AddDate(0, 0, -30), To: now.AddDate(0, 0, -20)})
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("backfill: %v\n%s", err, enginetest.Printed(sum))
	}
	es := h.Entries("metrics/")
	if len(es) != 2 {
		t.Fatalf("%d snapshots, want 2", len(es))
	}
	for _, e := range es {
		if e.State != load.Loaded || e.Unit.Period != utcDay(now) {
			t.Errorf("%s: %s", e.Unit.ID(), e.State)
		}
	}
}

// TestMetricsBadDocumentNamed: a document that does not parse fails the snapshot with its
// archived key and the place in it, loads nothing, and the same day's next run (Apple
// answering well again) loads the snapshot.
func TestMetricsBadDocumentNamed(t *testing.T) {
	for _, tc := range []struct{ path, payload string }{
		{"/perfPowerMetrics", "app-metrics.json.gz: invalid JSON at line 1"},
		{"/builds", "builds.json.gz: invalid JSON at line 1"},
		{"/diagnosticSignatures", "-signatures-001.json.gz: invalid JSON at line 1"},
		{"/logs", "-logs-001.json.gz: invalid JSON at line 1"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			h := metricsHarness(t, simulator.Options{}, 1, firstApps(1))
			h.API = func(api engine.API) engine.API {
				return &faulty{API: api, match: pathHas(tc.path), garble: true}
			}
			ctx := context.Background()
			sum := h.Run(ctx)
			if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0], "raw/metrics/PERF_METRICS/") ||
				!strings.Contains(sum.Failures[0], tc.payload) {
				t.Errorf("failures %v, want one naming %s", sum.Failures, tc.payload)
			}
			if keys := h.Snapshot("parquet/"); len(keys) != 0 {
				t.Errorf("a snapshot that failed wrote %d objects", len(keys))
			}
			h.API = nil
			h.RunOK(ctx)
			day := utcDay(h.Clock.Now())
			if e := entry(t, h, metricsUnit(h.Cfg.Metrics.Apps[0], day)); e.State != load.Loaded || len(e.Versions) != 2 {
				t.Errorf("after a good fetch: %s, %d versions", e.State, len(e.Versions))
			}
		})
	}
}

// FuzzMetricsParse feeds one document of a snapshot as any bytes: Parse never panics, and
// a document it rejects is named in the error.
func FuzzMetricsParse(f *testing.F) {
	f.Add(0, []byte(`{"version":"1.0.0","productData":[]}`))
	f.Add(1, []byte(`{"data":[{"type":"builds","id":"b-1"}]}`))
	f.Add(2, []byte(`{"data":[{"type":"diagnosticSignatures","id":"s1","attributes":{"weight":0.5}}],"links":{}}`))
	f.Add(3, []byte(`{"productData":[{"signatureId":"s1","diagnosticLogs":[{"callStackTree":[{"callStacks":[{"callStackRootFrames":[{"symbolName":"main","subFrames":[{}]}]}]}]}]}]}`))
	f.Add(4, []byte(`{"productData":`))
	src := &sources.Metrics{Cfg: &config.Config{}}
	good := map[string][]byte{
		"app-metrics.json":              []byte(`{"productData":[]}`),
		"builds.json":                   []byte(`{"data":[{"type":"builds","id":"b-1"}]}`),
		"build-b-1-signatures-001.json": []byte(`{"data":[]}`),
		"build-b-1-logs-001.json":       []byte(`{"productData":[]}`),
		"build-b-1-metrics.json":        []byte(`{"productData":[]}`),
	}
	names := []string{"app-metrics.json", "builds.json", "build-b-1-signatures-001.json", "build-b-1-logs-001.json", "build-b-1-metrics.json"}
	f.Fuzz(func(t *testing.T, which int, doc []byte) {
		if which < 0 {
			which = -which
		}
		bad := names[which%len(names)]
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		v := &load.Version{Unit: metricsUnit("1234567890", "2026-11-21"), FetchedAt: enginetest.Start.UTC()}
		for _, n := range names {
			v.Payloads = append(v.Payloads, load.Payload{Name: n, Key: "raw/k/" + n + ".gz"})
		}
		in := &engine.ParseInput{Unit: v.Unit, Version: v, Alloc: mem, Note: func(engine.Note) {},
			Open: func(p load.Payload) (io.ReadCloser, error) {
				b := good[p.Name]
				if p.Name == bad {
					b = doc
				}
				return io.NopCloser(bytes.NewReader(b)), nil
			}}
		parsed, err := src.Parse(context.Background(), in)
		if err != nil {
			if !strings.Contains(err.Error(), "raw/k/") {
				t.Errorf("error does not name the payload: %v", err)
			}
			return
		}
		parsed.Release()
	})
}

// A ledger entry from before versions were kept names only the first document of a
// snapshot: Parse refuses it rather than replace the partitions with part of a snapshot.
func TestMetricsLegacyVersionNotReparsed(t *testing.T) {
	key := "raw/metrics/perf_metrics/app_id=1234567890/2026-01-05/app.json.gz"
	v := load.LegacyVersion(load.Entry{Unit: metricsUnit("1234567890", "2026-01-05"), RawKey: key})
	in := &engine.ParseInput{Unit: v.Unit, Version: v, Alloc: memory.DefaultAllocator, Note: func(engine.Note) {},
		Open: func(load.Payload) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(`{"productData":[]}`)), nil
		}}
	_, err := (&sources.Metrics{Cfg: &config.Config{}}).Parse(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "cannot be reparsed") {
		t.Errorf("legacy version: %v", err)
	}
}
