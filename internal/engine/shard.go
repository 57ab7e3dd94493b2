package engine

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

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
//   - each shard plans from the same ledger and the same API answers, so the shares are
//     the same whichever shard computes them.
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
