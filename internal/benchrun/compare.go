package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"gocloud.dev/blob"

	"github.com/ascetl/etl/load"
)

// CompareConfig configures Compare: `etl import` of a generated SALES file against
// DuckDB's COPY of the same file, each in its own process, in pairs.
type CompareConfig struct {
	Exe     string // the etl binary
	Dir     string // inputs and outputs
	Rows    int    // rows of the smaller SALES file; the larger has 4×
	Repeat  int    // counted pairs per file (after one warm-up pair)
	Seed    int64
	Keep    bool // keep the generated files (a later run reuses them)
	Profile bool // a CPU profile of one import of the smaller file into Dir
	Log     io.Writer
}

// Proc is what one child process took, from outside: wall time from start to exit (its
// start-up included), CPU time and peak RSS from its rusage.
type Proc struct {
	Wall, User, Sys time.Duration
	MaxRSS          int64 // bytes
}

// CPU is user plus system time.
func (p Proc) CPU() time.Duration { return p.User + p.Sys }

// Pair is one run of each engine, run one after the other.
type Pair struct{ Ours, Duck Proc }

// FileResult is the pairs on one file.
type FileResult struct {
	File                     File
	TSVBytes, GzBytes        int64
	Pairs                    []Pair
	OursParquet, DuckParquet int64 // bytes written
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (f FileResult) each(fn func(Pair) float64) []float64 {
	out := make([]float64, len(f.Pairs))
	for i, p := range f.Pairs {
		out[i] = fn(p)
	}
	return out
}

// Ratios are ours/DuckDB wall time, pair by pair, sorted.
func (f FileResult) Ratios() []float64 {
	r := f.each(func(p Pair) float64 { return p.Ours.Wall.Seconds() / p.Duck.Wall.Seconds() })
	slices.Sort(r)
	return r
}

// Ratio is the median of the pairs' ratios.
func (f FileResult) Ratio() float64 { return median(f.Ratios()) }

// Median is the median of one engine's figure over the pairs.
func (f FileResult) Median(ours bool, fig func(Proc) float64) float64 {
	return median(f.each(func(p Pair) float64 {
		if ours {
			return fig(p.Ours)
		}
		return fig(p.Duck)
	}))
}

// Peak is one engine's largest peak RSS over the pairs.
func (f FileResult) Peak(ours bool) int64 {
	var m int64
	for _, p := range f.Pairs {
		if ours {
			m = max(m, p.Ours.MaxRSS)
		} else {
			m = max(m, p.Duck.MaxRSS)
		}
	}
	return m
}

// ImportName is the name of the generated report: Apple's, so `etl import` tells the
// report and its day from it.
const ImportName = "S_D_85012345_20250115.txt.gz"

// Compare generates the SALES files (unless an earlier --keep run left them), then runs,
// per file, one warm-up pair and cfg.Repeat counted pairs: `etl import --no-views FILE`
// in a new empty directory (the embedded configuration: a file:// bucket there), then
// `etl bench child duckdb FILE OUT`. Running them in turn lets noise from the rest of the
// machine hit both alike; the ratio is taken pair by pair.
func Compare(ctx context.Context, cfg CompareConfig) ([]FileResult, error) {
	if cfg.Repeat <= 0 {
		cfg.Repeat = 5
	}
	logf := func(format string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", a...)
		}
	}
	var results []FileResult
	for _, rows := range []int{cfg.Rows, 4 * cfg.Rows} {
		f := File{Name: sizeName("sales", rows), Table: TableSales, Rows: rows}
		f.Path = filepath.Join(cfg.Dir, f.Name, ImportName)
		if err := ensureFile(f, cfg.Seed, logf); err != nil {
			return nil, err
		}
		fr, err := compareFile(ctx, cfg, f, logf)
		if err != nil {
			return nil, err
		}
		results = append(results, fr)
	}
	if cfg.Profile {
		f := results[0].File
		prof := filepath.Join(cfg.Dir, "import-"+f.Name+".cpu.pprof")
		if _, err := runImport(ctx, cfg.Exe, f.Path, filepath.Join(cfg.Dir, "profile"), "ETL_CPUPROFILE="+prof); err != nil {
			return nil, err
		}
		logf("CPU profile of etl import on %s: %s (go tool pprof -top %s %s)", f.Name, prof, cfg.Exe, prof)
	}
	if !cfg.Keep {
		for _, r := range results {
			_ = os.RemoveAll(filepath.Dir(r.File.Path))
		}
	}
	return results, nil
}

func sizeName(base string, rows int) string {
	if rows%1_000_000 == 0 {
		return fmt.Sprintf("%s_%dm", base, rows/1_000_000)
	}
	return fmt.Sprintf("%s_%d", base, rows)
}

func ensureFile(f File, seed int64, logf func(string, ...any)) error {
	if _, err := os.Stat(f.Path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return err
	}
	logf("generating %s (%d rows)...", f.Path, f.Rows)
	t0 := time.Now()
	if err := Generate(f.Path, f.Table, f.Rows, seed); err != nil {
		return err
	}
	logf("  generated in %s", time.Since(t0).Round(time.Millisecond))
	return nil
}

