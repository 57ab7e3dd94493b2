package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/internal/reconcile"
	"github.com/ascetl/etl/internal/schedule"
	"github.com/ascetl/etl/internal/warehouse"
	"github.com/ascetl/etl/load"
)

var _ reconcile.DB = (*warehouse.DB)(nil)

// reconcileUsage is the command's help (etl reconcile -h).
var reconcileUsage = fmt.Sprintf(`etl reconcile [--check NAME[,NAME...]] [--all] [--no-store]

Compares the report families with each other and prints one line per check: its result
(pass, fail or skip), how many scopes (fiscal month, currency, vendor; app and day for
analytics) passed, failed and were skipped, its tolerance and the largest difference with
the expected and actual figures; then every failed scope and why scopes were skipped.
The results go to the reconcile_results table (parquet/reconcile_results/run=<run id>/),
one row per check, scope and measure. Checks: %s.
Exit codes: 0 every check passed or was skipped, 3 a check failed, 1 an error.`, reconcile.CheckNames())

func cmdReconcile(ctx context.Context, e *env, args []string) int {
	fs := e.flags("reconcile")
	only := fs.String("check", "", "only these checks, comma-separated: "+reconcile.CheckNames())
	all := fs.Bool("all", false, "also print every scope of every check")
	noStore := fs.Bool("no-store", false, "print only: do not write reconcile_results")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	var checks []string
	if *only != "" {
		checks = strings.Split(*only, ",")
		for _, c := range checks {
			if _, ok := reconcile.LookupCheck(c); !ok {
				fmt.Fprintf(e.stderr, "etl reconcile: --check %q: unknown (checks: %s)\n", c, reconcile.CheckNames())
				return pipeline.ExitUsage
			}
		}
	}
	c, _, store, code := e.setup(ctx)
	if code != 0 {
		return code
	}
	defer store.Bucket().Close()
	useLocalDir(store, c)
	dir, err := localDir(c.Storage.Bucket)
	if err != nil {
		fmt.Fprintf(e.stderr, "etl reconcile: %v: the checks read the Parquet through DuckDB, which here reads local files only\n", err)
		return pipeline.ExitUsage
	}
	now := time.Now()
	runID := pipeline.NewRunID(now)
	lock, err := reconcileLock(ctx, c, store, runID)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl reconcile:", err)
		return pipeline.ExitFailed
	}
	if lock != nil {
		defer lock.Release(context.WithoutCancel(ctx))
	}
	rep, err := runReconcile(ctx, c, dir, store, reconcile.Input{RunID: runID, Now: now, Checks: checks})
	if err != nil {
		fmt.Fprintln(e.stderr, "etl reconcile:", err)
		return pipeline.ExitFailed
	}
	rep.Print(e.stdout, *all)
	if !*noStore {
		res, err := reconcile.Store(ctx, store, rep, load.ParquetOptions{Compression: c.Parquet.Compression})
		if err != nil {
			fmt.Fprintln(e.stderr, "etl reconcile:", err)
			return pipeline.ExitFailed
		}
		fmt.Fprintf(e.stdout, "results: %d rows in %s\n", res.Rows, res.Key)
		// The first run's results turn the empty reconcile_results view into one over the files.
		if err := refreshViews(ctx, c, store, e.stdout); err != nil {
			fmt.Fprintln(e.stderr, "etl reconcile: views (the results are stored; etl views retries):", err)
		}
	}
	if rep.Failed() {
		return pipeline.ExitPartial
	}
	return pipeline.ExitOK
}

// runReconcile builds the views over dir's Parquet in a private in-memory database (so a
// reader holding storage.duckdb open is never in the way) and runs the checks.
func runReconcile(ctx context.Context, c *config.Config, dir string, store *load.Store, in reconcile.Input) (*reconcile.Report, error) {
	entries, err := store.Ledger().List(ctx, "")
	if err != nil {
		return nil, err
	}
	in.Ledger = entries
	db, err := warehouse.OpenWith(":memory:", warehouse.Options{Root: dir})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	spec, err := viewsSpec(c, dir, in.Now)
	if err != nil {
		return nil, err
	}
	if err := db.Refresh(ctx, spec.Tables, spec.Latest); err != nil {
		return nil, err
	}
	return reconcile.Run(ctx, db, in)
}

// reconcileLock takes the bucket lock as configured (lock.mode), so the checks never read a
// run's half-written state; nil with mode off.
func reconcileLock(ctx context.Context, c *config.Config, store *load.Store, runID string) (*load.Lock, error) {
	if c.Lock.Mode == config.LockOff {
		return nil, nil
	}
	host, _ := os.Hostname()
	owner := fmt.Sprintf("etl reconcile host=%s pid=%d run=%s", host, os.Getpid(), runID)
	ttl := time.Duration(c.Lock.TTL)
	var l *load.Lock
	var err error
	if c.Lock.Mode == config.LockWait {
		l, err = store.AcquireLockWait(ctx, schedule.RunLock, owner, ttl, time.Duration(c.Lock.MaxWait))
	} else {
		l, err = store.AcquireLock(ctx, schedule.RunLock, owner, ttl)
	}
	if errors.Is(err, load.ErrLocked) {
		return nil, fmt.Errorf("a run is writing to this bucket: %w (lock.mode: wait waits for it)", err)
	}
	return l, err
}
