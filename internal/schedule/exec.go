package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/opsmetrics"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// RunLock is the name of the bucket lock every writing command takes (_etl/lock/run/).
const RunLock = "run"

// Exec is one pipeline pass as the operations around it see it: under the bucket lock
// (config lock:), recorded in a run manifest (_etl/runs/<id>.json) and in the metrics.
type Exec struct {
	Cfg     *config.Config
	Store   *load.Store
	Log     *slog.Logger
	Metrics *opsmetrics.Metrics // nil: none
	Command string              // run, backfill, import, reparse, schedule:<job>
	Job     string              // metrics job label (default Command)
	// Families the pass covers (empty: every enabled one); From/To a backfill window.
	Families []report.Family
	From, To time.Time
	// LockMode overrides Cfg.Lock.Mode (the scheduler always waits).
	LockMode string
	// LockName is the bucket lock to take (default RunLock; a shard takes its own).
	LockName string
	// ID is the run id (default: a new one from the start time).
	ID string
	// Stats reads the API client's counters at the end (nil: no client).
	Stats func() extract.Stats
	// Work is the pass itself; After runs when Work returned no error, still under the
	// lock (the DuckDB views), and its error makes the run partial.
	Work  func(ctx context.Context) (*pipeline.Summary, error)
	After func(ctx context.Context, sum *pipeline.Summary) error
	Now   func() time.Time
}

// Result is what Exec.Do did.
type Result struct {
	ID       string
	Summary  *pipeline.Summary // nil when the pass did not start
	Code     int               // exit code
	Err      error             // Work's error, or why it did not run
	AfterErr error             // After's error
	Manifest *pipeline.Manifest
}

func (x *Exec) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}

// Do runs the pass. A lock held by another run gives exit code 1 and an error wrapping
// load.ErrLocked that names the holder (mode exit, or wait timed out).
func (x *Exec) Do(ctx context.Context) Result {
	start := x.now()
	id := x.ID
	if id == "" {
		id = pipeline.NewRunID(start)
	}
	log := x.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("run", id)
	job := x.Job
	if job == "" {
		job = x.Command
	}
	m := pipeline.NewManifest(id, x.Command, x.Cfg, start)
	for _, f := range x.Families {
		m.Families = append(m.Families, string(f))
	}
	if !x.From.IsZero() {
		m.From, m.To = x.From.Format(time.DateOnly), x.To.Format(time.DateOnly)
	}
	res := Result{ID: id, Manifest: m}
	// The manifest, metrics and lock release must happen even when ctx is cancelled.
	bg := context.WithoutCancel(ctx)

	workCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lock, err := x.lock(ctx, id)
	if err != nil {
		res.Code, res.Err = pipeline.ExitFailed, err
		if x.Metrics != nil {
			result := opsmetrics.ResultFailed
			if errors.Is(err, load.ErrLocked) {
				result = opsmetrics.ResultLocked
			}
			x.Metrics.ObserveRun(x.Cfg, opsmetrics.Run{Job: job, Families: x.Families, Result: result, Err: err, Started: start, Finished: x.now()})
		}
		return res // no manifest: this run did nothing, and the holder writes its own
	}
	if dead, ok := lock.TakenFromDead(); ok {
		log.Warn("bucket lock: taken over from a run whose process is gone (killed or crashed; its units are redone)",
			"holder", dead.Owner, "since", dead.Since.UTC().Format(time.RFC3339), "expires", dead.Expires.UTC().Format(time.RFC3339))
	}
	stop := lock.Keep(bg, func(err error) {
		log.Error("bucket lock lost: aborting the run", "err", err.Error())
		cancel(err)
	})
	defer func() {
		stop()
		rctx, c := context.WithTimeout(bg, 30*time.Second)
		defer c()
		if err := lock.Release(rctx); err != nil {
			log.Error("bucket lock release", "err", err.Error())
		}
	}()

	sum, err := x.Work(workCtx)
	if cause := context.Cause(workCtx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = fmt.Errorf("%w (%v)", cause, err)
	}
	res.Summary, res.Err = sum, err
	switch {
	case err != nil:
		res.Code = pipeline.ExitFailed
	case sum == nil:
		res.Code = pipeline.ExitOK
	default:
		res.Code = sum.ExitCode()
		if x.After != nil {
			if aerr := x.After(workCtx, sum); aerr != nil {
				res.AfterErr = aerr
				if res.Code == pipeline.ExitOK {
					res.Code = pipeline.ExitPartial
				}
			}
		}
	}
	var st *extract.Stats
	if x.Stats != nil {
		s := x.Stats()
		st = &s
	}
	end := x.now()
	runErr := res.Err
	if runErr == nil && res.AfterErr != nil {
		runErr = fmt.Errorf("after the run: %w", res.AfterErr)
	}
	m.Finish(x.Cfg, sum, st, res.Code, runErr, end)
	wctx, c := context.WithTimeout(bg, 30*time.Second)
	defer c()
	if err := pipeline.WriteManifest(wctx, x.Store, m); err != nil {
		log.Error("run manifest", "err", err.Error())
	} else {
		log.Info("run manifest", "key", pipeline.ManifestKey(id), "exit", res.Code)
	}
	if x.Metrics != nil {
		r := opsmetrics.Run{Job: job, Families: x.Families, Summary: sum, Result: opsmetrics.Result(res.Code),
			Err: res.Err, Started: start, Finished: end}
		if st != nil {
			r.Stats = *st
		}
		if len(r.Families) == 0 {
			for _, f := range config.Families {
				if x.Cfg.FamilyEnabled(string(f)) {
					r.Families = append(r.Families, f)
				}
			}
		}
		x.Metrics.ObserveRun(x.Cfg, r)
	}
	return res
}

// lock takes the bucket lock as configured. Every writing pass takes it: there is no mode
// without it (config.LockOff is refused by config validation).
func (x *Exec) lock(ctx context.Context, id string) (*load.Lock, error) {
	mode := x.LockMode
	if mode == "" {
		mode = x.Cfg.Lock.Mode
	}
	host, _ := os.Hostname()
	owner := fmt.Sprintf("etl %s host=%s pid=%d run=%s", x.Command, host, os.Getpid(), id)
	ttl := time.Duration(x.Cfg.Lock.TTL)
	name := x.LockName
	if name == "" {
		name = RunLock
	}
	var l *load.Lock
	var err error
	if mode == config.LockWait {
		l, err = x.Store.AcquireLockWait(ctx, name, owner, ttl, time.Duration(x.Cfg.Lock.MaxWait))
	} else {
		l, err = x.Store.AcquireLock(ctx, name, owner, ttl)
	}
	if errors.Is(err, load.ErrLocked) {
		hint := "set lock.mode: wait to wait for it"
		if mode == config.LockWait {
			hint = fmt.Sprintf("waited lock.max_wait (%s)", time.Duration(x.Cfg.Lock.MaxWait))
		}
		return nil, fmt.Errorf("another etl run is writing to this bucket, not starting: %w (%s; the lock of a run killed on "+
			"this host is taken over at once, one from another host expires after lock.ttl %s)", err, hint, ttl)
	}
	return l, err
}
