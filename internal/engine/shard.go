package engine

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// Shard is one of Count processes that share a pass over one bucket (`etl run --shard
// I/N`, a Kubernetes Indexed Job): after planning, each keeps the units whose shard key
// hashes to its Index, so together they do every unit once. The zero Shard (or Count 1)
// keeps everything.
//
// Why this is safe on one bucket, with no lock between the shards:
//   - every ledger entry and every Parquet object a unit writes belongs to one shard: a
//     unit of a family that only replaces partitions owns its partition, so it is sharded
//     by its id; the units of one scope of a merging family (reviews of one app, one
//     analytics report of one app, one vendor's dimensions) merge into the same partitions,
//     so they are sharded together by the scope (the unit id without its period);
//   - a unit new to the ledger is created conditionally (Ledger.Create): should two
//     writers plan it at once (a shard and a stray unsharded run), one takes it;
//   - the shards work from one plan (Runner.SharePlan): each plans, then the first plan
//     published is everyone's. It was made before any shard wrote anything (every shard
//     publishes or reads the plan before its first write), so the shards together do
//     exactly the units one run would have planned; a shard planning on its own after
//     another had loaded units would see other windows (the newest loaded day moves).
type Shard struct {
	Index, Count int
}

// ParseShard reads "I/N" (0 <= I < N).
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q must be I/N, e.g. 0/3", s)
	}
	idx, err1 := strconv.Atoi(i)
	cnt, err2 := strconv.Atoi(n)
	sh := Shard{Index: idx, Count: cnt}
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q must be I/N with whole numbers, e.g. 0/3", s)
	}
	return sh, sh.Validate()
}

// Validate checks 0 <= Index < Count <= 1000 (the zero Shard is valid: no sharding).
func (s Shard) Validate() error {
	if s == (Shard{}) {
		return nil
	}
	if s.Count < 1 || s.Count > 1000 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %d/%d: need 0 <= I < N <= 1000", s.Index, s.Count)
	}
	return nil
}

// Active reports whether the shard keeps only part of the units.
func (s Shard) Active() bool { return s.Count > 1 }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Owns reports whether key hashes to this shard (FNV-1a, stable across processes,
// versions and platforms).
func (s Shard) Owns(key string) bool {
	if !s.Active() {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()%uint64(s.Count) == uint64(s.Index)
}

// ShardKey is what a unit of src is sharded by: its scope for a Source that merges (its
// units build the same partitions together), else its id.
func ShardKey(src Source, u report.Unit) string {
	if merges(src) {
		return scopeOf(u)
	}
	return u.ID()
}

// PlanRecord is one unit of a plan the shards of a run share: the Source (its index in
// Runner.Sources, the same in every shard of one configuration) and the unit as planned.
type PlanRecord struct {
	Source  int     `json:"source"`
	Planned Planned `json:"planned"`
}

// sharedJobs exchanges this shard's jobs for the run's shared plan (SharePlan). What the
// ledger knew of each unit is taken from this shard's listing: a shard's own units are
// written by no other shard, so for those it is what the plan's author read.
func (r *Runner) sharedJobs(ctx context.Context, jobs []job, known map[string]load.Entry) ([]job, error) {
	recs := make([]PlanRecord, 0, len(jobs))
	for _, j := range jobs {
		i := slices.IndexFunc(r.Sources, func(s Source) bool { return s == j.src })
		recs = append(recs, PlanRecord{Source: i, Planned: j.p})
	}
	shared, err := r.SharePlan(ctx, recs)
	if err != nil {
		return nil, fmt.Errorf("shard %s: shared plan: %w", r.Shard, err)
	}
	out := make([]job, 0, len(shared))
	for _, rec := range shared {
		if rec.Source < 0 || rec.Source >= len(r.Sources) || r.Sources[rec.Source].Family() != rec.Planned.Unit.Family {
			return nil, fmt.Errorf("shard %s: the shared plan's unit %s does not match this configuration's families (give each configuration its own job id)",
				r.Shard, rec.Planned.Unit.ID())
		}
		e, ok := known[rec.Planned.Unit.ID()]
		if ok && !r.owns(e) {
			continue
		}
		out = append(out, job{src: r.Sources[rec.Source], p: rec.Planned, prior: e, known: ok})
	}
	return out, nil
}

// shardJobs keeps the jobs and plan failures of r's shard.
func (r *Runner) shardJobs(jobs []job, fails []Failure) ([]job, []Failure) {
	if !r.Shard.Active() {
		return jobs, fails
	}
	kept := jobs[:0]
	for _, j := range jobs {
		if r.Shard.Owns(ShardKey(j.src, j.p.Unit)) {
			kept = append(kept, j)
		}
	}
	var fk []Failure
	for _, f := range fails {
		if r.Shard.Owns(f.Unit.ID()) {
			fk = append(fk, f)
		}
	}
	return kept, fk
}
