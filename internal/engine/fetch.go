package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/load"
)

// process runs one unit: fetch, archive, parse, load, ledger. Every path that reaches
// Apple ends with a ledger entry, except a cancelled context, which leaves the ledger as
// it was so the next run redoes the unit.
func (r *Runner) process(ctx context.Context, j job) outcome {
	t0 := time.Now()
	var o outcome
	if j.reload {
		var err error
		if j.prior, j.known, err = r.Store.Ledger().Get(ctx, j.p.Unit); err != nil {
			o = outcome{State: load.Failed, Err: err}
		}
	}
	if o.Err == nil && j.known && !r.owns(j.prior) {
		o = outcome{State: load.Failed, Err: r.foreignErr(j.prior)}
	}
	if o.Err == nil {
		o = r.fetchAndLoad(ctx, j)
	}
	if fs, ok := j.src.(*fileSource); ok && o.Err != nil && !errors.Is(o.Err, context.Canceled) {
		o.Err = fmt.Errorf("%s: %w", fs.path, o.Err)
	}
	o.Unit, o.Dur = j.p.Unit, time.Since(t0)
	return o
}

func (r *Runner) fetchAndLoad(ctx context.Context, j job) outcome {
	u := j.p.Unit
	now := r.now().UTC()
	entry := j.prior
	if !j.known {
		entry = load.Entry{Unit: u, FirstSeen: now}
	}
	entry.Unit = u
	if j.p.Ref != "" {
		entry.Ref = j.p.Ref
	}
	entry.Attempts++
	entry.UpdatedAt = now
	had := j.known && (entry.State == load.Loaded || entry.State == load.Empty)

	sp := &spool{}
	defer sp.close()
	env := &FetchEnv{API: r.API, Now: now, Prior: j.prior, Known: j.known, Put: sp.put,
		Log: r.log().With("family", u.Family, "unit", u.ID()), Note: r.note(u)}
	f, err := j.src.Fetch(ctx, env, j.p)
	if err != nil {
		return r.fetchFailed(ctx, entry, had, err)
	}
	switch f.Outcome {
	case Empty:
		switch {
		case j.known && entry.State == load.Empty:
			return outcome{State: load.Empty, Unchanged: true} // nothing new: the ledger stays as it is
		case j.known && entry.State == load.Loaded:
			r.notes.add(Note{Kind: "kept", Table: u.Table(), Subject: "no data",
				Detail: "Apple reports no data for a loaded unit; the loaded data is kept", Unit: u.ID()})
			return outcome{State: load.Loaded, Unchanged: true, Rows: entry.Rows}
		}
		entry.State, entry.Error = load.Empty, ""
		return r.record(ctx, entry, outcome{State: load.Empty})
	case NotYet:
		if had {
			return outcome{State: entry.State, Unchanged: true, Rows: entry.Rows}
		}
		entry.State, entry.Error = load.Pending, f.Detail
		return r.record(ctx, entry, outcome{State: load.Pending, Overdue: r.overdue(entry)})
	case Gone:
		if j.known && entry.State == load.Loaded {
			return outcome{State: load.Loaded, Unchanged: true, Rows: entry.Rows}
		}
		entry.State, entry.Error = load.Expired, f.Detail
		return r.record(ctx, entry, outcome{State: load.Expired})
	}
	if len(sp.payloads) == 0 {
		return r.fetchFailed(ctx, entry, had, errors.New("the source fetched no payload"))
	}
	if f.Incremental && r.coveredByLoaded(ctx, entry, sp.payloads) {
		return r.unchanged(ctx, entry)
	}
	origin := j.origin
	if origin == "" {
		origin = "api"
	}
	return r.storeAndApply(ctx, j.src, entry, had, sp, sp.version(u, entry.Ref, now, f, origin))
}

