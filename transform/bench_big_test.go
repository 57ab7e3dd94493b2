package transform_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
	"github.com/ascetl/etl/transform"
)

// benchRows is BENCH_ROWS (default 100000): go test -bench Big -benchtime 3x ./transform
func benchRows(tb testing.TB) int {
	if v := os.Getenv("BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("BENCH_ROWS=%q: want a positive integer", v)
		}
		return n
	}
	return 100_000
}

// bigTSV generates a file with the simulator's big-file writer and returns it decompressed.
func bigTSV(tb testing.TB, write func(io.Writer, int, int64) error, rows int) []byte {
	tb.Helper()
	var gz bytes.Buffer
	if err := write(&gz, rows, 1); err != nil {
		tb.Fatal(err)
	}
	zr, err := gzip.NewReader(&gz)
	if err != nil {
		tb.Fatal(err)
	}
	tsv, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return tsv
}

var bigCases = []struct {
	name, table string
	write       func(io.Writer, int, int64) error
}{
	{"sales", "sales_summary_daily", simulator.WriteBigSales},
	{"subscription_event", "subscription_event_summary_daily", simulator.WriteBigSubscriptionEvents},
}

func readAll(tb testing.TB, tsv []byte, table string, mem memory.Allocator) int64 {
	t, ok := schemas.Lookup(table)
	if !ok {
		tb.Fatalf("no table %s", table)
	}
	r, err := transform.NewReader(bytes.NewReader(tsv), t, transform.Options{Key: "bench", Version: "1_0", Alloc: mem})
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Release()
	if d := r.Drift(); len(d.Unknown)+len(d.Missing) > 0 {
		tb.Fatalf("drift %+v", d)
	}
	var rows int64
	for r.Next() {
		rows += r.RecordBatch().NumRows()
	}
	if err := r.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// TestBigFilesTransform is the smoke run: the generated files parse without drift or
// errors and without leaking.
func TestBigFilesTransform(t *testing.T) {
	for _, c := range bigCases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			if got := readAll(t, bigTSV(t, c.write, 1000), c.table, mem); got != 1000 {
				t.Fatalf("%d rows, want 1000", got)
			}
		})
	}
}

// BenchmarkBigTransform measures TSV → Arrow only (no gzip, no Parquet); MB/s is of
// uncompressed TSV. BENCH_ROWS sets the rows per file.
func BenchmarkBigTransform(b *testing.B) {
	n := benchRows(b)
	for _, c := range bigCases {
		b.Run(c.name, func(b *testing.B) {
			tsv := bigTSV(b, c.write, n)
			mem := memory.NewGoAllocator()
			b.SetBytes(int64(len(tsv)))
			b.ReportAllocs()
			for b.Loop() {
				if got := readAll(b, tsv, c.table, mem); got != int64(n) {
					b.Fatalf("%d rows", got)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
