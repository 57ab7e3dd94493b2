package schedule

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/simulator"
)

// allFamilies is a harness with every family of the engine on, kept small.
func allFamilies(t *testing.T) *enginetest.Harness {
	return enginetest.New(t, enginetest.Options{
		// A long-standing account: analytics instances exist, so the merging tables get rows.
		Sim: simulator.Options{AnalyticsSince: 10 * 24 * time.Hour},
		Config: func(c *config.Config) {
			c.Sales.InitialDays = 2
			c.Finance.InitialPeriods = 1
			c.Finance.Regions = []string{"ZZ", "US"}
			c.Reviews.Enabled, c.Metrics.Enabled, c.Catalog.Enabled, c.Analytics.Enabled = true, true, true, true
			c.TestFlight.Enabled, c.XcodeCloud.Enabled = true, true
			c.Analytics.Reports = []string{"App Downloads Standard", "App Sessions Standard", "App Crashes Expanded"}
			c.Lock.TTL = config.Duration(10 * time.Second)
			c.Lock.MaxWait = config.Duration(5 * time.Minute)
		},
		Sources: func(c *config.Config) []engine.Source { return sources.New(c) },
	})
}

// execOn is an etl run of every family on store, as a separate process would make it
// (its own store handle and API client).
func execOn(h *enginetest.Harness, store *load.Store, mode string, gate func()) *Exec {
	x := &Exec{Cfg: h.Cfg, Store: store, Command: "run", LockMode: mode, Now: h.Clock.Now}
	c := h.NewClient()
	x.Stats = c.Stats
	x.Work = func(ctx context.Context) (*pipeline.Summary, error) {
		gate()
		p := &pipeline.Pipeline{Cfg: h.Cfg, Store: store, API: c, Now: h.Clock.Now, Alloc: h.Alloc}
		return p.Run(ctx)
	}
	return x
}

// state is what a bucket holds that a run must get right: every Parquet object and
// archived payload byte for byte, and each unit's ledger state, rows and loaded version.
func state(t *testing.T, h *enginetest.Harness) (objects map[string]string, ledger []string) {
	objects = map[string]string{}
	for k, v := range h.Snapshot("") {
		if strings.HasPrefix(k, "parquet/") || strings.HasPrefix(k, "raw/") {
			objects[k] = v
		}
	}
	for _, e := range h.Entries("") {
		ledger = append(ledger, fmt.Sprintf("%s %s rows=%d loaded=%s", e.Unit.ID(), e.State, e.Rows, e.Loaded))
	}
	sort.Strings(ledger)
	return objects, ledger
}

// TestConcurrentRunsNeverLoseRows: two runs of every family started at once on one bucket
// end with exactly what the same runs give one after the other (Parquet and archive byte
// for byte, the same ledger), whatever the lock mode: with wait the second runs after the
// first, with exit it stops (one run). Without the lock they would merge into the same
// partitions at once, and the last write would drop the other's rows.
func TestConcurrentRunsNeverLoseRows(t *testing.T) {
	// The references: one run, and two runs one after the other (the second plans from
	// what the first loaded, minus the lookback, so it loads a few more units).
	ref := allFamilies(t)
	type want struct {
		objects map[string]string
		ledger  []string
	}
	var refs []want
	for i := 0; i < 2; i++ {
		sum := ref.Run(context.Background())
		if i == 0 && sum.Totals().Loaded < 20 {
			t.Fatalf("reference run loaded only %d units:\n%s", sum.Totals().Loaded, enginetest.Printed(sum))
		}
		o, l := state(t, ref)
		refs = append(refs, want{o, l})
	}
	tables := map[string]bool{}
	for k := range refs[0].objects {
		if strings.HasPrefix(k, "parquet/") {
			tables[strings.Split(k, "/")[1]] = true
		}
	}
	t.Logf("reference: %d objects, %d tables, %d units after one run; %d objects, %d units after two",
		len(refs[0].objects), len(tables), len(refs[0].ledger), len(refs[1].objects), len(refs[1].ledger))

	for _, mode := range []string{config.LockWait, config.LockExit} {
		t.Run(mode, func(t *testing.T) {
			h := allFamilies(t)
			var ready sync.WaitGroup
			ready.Add(2)
			start := make(chan struct{})
			var wg sync.WaitGroup
			results := make([]Result, 2)
			for i := range results {
				x := execOn(h, load.New(h.Bucket), mode, func() {})
				wg.Add(1)
				go func() {
					defer wg.Done()
					ready.Done()
					<-start
					results[i] = x.Do(context.Background())
				}()
			}
			ready.Wait()
			close(start)
			wg.Wait()
			ran := 0
			for i, r := range results {
				switch {
				case r.Err == nil && r.Code == pipeline.ExitOK:
					ran++
				case mode == config.LockExit && errors.Is(r.Err, load.ErrLocked):
				default:
					t.Fatalf("run %d: exit %d: %v", i+1, r.Code, r.Err)
				}
			}
			if ran == 0 || (mode == config.LockWait && ran != 2) {
				t.Fatalf("%d runs ran", ran)
			}
			objects, ledger := state(t, h)
			w := refs[ran-1]
			if d := enginetest.Diff(w.objects, objects); len(d) > 0 {
				t.Errorf("%d objects differ from %d sequential run(s), e.g. %v", len(d), ran, d[:min(len(d), 5)])
			}
			if strings.Join(ledger, "\n") != strings.Join(w.ledger, "\n") {
				t.Errorf("ledger differs from %d sequential run(s):\n%s\nwant\n%s", ran, strings.Join(ledger, "\n"), strings.Join(w.ledger, "\n"))
			}
		})
	}
}
