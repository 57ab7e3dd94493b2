package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// plan asks every selected Source what exists and keeps what this pass must fetch:
//
//   - a unit the ledger does not know, or knows as pending or failed;
//   - in a run, a loaded or empty unit that is not final (late corrections and
//     restatements: an identical payload changes nothing);
//   - with Force, everything planned;
//   - never an expired unit, unless forced.
//
// A run also re-polls the family's pending and failed units the plan left out (older
// than its window); for a family whose units are snapshots of the present, such a unit
// can no longer be fetched and is marked expired instead. The work is ordered so that a
// short request budget goes where it matters (prioritise).
//
// A family may have several Sources (an account's vendor numbers): a unit is planned once,
// by the first Source that plans it, and a family's re-polls go to its first Source once
// every Source has planned. Only this pass's account's entries are seen (account.go), and
// with a Shard only its share of the work is kept (shard.go).
func (r *Runner) plan(ctx context.Context, w Window) ([]job, []Failure, error) {
	var fails []Failure
	seenFail := map[string]bool{}
	addFail := func(f Failure) {
		if !seenFail[f.Unit.ID()] {
			seenFail[f.Unit.ID()] = true
			fails = append(fails, f)
		}
	}
	srcs := r.families(w)
	bySrc := make([][]job, len(srcs))          // each Source's jobs: its planned units, then its re-polls
	ledgers := make([][]load.Entry, len(srcs)) // each Source's family ledger, this pass's account only
	planned := map[string]bool{}               // across Sources: a family may have several (one per vendor number of an account)
	known := map[string]load.Entry{}           // every entry listed, by unit id (a shared plan's units)
	for i, src := range srcs {
		fam := src.Family()
		es, err := r.Store.Ledger().List(ctx, string(fam)+"/")
		if err != nil {
			return nil, nil, fmt.Errorf("plan %s: %w", fam, err)
		}
		all := make(map[string]load.Entry, len(es))
		idx := make(map[string]load.Entry, len(es))
		var owned []load.Entry
		for _, e := range es {
			all[e.Unit.ID()] = e
			known[e.Unit.ID()] = e
			if r.owns(e) {
				idx[e.Unit.ID()] = e
				owned = append(owned, e)
			}
		}
		env := &PlanEnv{API: r.API, Now: r.now(), Window: w, Entries: idx, Log: r.log().With("family", fam),
			Note: r.notes.add} // a plan's notes are about a scope, not a unit: Note.Unit is the Source's
		pl, err := src.Plan(ctx, env)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			addFail(Failure{Unit: report.Unit{Family: fam, Type: strings.ToUpper(string(fam)) + "_PLAN"}, Err: fmt.Errorf("plan %s: %w", fam, err)})
			continue
		}
		for _, f := range pl.Failures {
			addFail(f)
		}
		ledgers[i] = owned // re-polled below: a family whose plan failed re-polls nothing
		for _, p := range pl.Units {
			id := p.Unit.ID()
			if planned[id] {
				continue
			}
			planned[id] = true
			e, known := all[id]
			if known && !r.owns(e) {
				r.noteForeign(e)
				continue
			}
			if include(w, p, e, known) {
				bySrc[i] = append(bySrc[i], job{src: src, p: p, prior: e, known: known})
			}
		}
	}
	if !w.Backfill() {
		for i, src := range srcs {
			for _, e := range ledgers[i] {
				if planned[e.Unit.ID()] || (e.State != load.Pending && e.State != load.Failed) {
					continue
				}
				planned[e.Unit.ID()] = true
				bySrc[i] = append(bySrc[i], job{src: src, p: Planned{Unit: e.Unit, Ref: e.Ref, Cursor: e.Cursor}, prior: e, known: true})
			}
		}
	}
	var jobs []job
	for _, js := range bySrc {
		jobs = append(jobs, js...)
	}
	prioritise(jobs)
	if r.SharePlan != nil && r.Shard.Active() {
		var err error
		if jobs, err = r.sharedJobs(ctx, jobs, known); err != nil {
			return nil, nil, err
		}
	}
	jobs, fails = r.shardJobs(jobs, fails)
	return jobs, fails, nil
}

// include decides whether a planned unit is fetched (see plan).
func include(w Window, p Planned, e load.Entry, known bool) bool {
	switch {
	case w.Force, !known:
		return true
	case e.State == load.Expired:
		return false
	case e.State == load.Pending || e.State == load.Failed:
		return true
	case w.Backfill():
		return false // loaded or empty
	}
	return !p.Final
}

// prioritise orders the work so a short request budget goes where it matters: units not
// loaded yet (new, pending, failed) first, oldest first because they are closest to
// Apple's retention horizon; re-checks of loaded or empty units last, newest first.
func prioritise(jobs []job) {
	recheck := func(j job) bool {
		return j.known && (j.prior.State == load.Loaded || j.prior.State == load.Empty)
	}
	slices.SortStableFunc(jobs, func(a, b job) int {
		ra, rb := recheck(a), recheck(b)
		switch {
		case ra != rb:
			if ra {
				return 1
			}
			return -1
		case ra:
			return cmp.Compare(b.p.Unit.Period, a.p.Unit.Period)
		}
		return cmp.Compare(a.p.Unit.Period, b.p.Unit.Period)
	})
}
