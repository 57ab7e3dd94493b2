package pipeline

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

func TestRunMatchesGroundTruthAndIsIdempotent(t *testing.T) {
	h := newHarness(t, simulator.Options{}, nil)
	ctx := context.Background()
	sum := h.run(ctx)
	if code := sum.ExitCode(); code != ExitOK {
		var b strings.Builder
		sum.Print(&b)
		t.Fatalf("exit %d:\n%s", code, b.String())
	}
	loaded := h.checkTruth()
	if loaded < 20 {
		t.Fatalf("only %d units loaded", loaded)
	}
	for _, table := range []string{"sales_summary_daily", "subscription_summary_daily", "subscription_event_summary_daily",
		"subscriber_detailed_daily", "finance_financial", "finance_detail"} {
		if ts := sum.Tables[table]; ts == nil || ts.Loaded == 0 {
			t.Errorf("table %s: nothing loaded (%+v)", table, ts)
		}
	}

	// A second run of the same window asks for nothing (a loaded day is re-checked once,
	// in the run that first fetches the day lookback_days+1 after it) and changes nothing.
	before := h.snapshot()
	sum2 := h.run(ctx)
	after := h.snapshot()
	if !maps.Equal(before, after) {
		for k, v := range after {
			if before[k] != v {
				t.Errorf("second run changed %s", k)
			}
		}
		t.Fatalf("second run changed the bucket (%d objects before, %d after)", len(before), len(after))
	}
	if tot := sum2.Totals(); tot.Loaded != 0 || tot.Failed != 0 || tot.Unchanged != 0 || sum2.Planned != 0 {
		t.Errorf("second run: %+v", tot)
	}

	// The next day, only the new day (plus the lookback) is asked for.
	h.clock.Add(24 * time.Hour)
	h.sim.ResetStats()
	sum3 := h.run(ctx)
	if tot := sum3.Totals(); tot.Failed != 0 || tot.Loaded == 0 {
		t.Errorf("next day: %+v", tot)
	}
	perReport := h.cfg.Sales.LookbackDays + 2 // lookback days, the newest loaded day, the new day
	if got, max := h.sim.Stats().Requests, len(h.cfg.Sales.Reports)*perReport+len(h.cfg.Finance.Regions)*2+2; got > max {
		t.Errorf("next day run made %d requests, want at most %d", got, max)
	}
	h.checkTruth()
}

func TestInterruptedRunLeavesNoPartialObjects(t *testing.T) {
	h := newHarness(t, simulator.Options{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	p := h.pipeline()
	done := 0
	p.OnUnit = func(UnitDone) {
		if done++; done == 10 {
			cancel()
		}
	}
	_, err := p.Run(ctx)
	if err == nil {
		t.Fatal("interrupted run returned no error")
	}
	// Every object present is complete: each Parquet object is readable and every loaded
	// ledger entry points at one.
	keys, _ := h.store.List(context.Background(), "parquet/")
	for _, k := range keys {
		tbl, err := h.store.ReadTable(context.Background(), k, h.alloc)
		if err != nil {
			t.Errorf("partial object %s: %v", k, err)
			continue
		}
		tbl.Release()
	}
	es, _ := h.store.Ledger().List(context.Background(), "")
	if len(es) == 0 || len(keys) == 0 {
		t.Fatalf("cancelled too early to prove anything: %d entries, %d objects", len(es), len(keys))
	}
	// The next run completes the work.
	sum := h.run(context.Background())
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d after resume", code)
	}
	if h.checkTruth() < 20 {
		t.Fatal("resume loaded too little")
	}
}

func TestBadInputFailsItsUnitOnly(t *testing.T) {
	h := newHarness(t, simulator.Options{}, nil)
	day := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Daily, Vendor: h.cfg.VendorNumber, Period: "2026-11-19"}
	trunc := day
	trunc.Period = "2026-11-18"
	drift := day
	drift.Period = "2026-11-17"
	flaky := day
	flaky.Period = "2026-11-20"
	h.sim.Inject(day.ID(), simulator.FaultBadValue)
	h.sim.Inject(trunc.ID(), simulator.FaultTruncated)
	h.sim.Inject(drift.ID(), simulator.FaultExtraColumn)
	h.sim.Inject(flaky.ID(), simulator.FaultTransient)

	sum := h.run(context.Background())
	if code := sum.ExitCode(); code != ExitPartial {
		t.Fatalf("exit %d, want %d (partial)", code, ExitPartial)
	}
	get := func(u report.Unit) load.Entry {
		e, ok, err := h.store.Ledger().Get(context.Background(), u)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", u.ID(), ok, err)
		}
		return e
	}
	bad := get(day)
	if bad.State != load.Failed || !strings.Contains(bad.Error, bad.RawKey+":2:") || !strings.Contains(bad.Error, `column "Units"`) {
		t.Errorf("bad value: state %s error %q (raw %s)", bad.State, bad.Error, bad.RawKey)
	}
	if ok, _ := h.store.Exists(context.Background(), bad.RawKey); !ok {
		t.Errorf("raw payload of the failed unit is not archived")
	}
	if ok, _ := h.store.Exists(context.Background(), mustKey(t, day)); ok {
		t.Errorf("failed unit has a Parquet object")
	}
	if e := get(trunc); e.State != load.Failed || !strings.Contains(e.Error, "unexpected EOF") {
		t.Errorf("truncated: state %s error %q", e.State, e.Error)
	}
	if e := get(drift); e.State != load.Loaded || len(e.Drift) != 1 || !strings.Contains(e.Drift[0], simulator.SurpriseColumn) {
		t.Errorf("drift: state %s drift %v", e.State, e.Drift)
	}
	if e := get(flaky); e.State != load.Loaded {
		t.Errorf("transient errors not retried: %s %s", e.State, e.Error)
	}
	if len(sum.Failures) != 2 {
		t.Errorf("failures: %v", sum.Failures)
	}

	// Once Apple serves good data, the next run loads the failed units.
	h.sim.Clear()
	sum = h.run(context.Background())
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d after the faults cleared", code)
	}
	if e := get(day); e.State != load.Loaded || e.Attempts != 2 {
		t.Errorf("after clear: %s attempts %d", e.State, e.Attempts)
	}
	h.checkTruth()
}

