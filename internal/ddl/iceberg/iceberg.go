// Package iceberg writes Apache Iceberg table metadata over the loader's existing Parquet
// files: no data is copied or rewritten. Each table gets a Hadoop-catalog layout
// (<warehouse>/<namespace>/<table>/metadata/vN.metadata.json and version-hint.text)
// whose one snapshot lists every *.parquet of the table as a data file (a partition's
// data.parquet; for sales, stored by month, also the period objects of an open month and
// never the pending ones, which end in .pending), partitioned by
// identity on the hive keys, with the key values taken from the object path (they are
// not stored in the files; the Iceberg spec has readers fill an identity-partition column
// missing from a file from the manifest, as Spark and Trino do, while iceberg-go v0.7.0
// returns it as null, though filters on it still prune and match) and the column
// statistics from the Parquet footer.
//
// The metadata is a picture of the files when it was written. The loader replaces a
// partition's data.parquet in place when a unit is reloaded, and compaction folds a
// sales month's period objects into its data.parquet and deletes them, which makes the
// recorded files, sizes and statistics wrong, so Write is meant to run after every load
// (and etl compact): it drops
// each table's metadata directory and writes it anew. Tables are created with
// gc.enabled=false, so no Iceberg maintenance (expire_snapshots, remove_orphan_files)
// ever deletes the loader's files.
//
// Only local buckets are supported: Hadoop-catalog commits on object stores are not
// atomic in iceberg-go (allow-unsafe-commits), and the recorded file paths must be the
// ones the reading engine uses.
package iceberg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/hadoop"
	"github.com/apache/iceberg-go/table"

	"github.com/ascetl/etl/internal/ddl"
)

// Result is what Write did for one table.
type Result struct {
	Table    string
	Files    int    // data files registered
	Metadata string // path of the table's current metadata JSON
}

