package benchrun

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// YearConfig configures Year: a backfill of one calendar year of the default config's
// daily sales reports from the simulator into a data directory, as `etl backfill` would.
type YearConfig struct {
	Dir         string // the data directory goes to Dir/<layout>
	Year        int    // default 2025
	Concurrency int    // api.max_concurrency (default 4)
	Log         io.Writer
}

// YearLayout is one backfilled year.
type YearLayout struct {
	Name       string // "daily objects" (before compaction) or "compacted"
	DataDir    string // the bucket directory (parquet/, raw/, _etl/)
	Units      int
	Loaded     int
	Rows       int64
	Tables     map[string]TableObjects // the sales tables
	RawBytes   int64                   // the archived payloads (gzip)
	Backfill   time.Duration
	Compacted  int             // month objects written
	Query      []time.Duration // the year query through the views, each run
	QueryRaw   []time.Duration // the same on the raw TSV.gz archive (DuckDB read_csv), each run
	QueryRows  int
	QueryCheck string // the year query's result digest, to check both agree
}

// TableObjects is what one table holds.
type TableObjects struct {
	Objects int
	Bytes   int64
}

// Objects is the most objects a table holds.
func (y YearLayout) Objects() (max int, table string) {
	for t, o := range y.Tables {
		if o.Objects > max || (o.Objects == max && t < table) {
			max, table = o.Objects, t
		}
	}
	return max, table
}

// Total is every table's objects and bytes.
func (y YearLayout) Total() TableObjects {
	var t TableObjects
	for _, o := range y.Tables {
		t.Objects += o.Objects
		t.Bytes += o.Bytes
	}
	return t
}

// yearClocks: the simulator answers as on January 2nd of the next year at 08:00 Pacific,
// the one moment when every daily report of the year is served: January 1st's is still
// within Apple's 365 days (published a year ago at 08:00) and December 31st's subscription
// event report, published two days after the day, is out (report.ExpectedAvailable,
// report.Retention). The pipeline runs a week later, when every month is complete.
func yearClocks(year int) (sim, run time.Time) {
	return time.Date(year+1, 1, 2, report.PublishHour, 0, 0, 0, report.Pacific), time.Date(year+1, 1, 10, 12, 0, 0, 0, report.Pacific)
}

// Year backfills the year twice into fresh directories: once leaving the daily objects
// (Runner.NoCompact: the layout before issue 19, in the month partitions) and once as the
// product does (months compacted at the end of the pass), and counts their objects.
func Year(ctx context.Context, cfg YearConfig) ([]YearLayout, error) {
	if cfg.Year == 0 {
		cfg.Year = 2025
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	var out []YearLayout
	for _, compact := range []bool{false, true} {
		name, sub := "daily objects", "year-daily"
		if compact {
			name, sub = "compacted", "year-compacted"
		}
		y, err := yearLayout(ctx, cfg, filepath.Join(cfg.Dir, sub), !compact)
		if err != nil {
			return nil, err
		}
		y.Name = name
		out = append(out, y)
	}
	return out, nil
}

func yearLayout(ctx context.Context, cfg YearConfig, dir string, noCompact bool) (YearLayout, error) {
	y := YearLayout{DataDir: dir, Tables: map[string]TableObjects{}}
	if err := os.RemoveAll(dir); err != nil {
		return y, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return y, err
	}
	simNow, runNow := yearClocks(cfg.Year)
	sim := simulator.New(simulator.Options{Seed: 1, Now: func() time.Time { return simNow }, RateLimit: 1 << 30})
	key, _, err := simulator.GenerateKey()
	if err != nil {
		return y, err
	}
	sim.AddKey("BENCHKEY01", &key.PublicKey)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	client, err := extract.NewClient(extract.Config{BaseURL: srv.URL, IssuerID: sim.Options().IssuerID, KeyID: "BENCHKEY01",
		Key: key, Now: func() time.Time { return simNow }, MaxConcurrency: cfg.Concurrency})
	if err != nil {
		return y, err
	}
	c, err := config.Parse("(bench)", etl.DefaultConfig)
	if err != nil {
		return y, err
	}
	c.API.MaxConcurrency = cfg.Concurrency
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(dir), RawQuery: "metadata=skip"}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return y, err
	}
	defer b.Close()
	p := &pipeline.Pipeline{Cfg: c, Store: load.New(b), API: client, Now: func() time.Time { return runNow }, NoCompact: noCompact}
	w := pipeline.Window{From: time.Date(cfg.Year, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(cfg.Year, 12, 31, 0, 0, 0, 0, time.UTC),
		Families: []report.Family{report.Sales}}
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "year %d: backfill of %d daily sales report kinds into %s (compaction %v)...\n", cfg.Year, len(c.Sales.Reports), dir, !noCompact)
	}
	t0 := time.Now()
	sum, err := p.Backfill(ctx, w)
	y.Backfill = time.Since(t0)
	if err != nil {
		return y, err
	}
	if code := sum.ExitCode(); code != pipeline.ExitOK {
		return y, fmt.Errorf("year backfill: exit %d: failures %v, late %v, compaction %v", code, sum.Failures, sum.Late, sum.CompactErrors)
	}
	y.Units, y.Compacted = sum.Planned, sum.Compacted
	tot := sum.Totals()
	y.Loaded, y.Rows = tot.Loaded, tot.Rows
	err = walkObjects(ctx, b, func(key string, size int64) {
		switch {
		case strings.HasPrefix(key, "parquet/") && strings.HasSuffix(key, ".parquet"):
			table, _, _ := strings.Cut(strings.TrimPrefix(key, "parquet/"), "/")
			o := y.Tables[table]
			o.Objects++
			o.Bytes += size
			y.Tables[table] = o
		case strings.HasPrefix(key, "raw/") && strings.HasSuffix(key, ".gz"):
			y.RawBytes += size
		}
	})
	return y, err
}

func walkObjects(ctx context.Context, b *blob.Bucket, fn func(key string, size int64)) error {
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		fn(obj.Key, obj.Size)
	}
}

// YearQuery is the year query: units by country over the year of daily sales.
const YearQuery = `SELECT country_code, sum(units) AS units FROM sales_summary_daily GROUP BY 1 ORDER BY 1`

// YearQueryRaw is the same query by DuckDB on the raw archive: every archived SALES
// report of the year (gzip TSV), read with read_csv (Apple's MM/DD/YYYY dates; see
// BENCHMARKS.md on DuckDB's date sniffing).
func YearQueryRaw(dataDir string) string {
	glob := filepath.ToSlash(filepath.Join(dataDir, "raw", "sales", "SALES", "SUMMARY", "DAILY")) + "/*/*/*/*.gz"
	return `SELECT "Country Code" AS country_code, sum("Units") AS units FROM read_csv('` + glob +
		`', delim='\t', header=true, dateformat='%m/%d/%Y', union_by_name=true) GROUP BY 1 ORDER BY 1`
}
