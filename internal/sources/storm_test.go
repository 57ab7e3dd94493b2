package sources_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/simulator"
)

// theStorm is the storm of issue 16: per request 20% 500, 10% 429, 5% connection resets,
// 5% 200 bodies cut in half.
const theStorm = "500=0.2,429=0.1,reset=0.05,truncate=0.05"

// defaultHarness is the whole pipeline as `etl run` runs it untouched: config.yaml as
// shipped (every family it enables, its windows), the simulator as the CLI embeds it
// (analytics requests made 10 days before), and a client that retries like the CLI's
// (backoff up to two minutes, Retry-After honoured) without really sleeping. The clock
// does not move between runs, so every version is fetched at the same instant and the
// tables of two harnesses compare byte for byte.
func defaultHarness(t *testing.T, storm simulator.Storm, stormSeed int64) *enginetest.Harness {
	t.Helper()
	h := enginetest.New(t, enginetest.Options{
		Sim: simulator.Options{Seed: 1, AnalyticsSince: 10 * 24 * time.Hour, Storm: storm, StormSeed: stormSeed,
			RateLimit: 1 << 20}, // the budget is not under test here
		Config: func(c *config.Config) {
			d, err := config.Parse("config.yaml", etl.DefaultConfig)
			if err != nil {
				t.Fatal(err)
			}
			*c = *d
		},
		Sources: sourcesNew,
	})
	addr := h.Srv.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := extract.NewClient(extract.Config{
		BaseURL: enginetest.SimBaseURL, IssuerID: h.Sim.Options().IssuerID, KeyID: "TESTKEY123", Key: h.Key,
		HTTPClient: &http.Client{Transport: tr}, Now: h.Clock.Now,
		MaxConcurrency: h.Cfg.API.MaxConcurrency, MaxAttempts: h.Cfg.API.MaxAttempts,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Client = c
	return h
}

// ledgerStates maps every unit id to its state and loaded version.
func ledgerStates(h *enginetest.Harness) map[string]string {
	out := map[string]string{}
	for _, e := range h.Entries("") {
		out[e.Unit.ID()] = string(e.State) + " " + e.Loaded
	}
	return out
}

// TestStormConverges runs the whole default pipeline under the storm, for two storm seeds,
// until a run exits 0 (at most 3 runs), then requires exactly what a fault-free run
// leaves: every Parquet object and every archived object byte for byte, and the same
// ledger states and loaded versions. Byte for byte is possible because the clock stands
// still (versions fetched in a later run carry the same fetch time) and merged partitions
// are sorted by every column (their bytes do not depend on which run loaded which unit);
// it proves more than equal rows would: no truncated or reset body was archived as a
// version, no unit was loaded twice, and no table differs in any byte.
func TestStormConverges(t *testing.T) {
	storm, err := simulator.ParseStorm(theStorm)
	if err != nil {
		t.Fatal(err)
	}
	ref := defaultHarness(t, simulator.Storm{}, 0)
	refSum := ref.RunOK(context.Background())
	wantParquet, wantRaw, wantLedger := ref.Snapshot("parquet/"), ref.Snapshot("raw/"), ledgerStates(ref)
	t.Logf("fault-free run: %d units, %d requests, %d Parquet objects, %d archived objects",
		refSum.Planned, ref.Sim.Stats().Requests, len(wantParquet), len(wantRaw))

	for _, seed := range []int64{1, 2} {
		t.Run("seed"+string(rune('0'+seed)), func(t *testing.T) {
			h := defaultHarness(t, storm, seed)
			var sum *engine.Summary
			runs := 0
			for runs < 3 {
				runs++
				sum = h.Run(context.Background())
				tot := sum.Totals()
				t.Logf("run %d: exit %d, %d units, %d failed, %d pending; faults so far %v; client %+v",
					runs, sum.ExitCode(), sum.Planned, tot.Failed, tot.Pending, h.Sim.StormStats(), h.Client.Stats())
				if sum.ExitCode() == engine.ExitOK {
					break
				}
				for _, f := range sum.Failures {
					t.Logf("  left for the next run: %s", f)
				}
			}
			if sum.ExitCode() != engine.ExitOK {
				t.Fatalf("no run exited 0 in 3 runs:\n%s", enginetest.Printed(sum))
			}
			if st := h.Sim.StormStats(); st["truncate"] == 0 || st["reset"] == 0 || st["500"] == 0 || st["429"] == 0 {
				t.Errorf("the storm did not blow: %v", st)
			}
			if h.Client.Stats().Incomplete == 0 {
				t.Errorf("no incomplete body was seen and retried: %+v", h.Client.Stats())
			}
			if d := enginetest.Diff(wantParquet, h.Snapshot("parquet/")); len(d) > 0 {
				t.Errorf("%d Parquet objects differ from the fault-free run, e.g. %v", len(d), d[:min(5, len(d))])
			}
			if d := enginetest.Diff(wantRaw, h.Snapshot("raw/")); len(d) > 0 {
				t.Errorf("%d archived objects differ from the fault-free run, e.g. %v", len(d), d[:min(5, len(d))])
			}
			got := ledgerStates(h)
			for id, w := range wantLedger {
				if got[id] != w {
					t.Errorf("ledger %s: %q, want %q", id, got[id], w)
				}
			}
			if len(got) != len(wantLedger) {
				t.Errorf("ledger: %d entries, want %d", len(got), len(wantLedger))
			}
		})
	}
}
