package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

func metricsOnly(c *config.Config) {
	c.Sales.Enabled, c.Finance.Enabled, c.Reviews.Enabled, c.Metrics.Enabled = false, false, false, true
	c.Metrics.Builds, c.Metrics.Diagnostics = 3, true
}

// rowsOf reads one table's partition for a snapshot and calls fn for every row.
func (h *harness) rowsOf(table, app, day string, fn func(rec arrow.RecordBatch, i int)) int {
	h.t.Helper()
	key := load.ParquetKey(table, "app_id="+app+"/snapshot_date="+day)
	tbl, err := h.store.ReadTable(context.Background(), key, h.alloc)
	if err != nil {
		h.t.Fatalf("%s: %v", key, err)
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

func str(rec arrow.RecordBatch, name string, i int) string {
	c := rec.Column(rec.Schema().FieldIndices(name)[0]).(*array.String)
	if c.IsNull(i) {
		return ""
	}
	return c.Value(i)
}

func i64(rec arrow.RecordBatch, name string, i int) int64 {
	return rec.Column(rec.Schema().FieldIndices(name)[0]).(*array.Int64).Value(i)
}

func TestMetricsSnapshotIsLossless(t *testing.T) {
	h := newHarness(t, simulator.Options{MetricsExtra: true}, metricsOnly)
	h.cfg.Metrics.Apps = h.sim.AppIDs()[:2]
	ctx := context.Background()
	sum := h.run(ctx)
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d: %v", code, sum.Failures)
	}
	day := h.clock.Now().UTC().Format("2006-01-02")
	for _, app := range h.cfg.Metrics.Apps {
		truth, err := h.sim.TruthMetrics(app)
		if err != nil {
			t.Fatal(err)
		}
		builds := h.sim.Builds(app)[:h.cfg.Metrics.Builds]
		points, breakdowns, goals, populations := truth.App.Points, truth.App.Breakdowns, truth.App.GoalKeys, truth.App.InsightPopulations
		for _, b := range builds {
			bt := truth.Builds[b.ID]
			points += bt.Points
			breakdowns += bt.Breakdowns
			goals += bt.GoalKeys
			populations += bt.InsightPopulations
		}
		// Every point, breakdown, goal band and insight population is a row: nothing lost.
		for table, want := range map[string]int{"perf_metrics": points, "perf_metric_breakdowns": breakdowns,
			"perf_metric_goals": goals, "perf_insights": populations} {
			if got := h.rowsOf(table, app, day, nil); got != want {
				t.Errorf("app %s: %s has %d rows, served %d", app, table, got, want)
			}
		}
		// Diagnostics: every signature and every frame, frames in the order served.
		var sigs, frames int
		var order []string
		var orderID string
		for _, b := range builds {
			dt, err := h.sim.TruthDiagnostics(b.ID)
			if err != nil {
				t.Fatal(err)
			}
			sigs += len(dt.Signatures)
			for _, s := range dt.Signatures {
				frames += s.Frames
			}
			if orderID == "" && dt.OrderSignatureID != "" {
				orderID, order = dt.OrderSignatureID, dt.OrderSymbols
			}
		}
		if got := h.rowsOf("diagnostic_signatures", app, day, nil); got != sigs {
			t.Errorf("app %s: %d signatures loaded, served %d", app, got, sigs)
		}
		var loadedOrder []string
		got := h.rowsOf("diagnostic_log_frames", app, day, func(rec arrow.RecordBatch, i int) {
			if str(rec, "signature_id", i) == orderID && i64(rec, "log_index", i) == 0 &&
				i64(rec, "tree_index", i) == 0 && i64(rec, "stack_index", i) == 0 {
				if int(i64(rec, "frame_order", i)) != len(loadedOrder) {
					t.Errorf("frame_order %d out of sequence", i64(rec, "frame_order", i))
				}
				loadedOrder = append(loadedOrder, str(rec, "symbol_name", i))
			}
		})
		if got != frames {
			t.Errorf("app %s: %d frames loaded, served %d", app, got, frames)
		}
		if strings.Join(loadedOrder, "|") != strings.Join(order[:min(len(order), len(loadedOrder))], "|") || len(loadedOrder) == 0 {
			t.Errorf("frames out of order:\n got %v\nwant %v", loadedOrder, order)
		}
		// The metric the loader cannot know is loaded and reported, not dropped; it is the
		// only drift (the simulator's other names are report/metricnames').
		e, ok, _ := h.store.Ledger().Get(ctx, report.Unit{Family: report.Metrics, Type: "PERF_METRICS", Vendor: app, Period: day})
		if !ok || e.State != load.Loaded || !strings.Contains(strings.Join(e.Drift, ";"), "prewarmTime") {
			t.Errorf("app %s: ledger %+v", app, e)
		}
		for _, d := range e.Drift {
			if !strings.Contains(d, "prewarmTime") {
				t.Errorf("app %s: drift %q from the simulator's own vocabulary", app, d)
			}
		}
		found := false
		h.rowsOf("perf_metrics", app, day, func(rec arrow.RecordBatch, i int) {
			found = found || str(rec, "metric", i) == "prewarmTime"
		})
		if !found {
			t.Errorf("app %s: the unknown metric was dropped", app)
		}
	}

	// Later the same day: the snapshot is not taken twice.
	before := h.snapshot()
	h.sim.ResetStats()
	h.run(ctx)
	if n := h.sim.Stats().Requests; n != 0 {
		t.Errorf("second run the same day made %d requests", n)
	}
	for k, v := range h.snapshot() {
		if before[k] != v {
			t.Errorf("second run changed %s", k)
		}
	}
	// The next day is a new snapshot beside the first: trends stay queryable.
	h.clock.Add(24 * time.Hour)
	h.run(ctx)
	next := h.clock.Now().UTC().Format("2006-01-02")
	if h.rowsOf("perf_metrics", h.cfg.Metrics.Apps[0], next, nil) == 0 || h.rowsOf("perf_metrics", h.cfg.Metrics.Apps[0], day, nil) == 0 {
		t.Error("both days' snapshots should be kept")
	}
}