func compareFile(ctx context.Context, cfg CompareConfig, f File, logf func(string, ...any)) (FileResult, error) {
	st, err := os.Stat(f.Path)
	if err != nil {
		return FileResult{}, err
	}
	tsv, err := TSVSize(f.Path)
	if err != nil {
		return FileResult{}, err
	}
	fr := FileResult{File: f, TSVBytes: tsv, GzBytes: st.Size()}
	work := filepath.Join(cfg.Dir, "work")
	duckOut := filepath.Join(cfg.Dir, f.Name+".duckdb.parquet")
	for i := 0; i <= cfg.Repeat; i++ {
		ours, err := runImport(ctx, cfg.Exe, f.Path, work)
		if err != nil {
			return fr, err
		}
		if fr.OursParquet, err = checkImport(ctx, work, f.Rows); err != nil {
			return fr, err
		}
		duck, rows, err := runDuck(ctx, cfg.Exe, f.Path, duckOut)
		if err != nil {
			return fr, err
		}
		if rows != int64(f.Rows) {
			return fr, fmt.Errorf("duckdb %s: %d rows, want %d", f.Name, rows, f.Rows)
		}
		if st, err := os.Stat(duckOut); err == nil {
			fr.DuckParquet = st.Size()
		}
		label := fmt.Sprintf("pair %d", i)
		if i == 0 {
			label = "warm-up"
		} else {
			fr.Pairs = append(fr.Pairs, Pair{Ours: ours, Duck: duck})
		}
		logf("  %-9s %-8s import %6.3fs %4d MiB cpu %6.3fs | duckdb %6.3fs %4d MiB cpu %6.3fs | ratio %.3f",
			f.Name, label, ours.Wall.Seconds(), ours.MaxRSS>>20, ours.CPU().Seconds(),
			duck.Wall.Seconds(), duck.MaxRSS>>20, duck.CPU().Seconds(), ours.Wall.Seconds()/duck.Wall.Seconds())
	}
	_ = os.RemoveAll(work)
	_ = os.Remove(duckOut)
	return fr, nil
}

// runImport runs `etl import --no-views in` in dir, made empty first (outside the time).
func runImport(ctx context.Context, exe, in, dir string, env ...string) (Proc, error) {
	if err := os.RemoveAll(dir); err != nil {
		return Proc{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Proc{}, err
	}
	abs, err := filepath.Abs(in)
	if err != nil {
		return Proc{}, err
	}
	cmd := exec.CommandContext(ctx, exe, "import", "--no-views", abs)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	p, _, err := runProc(cmd)
	if err != nil {
		return p, fmt.Errorf("etl import %s: %w", filepath.Base(in), err)
	}
	return p, nil
}

// checkImport checks that the import in dir loaded rows rows and returns the Parquet
// bytes it wrote.
func checkImport(ctx context.Context, dir string, rows int) (int64, error) {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "data")), RawQuery: "metadata=skip"}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return 0, err
	}
	defer b.Close()
	st := load.New(b)
	es, err := st.Ledger().List(ctx, "")
	if err != nil {
		return 0, err
	}
	if len(es) != 1 || es[0].State != load.Loaded || es[0].Rows != int64(rows) {
		return 0, fmt.Errorf("import: ledger %+v, want one unit loaded with %d rows", es, rows)
	}
	var n int64
	it := b.List(&blob.ListOptions{Prefix: "parquet/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		n += obj.Size
	}
	return n, nil
}

// runDuck runs `etl bench child duckdb in out` and returns the rows it wrote.
func runDuck(ctx context.Context, exe, in, out string) (Proc, int64, error) {
	cmd := exec.CommandContext(ctx, exe, "bench", "child", "--table", TableSales, EngineDuckDB, in, out)
	p, stdout, err := runProc(cmd)
	if err != nil {
		return p, 0, fmt.Errorf("duckdb %s: %w", filepath.Base(in), err)
	}
	var res ConvertResult
	if err := json.Unmarshal(stdout, &res); err != nil {
		return p, 0, fmt.Errorf("duckdb %s: bad child output %q: %w", filepath.Base(in), stdout, err)
	}
	return p, res.Rows, nil
}

// runProc runs cmd and measures it.
func runProc(cmd *exec.Cmd) (Proc, []byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	p := Proc{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		p.User, p.Sys = cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			p.MaxRSS = maxrssBytes(ru.Maxrss)
		}
	}
	if err != nil {
		return p, nil, fmt.Errorf("%w: %s", err, lastLines(stderr.String(), 5))
	}
	return p, stdout.Bytes(), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// maxrssBytes converts ru_maxrss (KiB on Linux, bytes on macOS) to bytes.
func maxrssBytes(v int64) int64 {
	if runtime.GOOS == "darwin" {
		return v
	}
	return v * 1024
}

// Engines of `etl bench child`.
const (
	EngineOurs         = "ours"
	EngineOursPrefetch = "ours+prefetch"
	EngineDuckDB       = "duckdb"
	EngineDuckZstd     = "duckdb-zstd"
)

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}
