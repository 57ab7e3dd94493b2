package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// Runner is the portable type: it runs Sources. One Runner serves one pass (run,
// backfill, import or reparse); it is not reused.
type Runner struct {
	Cfg     *config.Config
	Store   *load.Store
	API     API // nil for import and reparse
	Sources []Source
	Log     *slog.Logger
	Now     func() time.Time
	Alloc   memory.Allocator
	// OnUnit, when set, is called after each unit (progress on a terminal).
	OnUnit func(UnitDone)
	// Workers bounds units in flight (default: api.max_concurrency).
	Workers int
	// NoCompact skips the pass's compaction of months (compact.go): benchmarks of the
	// daily layout only.
	NoCompact bool
	// Account is the account (config accounts:) of this pass, "" in the single-account
	// form: its entries carry it and its partitions sit under account=<name>/ (account.go).
	Account string
	// Shard restricts the pass to its share of the planned units (shard.go).
	Shard Shard
	// SharePlan, with an active Shard, makes the shards of one run work from one plan
	// (shard.go): it gets this shard's plan before anything is written and returns the
	// plan to use, the first one published.
	SharePlan func(ctx context.Context, plan []PlanRecord) ([]PlanRecord, error)
	// Slots, when set, is shared by Runners working at once (one per account): a unit holds
	// a slot while it runs, so the units in flight across them stay bounded (account.go).
	Slots chan struct{}
	// AllowShrink applies versions that would replace a loaded unit's partitions with far
	// fewer rows (--allow-shrink); without it they are archived and held (shrink.go).
	AllowShrink bool

	notes   notes
	touched monthTouch // month partitions loaded into (compact.go)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) alloc() memory.Allocator {
	if r.Alloc != nil {
		return r.Alloc
	}
	return memory.DefaultAllocator
}

func (r *Runner) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (r *Runner) workers() int {
	switch {
	case r.Workers > 0:
		return r.Workers
	case r.Cfg != nil && r.Cfg.API.MaxConcurrency > 0:
		return r.Cfg.API.MaxConcurrency
	}
	return 4
}

// source returns the Source of a family.
func (r *Runner) source(f report.Family) (Source, bool) {
	for _, s := range r.Sources {
		if s.Family() == f {
			return s, true
		}
	}
	return nil, false
}

// job is one unit to fetch in this pass, with what the ledger knew of it.
type job struct {
	src    Source
	p      Planned
	prior  load.Entry
	known  bool
	reload bool   // read the ledger entry when the job starts (imports: files of one unit go in turns)
	taken  bool   // another process created the unit's entry first (markPlanned): not this pass's
	origin string // of the version: "api" (default) or import:<file>
}

// outcome is what happened to one unit in this pass.
type outcome struct {
	Unit      report.Unit
	State     load.State // ledger state after the unit
	Unchanged bool       // fetched again, identical payload (or identical Parquet): nothing rewritten
	Deferred  bool       // a re-check of loaded data skipped for lack of request budget
	Overdue   bool       // pending past the time Apple should have published it
	Rows      int64
	Bytes     int64
	Written   int // Parquet objects written
	Err       error
	Held      bool // a version archived but not applied: it would shrink a loaded unit (shrink.go)
	Dur       time.Duration
	noLog     bool // counted, but its line was logged elsewhere (plan failures)
}

// Run is one pass over every Source the window selects: plan, then fetch, archive, parse
// and load each unit, concurrently. It returns the summary even when interrupted.
func (r *Runner) Run(ctx context.Context, w Window) (*Summary, error) {
	if r.API == nil {
		return nil, errors.New("engine: no API client")
	}
	if w.Backfill() && (w.To.IsZero() || w.To.Before(w.From)) {
		return nil, fmt.Errorf("backfill: need --from <= --to")
	}
	sum := newSummary(r.now())
	jobs, failures, err := r.plan(ctx, w)
	if err != nil {
		return sum, err
	}
	if err := r.markPlanned(ctx, jobs); err != nil {
		sum.Finished = r.now()
		return sum, err
	}
	jobs = r.dropTaken(jobs)
	sum.Planned = len(jobs) + len(failures)
	for _, j := range jobs {
		sum.FamilyPlanned[j.p.Unit.Family]++
	}
	sum.observe = r.OnUnit
	for _, f := range failures {
		sum.FamilyPlanned[f.Unit.Family]++
		r.add(sum, outcome{Unit: f.Unit, State: load.Failed, Err: f.Err})
	}
	r.log().Info("plan", "units", len(jobs), "failed_scopes", len(failures))
	done := r.work(ctx, sum, jobs)
	r.compactMonths(ctx, sum, true)
	sum.Finished = r.now()
	sum.Notes = r.notes.list()
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("run interrupted after %d of %d units: %w", done, len(jobs), err)
	}
	return sum, nil
}

