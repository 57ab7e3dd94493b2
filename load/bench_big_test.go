package load_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
	"github.com/ascetl/etl/transform"
)

// benchRows is BENCH_ROWS (default 100000): go test -bench Big -benchtime 3x ./load
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

var bigCases = []struct {
	name, table string
	write       func(io.Writer, int, int64) error
}{
	{"sales", "sales_summary_daily", simulator.WriteBigSales},
	{"subscription_event", "subscription_event_summary_daily", simulator.WriteBigSubscriptionEvents},
}

// convert runs the pipeline's path on a gzip file held in memory: gzip → transform →
// WriteParquet into a memblob bucket. It returns the uncompressed bytes read and the info.
func convert(tb testing.TB, gz []byte, table string, mem memory.Allocator) (int64, load.WriteInfo) {
	n, info, _ := convertWith(tb, gz, table, mem, mem)
	return n, info
}

// convertWith is convert with the reader's allocator apart; it returns the Parquet bytes too.
func convertWith(tb testing.TB, gz []byte, table string, rmem, mem memory.Allocator) (int64, load.WriteInfo, []byte) {
	t, ok := schemas.Lookup(table)
	if !ok {
		tb.Fatalf("no table %s", table)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		tb.Fatal(err)
	}
	cr := &counter{r: zr}
	r, err := transform.NewReader(cr, t, transform.Options{Key: "bench", Version: "1_0", Alloc: rmem})
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Release()
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	info, err := load.New(bucket).WriteParquet(context.Background(), "bench/data.parquet", r, load.ParquetOptions{Alloc: mem})
	if err != nil {
		tb.Fatal(err)
	}
	data, err := bucket.ReadAll(context.Background(), "bench/data.parquet")
	if err != nil {
		tb.Fatal(err)
	}
	return cr.n, info, data
}

type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) { n, err := c.r.Read(p); c.n += int64(n); return n, err }

func bigGzip(tb testing.TB, write func(io.Writer, int, int64) error, rows int) []byte {
	var b bytes.Buffer
	if err := write(&b, rows, 1); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestBigFilesToParquet is the smoke run of the benchmark path with a tiny N.
func TestBigFilesToParquet(t *testing.T) {
	for _, c := range bigCases {
		t.Run(c.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			_, info := convert(t, bigGzip(t, c.write, 1000), c.table, mem)
			if info.Rows != 1000 || info.Bytes == 0 {
				t.Fatalf("info %+v", info)
			}
		})
	}
}

// BenchmarkBigGzipToParquet measures the whole conversion of the pipeline (gzip TSV →
// transform → Parquet, in memory); MB/s is of uncompressed TSV. BENCH_ROWS sets the rows.
func BenchmarkBigGzipToParquet(b *testing.B) {
	n := benchRows(b)
	for _, c := range bigCases {
		b.Run(c.name, func(b *testing.B) {
			gz := bigGzip(b, c.write, n)
			mem := memory.NewGoAllocator()
			tsv, info := convert(b, gz, c.table, mem) // warm-up, and the size for SetBytes
			b.SetBytes(tsv)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, info = convert(b, gz, c.table, mem); info.Rows != int64(n) {
					b.Fatalf("%d rows", info.Rows)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(info.Bytes), "parquet-bytes")
		})
	}
}
