// Command etl pulls App Store Connect reports into partitioned Parquet with DuckDB views.
// main only wires packages together; see `etl help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
)

const usage = `etl — App Store Connect reports into Parquet and DuckDB

Usage: etl <command> [flags]

Commands:
  run           one pass: every enabled family since the last loaded unit (minus lookback),
                plus pending and failed units; then rebuild the DuckDB views
  backfill      load every unit in --from..--to (skips loaded ones unless --force)
  schedule      long-running: run each schedule.jobs entry on its cron expression, serve
                /healthz, Prometheus /metrics and /dashboard (schedule.listen); stops on SIGTERM
  status        the ledger as a table (per unit state, rows, version, error); --runs: the
                run manifests, newest first
  import        load Apple report files downloaded by hand, or a raw archive tree:
                etl import FILE... | etl import data/raw
  reparse       rebuild Parquet from the raw archive without asking Apple again
  compact       roll completed months of the sales tables into one object per table and month
  views         rebuild the DuckDB views (tables, marts, curated queries) and the marts' Parquet
  dashboard     one self-contained HTML page of charts drawn from the marts: --out report.html
  query         run SQL or a curated query by name: etl query daily_units_proceeds_by_app_territory
  reconcile     compare finance, sales, Payments and analytics with each other; print and store
                the checks (reconcile_results); exit 3 when one fails
  simulate      serve the App Store Connect simulator over HTTP: etl simulate --addr 127.0.0.1:8080
  check-config  validate the configuration, key and bucket without making any request;
                --online: and make one authenticated request, so a wrong key is caught
  ddl           external-table DDL for Trino, Athena, Spark or BigQuery over the bucket's Parquet
  bench         regenerate BENCHMARKS.md: etl import against DuckDB, a year of sales and the
                year query, the Go benchmarks (--extract: also extraction under the rate limit)
  help          this text; "etl <command> -h" for a command's flags

Configuration: --config FILE (default ./config.yaml if present, else the embedded default,
which runs everything against the embedded simulator and writes to ./data).

Exit codes: 0 done, 1 failed, 2 bad usage or configuration, 3 partial (some units failed
or are pending past Apple's usual publication time).
`

type command struct {
	run  func(ctx context.Context, env *env, args []string) int
	help string
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"run":          {cmdRun, "etl run [--config FILE] [--allow-shrink]"},
		"backfill":     {cmdBackfill, "etl backfill --from YYYY-MM-DD --to YYYY-MM-DD [--family FAMILY] [--force] [--allow-shrink]"},
		"status":       {cmdStatus, "etl status [--state STATE] [--prefix UNIT-ID-PREFIX] | etl status --runs [--limit N]"},
		"import":       {cmdImport, "etl import [--period P] [--region R] [--vendor N] [--allow-shrink] FILE|DIRECTORY...\n\nFiles are Apple reports downloaded by hand (gzip or plain; the type comes from the name and\nheader). A directory is walked: inside a raw archive tree (data/raw) every archived version is\nreloaded, in fetch order, as etl reparse would."},
		"reparse":      {cmdReparse, "etl reparse [--prefix UNIT-ID-PREFIX] [--allow-shrink]"},
		"views":        {cmdViews, "etl views"},
		"dashboard":    {cmdDashboard, dashboardHelp},
		"query":        {cmdQuery, "etl query [--format table|csv|json] SQL|NAME   (etl query --list shows the curated queries)"},
		"reconcile":    {cmdReconcile, reconcileUsage},
		"simulate":     {cmdSimulate, "etl simulate [--addr 127.0.0.1:8080] [--key-out FILE] [--seed N]"},
		"check-config": {cmdCheckConfig, "etl check-config [--config FILE] [--online]"},
		"schedule":     {cmdSchedule, "etl schedule [--config FILE] [--listen ADDR]"},
		"compact":      {cmdCompact, "etl compact [--no-views]   (completed months of the sales tables into one object per table and month)"},
		"ddl":          {cmdDDL, ddlHelp},
		"bench":        {cmdBench, "etl bench [--rows N] [--repeat N] [--dir DIR] [--keep] [--profile] [--year=false] [--gobench=false] [--out FILE|-] [--extract [--rate-limit N] [--scale S] [--latency D] [--days N] [--pace]]"},
	}
}

// env is what every command shares: streams and the chosen config file.
type env struct {
	stdout, stderr io.Writer
	configPath     string
	status         *statusLine // progress line on a terminal (progress.go)
}

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says otherwise, and
// defaultGCPercent the GC's target unless GOGC does: they keep a large conversion within a
// small CronJob pod (BENCHMARKS.md, "Memory") at no measurable cost in speed. The live heap
// of a conversion is a few batches (about 65 MiB for SALES); a GC target of 75 % lets the
// heap reach 1.75× that, and the limit stops it earlier (it is soft: a pass that needs
// more live memory gets it, with more frequent collections).
const (
	defaultMemoryLimit = 112 << 20
	defaultGCPercent   = 75
)

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	endProfile := cpuProfile(os.Getenv("ETL_CPUPROFILE")) // bench.go
	code := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	endProfile()
	stop()
	os.Exit(code)
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(stderr, "etl: unknown command %q (commands: %s)\n", args[0], strings.Join(names, ", "))
		return 2
	}
	return cmd.run(ctx, &env{stdout: stdout, stderr: stderr}, args[1:])
}

// flags makes a command's flag set with the shared --config flag and its usage line.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.configPath, "config", "", "configuration file (default ./config.yaml, else the embedded default)")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: %s\n\nFlags:\n", commands[name].help)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; it returns an exit code and false when the command must stop.
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}
