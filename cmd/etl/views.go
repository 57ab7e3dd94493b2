package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/ascetl/etl/internal/blobs/bucketurl"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/internal/warehouse"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/queries"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// viewsJob rebuilds the DuckDB views, the derived tables and the marts: after a run (with
// its summary, which gains "data through" and, on a local bucket, the window's totals) or
// for `etl views` (sum nil).
type viewsJob struct {
	cfg      *config.Config
	store    *load.Store
	sum      *pipeline.Summary
	from, to time.Time // a backfill's window; zero: the sales days the run touched
	out      io.Writer
	now      time.Time
	// headline is set by a local rebuild after a run: printed after the summary.
	headline *warehouse.Headline
}

// run writes etl_ledger and fx_file_rates through the bucket, then the views: for s3://,
// gs:// and azblob:// a DuckDB script (remoteviews.go); for a local bucket a new database
// file renamed over storage.duckdb, with the marts written as Parquet.
func (j *viewsJob) run(ctx context.Context) error {
	c, b := j.cfg, j.store.Bucket()
	entries, err := j.store.Ledger().List(ctx, "")
	if err != nil {
		return err
	}
	if j.sum != nil {
		j.sum.DataThrough = engine.DataThrough(entries)
	}
	if _, err := warehouse.WriteLedger(ctx, b, warehouse.LedgerRows(entries, func(u report.Unit) (time.Time, bool) { return engine.DueAt(c, u) }, j.now), c.Parquet.Compression); err != nil {
		return err
	}
	if err := writeFileRates(ctx, c, b); err != nil {
		return err
	}
	if u, err := bucketurl.Parse(c.Storage.Bucket); err == nil && u.Remote() {
		return writeRemoteViews(ctx, c, j.out)
	}
	dir, err := localDir(c.Storage.Bucket)
	if err != nil {
		fmt.Fprintf(j.out, "views: skipped (%s is not a local directory)\n", c.Storage.Bucket)
		return nil
	}
	spec, err := viewsSpec(c, dir, j.now)
	if err != nil {
		return err
	}
	var marts []warehouse.Written
	from, to, window := j.window(entries)
	err = warehouse.Replace(ctx, c.Storage.DuckDB, dir, spec, func(ctx context.Context, db *warehouse.DB) error {
		var err error
		if marts, err = db.WriteMarts(ctx, b, c.Parquet.Compression); err != nil {
			return err
		}
		if window {
			h, err := db.HeadlineTotals(ctx, from, to)
			if err != nil {
				return err
			}
			j.headline = &h
		}
		return nil
	})
	changed := 0
	for _, m := range marts {
		if m.Changed {
			changed++
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(j.out, "views: %d tables, %d marts (%d Parquet files rewritten under parquet/marts/) and %d curated queries in %s\n",
		len(spec.Tables), len(marts), changed, len(queries.All()), c.Storage.DuckDB)
	return nil
}

// refreshViews is `etl views`: views, derived tables and marts, without a summary.
func refreshViews(ctx context.Context, c *config.Config, store *load.Store, w io.Writer) error {
	j := &viewsJob{cfg: c, store: store, out: w, now: time.Now()}
	return j.run(ctx)
}

// viewsSpec is the views database over dir (the data root).
func viewsSpec(c *config.Config, dir string, now time.Time) (warehouse.Spec, error) {
	spec, err := warehouse.LocalSpec(dir, c.ReportingCurrency, now)
	if err != nil {
		return spec, err
	}
	if c.MultiAccount() {
		// With accounts:, every table's first partition key is the account (engine.AccountKey).
		for i := range spec.Tables {
			name := spec.Tables[i].Name
			if _, loaded := schemas.Lookup(name); (!loaded && !strings.HasPrefix(name, "analytics_")) || name == schemas.ReconcileResultsTable {
				continue // a table etl derives (etl_ledger, fx_file_rates, reconcile_results, …): no account partition
			}
			spec.Tables[i].Partition = append([]warehouse.Col{{Name: engine.AccountKey, DuckType: "VARCHAR"}}, spec.Tables[i].Partition...)
		}
	}
	return spec, nil
}

// window is the days the headline totals cover: a backfill's --from..--to, else the
// sales days whose units the run loaded or re-checked, else the newest sales day loaded.
func (j *viewsJob) window(entries []load.Entry) (from, to time.Time, ok bool) {
	if j.sum == nil {
		return time.Time{}, time.Time{}, false
	}
	if !j.from.IsZero() {
		return j.from, j.to, true
	}
	var newest time.Time
	for _, e := range entries {
		if e.Unit.Family != report.Sales || e.Unit.Frequency != report.Daily || (e.State != load.Loaded && e.State != load.Empty) {
			continue
		}
		start, end, err := e.Unit.Bounds()
		if err != nil {
			continue
		}
		if end.After(newest) {
			newest = end
		}
		if e.UpdatedAt.Before(j.sum.Started) {
			continue
		}
		if from.IsZero() || start.Before(from) {
			from = start
		}
		if end.After(to) {
			to = end
		}
	}
	if from.IsZero() && !newest.IsZero() {
		from, to = newest, newest
	}
	return from, to, !from.IsZero()
}

// writeFileRates loads fx.rates_file (none: an empty table) into fx_file_rates.
func writeFileRates(ctx context.Context, c *config.Config, b *blob.Bucket) error {
	var rates []warehouse.Rate
	ref := ""
	if p := c.FX.RatesFile; p != "" {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("fx.rates_file: %w", err)
		}
		defer f.Close()
		if rates, err = warehouse.ParseRates(p, f, c.ReportingCurrency); err != nil {
			return fmt.Errorf("fx.rates_file: %w", err)
		}
		ref = filepath.Base(p)
	}
	_, err := warehouse.WriteFileRates(ctx, b, rates, c.ReportingCurrency, ref, c.Parquet.Compression)
	return err
}

// printHeadline writes the window's totals after the run summary.
func printHeadline(w io.Writer, h *warehouse.Headline) {
	if h == nil {
		return
	}
	days := h.From.Format(time.DateOnly)
	if !h.To.Equal(h.From) {
		days += ".." + h.To.Format(time.DateOnly)
	}
	fmt.Fprintf(w, "totals %s: %d units (%d downloads, %d in-app purchases, %d subscriptions; %d updates and %d redownloads not counted), proceeds %s %s, %d new reviews\n",
		days, h.Units(), h.Downloads, h.InAppPurchases, h.Subscriptions, h.Updates, h.Redownloads,
		h.Proceeds, h.ReportingCurrency, h.NewReviews)
	if h.MissingRate > 0 {
		fmt.Fprintf(w, "  %d sales lines in %s have no exchange rate into %s and are not in the proceeds (mart_fx_coverage; README \"Reporting currency\")\n",
			h.MissingRate, strings.Join(h.Currencies, ", "), h.ReportingCurrency)
	}
}

func cmdQuery(ctx context.Context, e *env, args []string) int {
	fs := e.flags("query")
	format := fs.String("format", "table", "output format: table, csv or json")
	list := fs.Bool("list", false, "list the marts and the curated queries")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *list {
		for _, m := range queries.Marts() {
			fmt.Fprintf(e.stdout, "%-45s %s\n", m.Name, m.Description)
		}
		for _, q := range queries.All() {
			fmt.Fprintf(e.stdout, "%-45s %s\n", q.Name, q.Description)
		}
		return 0
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	sql := strings.Join(fs.Args(), " ")
	if q, ok := queries.Get(strings.TrimSpace(sql)); ok {
		sql = q.SQL
	} else if m, ok := queries.GetMart(strings.TrimSpace(sql)); ok {
		sql = "SELECT * FROM " + warehouse.QuoteIdent(m.Name)
	}
	db, err := openForQuery(ctx, c)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 1
	}
	defer db.Close()
	res, err := db.Query(ctx, sql)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl: query:", err)
		return 1
	}
	if err := warehouse.Write(e.stdout, res, *format); err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	return 0
}

// openForQuery opens storage.duckdb read-only, its relative view paths resolved against the
// local data root. When another process holds the file open for writing (a notebook that
// opened it read-write), the same views are built in memory instead.
func openForQuery(ctx context.Context, c *config.Config) (*warehouse.DB, error) {
	dir, _ := localDir(c.Storage.Bucket) // "" for a remote bucket: the views carry URLs
	if _, err := os.Stat(c.Storage.DuckDB); err != nil {
		return nil, fmt.Errorf("no views database at %s (etl run or etl views creates it): %w", c.Storage.DuckDB, err)
	}
	db, err := warehouse.OpenWith(c.Storage.DuckDB, warehouse.Options{Root: dir, ReadOnly: true})
	if err == nil || !warehouse.IsLocked(err) || dir == "" {
		return db, err
	}
	spec, serr := viewsSpec(c, dir, time.Now())
	if serr != nil {
		return nil, serr
	}
	mem, merr := warehouse.OpenWith("", warehouse.Options{Root: dir})
	if merr != nil {
		return nil, merr
	}
	if cerr := mem.Create(ctx, spec); cerr != nil {
		mem.Close()
		return nil, fmt.Errorf("%w; the views built in memory instead failed: %v", err, cerr)
	}
	return mem, nil
}
