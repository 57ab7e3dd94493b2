package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ascetl/etl/internal/ddl"
	"github.com/ascetl/etl/internal/warehouse"
	"github.com/ascetl/etl/schemas"
)

// TestDDLPartitionsMatchViews: the partition keys of the DuckDB views (warehouse.TableViews, whose
// Partition becomes read_parquet's hive_types) and of the DDL are the same keys, in the
// same path order, with the same types, for every table.
func TestDDLPartitionsMatchViews(t *testing.T) {
	tables, err := ddl.FromSchemas(schemas.All())
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	views := warehouse.TableViews(filepath.Join(base, "parquet"))[:len(schemas.All())] // the loaded tables; derived ones follow
	if len(views) != len(tables) {
		t.Fatalf("%d views, %d DDL tables", len(views), len(tables))
	}
	for i, v := range views {
		d := tables[i]
		if v.Name != d.Name || v.Dir != filepath.Join(base, filepath.FromSlash(d.Dir)) {
			t.Errorf("view %s at %s, DDL table %s at %s", v.Name, v.Dir, d.Name, d.Dir)
		}
		if len(v.Partition) != len(d.Partition) {
			t.Errorf("%s: view keys %v, DDL keys %v", v.Name, v.Partition, d.Partition)
			continue
		}
		for j, p := range v.Partition {
			typ, err := ddl.KeyType(p.DuckType)
			if err != nil || p.Name != d.Partition[j].Name || !arrow.TypeEqual(typ, d.Partition[j].Type) {
				t.Errorf("%s key %d: view %s %s, DDL %s %s (%v)", v.Name, j, p.Name, p.DuckType, d.Partition[j].Name, d.Partition[j].Type, err)
			}
		}
	}
}

// writeMart writes one mart file with a DuckDB-like schema under the bucket in dir.
func writeMart(t *testing.T, dir, name string) {
	t.Helper()
	s := arrow.NewSchema([]arrow.Field{
		{Name: "month", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "proceeds", Type: &arrow.Decimal128Type{Precision: 38, Scale: 6}, Nullable: true},
	}, nil)
	p := filepath.Join(dir, "data", "parquet", "marts", name, "data.parquet")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := pqarrow.NewFileWriter(s, f, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDDLCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	writeMart(t, dir, "mart_revenue_daily")

	code, out, errs := runCLI(t, "ddl", "--config", cfg, "--engine", "trino")
	if code != 0 {
		t.Fatalf("ddl trino: %d %s", code, errs)
	}
	root := "file://" + filepath.ToSlash(filepath.Join(dir, "data"))
	for _, want := range []string{
		`CREATE TABLE IF NOT EXISTS "appstore"."sales_summary_daily"`,
		"external_location = '" + root + "/parquet/sales_summary_daily/'",
		`CREATE TABLE IF NOT EXISTS "appstore"."mart_revenue_daily" (` + "\n" + `  "month" date,` + "\n" + `  "proceeds" decimal(38,6)` + "\n)",
		"external_location = '" + root + "/parquet/marts/mart_revenue_daily/'",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trino output lacks %q", want)
		}
	}
	if n := strings.Count(out, "CREATE TABLE "); n != len(schemas.All())+1 {
		t.Errorf("%d CREATE TABLE statements, want %d tables + 1 mart", n, len(schemas.All()))
	}

	split := filepath.Join(dir, "athena")
	code, _, errs = runCLI(t, "ddl", "--config", cfg, "--engine", "athena", "--location", "s3://lake/asc",
		"--vendors", "85012345", "--no-marts", "--split", split)
	if code != 0 {
		t.Fatalf("ddl athena --split: %d %s", code, errs)
	}
	files, _ := filepath.Glob(filepath.Join(split, "*.sql"))
	if len(files) != len(schemas.All())+1 {
		t.Errorf("%d files in --split dir, want %d", len(files), len(schemas.All())+1)
	}
	b, err := os.ReadFile(filepath.Join(split, "001_sales_summary_daily.sql"))
	if err != nil || !strings.Contains(string(b), "'projection.vendor.values' = '85012345'") || strings.Count(string(b), ";") != 1 {
		t.Errorf("001_sales_summary_daily.sql: %v\n%s", err, b)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--engine", "presto"}, `engine "presto" unknown`},
		{[]string{"--engine", "athena"}, "Athena reads only s3://"},
		{[]string{"--engine", "spark", "--since", "2024-02-30"}, "--since"},
		{[]string{"--engine", "spark", "--out", "a", "--split", "b"}, "Usage: etl ddl"},
	} {
		code, _, errs := runCLI(t, append([]string{"ddl", "--config", cfg}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("ddl %v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

func TestDDLLocation(t *testing.T) {
	for _, c := range []struct{ bucket, want, err string }{
		{"s3://lake/asc?region=eu-west-1", "s3://lake/asc", ""},
		{"s3://lake", "s3://lake", ""},
		{"gs://lake?prefix=x/y/", "gs://lake/x/y", ""},
		{"azblob://box/etl?storage_account=acct", "abfss://box@acct.dfs.core.windows.net/etl", ""},
		{"mem://", "", "give --location"},
	} {
		got, err := ddlLocation(c.bucket)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.bucket, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.bucket, got, err, c.want)
		}
	}
}

func TestDDLIceberg(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	writeMart(t, dir, "mart_revenue_daily")
	code, out, errs := runCLI(t, "ddl", "--config", cfg, "--engine", "iceberg")
	if code != 0 {
		t.Fatalf("ddl --engine iceberg: %d %s", code, errs)
	}
	meta := filepath.Join(dir, "data", "iceberg", "appstore", "mart_revenue_daily", "metadata", "v2.metadata.json")
	if _, err := os.Stat(meta); err != nil || !strings.Contains(out, "mart_revenue_daily") ||
		!strings.Contains(out, "iceberg: "+fmt.Sprint(len(schemas.All())+1)+" tables (1 data files)") {
		t.Errorf("iceberg: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "iceberg", "appstore", "sales_summary_daily", "metadata", "v1.metadata.json")); err != nil {
		t.Errorf("empty table not created: %v", err)
	}
}
