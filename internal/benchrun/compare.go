package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// CompareConfig configures Compare.
type CompareConfig struct {
	Exe      string // the etl binary, re-executed as `etl bench child ...`
	Dir      string // where inputs and outputs go
	Rows     int    // SALES rows; SUBSCRIPTION_EVENT and the memory check use 4×
	Repeat   int    // runs per file and engine (best and median are reported)
	Seed     int64
	Keep     bool // keep generated inputs and outputs
	Prefetch bool // also time ours with ConvertOptions.Prefetch
	Profile  bool // write a CPU profile of one "ours" run of the SALES file into Dir
	Log      io.Writer
}

// Run is one child process's outcome.
type Run struct {
	ConvertResult
	Process time.Duration // wall time of the whole child, start-up included
	MaxRSS  int64         // bytes, from the child's rusage
}

// Sample is the runs of one engine on one file.
type Sample struct {
	Engine string
	Runs   []Run
}

func (s Sample) walls() []time.Duration {
	out := make([]time.Duration, len(s.Runs))
	for i, r := range s.Runs {
		out[i] = r.Wall
	}
	slices.Sort(out)
	return out
}

// Best is the fastest conversion time.
func (s Sample) Best() time.Duration { return s.walls()[0] }

// Median is the median conversion time.
func (s Sample) Median() time.Duration {
	w := s.walls()
	if len(w)%2 == 1 {
		return w[len(w)/2]
	}
	return (w[len(w)/2-1] + w[len(w)/2]) / 2
}

// PeakRSS is the largest peak RSS over the runs.
func (s Sample) PeakRSS() int64 {
	var m int64
	for _, r := range s.Runs {
		m = max(m, r.MaxRSS)
	}
	return m
}

// FileResult is every engine's sample on one file.
type FileResult struct {
	File     File
	TSVBytes int64
	GzBytes  int64
	Samples  []Sample
}

// Sample returns the engine's sample.
func (f FileResult) Sample(engine string) (Sample, bool) {
	for _, s := range f.Samples {
		if s.Engine == engine {
			return s, true
		}
	}
	return Sample{}, false
}

// Engines.
const (
	EngineOurs         = "ours"
	EngineOursPrefetch = "ours+prefetch"
	EngineDuckDB       = "duckdb"
	EngineDuckZstd     = "duckdb-zstd"
)

// runChild runs `exe bench child <engine> ...` and reads its JSON result and rusage.
func runChild(ctx context.Context, exe, engine, table, in, out string, extra ...string) (Run, error) {
	args := append([]string{"bench", "child", "--table", table}, extra...)
	args = append(args, engine, in, out)
	cmd := exec.CommandContext(ctx, exe, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return Run{}, fmt.Errorf("%s %s: %w: %s", engine, filepath.Base(in), err, strings.TrimSpace(stderr.String()))
	}
	var run Run
	if err := json.Unmarshal(stdout.Bytes(), &run.ConvertResult); err != nil {
		return Run{}, fmt.Errorf("%s %s: bad child output %q: %w", engine, filepath.Base(in), stdout.String(), err)
	}
	run.Process = wall
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.MaxRSS = maxrssBytes(ru.Maxrss)
	}
	_ = os.Remove(out)
	return run, nil
}

// maxrssBytes converts ru_maxrss (KiB on Linux, bytes on macOS) to bytes.
func maxrssBytes(v int64) int64 {
	if runtime.GOOS == "darwin" {
		return v
	}
	return v * 1024
}

