package pipeline

import (
	"context"

	"github.com/ascetl/etl/internal/engine"
)

// Compact is `etl compact`: every completed month of the tables stored by month (sales)
// becomes one object per table and month, at any age, and objects of the layout before
// months are moved into it (engine.Runner.CompactAll), account by account. Run, backfill,
// import and reparse compact the months they touch by themselves, except in a sharded run
// (CompactAfterShards).
func (p *Pipeline) Compact(ctx context.Context) (*Summary, error) {
	return p.runPasses(ctx, true, p.Account, func(r *engine.Runner) (*Summary, error) {
		return r.CompactAll(ctx)
	})
}

// CompactAfterShards is the compaction of a sharded run (engine compactMonths): the shard
// that completes the job's set (ShardDone, the one that also rebuilds the views) compacts
// every month of every account once all shards have finished, so no shard is loading into
// a month while it is folded. It covers the months every shard touched, late data in old
// months included, for the price of listing the month tables.
func (p *Pipeline) CompactAfterShards(ctx context.Context) (*Summary, error) {
	all := *p
	all.Account = ""
	return all.Compact(ctx)
}
