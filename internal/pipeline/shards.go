package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
)

// Sharding (engine.Shard): `etl run --shard I/N`, or a Kubernetes Indexed Job, where each
// pod has JOB_COMPLETION_INDEX and the manifest sets ETL_SHARDS to the number of pods.
// Each shard takes its share of the units (by unit, or by scope for merging families), its
// own bucket lock (ShardLock), its own slice of every key's request budget
// (extract.Config.BudgetShare), and when it finishes it records so under the job's id;
// the shard whose record completes the set rebuilds the views, once (ShardDone).

// Environment variables of a sharded run.
const (
	EnvShardIndex = "JOB_COMPLETION_INDEX" // set by Kubernetes in every pod of an Indexed Job
	EnvShards     = "ETL_SHARDS"           // the number of shards (the Job's completions)
	EnvJobID      = "ETL_JOB_ID"           // the id the shards of one run share
)

// ResolveShard returns the shard of a run: flag ("I/N") when given, else
// JOB_COMPLETION_INDEX out of ETL_SHARDS, else no sharding.
func ResolveShard(flag string, getenv func(string) string) (engine.Shard, error) {
	if flag != "" {
		return engine.ParseShard(flag)
	}
	idx, n := getenv(EnvShardIndex), getenv(EnvShards)
	switch {
	case idx == "" && n == "":
		return engine.Shard{}, nil
	case idx == "":
		return engine.Shard{}, fmt.Errorf("%s=%s is set but %s is not (a Kubernetes Indexed Job sets it)", EnvShards, n, EnvShardIndex)
	case n == "":
		return engine.Shard{}, fmt.Errorf("%s=%s is set but %s is not: set it to the Job's completions", EnvShardIndex, idx, EnvShards)
	}
	if _, err := strconv.Atoi(n); err != nil {
		return engine.Shard{}, fmt.Errorf("%s=%q must be a number", EnvShards, n)
	}
	return engine.ParseShard(idx + "/" + n)
}

var jobIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// ResolveJob returns the id the shards of one run share: flag, else ETL_JOB_ID (the
// Indexed Job manifest sets it to the Job's name), else the UTC day of now — enough for
// one sharded run a day; give each run its own id to run more.
func ResolveJob(flag string, getenv func(string) string, now time.Time) (string, error) {
	id := flag
	if id == "" {
		id = getenv(EnvJobID)
	}
	if id == "" {
		id = now.UTC().Format("2006-01-02")
	}
	if !jobIDRE.MatchString(id) {
		return "", fmt.Errorf("job id %q must be 1-100 letters, digits, '.', '_' or '-'", id)
	}
	return id, nil
}

// ShardLock is the bucket lock a shard takes: shards of one run do not wait for each
// other, while the same shard started twice (a retried pod, a second cluster) does.
func ShardLock(sh engine.Shard) string {
	return fmt.Sprintf("run-shard-%d-of-%d", sh.Index, sh.Count)
}

// shardRecord is what a finished shard leaves under _etl/runs/<job>/.
type shardRecord struct {
	Shard    string    `json:"shard"`
	Run      string    `json:"run"`
	Exit     int       `json:"exit"`
	Finished time.Time `json:"finished"`
}

// ShardPrefix is where the shards of job record that they finished.
func ShardPrefix(job string) string { return RunsPrefix + job + "/" }

// ShardDone records that shard sh of job finished (run id, exit code) and reports whether
// this shard completes the set and must rebuild the views; done is how many of the
// job's shards have finished. Each shard writes its record, then lists the records: the
// last to write sees them all (any earlier one may too), and of those that see them all,
// the one whose conditional create of views.claim succeeds is the one. So the views are
// rebuilt once per job, by a shard that finished after every other, and never by two at
// once. A retried shard rewrites its own record.
func ShardDone(ctx context.Context, st *load.Store, job string, sh engine.Shard, runID string, exit int, now time.Time) (last bool, done int, err error) {
	prefix := ShardPrefix(job)
	rec, _ := json.Marshal(shardRecord{Shard: sh.String(), Run: runID, Exit: exit, Finished: now.UTC()})
	if err := st.PutBytes(ctx, prefix+shardRecordName(sh), append(rec, '\n'), "application/json"); err != nil {
		return false, 0, fmt.Errorf("shard %s of job %s: %w", sh, job, err)
	}
	keys, err := st.List(ctx, prefix)
	if err != nil {
		return false, 0, fmt.Errorf("shard %s of job %s: %w", sh, job, err)
	}
	for i := range sh.Count {
		name := shardRecordName(engine.Shard{Index: i, Count: sh.Count})
		for _, k := range keys {
			if path.Base(k) == name {
				done++
				break
			}
		}
	}
	if done < sh.Count {
		return false, done, nil
	}
	claim, _ := json.Marshal(shardRecord{Shard: sh.String(), Run: runID, Finished: now.UTC()})
	created, err := st.PutIfAbsent(ctx, prefix+fmt.Sprintf("views-of-%d.claim", sh.Count), claim)
	if err != nil {
		return false, done, fmt.Errorf("shard %s of job %s: %w", sh, job, err)
	}
	return created, done, nil
}

// sharedPlan is the plan the shards of one job work from, per account.
type sharedPlan struct {
	Shards int                 `json:"shards"`
	Units  []engine.PlanRecord `json:"units"`
}

// sharePlan is engine.Runner.SharePlan for an account of the job: the first shard to
// create _etl/runs/<job>/plan-<account>.json (conditionally) publishes its plan, and every
// shard of the job, a retried one included, works from that one.
func (p *Pipeline) sharePlan(account string) func(context.Context, []engine.PlanRecord) ([]engine.PlanRecord, error) {
	if account == "" {
		account = config.DefaultAccount
	}
	key := ShardPrefix(p.Job) + "plan-" + account + ".json"
	return func(ctx context.Context, recs []engine.PlanRecord) ([]engine.PlanRecord, error) {
		data, err := json.Marshal(sharedPlan{Shards: p.Shard.Count, Units: recs})
		if err != nil {
			return nil, err
		}
		created, err := p.Store.PutIfAbsent(ctx, key, data)
		if err != nil {
			return nil, err
		}
		if created {
			return recs, nil
		}
		if data, err = p.Store.Bucket().ReadAll(ctx, key); err != nil {
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		var sp sharedPlan
		if err := json.Unmarshal(data, &sp); err != nil {
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		if sp.Shards != p.Shard.Count {
			return nil, fmt.Errorf("%s: job %s was planned for %d shards, this is shard %s (give each run its own --job)", key, p.Job, sp.Shards, p.Shard)
		}
		return sp.Units, nil
	}
}

func shardRecordName(sh engine.Shard) string {
	return fmt.Sprintf("shard-%d-of-%d.done", sh.Index, sh.Count)
}
