package benchrun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// GoBenchPattern selects the Go benchmarks of BENCHMARKS.md: the reader (TSV → Arrow),
// the encoder (Arrow → Parquet), the whole conversion, the compactor and the spool.
const GoBenchPattern = "^(BenchmarkBigTransform|BenchmarkWriteParquet|BenchmarkBigGzipToParquet|BenchmarkCompactMonth|BenchmarkSpoolPut)$"

// GoBenchPackages hold them.
var GoBenchPackages = []string{"./transform", "./load", "./internal/engine"}

// GoBench is one benchmark's line of `go test -bench`.
type GoBench struct {
	Name    string
	N       int
	Metrics map[string]float64 // ns/op, MB/s, B/op, allocs/op, rows/s, ...
}

// ModuleRoot finds the source tree (go.mod of this module) from dir upwards.
func ModuleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/ascetl/etl\n")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("no go.mod of github.com/ascetl/etl above " + dir)
		}
	}
}

// RunGoBench runs the benchmarks with `go test` in the source tree at root, BENCH_ROWS
// rows for those that read it, each 3 times.
func RunGoBench(ctx context.Context, root string, rows int) ([]GoBench, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	args := append([]string{"test", "-run", "^$", "-bench", GoBenchPattern, "-benchtime", "3x", "-count", "1"}, GoBenchPackages...)
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "BENCH_ROWS="+strconv.Itoa(rows))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, lastLines(string(out), 10))
	}
	return ParseGoBench(out), nil
}

// ParseGoBench reads the result lines of `go test -bench` output.
func ParseGoBench(out []byte) []GoBench {
	var res []GoBench
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 { // the GOMAXPROCS suffix
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		b := GoBench{Name: name, N: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				b.Metrics[f[i+1]] = v
			}
		}
		res = append(res, b)
	}
	return res
}