// Write (re)creates the Iceberg metadata of tables under warehouse, namespace ns, over
// the Parquet files below root (the local bucket directory holding parquet/). The
// warehouse must not overlap the Parquet tree: a table's metadata directory is removed
// before it is written again.
func Write(ctx context.Context, root, warehouse, namespace string, tables []ddl.Table) ([]Result, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if warehouse, err = filepath.Abs(warehouse); err != nil {
		return nil, err
	}
	if overlaps(warehouse, filepath.Join(root, "parquet")) {
		return nil, fmt.Errorf("iceberg: warehouse %s overlaps the Parquet tree %s", warehouse, filepath.Join(root, "parquet"))
	}
	cat, err := hadoop.NewCatalog("etl", warehouse, iceberg.Properties{})
	if err != nil {
		return nil, err
	}
	defer cat.Close()
	ns := table.Identifier{namespace}
	if ok, _ := cat.CheckNamespaceExists(ctx, ns); !ok {
		if err := cat.CreateNamespace(ctx, ns, nil); err != nil {
			return nil, err
		}
	}
	var out []Result
	for _, t := range tables {
		r, err := writeTable(ctx, cat, root, ns, t)
		if err != nil {
			return out, fmt.Errorf("iceberg %s: %w", t.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// writeTable drops and recreates one table's metadata and commits one append of its files.
func writeTable(ctx context.Context, cat *hadoop.Catalog, root string, ns table.Identifier, t ddl.Table) (Result, error) {
	fields := append([]arrow.Field(nil), t.Fields...)
	for _, k := range t.Partition {
		fields = append(fields, arrow.Field{Name: k.Name, Type: k.Type, Nullable: true})
	}
	sc, err := table.ArrowSchemaToIcebergWithFreshIDs(arrow.NewSchema(fields, nil), false)
	if err != nil {
		return Result{}, err
	}
	var opts []iceberg.PartitionOption
	for _, k := range t.Partition {
		f, ok := sc.FindFieldByName(k.Name)
		if !ok {
			return Result{}, fmt.Errorf("no field %s", k.Name)
		}
		opts = append(opts, iceberg.AddPartitionFieldBySourceID(f.ID, k.Name, iceberg.IdentityTransform{}, sc, nil))
	}
	spec, err := iceberg.NewPartitionSpecOpts(opts...)
	if err != nil {
		return Result{}, err
	}
	ident := append(append(table.Identifier(nil), ns...), t.Name)
	if ok, _ := cat.CheckTableExists(ctx, ident); ok {
		if err := cat.DropTable(ctx, ident); err != nil {
			return Result{}, err
		}
	}
	tbl, err := cat.CreateTable(ctx, ident, sc, catalog.WithPartitionSpec(&spec),
		catalog.WithProperties(iceberg.Properties{"gc.enabled": "false"}))
	if err != nil {
		return Result{}, err
	}
	files, err := dataFiles(filepath.Join(root, filepath.FromSlash(t.Dir)), tbl, t)
	if err != nil {
		return Result{}, err
	}
	if len(files) > 0 {
		tx := tbl.NewTransaction()
		if err := tx.AddDataFiles(ctx, files, nil); err != nil {
			return Result{}, err
		}
		if tbl, err = tx.Commit(ctx); err != nil {
			return Result{}, err
		}
	}
	return Result{Table: t.Name, Files: len(files), Metadata: tbl.MetadataLocation()}, nil
}

// overlaps reports whether one of two absolute paths lies inside the other.
func overlaps(a, b string) bool {
	inside := func(p, dir string) bool {
		rel, err := filepath.Rel(dir, p)
		return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	return inside(a, b) || inside(b, a)
}

// dataFiles describes every *.parquet below dir (a table's hive tree) as a data file of
// tbl, with its partition values from its path and its statistics from its footer.
func dataFiles(dir string, tbl *table.Table, t ddl.Table) ([]iceberg.DataFile, error) {
	paths, err := listParquet(dir)
	if err != nil {
		return nil, err
	}
	spec := tbl.Spec()
	ids := make([]int, spec.NumFields())
	for i := range ids {
		ids[i] = spec.Field(i).FieldID
	}
	var out []iceberg.DataFile
	for _, p := range paths {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return nil, err
		}
		vals, err := partitionValues(filepath.ToSlash(rel), t.Partition, ids)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		df, err := dataFile(p, vals, tbl)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, df)
	}
	return out, nil
}

// listParquet lists the *.parquet files below dir, sorted; a missing dir has none.
func listParquet(dir string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.HasPrefix(d.Name(), ".") {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	return paths, err
}

// partitionValues parses rel, a file path below the table directory
// ("vendor=85012345/month=2026-11/data.parquet"), into the identity partition
// values of keys: strings as they are, dates as days since the epoch, keyed by the
// partition field ids ids (in key order).
func partitionValues(rel string, keys []ddl.Key, ids []int) (map[int]any, error) {
	segs := strings.Split(rel, "/")
	if len(segs) != len(keys)+1 || len(ids) != len(keys) {
		return nil, fmt.Errorf("%d partition directories, want %d", len(segs)-1, len(keys))
	}
	vals := make(map[int]any, len(keys))
	for i, k := range keys {
		name, v, ok := strings.Cut(segs[i], "=")
		if !ok || name != k.Name || v == "" {
			return nil, fmt.Errorf("directory %q is not %s=…", segs[i], k.Name)
		}
		if !arrow.TypeEqual(k.Type, arrow.FixedWidthTypes.Date32) {
			vals[ids[i]] = v
			continue
		}
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return nil, fmt.Errorf("directory %q: %w", segs[i], err)
		}
		vals[ids[i]] = iceberg.Date(d.Unix() / 86400)
	}
	return vals, nil
}

// dataFile reads p's footer and describes it as a data file of tbl.
func dataFile(p string, vals map[int]any, tbl *table.Table) (iceberg.DataFile, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	r, err := file.OpenParquetFile(p, false)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return table.DataFileFromMetadata(table.DataFileArgs{
		Schema: tbl.Schema(), Spec: tbl.Spec(), Format: iceberg.ParquetFile, Metadata: r.MetaData(),
		FilePath: "file://" + filepath.ToSlash(p), FileSize: st.Size(), Content: iceberg.EntryContentData,
		PartitionValues: vals, Properties: tbl.Properties(), FormatVersion: tbl.Metadata().Version(),
	})
}
