package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/internal/blobs/bucketurl"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/warehouse"
	"github.com/ascetl/etl/queries"
	"github.com/ascetl/etl/schemas"
)

// viewsFor describes one DuckDB view per table over <dir>/parquet/<table>.
func viewsFor(dir string) []warehouse.View {
	var out []warehouse.View
	for _, t := range schemas.All() {
		v := warehouse.View{Name: t.Name, Dir: filepath.Join(dir, "parquet", t.Name)}
		for _, pk := range t.Partition {
			v.Partition = append(v.Partition, warehouse.Col{Name: pk.Name, DuckType: pk.DuckType})
		}
		for _, f := range t.ArrowSchema(nil).Fields() {
			v.Columns = append(v.Columns, warehouse.Col{Name: f.Name, DuckType: duckType(f.Type)})
		}
		out = append(out, v)
	}
	return out
}

// viewsOf is viewsFor in c's layout: with accounts:, every table's first partition key is
// account (engine.AccountKey).
func viewsOf(dir string, c *config.Config) []warehouse.View {
	views := viewsFor(dir)
	if c.MultiAccount() {
		for i := range views {
			views[i].Partition = append([]warehouse.Col{{Name: engine.AccountKey, DuckType: "VARCHAR"}}, views[i].Partition...)
		}
	}
	return views
}

func duckType(t arrow.DataType) string {
	switch tt := t.(type) {
	case *arrow.Int64Type:
		return "BIGINT"
	case *arrow.Float64Type:
		return "DOUBLE"
	case *arrow.BooleanType:
		return "BOOLEAN"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d,%d)", tt.Precision, tt.Scale)
	case *arrow.Date32Type:
		return "DATE"
	case *arrow.TimestampType:
		if tt.TimeZone != "" {
			return "TIMESTAMP WITH TIME ZONE"
		}
		return "TIMESTAMP"
	}
	return "VARCHAR"
}

// refreshViews recreates the DuckDB database's views over a local bucket; for s3://,
// gs:// and azblob:// it writes a DuckDB script instead (remoteviews.go).
func refreshViews(ctx context.Context, c *config.Config, w io.Writer) error {
	if u, err := bucketurl.Parse(c.Storage.Bucket); err == nil && u.Remote() {
		return writeRemoteViews(ctx, c, w)
	}
	dir, err := localDir(c.Storage.Bucket)
	if err != nil {
		fmt.Fprintf(w, "views: skipped (%s is not a local directory)\n", c.Storage.Bucket)
		return nil
	}
	db, err := warehouse.Open(c.Storage.DuckDB)
	if err != nil {
		return err
	}
	defer db.Close()
	views := viewsOf(dir, c)
	latest, err := analyticsLatest()
	if err != nil {
		return err
	}
	if err := db.Refresh(ctx, views, append(latest, queries.All()...)); err != nil {
		return err
	}
	fmt.Fprintf(w, "views: %d tables and %d curated queries in %s\n", len(views), len(queries.All()), c.Storage.DuckDB)
	return nil
}

func cmdQuery(ctx context.Context, e *env, args []string) int {
	fs := e.flags("query")
	format := fs.String("format", "table", "output format: table, csv or json")
	list := fs.Bool("list", false, "list the curated queries")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *list {
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
	}
	db, err := warehouse.Open(c.Storage.DuckDB)
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

// analyticsLatest is the <table>_latest view of every analytics table (issue 3), created
// after the table views and before the curated queries that read them.
func analyticsLatest() ([]queries.Query, error) {
	var ls []warehouse.Latest
	for _, r := range schemas.AnalyticsReports() {
		ls = append(ls, warehouse.Latest{Table: r.Table, Date: r.DateColumn, FinalDays: r.FinalDays})
	}
	return warehouse.LatestQueries(ls)
}
