package engine

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// replayUnit is a unit to rebuild from its archived versions.
type replayUnit struct {
	src      Source
	entry    load.Entry
	versions []*load.Version // oldest first
}

// merges reports whether a Source loads any table by merging (so its history matters).
func merges(src Source) bool {
	for _, t := range src.Tables() {
		if t.Mode != schemas.Replace {
			return true
		}
	}
	return false
}

// Reparse rebuilds Parquet from the raw archive, with no API call, for every unit whose
// ledger id starts with prefix (after a parser fix, or after data/parquet was lost). A
// unit of a merging family (reviews, analytics, the dimensions) brings every unit of its
// scope (same family, report and vendor or app), since their versions build the same
// partitions together.
func (r *Runner) Reparse(ctx context.Context, prefix string) (*Summary, error) {
	es, err := r.Store.Ledger().List(ctx, "")
	if err != nil {
		return nil, err
	}
	es = slices.DeleteFunc(es, func(e load.Entry) bool { return !r.owns(e) }) // this pass's account's units only
	scopes := map[string]bool{}
	for _, e := range es {
		if src, ok := r.source(e.Unit.Family); ok && strings.HasPrefix(e.Unit.ID(), prefix) && merges(src) {
			scopes[scopeOf(e.Unit)] = true
		}
	}
	var units []replayUnit
	for _, e := range es {
		src, ok := r.source(e.Unit.Family)
		if !ok || !(strings.HasPrefix(e.Unit.ID(), prefix) || scopes[scopeOf(e.Unit)]) {
			continue
		}
		vs, err := r.entryVersions(ctx, e)
		if err != nil {
			return nil, err
		}
		if len(vs) > 0 {
			units = append(units, replayUnit{src: src, entry: e, versions: vs})
		}
	}
	sum := newSummary(r.now())
	err = r.replay(ctx, sum, units)
	if err == nil {
		r.compactMonths(ctx, sum, false)
	}
	sum.Finished = r.now()
	sum.Notes = r.notes.list()
	return sum, err
}

// scopeOf is the unit without its period: the units of one scope build the same
// partitions of a merging family.
func scopeOf(u report.Unit) string {
	u.Period = ""
	return u.ID()
}

// entryVersions reads the manifests of an entry's versions (oldest first); an entry from
// before versions were kept gives its one payload.
func (r *Runner) entryVersions(ctx context.Context, e load.Entry) ([]*load.Version, error) {
	if len(e.Versions) == 0 {
		if v := load.LegacyVersion(e); v != nil {
			return []*load.Version{v}, nil
		}
		return nil, nil
	}
	out := make([]*load.Version, 0, len(e.Versions))
	for _, ref := range e.Versions {
		v, err := r.Store.ReadVersion(ctx, versionKey(e.Unit, ref.ID))
		if err != nil {
			return nil, fmt.Errorf("reparse %s: %w", e.Unit.ID(), err)
		}
		out = append(out, v)
	}
	return out, nil
}

// replay rebuilds units from their versions:
//
//   - A family that only replaces partitions loads, per unit, the version the ledger
//     names as loaded, else the newest version that parses.
//   - A merging family replays every version of every unit in fetch order into an empty
//     staging bucket, so review merges and dimension history come back exactly as they
//     were built; the staged objects are then published (each atomically, unchanged ones
//     not rewritten) and only then are the ledger entries recorded. A replay
//     interrupted before every version is staged publishes nothing of a merging family;
//     once staged, the publication and the ledger entries are finished.
func (r *Runner) replay(ctx context.Context, sum *Summary, units []replayUnit) error {
	sum.observe = r.OnUnit
	sum.Planned += len(units)
	var plain, merging []replayUnit
	for _, u := range units {
		sum.FamilyPlanned[u.entry.Unit.Family]++
		if merges(u.src) {
			merging = append(merging, u)
		} else {
			plain = append(plain, u)
		}
	}
	r.replayPlain(ctx, sum, plain)
	if err := r.replayMerging(ctx, sum, merging); err != nil {
		return err
	}
	return ctx.Err()
}

// replayPlain loads each unit's best version, concurrently.
func (r *Runner) replayPlain(ctx context.Context, sum *Summary, units []replayUnit) {
	ch := make(chan replayUnit)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < r.workers(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range ch {
				o := r.replayOne(ctx, u)
				mu.Lock()
				r.add(sum, o)
				mu.Unlock()
			}
		}()
	}
	for _, u := range units {
		if ctx.Err() != nil {
			break
		}
		ch <- u
	}
	close(ch)
	wg.Wait()
}

