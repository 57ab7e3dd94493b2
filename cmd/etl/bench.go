package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/ascetl/etl/internal/benchrun"
	"github.com/ascetl/etl/internal/warehouse"
)

// cmdBench runs the benchmarks of BENCHMARKS.md and writes that file: `etl import` of
// large SALES reports against DuckDB's COPY, each in its own process, in pairs; a year of
// daily sales before and after compaction with the year query; the Go benchmarks; with
// --extract the extraction benchmark against the simulator (else the previous file's
// extraction section is kept). `etl bench child ...` (not in the usage) is one DuckDB (or
// in-process) conversion, run by the parent as a child process.
func cmdBench(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && args[0] == "child" {
		return benchChild(ctx, e, args[1:])
	}
	fs := e.flags("bench")
	rows := fs.Int("rows", 1_000_000, "rows of the smaller SALES file (the larger has 4x)")
	dir := fs.String("dir", filepath.Join(os.TempDir(), "etl-bench"), "directory for the generated files and outputs")
	keep := fs.Bool("keep", false, "keep the generated files (a later run reuses them)")
	repeat := fs.Int("repeat", 5, "counted pairs (etl import, DuckDB) per file, after one warm-up pair")
	seed := fs.Int64("seed", 1, "generator seed")
	profile := fs.Bool("profile", false, "also write a CPU profile of one etl import into --dir")
	conv := fs.Bool("convert", true, "run the conversion comparison")
	year := fs.Bool("year", true, "run the year benchmark (backfill, compaction, the year query)")
	yearRepeat := fs.Int("year-repeat", 5, "runs of each year query")
	gobench := fs.Bool("gobench", true, "run the Go benchmarks (needs go and the source tree)")
	gobenchRows := fs.Int("gobench-rows", 1_000_000, "BENCH_ROWS of the Go benchmarks")
	out := fs.String("out", "BENCHMARKS.md", "write the report here (- for stdout only)")
	extract := fs.Bool("extract", false, "also run the extraction benchmark against the simulator")
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
	if *rows <= 0 || *repeat <= 0 || *yearRepeat <= 0 {
		fmt.Fprintln(e.stderr, "etl bench: --rows, --repeat and --year-repeat must be positive")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(e.stderr, "etl bench:", err)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fail(err)
	}
	rep := &benchrun.Report{Date: time.Now(), Machine: benchrun.ThisMachine(), Repeat: *repeat, YearRepeat: *yearRepeat, GoBenchN: *gobenchRows}
	rep.Machine.DuckDB = duckVersion(ctx)
	if *conv {
		res, err := benchrun.Compare(ctx, benchrun.CompareConfig{Exe: exe, Dir: *dir, Rows: *rows, Repeat: *repeat,
			Seed: *seed, Keep: *keep, Profile: *profile, Log: e.stderr})
		if err != nil {
			return fail(err)
		}
		rep.Conversion = res
		if *profile {
			rep.Profile = pprofTop(ctx, exe, filepath.Join(*dir, "import-"+res[0].File.Name+".cpu.pprof"))
		}
	}
	if *year {
		ys, err := benchrun.Year(ctx, benchrun.YearConfig{Dir: *dir, Log: e.stderr})
		if err != nil {
			return fail(err)
		}
		for i := range ys {
			if err := yearQueries(ctx, &ys[i], *yearRepeat); err != nil {
				return fail(err)
			}
			if !*keep {
				os.RemoveAll(ys[i].DataDir)
			}
		}
		rep.Year = ys
	}
	if *gobench {
		wd, _ := os.Getwd()
		root, err := benchrun.ModuleRoot(wd)
		if err == nil {
			fmt.Fprintf(e.stderr, "go benchmarks in %s (BENCH_ROWS=%d)...\n", root, *gobenchRows)
			rep.GoBench, err = benchrun.RunGoBench(ctx, root, *gobenchRows)
		}
		if err != nil {
			rep.GoBenchErr = err.Error()
		}
	} else {
		rep.GoBenchErr = "--gobench=false"
	}
	if *extract {
		ec.Log = e.stderr
		res, err := benchrun.Extract(ctx, ec)
		if err != nil {
			return fail(err)
		}
		var b strings.Builder
		benchrun.ExtractMarkdown(&b, ec, res)
		rep.Extraction = b.String()
	} else if *out != "-" {
		rep.Extraction = benchrun.PreviousExtraction(*out)
	}
	rep.Machine.EndLoad()
	var b bytes.Buffer
	rep.Markdown(&b)
	if *out == "-" {
		e.stdout.Write(b.Bytes())
		return 0
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return fail(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", *out)
	return 0
}

// duckVersion is the linked DuckDB's version.
func duckVersion(ctx context.Context) string {
	db, err := warehouse.Open("")
	if err != nil {
		return "?"
	}
	defer db.Close()
	r, err := db.Query(ctx, "SELECT version()")
	if err != nil || len(r.Rows) != 1 {
		return "?"
	}
	return fmt.Sprint(r.Rows[0][0])
}

// pprofTop is the first lines of `go tool pprof -top` of a profile ("" without go).
func pprofTop(ctx context.Context, exe, prof string) string {
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", exe, prof).Output()
	if err != nil {
		return ""
	}
	lines := strings.Split(string(out), "\n")
	return strings.Join(lines[:min(len(lines), 30)], "\n")
}

// yearQueries times the year query through the views of y's data directory and DuckDB's
// read_csv on its raw archive, repeat times each, in one in-memory database, and checks
// that both give the same answer.
func yearQueries(ctx context.Context, y *benchrun.YearLayout, repeat int) error {
	db, err := warehouse.Open("")
	if err != nil {
		return err
	}
	defer db.Close()
	spec, err := warehouse.LocalSpec(y.DataDir, "USD", time.Now())
	if err != nil {
		return err
	}
	if err := db.Refresh(ctx, spec.Tables, nil); err != nil {
		return err
	}
	run := func(sql string) ([]time.Duration, string, int, error) {
		var ds []time.Duration
		var digest string
		rows := 0
		for i := 0; i < repeat; i++ {
			t0 := time.Now()
			r, err := db.Query(ctx, sql)
			if err != nil {
				return nil, "", 0, err
			}
			ds = append(ds, time.Since(t0))
			digest, rows = fmt.Sprint(r.Rows), len(r.Rows)
		}
		return ds, digest, rows, nil
	}
	var views, raw string
	if y.Query, views, y.QueryRows, err = run(benchrun.YearQuery); err != nil {
		return fmt.Errorf("year query (views): %w", err)
	}
	if y.QueryRaw, raw, _, err = run(benchrun.YearQueryRaw(y.DataDir)); err != nil {
		return fmt.Errorf("year query (raw): %w", err)
	}
	if views != raw {
		return fmt.Errorf("year query: the views and the raw files disagree:\n%s\n%s", views, raw)
	}
	y.QueryCheck = views
	return nil
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
	db.Close()
	if err != nil {
		return benchrun.ConvertResult{}, err
	}
	// The row count from the Parquet footer (arrow-go, not another DuckDB query: the
	// parent times the whole process).
	res := benchrun.ConvertResult{Wall: wall}
	pf, err := file.OpenParquetFile(out, false)
	if err != nil {
		return res, err
	}
	res.Rows = pf.NumRows()
	pf.Close()
	if res.Rows == 0 {
		return res, errors.New("duckdb: no rows")
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
