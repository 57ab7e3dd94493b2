// Package benchrun holds the logic of `etl bench` (BENCHMARKS.md): generating large
// Apple-format files, timing our gzip TSV → Parquet conversion against DuckDB's COPY in
// separate child processes (so each one's peak RSS can be read from its rusage), and the
// extraction benchmark against the simulator under a scaled rate limit.
//
// It does not import DuckDB: the DuckDB side is handed in by the command (package
// warehouse is the only DuckDB package), so this package's tests stay light.
package benchrun

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
	"github.com/ascetl/etl/transform"
)

// File is one generated benchmark input.
type File struct {
	Name  string // e.g. "sales_1m"
	Table string // schemas table name
	Rows  int
	Path  string // gzip TSV
}

// Kinds of generated files.
const (
	TableSales     = "sales_summary_daily"
	TableSubEvents = "subscription_event_summary_daily"
)

// Generate writes a gzip TSV of rows rows for table at path (deterministic from seed).
func Generate(path, table string, rows int, seed int64) error {
	var write func(io.Writer, int, int64) error
	switch table {
	case TableSales:
		write = simulator.WriteBigSales
	case TableSubEvents:
		write = simulator.WriteBigSubscriptionEvents
	default:
		return fmt.Errorf("bench: no generator for table %s", table)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw, rows, seed); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ConvertResult is what one conversion did.
type ConvertResult struct {
	Rows     int64         `json:"rows"`
	TSVBytes int64         `json:"tsv_bytes"` // uncompressed input bytes
	OutBytes int64         `json:"out_bytes"` // Parquet bytes written
	Wall     time.Duration `json:"wall_ns"`
}

// ConvertOptions tune ConvertOurs. The zero value is exactly the pipeline's path
// (internal/pipeline/unit.go): compress/gzip → transform.NewReader with default batch size
// → load.Store.WriteParquet with default options.
type ConvertOptions struct {
	// Prefetch runs gzip and the transform in their own goroutine, handing finished
	// record batches (retained, at most prefetchDepth queued) to the Parquet writer, so
	// parsing overlaps Parquet encoding on a second core. Not what the pipeline does
	// today; measured as a candidate optimisation (BENCHMARKS.md).
	Prefetch bool
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ConvertOurs converts the gzip TSV at in (a table of package schemas) into the Parquet
// file out, through transform and load as the pipeline does, writing via a fileblob
// bucket on out's directory.
func ConvertOurs(ctx context.Context, in, table, out string, opt ConvertOptions) (ConvertResult, error) {
	start := time.Now()
	t, ok := schemas.Lookup(table)
	if !ok {
		return ConvertResult{}, fmt.Errorf("bench: unknown table %s", table)
	}
	dir, err := filepath.Abs(filepath.Dir(out))
	if err != nil {
		return ConvertResult{}, err
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(dir), RawQuery: "metadata=skip&no_tmp_dir=1"}
	bucket, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return ConvertResult{}, err
	}
	defer bucket.Close()
	f, err := os.Open(in)
	if err != nil {
		return ConvertResult{}, err
	}
	defer f.Close()
	gz, err := load.Gunzip(in, f) // the pipeline's decompression (ParseInput.Open)
	if err != nil {
		return ConvertResult{}, err
	}
	defer gz.Close()
	cr := &countReader{r: gz}
	rdr, err := transform.NewReader(cr, t, transform.Options{
		Key: filepath.Base(in), Version: "bench", ExtractedAt: start, Alloc: memory.DefaultAllocator,
	})
	if err != nil {
		return ConvertResult{}, err
	}
	defer rdr.Release()
	if d := rdr.Drift(); len(d.Unknown)+len(d.Missing) > 0 {
		return ConvertResult{}, fmt.Errorf("bench: %s: header drift %+v", in, d)
	}
	var rr load.RecordReader = rdr
	if opt.Prefetch {
		pf := transform.Prefetch(rdr, prefetchDepth)
		defer pf.Stop() // runs before rdr.Release: the producer is gone by then
		rr = pf
	}
	info, err := load.New(bucket).WriteParquet(ctx, filepath.Base(out), rr, load.ParquetOptions{})
	if err != nil {
		return ConvertResult{}, err
	}
	return ConvertResult{Rows: info.Rows, TSVBytes: cr.n, OutBytes: info.Bytes, Wall: time.Since(start)}, nil
}

const prefetchDepth = 2

// TSVSize is the uncompressed size of a gzip file.
func TSVSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return 0, err
	}
	return io.Copy(io.Discard, gz)
}
