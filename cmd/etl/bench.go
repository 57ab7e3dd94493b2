package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/ascetl/etl/internal/benchrun"
	"github.com/ascetl/etl/internal/warehouse"
)

// cmdBench runs the benchmarks of BENCHMARKS.md: by default the conversion comparison
// against DuckDB, with --extract the extraction benchmark against the simulator. Each
// conversion runs in a child process (`etl bench child ENGINE IN OUT`, not listed in the
// usage) so that its peak RSS can be read from its rusage.
func cmdBench(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && args[0] == "child" {
		return benchChild(ctx, e, args[1:])
	}
	fs := e.flags("bench")
	rows := fs.Int("rows", 1_000_000, "rows of the SALES file (SUBSCRIPTION_EVENT and the memory check use 4x)")
	dir := fs.String("dir", filepath.Join(os.TempDir(), "etl-bench"), "directory for the generated files and outputs")
	keep := fs.Bool("keep", false, "keep the generated files (a later run reuses them)")
	repeat := fs.Int("repeat", 3, "runs per file and engine; best and median are reported")
	seed := fs.Int64("seed", 1, "generator seed")
	prefetch := fs.Bool("prefetch", true, "also time our conversion with read-ahead (the pipeline's path; --prefetch=false to skip)")
	profile := fs.Bool("profile", false, "write a CPU profile of one of our SALES conversions into --dir")
	extract := fs.Bool("extract", false, "run the extraction benchmark against the simulator instead")
	var ec benchrun.ExtractConfig
	fs.IntVar(&ec.RateLimit, "rate-limit", 1000, "extract: simulator requests per rolling (simulated) hour")
	fs.Float64Var(&ec.Scale, "scale", 60, "extract: simulated seconds per real second")
	fs.DurationVar(&ec.Latency, "latency", 100*time.Millisecond, "extract: real latency the simulator adds to every request")
	fs.IntVar(&ec.Days, "days", 365, "extract: days of the backfill")
	fs.IntVar(&ec.Concurrency, "concurrency", 4, "extract: requests in flight (api.max_concurrency)")
	fs.BoolVar(&ec.Pace, "pace", false, "extract: also run with the client refusing at the budget instead of waiting (max_budget_wait 0)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "etl bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *extract {
		ec.Log = e.stderr
		res, err := benchrun.Extract(ctx, ec)
		if err != nil {
			fmt.Fprintln(e.stderr, "etl bench:", err)
			return 1
		}
		benchrun.ExtractReport(e.stdout, ec, res)
		return 0
	}
	if *rows <= 0 || *repeat <= 0 {
		fmt.Fprintln(e.stderr, "etl bench: --rows and --repeat must be positive")
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl bench:", err)
		return 1
	}
	cfg := benchrun.CompareConfig{Exe: exe, Dir: *dir, Rows: *rows, Repeat: *repeat, Seed: *seed,
		Keep: *keep, Prefetch: *prefetch, Profile: *profile, Log: e.stderr}
	res, err := benchrun.Compare(ctx, cfg)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl bench:", err)
		return 1
	}
	benchrun.Report(e.stdout, res, *repeat)
	return 0
}

// benchChild converts one file with one engine and prints a benchrun.ConvertResult as
// JSON: etl bench child [--table T] [--cpuprofile F] [--prefetch] ours|duckdb|duckdb-zstd IN OUT
func benchChild(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("bench child", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	table := fs.String("table", benchrun.TableSales, "schemas table of the input (ours)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the conversion to this file")
	prefetch := fs.Bool("prefetch", false, "run the transform in its own goroutine (ours)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 3 {
		fmt.Fprintln(e.stderr, "usage: etl bench child [--table T] [--cpuprofile F] [--prefetch] ours|duckdb|duckdb-zstd IN OUT")
		return 2
	}
	engine, in, out := fs.Arg(0), fs.Arg(1), fs.Arg(2)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(e.stderr, "etl bench child:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(e.stderr, "etl bench child:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	var res benchrun.ConvertResult
	var err error
	switch engine {
	case benchrun.EngineOurs, benchrun.EngineOursPrefetch:
		res, err = benchrun.ConvertOurs(ctx, in, *table, out, benchrun.ConvertOptions{
			Prefetch: *prefetch || engine == benchrun.EngineOursPrefetch})
	case benchrun.EngineDuckDB, benchrun.EngineDuckZstd:
		res, err = duckConvert(ctx, engine, *table, in, out)
	default:
		err = fmt.Errorf("unknown engine %q", engine)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "etl bench child:", err)
		return 1
	}
	if err := json.NewEncoder(e.stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

func duckConvert(ctx context.Context, engine, table, in, out string) (benchrun.ConvertResult, error) {
	start := time.Now()
	db, err := warehouse.Open("")
	if err != nil {
		return benchrun.ConvertResult{}, err
	}
	var opt warehouse.CopyOptions
	if engine == benchrun.EngineDuckZstd {
		opt.Compression = "zstd"
	}
	if table == benchrun.TableSales {
		// Apple's MM/DD/YYYY: DuckDB's sniffer takes a sample of early-January days
		// for DD/MM/YYYY and then fails on the 13th (BENCHMARKS.md).
		opt.DateFormat = "%m/%d/%Y"
	}
	err = db.CopyCSVToParquetWith(ctx, in, out, opt)
	wall := time.Since(start)
	if err != nil {
		db.Close()
		return benchrun.ConvertResult{}, err
	}
	// Outside the timed part: the row count from the Parquet footer.
	r, err := db.Query(ctx, "SELECT count(*) FROM read_parquet("+warehouse.QuoteLiteral(out)+")")
	db.Close()
	if err != nil {
		return benchrun.ConvertResult{}, err
	}
	res := benchrun.ConvertResult{Wall: wall}
	if len(r.Rows) == 1 {
		if n, ok := r.Rows[0][0].(int64); ok {
			res.Rows = n
		}
	}
	if res.Rows == 0 {
		return res, errors.New("duckdb: no row count")
	}
	if st, err := os.Stat(out); err == nil {
		res.OutBytes = st.Size()
	}
	return res, nil
}

// cpuProfile starts a CPU profile of the whole process into path (ETL_CPUPROFILE, for
// profiling `etl import` and the other commands as they run); the returned func stops it.
func cpuProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "etl: ETL_CPUPROFILE:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "etl: ETL_CPUPROFILE:", err)
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
