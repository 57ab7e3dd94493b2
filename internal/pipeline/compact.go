package pipeline

import "context"

// Compact is `etl compact`: every completed month of the tables stored by month (sales)
// becomes one object per table and month, at any age, and objects of the layout before
// months are moved into it (engine.Runner.CompactAll). Run, backfill, import and reparse
// compact the months they touch by themselves.
func (p *Pipeline) Compact(ctx context.Context) (*Summary, error) {
	return p.runner(true).CompactAll(ctx)
}