// Compare generates the files (unless present in Dir from an earlier --keep run), then
// times each engine on each file cfg.Repeat times, interleaving engines so that noise from
// other processes on the machine hits both alike.
func Compare(ctx context.Context, cfg CompareConfig) ([]FileResult, error) {
	if cfg.Repeat <= 0 {
		cfg.Repeat = 3
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	logf := func(format string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", a...)
		}
	}
	name := func(base string, rows int) string {
		if rows%1_000_000 == 0 {
			return fmt.Sprintf("%s_%dm", base, rows/1_000_000)
		}
		return fmt.Sprintf("%s_%d", base, rows)
	}
	type job struct {
		f       File
		engines []string
	}
	full := []string{EngineOurs, EngineDuckDB, EngineDuckZstd}
	product := EngineOurs // what the pipeline runs: with read-ahead unless --prefetch=false
	if cfg.Prefetch {
		full = []string{EngineOurs, EngineOursPrefetch, EngineDuckDB, EngineDuckZstd}
		product = EngineOursPrefetch
	}
	jobs := []job{
		{File{Name: name("sales", cfg.Rows), Table: TableSales, Rows: cfg.Rows}, full},
		{File{Name: name("subscription_event", 4*cfg.Rows), Table: TableSubEvents, Rows: 4 * cfg.Rows}, full},
		// Memory check: the same table at 4× the rows.
		{File{Name: name("sales", 4*cfg.Rows), Table: TableSales, Rows: 4 * cfg.Rows}, []string{product}},
	}
	var results []FileResult
	for _, j := range jobs {
		f := j.f
		f.Path = filepath.Join(cfg.Dir, f.Name+".txt.gz")
		if _, err := os.Stat(f.Path); err != nil {
			logf("generating %s (%d rows)...", f.Path, f.Rows)
			t0 := time.Now()
			if err := Generate(f.Path, f.Table, f.Rows, cfg.Seed); err != nil {
				return nil, err
			}
			logf("  generated in %s", time.Since(t0).Round(time.Millisecond))
		}
		st, err := os.Stat(f.Path)
		if err != nil {
			return nil, err
		}
		tsv, err := TSVSize(f.Path)
		if err != nil {
			return nil, err
		}
		fr := FileResult{File: f, TSVBytes: tsv, GzBytes: st.Size()}
		samples := map[string]*Sample{}
		for rep := 0; rep < cfg.Repeat; rep++ {
			for _, e := range j.engines {
				out := filepath.Join(cfg.Dir, fmt.Sprintf("%s.%s.parquet", f.Name, e))
				var extra []string
				if e == EngineOursPrefetch {
					extra = append(extra, "--prefetch")
				}
				run, err := runChild(ctx, cfg.Exe, e, f.Table, f.Path, out, extra...)
				if err != nil {
					return nil, err
				}
				logf("  %-22s %-15s run %d: %8.3fs  rss %4d MiB  rows %d", f.Name, e, rep+1,
					run.Wall.Seconds(), run.MaxRSS>>20, run.Rows)
				if run.Rows != int64(f.Rows) {
					return nil, fmt.Errorf("%s %s: %d rows, want %d", e, f.Name, run.Rows, f.Rows)
				}
				if samples[e] == nil {
					samples[e] = &Sample{Engine: e}
				}
				samples[e].Runs = append(samples[e].Runs, run)
			}
		}
		for _, e := range j.engines {
			fr.Samples = append(fr.Samples, *samples[e])
		}
		results = append(results, fr)
	}
	if cfg.Profile {
		f := results[0].File
		prof := filepath.Join(cfg.Dir, "ours-"+f.Name+".cpu.pprof")
		out := filepath.Join(cfg.Dir, f.Name+".profile.parquet")
		if _, err := runChild(ctx, cfg.Exe, EngineOurs, f.Table, f.Path, out, "--cpuprofile", prof); err != nil {
			return nil, err
		}
		logf("CPU profile of ours on %s: %s (go tool pprof -top %s)", f.Name, prof, prof)
	}
	if !cfg.Keep {
		for _, r := range results {
			_ = os.Remove(r.File.Path)
		}
	}
	return results, nil
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// Report prints the comparison: per file, best and median wall time of each engine, the
// ratio ours/DuckDB, peak RSS, and the targets of BENCHMARKS.md.
func Report(w io.Writer, results []FileResult, repeat int) {
	fmt.Fprintf(w, "\nConversion gzip TSV -> Parquet, best and median of %d runs (child processes; wall = conversion only, start-up excluded)\n", repeat)
	fmt.Fprintf(w, "%-24s %-15s %10s %10s %10s %9s %10s %9s\n", "file", "engine", "best", "median", "rows/s", "MB/s", "peak RSS", "parquet")
	for _, r := range results {
		for _, s := range r.Samples {
			b := s.Best().Seconds()
			fmt.Fprintf(w, "%-24s %-15s %9.3fs %9.3fs %10.0f %9.1f %10s %9s\n", r.File.Name, s.Engine, b,
				s.Median().Seconds(), float64(r.File.Rows)/b, float64(r.TSVBytes)/1e6/b, mib(s.PeakRSS()),
				mib(s.Runs[0].OutBytes))
		}
		fmt.Fprintf(w, "%-24s (%d rows, %.1f MB TSV, %.1f MB gzip)\n", "", r.File.Rows, float64(r.TSVBytes)/1e6, float64(r.GzBytes)/1e6)
	}
	fmt.Fprintln(w)
	for i, r := range results {
		ours, ok1 := productSample(r)
		duck, ok2 := r.Sample(EngineDuckDB)
		if !ok1 || !ok2 {
			continue
		}
		ratio := ours.Best().Seconds() / duck.Best().Seconds()
		med := ours.Median().Seconds() / duck.Median().Seconds()
		line := fmt.Sprintf("ratio ours/DuckDB on %s: %.2f (best), %.2f (median)", r.File.Name, ratio, med)
		if dz, ok := r.Sample(EngineDuckZstd); ok {
			line += fmt.Sprintf("; vs DuckDB with zstd: %.2f (best)", ours.Best().Seconds()/dz.Best().Seconds())
		}
		if i == 0 {
			line += fmt.Sprintf("  [target <= 0.80: %s]", verdict(ratio <= 0.8))
		}
		fmt.Fprintln(w, line)
		fmt.Fprintf(w, "peak RSS on %s: ours %s, DuckDB %s\n", r.File.Name, mib(ours.PeakRSS()), mib(duck.PeakRSS()))
	}
	var small, big Sample
	var smallRows, bigRows int
	for _, r := range results {
		if r.File.Table != TableSales {
			continue
		}
		s, _ := productSample(r)
		if small.Runs == nil || r.File.Rows < smallRows {
			small, smallRows = s, r.File.Rows
		}
		if big.Runs == nil || r.File.Rows > bigRows {
			big, bigRows = s, r.File.Rows
		}
	}
	if bigRows > smallRows {
		ratio := float64(big.PeakRSS()) / float64(small.PeakRSS())
		fmt.Fprintf(w, "peak RSS ours, SALES %d vs %d rows: %s vs %s = %.2fx  [target <= 1.10x and < 256 MiB: %s]\n",
			bigRows, smallRows, mib(big.PeakRSS()), mib(small.PeakRSS()), ratio,
			verdict(ratio <= 1.1 && big.PeakRSS() < 256<<20))
	}
}

// productSample is the pipeline's own path: with read-ahead when it was measured.
func productSample(r FileResult) (Sample, bool) {
	if s, ok := r.Sample(EngineOursPrefetch); ok {
		return s, true
	}
	return r.Sample(EngineOurs)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
