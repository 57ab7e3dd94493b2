package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
)

// monthTouch records the month partitions of tables stored by month (sales) that a pass
// loaded into: the pass compacts them when it ends (compactMonths).
type monthTouch struct {
	mu    sync.Mutex
	parts map[string]monthPart
}

type monthPart struct {
	t         *schemas.Table
	partition string
}

func (m *monthTouch) add(t *schemas.Table, partition string) {
	if t.PeriodColumn == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.parts == nil {
		m.parts = map[string]monthPart{}
	}
	m.parts[t.Name+"/"+partition] = monthPart{t, partition}
}

// settleDays is how long after its end a month is compacted: a day past the sales
// lookback, so the re-checks of the month's last days have run (a later change to the
// month still reaches it: it rewrites the month's object).
func (r *Runner) settleDays() int {
	if r.Cfg != nil {
		return r.Cfg.Sales.LookbackDays + 1
	}
	return 3
}

// recentMonths is how many months back a run looks for months that completed without a
// unit of them loaded in the run (the lookback reaches into a month only for its last
// days); `etl compact` covers any age.
const recentMonths = 3

// compactMonths is the pass's last step: every month partition it loaded into, and for a
// run the recent months of the config's vendor, are compacted (load.Store.CompactMonth):
// a completed month of daily objects becomes one object per table, and a period loaded
// into a compacted month (late data, a restatement, a reparse) is folded into it. Objects
// of the layout before months (report_date in the path) are moved first, since DuckDB
// cannot read a table whose files mix both. Failures are noted in the summary; the
// loaded data stands either way.
//
// Several accounts: each account's Runner compacts its own partitions (account=<name>/),
// which only its units load into, so accounts running at once never compact the same
// month. Shards: a sharded pass does not compact. Sales units are sharded by unit, so the
// days of one month are loaded by different shards, and compacting while another shard
// loads a period of the month (or a second shard compacting it too) could fold an object
// whose ledger entry is not written yet, and would write other shards' ledger entries.
// Compaction runs once after the shards instead, like the views: the shard that completes
// the job's set runs CompactAll when every shard has finished (pipeline.CompactAfterShards,
// cmd/etl shardViews), when nothing loads into the bucket's months any more.
func (r *Runner) compactMonths(ctx context.Context, sum *Summary, run bool) {
	if r.NoCompact || r.Shard.Active() || ctx.Err() != nil {
		return
	}
	parts := r.touched.list()
	if run && r.Cfg != nil && r.Cfg.VendorNumber != "" {
		now := r.now().UTC()
		for _, t := range r.monthTables() {
			moved, err := r.Store.MigrateLegacy(ctx, t, r.partition(""), r.Cfg.VendorNumber, r.compactOptions())
			if err != nil {
				r.compactFailed(sum, t.Name, err)
			}
			for _, p := range moved {
				parts = appendPart(parts, monthPart{t, p})
			}
			for i := 1; i <= recentMonths; i++ {
				m := time.Date(now.Year(), now.Month()-time.Month(i), 1, 0, 0, 0, 0, time.UTC)
				p, err := t.PartitionPath(r.Cfg.VendorNumber, m.Format("2006-01"))
				if err == nil {
					parts = appendPart(parts, monthPart{t, r.partition(p)})
				}
			}
		}
	}
	for _, p := range parts {
		if ctx.Err() != nil {
			return
		}
		res, err := r.Store.CompactMonth(ctx, p.t, p.partition, r.compactOptions())
		if err != nil {
			r.compactFailed(sum, p.t.Name, err)
			continue
		}
		if len(res.Folded) == 0 {
			continue
		}
		if res.Written {
			sum.Compacted++
		}
		sum.Folded += len(res.Folded)
		r.log().Info("compact", "table", p.t.Name, "partition", p.partition, "periods", res.Periods,
			"rows", res.Rows, "folded", len(res.Folded), "written", res.Written)
	}
}

func (r *Runner) compactOptions() load.CompactOptions {
	return load.CompactOptions{Now: r.now().UTC(), SettleDays: r.settleDays(), Alloc: r.alloc()}
}

func (r *Runner) compactFailed(sum *Summary, table string, err error) {
	r.log().Warn("compact", "table", table, "err", err.Error())
	sum.CompactErrors = append(sum.CompactErrors, err.Error())
}

// monthTables are the tables stored by month of the pass's Sources.
func (r *Runner) monthTables() []*schemas.Table {
	var out []*schemas.Table
	for _, s := range r.Sources {
		for _, t := range s.Tables() {
			if t.PeriodColumn != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func (m *monthTouch) list() []monthPart {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []monthPart
	for _, k := range slices.Sorted(maps.Keys(m.parts)) {
		out = append(out, m.parts[k])
	}
	return out
}

func appendPart(ps []monthPart, p monthPart) []monthPart {
	for _, q := range ps {
		if q.t == p.t && q.partition == p.partition {
			return ps
		}
	}
	return append(ps, p)
}

// CompactAll is `etl compact`: every table stored by month of the Runner's Sources, every
// vendor and month of the Runner's account in the bucket, whatever its age (legacy
// objects moved first).
func (r *Runner) CompactAll(ctx context.Context) (*Summary, error) {
	sum := newSummary(r.now())
	for _, t := range r.monthTables() {
		res, err := r.Store.CompactTable(ctx, t, r.partition(""), r.compactOptions())
		sum.Migrated += res.Migrated
		for _, m := range res.Months {
			if m.Written {
				sum.Compacted++
			}
			sum.Folded += len(m.Folded)
			r.log().Info("compact", "table", t.Name, "month", m.Key, "periods", m.Periods,
				"rows", m.Rows, "folded", len(m.Folded), "written", m.Written)
		}
		if err != nil {
			if ctx.Err() != nil {
				sum.Finished = r.now()
				return sum, err
			}
			r.compactFailed(sum, t.Name, fmt.Errorf("%s: %w", t.Name, err))
		}
	}
	sum.Finished = r.now()
	return sum, ctx.Err()
}