func (r *Runner) replayOne(ctx context.Context, u replayUnit) outcome {
	t0 := time.Now()
	e := u.entry
	order := slices.Clone(u.versions)
	slices.Reverse(order) // newest first, the loaded one before all
	if e.Loaded != "" {
		slices.SortStableFunc(order, func(a, b *load.Version) int {
			switch {
			case a.ID == e.Loaded:
				return -1
			case b.ID == e.Loaded:
				return 1
			}
			return 0
		})
	}
	r.ensureRefs(&e, u.versions)
	var o outcome
	for i, v := range order {
		o = r.apply(ctx, u.src, &e, v, nil, nil)
		if o.Err == nil {
			if i > 0 {
				r.notes.add(Note{Kind: "kept", Table: e.Unit.Table(), Subject: "older version",
					Detail: "an older archived version was loaded: the newer one fails to parse (etl status shows it)", Unit: e.Unit.ID()})
			}
			break
		}
		if ctx.Err() != nil || o.Held {
			break // a held version keeps the loaded data: an older version must not replace it
		}
	}
	o.Unit, o.Dur = e.Unit, time.Since(t0)
	return r.recordApplied(ctx, e, o)
}

// ensureRefs makes sure the entry lists every version replayed.
func (r *Runner) ensureRefs(e *load.Entry, vs []*load.Version) {
	for _, v := range vs {
		if _, ok := e.FindVersion(v.ID); !ok && v.ID != "legacy" {
			e.Versions = append(e.Versions, load.VersionRef{ID: v.ID, FetchedAt: v.FetchedAt, Digest: v.Digest, Origin: v.Origin})
		}
	}
	sort.SliceStable(e.Versions, func(i, j int) bool { return e.Versions[i].FetchedAt.Before(e.Versions[j].FetchedAt) })
}

// replayMerging replays every version of the merging units in fetch order into a staging
// bucket, publishes what it built and records the entries.
func (r *Runner) replayMerging(ctx context.Context, sum *Summary, units []replayUnit) error {
	if len(units) == 0 {
		return nil
	}
	mb := memblob.OpenBucket(nil)
	defer mb.Close()
	stage := load.New(mb)
	type step struct {
		u *replayUnit
		v *load.Version
	}
	var steps []step
	for i := range units {
		r.ensureRefs(&units[i].entry, units[i].versions)
		for _, v := range units[i].versions {
			steps = append(steps, step{&units[i], v})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool {
		a, b := steps[i].v, steps[j].v
		if !a.FetchedAt.Equal(b.FetchedAt) {
			return a.FetchedAt.Before(b.FetchedAt)
		}
		return a.Unit.ID() < b.Unit.ID()
	})
	type result struct {
		o          outcome
		loaded     bool
		lastFailed error // the unit's newest version failed
	}
	res := map[*replayUnit]*result{}
	t0 := time.Now()
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reparse interrupted: %w", err)
		}
		o := r.apply(ctx, s.u.src, &s.u.entry, s.v, stage, nil)
		x := res[s.u]
		if x == nil {
			x = &result{}
			res[s.u] = x
		}
		x.lastFailed = o.Err
		if o.Err == nil {
			x.o, x.loaded = o, true
		} else if !x.loaded {
			x.o = o
		}
	}
	if err := ctx.Err(); err != nil { // the last step was interrupted
		return fmt.Errorf("reparse interrupted: %w", err)
	}
	// Everything is staged: the publication is finished whatever happens to ctx now, as a
	// unit in flight is (record), rather than leave some partitions rebuilt and others not,
	// with no ledger entry for either.
	written, err := r.publish(context.WithoutCancel(ctx), stage)
	if err != nil {
		return err
	}
	sum.Published += written
	for i := range units {
		u := &units[i]
		x := res[u]
		o := x.o
		if !x.loaded {
			u.entry.State = load.Failed
		}
		o.Err, o.State = x.lastFailed, u.entry.State
		o.Unit, o.Dur, o.Written = u.entry.Unit, time.Since(t0)/time.Duration(len(units)), 0
		r.add(sum, r.record(ctx, u.entry, o))
	}
	return nil
}

// publish copies every object staged under parquet/ into the store, skipping those whose
// bytes are already there.
func (r *Runner) publish(ctx context.Context, stage *load.Store) (int, error) {
	keys, err := stage.List(ctx, "parquet/")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		data, err := stage.Bucket().ReadAll(ctx, k)
		if err != nil {
			return n, err
		}
		old, err := r.Store.Bucket().ReadAll(ctx, k)
		if err == nil && bytes.Equal(old, data) {
			continue
		}
		if err != nil && !load.IsNotFound(err) {
			return n, fmt.Errorf("publish %s: %w", k, err)
		}
		if err := r.Store.PutBytes(ctx, k, data, "application/vnd.apache.parquet"); err != nil {
			return n, fmt.Errorf("publish %s: %w", k, err)
		}
		n++
	}
	return n, nil
}
