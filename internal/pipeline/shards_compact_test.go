package pipeline

import (
	"context"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/simulator"
)

// Shards do not compact: the days of a month are loaded by different shards, so a shard
// compacting would fold objects other shards are still writing. The compaction after the
// shards (CompactAfterShards, by the shard that completes the job) then leaves exactly the
// tables and ledger of one unsharded run, which compacts as it goes: a completed month of
// each account is one object.
func TestShardsCompactOnceAfterAll(t *testing.T) {
	ctx := context.Background()
	const n = 2
	cfg := func() *config.Config {
		return twoAccountsConfig(t, func(c *config.Config) {
			c.Sales.InitialDays = 28 // back into October, complete on November 21st
			c.Finance.Enabled, c.Reviews.Enabled, c.Catalog.Enabled = false, false, false
		})
	}
	ref := newMultiHarness(t, simulator.Options{}, cfg())
	if sum := ref.run(ctx); sum.ExitCode() != ExitOK || sum.Compacted == 0 {
		t.Fatalf("unsharded run: exit %d, %d months compacted\n%s", sum.ExitCode(), sum.Compacted, printedSummary(sum))
	}

	h := newMultiHarness(t, simulator.Options{}, cfg())
	stores := shardStores(t, "fileblob", n)
	var wg sync.WaitGroup
	for i := range n {
		p := h.pipeline(stores[i], h.clients(n))
		p.Shard, p.Job = engine.Shard{Index: i, Count: n}, "job-compact"
		wg.Add(1)
		go func() {
			defer wg.Done()
			sum, err := p.Run(ctx)
			if err != nil || sum.ExitCode() != ExitOK || sum.Compacted != 0 || sum.Folded != 0 {
				t.Errorf("shard %d: %v, compacted %d folded %d", i, err, sum.Compacted, sum.Folded)
			}
		}()
	}
	wg.Wait()
	october := func(st *load.Store) (periods, months int) {
		keys, err := st.List(ctx, "parquet/sales_summary_daily/")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !strings.Contains(k, "/month=2026-10/") {
				continue
			}
			if path.Base(k) == load.MonthObject {
				months++
			} else {
				periods++
			}
		}
		return periods, months
	}
	if p, m := october(stores[0]); p == 0 || m != 0 {
		t.Fatalf("after the shards: October has %d period and %d month objects, want some and none", p, m)
	}
	p := h.pipeline(stores[0], nil)
	p.Shard, p.Job = engine.Shard{Index: 1, Count: n}, "job-compact"
	sum, err := p.CompactAfterShards(ctx)
	if err != nil || sum.Compacted == 0 || len(sum.CompactErrors) > 0 {
		t.Fatalf("compaction after the shards: %v, %+v", err, sum)
	}
	if p, m := october(stores[0]); p != 0 || m != 3 { // one per vendor: acme has two, globex one
		t.Errorf("after compaction: October has %d period and %d month objects, want 0 and 3", p, m)
	}
	for _, prefix := range []string{"parquet/", "_etl/ledger/"} {
		want, got := objects(t, ref.store, prefix), objects(t, stores[0], prefix)
		if diff := diffKeys(want, got); len(diff) > 0 {
			t.Errorf("%s: %d objects differ from the unsharded run, e.g. %v", prefix, len(diff), diff[:min(5, len(diff))])
		}
	}
}
