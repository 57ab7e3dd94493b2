package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/warehouse"
)

// remoteViewsPath is where `etl views` writes the DuckDB script for a remote bucket:
// storage.duckdb with its extension replaced by ".views.sql".
func remoteViewsPath(duckdb string) string {
	return strings.TrimSuffix(duckdb, filepath.Ext(duckdb)) + ".views.sql"
}

// writeRemoteViews handles a bucket DuckDB cannot read here (s3://, gs://, azblob://):
// it lists which tables have Parquet objects and writes a SQL script (extension, secret
// with the credential chain, one view per table, the curated queries) for analysts to
// run with the duckdb CLI: duckdb <storage.duckdb> -init <script>.
func writeRemoteViews(ctx context.Context, c *config.Config, w io.Writer) error {
	r, err := warehouse.NewRemote(c.Storage.Bucket, os.Getenv)
	if err != nil {
		return err
	}
	b, err := openBucket(ctx, c.Storage.Bucket)
	if err != nil {
		return err
	}
	defer b.Close()
	spec, err := viewsSpec(c, ".", time.Now())
	if err != nil {
		return err
	}
	views := spec.Tables
	present := map[string]bool{}
	for i := range views {
		views[i].Dir = r.TableDir(views[i].Name)
		ok, err := hasParquetObject(ctx, b, "parquet/"+views[i].Name+"/")
		if err != nil {
			return fmt.Errorf("views: %w", err)
		}
		present[views[i].Name] = ok
	}
	qs := spec.Views()
	script, err := r.Script(views, present, qs)
	if err != nil {
		return err
	}
	path := remoteViewsPath(c.Storage.DuckDB)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("views: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(script), 0o644); err != nil {
		return fmt.Errorf("views: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("views: %w", err)
	}
	n := 0
	for _, ok := range present {
		if ok {
			n++
		}
	}
	fmt.Fprintf(w, "views: %s is remote: wrote %d table views (%d with data) and %d queries and marts to %s\n",
		r.Root, len(views), n, len(qs), path)
	fmt.Fprintf(w, "views: open with: duckdb %s -init %s\n", c.Storage.DuckDB, path)
	return nil
}

// hasParquetObject reports whether any *.parquet object exists under prefix.
func hasParquetObject(ctx context.Context, b *blob.Bucket, prefix string) (bool, error) {
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("list %s: %w", prefix, err)
		}
		if strings.HasSuffix(obj.Key, ".parquet") {
			return true, nil
		}
	}
}