// work runs the jobs on the worker pool and adds each outcome to the summary.
func (r *Runner) work(ctx context.Context, sum *Summary, jobs []job) int {
	ch := make(chan job)
	results := make(chan outcome)
	var wg sync.WaitGroup
	for i := 0; i < r.workers(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				results <- r.processInSlot(ctx, j)
			}
		}()
	}
	go func() {
		defer close(ch)
		for _, j := range jobs {
			select {
			case ch <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	done := 0
	for o := range results {
		done++
		r.add(sum, o)
	}
	return done
}

// add counts an outcome and logs its one line (interrupted units are neither).
func (r *Runner) add(sum *Summary, o outcome) {
	if o.Err != nil && errors.Is(o.Err, context.Canceled) && o.Unit.Family != "" && !o.noLog {
		return
	}
	if o.Err == nil && o.State == load.Failed {
		o.Err = errors.New("failed, with no error given (a bug: etl status shows the ledger's)") // never a silent failure
	}
	sum.add(o)
	if o.noLog {
		return
	}
	level := slog.LevelInfo
	if o.Err != nil {
		level = slog.LevelWarn
	}
	args := []any{"family", o.Unit.Family, "table", o.Unit.Table(), "unit", o.Unit.ID(),
		"state", o.State, "rows", o.Rows, "bytes", o.Bytes, "dur", o.Dur.Round(time.Millisecond).String()}
	if o.Unchanged {
		args = append(args, "unchanged", true)
	}
	if o.Deferred {
		args = append(args, "deferred", true)
	}
	if o.Err != nil {
		args = append(args, "err", o.Err.Error())
	}
	r.log().Log(context.Background(), level, "unit", args...)
}

// markPlanned records every planned unit the ledger does not know as pending before any
// is fetched, so an interrupted pass leaves them to be re-polled: nothing planned is
// forgotten because a later unit loaded first and moved the family's window on. The
// entries are created conditionally (Ledger.Create): a unit whose entry another process
// created since the plan read the ledger (a shard of another shard set, a concurrent run
// without the lock) is that process's: its job is marked taken (dropTaken).
func (r *Runner) markPlanned(ctx context.Context, jobs []job) error {
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	now := r.now().UTC()
	for i := range jobs {
		j := &jobs[i]
		if j.known || j.reload {
			continue
		}
		e := load.Entry{Unit: j.p.Unit, Account: r.Account, Ref: j.p.Ref, State: load.Pending, Error: "planned, not fetched yet",
			FirstSeen: now, UpdatedAt: now}
		j.prior, j.known = e, true
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			created, err := r.Store.Ledger().Create(ctx, e)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && first == nil:
				first = fmt.Errorf("plan: %w", err)
			case err == nil && !created:
				jobs[i].taken = true
			}
		}()
	}
	wg.Wait()
	return first
}

// dropTaken leaves out the jobs another process took (markPlanned), with a notice.
func (r *Runner) dropTaken(jobs []job) []job {
	kept := jobs[:0]
	for _, j := range jobs {
		if !j.taken {
			kept = append(kept, j)
			continue
		}
		r.notes.add(Note{Kind: "skipped", Table: j.p.Unit.Table(), Subject: "planned elsewhere",
			Detail: "another process planned these units at the same time; left to it", Unit: j.p.Unit.ID()})
	}
	return kept
}

// note records a notice raised for unit u.
func (r *Runner) note(u report.Unit) func(Note) {
	return func(n Note) {
		n.Unit = u.ID()
		r.notes.add(n)
	}
}

// families returns the Sources a window selects, in their order.
func (r *Runner) families(w Window) []Source {
	var out []Source
	for _, s := range r.Sources {
		if len(w.Families) == 0 || slices.Contains(w.Families, s.Family()) {
			out = append(out, s)
		}
	}
	return out
}

// record writes the ledger entry; a ledger write failure turns the outcome into a
// failure. It is not cancelled with ctx: the unit's objects are committed by now, and a
// shutdown finishes the unit in flight rather than leave objects the ledger does not know.
func (r *Runner) record(ctx context.Context, e load.Entry, o outcome) outcome {
	e.Account = r.Account
	if err := r.Store.Ledger().Put(context.WithoutCancel(ctx), e); err != nil {
		o.State, o.Err = load.Failed, fmt.Errorf("ledger: %w", err)
	}
	return o
}