func mustKey(t *testing.T, u report.Unit) string {
	k, err := load.UnitParquetKey(u)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVersionAdoption(t *testing.T) {
	h := newHarness(t, simulator.Options{}, func(c *config.Config) {
		c.Finance.Enabled = false
		c.Sales.Reports = []config.SalesReport{{Type: "SUBSCRIPTION", SubType: "SUMMARY", Frequency: "DAILY", Version: "1_4"}}
	})
	sum := h.run(context.Background())
	if ad := sum.NotesOf("version adopted"); len(ad) != 1 || !strings.Contains(ad[0], "1_4 -> 1_3") {
		t.Fatalf("adopted: %v", sum.NotesOf("version adopted"))
	}
	es, _ := h.store.Ledger().List(context.Background(), "sales/SUBSCRIPTION/")
	for _, e := range es {
		if e.State == load.Loaded && e.Version != "1_3" {
			t.Errorf("%s loaded with version %q", e.Unit.ID(), e.Version)
		}
	}
	// One refused request, then every unit asks for the adopted version directly.
	if refused := h.sim.Stats().ByStatus[400]; refused < 1 || refused > h.cfg.API.MaxConcurrency {
		t.Errorf("%d requests refused for the version", refused)
	}
	h.checkTruth()
}

func TestPendingAndRetention(t *testing.T) {
	h := newHarness(t, simulator.Options{}, func(c *config.Config) {
		c.Finance.Enabled = false
		c.Sales.Reports = []config.SalesReport{{Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY"}}
	})
	// Before 08:00 Pacific, yesterday is not due yet: it must not be requested.
	h.clock.Set(time.Date(2026, 11, 21, 6, 0, 0, 0, report.Pacific))
	h.run(context.Background())
	if _, ok, _ := h.store.Ledger().Get(context.Background(), report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY",
		Frequency: report.Daily, Vendor: h.cfg.VendorNumber, Period: "2026-11-20"}); ok {
		t.Error("a day not yet due was requested")
	}
	// A backfill beyond Apple's one-year retention records the old days as expired.
	p := h.pipeline()
	sum, err := p.Backfill(context.Background(), Window{
		From: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if tot := sum.Totals(); tot.Expired != 3 {
		t.Errorf("backfill past retention: %+v", tot)
	}
}

func TestRateBudgetIsNeverExceeded(t *testing.T) {
	h := newHarness(t, simulator.Options{RateLimit: 12}, nil)
	sum := h.run(context.Background())
	st := h.sim.Stats()
	if st.RateLimited != 0 {
		t.Errorf("%d requests were throttled: the client sent past the announced budget", st.RateLimited)
	}
	if st.Requests > 12 {
		t.Errorf("%d requests sent with a budget of 12", st.Requests)
	}
	tot := sum.Totals()
	if tot.Pending == 0 || sum.ExitCode() != ExitPartial {
		t.Fatalf("want pending units and a partial exit: %+v exit %d", tot, sum.ExitCode())
	}
	// An hour later the budget is back; runs finish the work without a single 429.
	for i := 0; i < 20 && h.pipeline() != nil; i++ {
		h.clock.Add(61 * time.Minute)
		h.client = newClientFor(t, h)
		s := h.run(context.Background())
		t.Logf("iteration %d: %+v stats %+v", i, s.Totals(), h.sim.Stats().ByStatus)
		if s.Totals().Pending == 0 && s.ExitCode() == ExitOK {
			break
		}
	}
	if h.sim.Stats().RateLimited != 0 {
		t.Errorf("throttled while catching up")
	}
	if h.checkTruth() < 20 {
		t.Error("did not catch up")
	}
}