// storeAndApply archives spooled version v, unless the unit already has a version with
// the same digest (and its family replaces partitions), and loads it. An identical
// version already loaded is Unchanged: nothing is written.
func (r *Runner) storeAndApply(ctx context.Context, src Source, entry load.Entry, had bool, sp *spool, v *load.Version) outcome {
	if ref, ok := entry.VersionByDigest(v.Digest); ok {
		if ref.ID == entry.Loaded && entry.State == load.Loaded {
			return r.unchanged(ctx, entry)
		}
		// The same bytes as an archived version that is not the loaded one: parse it again
		// (the parser may have been fixed), without archiving a copy. Not for a family that
		// merges: its reparse replays versions in fetch order, so bytes applied now must be
		// a version of now, or the reparse would apply them before what came in between.
		if !merges(src) {
			if old, err := r.Store.ReadVersion(ctx, versionKey(entry.Unit, ref.ID)); err == nil {
				o := r.apply(ctx, src, &entry, old, nil, nil)
				return r.recordApplied(ctx, entry, o)
			}
		}
	}
	if err := sp.archive(ctx, r.Store, v); err != nil {
		return r.fetchFailed(ctx, entry, had, err)
	}
	entry.Versions = append(entry.Versions, load.VersionRef{ID: v.ID, FetchedAt: v.FetchedAt, Digest: v.Digest, Origin: v.Origin})
	if entry.State != load.Loaded {
		entry.RawKey = v.Payloads[0].Key // what a failure points at; a loaded unit keeps its loaded one
	}
	o := r.apply(ctx, src, &entry, v, nil, sp)
	return r.recordApplied(ctx, entry, o)
}

// unchanged is the outcome of a fetch that found what the loaded version holds.
func (r *Runner) unchanged(ctx context.Context, entry load.Entry) outcome {
	o := outcome{State: load.Loaded, Unchanged: true, Rows: entry.Rows}
	if entry.Error == "" {
		return o // the ledger stays as it is
	}
	entry.Error = "" // a good fetch after a failed attempt
	return r.record(ctx, entry, o)
}

// coveredByLoaded reports whether every payload fetched equals the payload of the same
// name in the version entry is loaded from (Fetched.Incremental). When the manifest
// cannot be read, the fetch is archived as usual.
func (r *Runner) coveredByLoaded(ctx context.Context, entry load.Entry, ps []load.Payload) bool {
	if entry.State != load.Loaded || entry.Loaded == "" || len(ps) == 0 {
		return false
	}
	lv, err := r.Store.ReadVersion(ctx, versionKey(entry.Unit, entry.Loaded))
	if err != nil {
		return false
	}
	held := make(map[string]load.Payload, len(lv.Payloads))
	for _, p := range lv.Payloads {
		held[p.Name] = p
	}
	for _, p := range ps {
		h, ok := held[p.Name]
		if !ok || h.SHA256 != p.SHA256 || h.Bytes != p.Bytes {
			return false
		}
	}
	return true
}

// recordApplied records the entry after apply, unless the pass was interrupted (the next
// run redoes the unit).
func (r *Runner) recordApplied(ctx context.Context, entry load.Entry, o outcome) outcome {
	if o.Err != nil && ctx.Err() != nil {
		return o
	}
	return r.record(ctx, entry, o)
}

// versionKey is the manifest key of version id of unit u.
func versionKey(u interface{ ID() string }, id string) string {
	return load.RawPrefix + u.ID() + "/" + id + "/" + load.VersionManifest
}

// fetchFailed records a fetch that did not complete. Data loaded before stands: a loaded
// unit stays loaded with the error noted; a re-check the request budget could not cover is
// deferred without touching the ledger.
func (r *Runner) fetchFailed(ctx context.Context, entry load.Entry, had bool, err error) outcome {
	if ctx.Err() != nil {
		return outcome{State: entry.State, Err: ctx.Err()}
	}
	budget := errors.Is(err, extract.ErrBudgetExhausted)
	switch {
	case had && budget:
		return outcome{State: entry.State, Deferred: true, Rows: entry.Rows}
	case had:
		entry.Error = err.Error()
		return r.record(ctx, entry, outcome{State: entry.State, Err: err})
	case budget:
		// A unit left for lack of request budget is due and not loaded: the run is partial.
		entry.State, entry.Error = load.Pending, err.Error()
		return r.record(ctx, entry, outcome{State: load.Pending, Err: err, Overdue: true})
	}
	entry.State, entry.Error = load.Failed, err.Error()
	return r.record(ctx, entry, outcome{State: load.Failed, Err: err})
}

// overdue reports whether a unit still unpublished is past its freshness due time.
func (r *Runner) overdue(e load.Entry) bool {
	if r.Cfg == nil {
		return false
	}
	due, ok := DueAt(r.Cfg, e.Unit)
	return ok && r.now().After(due)
}
