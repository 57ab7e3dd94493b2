package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"gocloud.dev/blob"

	"github.com/ascetl/etl/internal/blobs/bucketurl"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/ddl"
	"github.com/ascetl/etl/internal/ddl/iceberg"
	enginepkg "github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/schemas"
)

const ddlHelp = `etl ddl --engine trino|athena|spark|bigquery [--location URL] [--schema NAME] [--since YYYY-MM-DD]
        [--vendors N,N] [--apps ID,ID] [--connection PROJECT.REGION.NAME] [--no-marts] [--out FILE | --split DIR]
   | etl ddl --engine iceberg [--warehouse DIR] [--schema NAMESPACE]

Writes external-table DDL for every table (and every mart found under parquet/marts/) over
the bucket's Parquet: typed columns, typed hive partition keys, and for Athena partition
projection (no MSCK REPAIR). --engine iceberg instead writes Apache Iceberg metadata over
the same files (local buckets; default warehouse <bucket>/iceberg), to be re-run after
each load. See the README: "Reading the bucket from Trino, Athena, Spark and BigQuery".`

func cmdDDL(ctx context.Context, e *env, args []string) int {
	fs := e.flags("ddl")
	engine := fs.String("engine", "", "trino, athena, spark or bigquery (required)")
	location := fs.String("location", "", "bucket root holding parquet/ as the engine names it, e.g. s3://lake/asc (default: from storage.bucket)")
	schema := fs.String("schema", ddl.DefaultSchema, "schema/database/dataset of the tables; dotted: hive.appstore (Trino catalog), my-project.appstore (BigQuery)")
	since := fs.String("since", ddl.DefaultSince.Format("2006-01-02"), "Athena: first day of data (start of the date projections)")
	vendors := fs.String("vendors", "", "Athena: the vendor numbers, comma-separated: vendor becomes an enum projection (default injected: queries must filter vendor)")
	apps := fs.String("apps", "", "Athena: the app ids, comma-separated: app_id becomes an enum projection (default injected)")
	conn := fs.String("connection", "", "BigQuery: WITH CONNECTION name (BigLake, or S3/Azure buckets through BigQuery Omni)")
	noMarts := fs.Bool("no-marts", false, "do not list parquet/marts/ for marts")
	out := fs.String("out", "", "write the script to FILE (default standard output)")
	split := fs.String("split", "", "write one statement per file into DIR (NNN_table.sql), for Athena's one-statement queries")
	warehouse := fs.String("warehouse", "", "iceberg: the Hadoop-catalog warehouse directory (default <bucket>/iceberg)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if strings.EqualFold(*engine, "iceberg") {
		return e.ddlIceberg(ctx, *warehouse, *schema, *noMarts)
	}
	eng, err := ddl.ParseEngine(*engine)
	if err != nil || fs.NArg() > 0 || (*out != "" && *split != "") {
		if err != nil {
			fmt.Fprintln(e.stderr, "etl ddl: --engine:", err)
		}
		fs.Usage()
		return 2
	}
	opt := ddl.Options{Location: *location, Schema: *schema, Connection: *conn, Values: map[string][]string{}}
	if opt.Since, err = time.Parse("2006-01-02", *since); err != nil {
		fmt.Fprintf(e.stderr, "etl ddl: --since %q must be a date YYYY-MM-DD\n", *since)
		return 2
	}
	opt.Values["vendor"] = splitList(*vendors)
	opt.Values["app_id"] = splitList(*apps)
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	if opt.Location == "" {
		if opt.Location, err = ddlLocation(c.Storage.Bucket); err != nil {
			fmt.Fprintln(e.stderr, "etl ddl:", err)
			return 2
		}
	}
	tables, err := ddl.FromSchemas(schemas.All())
	if err != nil {
		fmt.Fprintln(e.stderr, "etl ddl:", err)
		return 1
	}
	tables = withAccountKey(tables, c, opt)
	if !*noMarts {
		marts, err := listMarts(ctx, c.Storage.Bucket)
		if err != nil {
			// The tables do not need the bucket: say why the marts are missing, go on.
			fmt.Fprintf(e.stderr, "etl ddl: marts not listed (%v); rerun with --no-marts to silence\n", err)
		}
		tables = append(tables, marts...)
	}
	stmts, err := ddl.Statements(eng, tables, opt)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl ddl:", err)
		return 2
	}
	if *split != "" {
		err = writeSplit(*split, stmts)
	} else {
		err = writeOut(e.stdout, *out, ddl.Script(eng, stmts, opt))
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "etl ddl:", err)
		return 1
	}
	if *out != "" || *split != "" {
		fmt.Fprintf(e.stderr, "ddl: %s: %d tables, %d statements\n", eng, len(tables), len(stmts))
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// ddlLocation is the bucket root as the engines name it, from storage.bucket: s3:// and
// gs:// as they are, Azure as abfss://container@account.dfs.core.windows.net, and a
// local bucket as a file:/// URL (for Spark or Trino on this machine).
func ddlLocation(bucket string) (string, error) {
	u, err := bucketurl.Parse(bucket)
	if err != nil {
		return "", fmt.Errorf("storage.bucket: %w", err)
	}
	prefix := strings.TrimSuffix(u.Prefix, "/")
	join := func(root string) string {
		if prefix != "" {
			return root + "/" + prefix
		}
		return root
	}
	switch u.Scheme {
	case "s3", "gs":
		return join(u.Scheme + "://" + u.Bucket), nil
	case "azblob":
		account := u.Query.Get("storage_account")
		if account == "" {
			account = os.Getenv("AZURE_STORAGE_ACCOUNT")
		}
		if account == "" {
			return "", errors.New("storage.bucket is azblob:// without storage_account: give --location abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/PREFIX")
		}
		return join("abfss://" + u.Bucket + "@" + account + ".dfs.core.windows.net"), nil
	case "file":
		dir, err := localDir(bucket)
		if err != nil {
			return "", err
		}
		return join("file://" + filepath.ToSlash(dir)), nil
	}
	return "", fmt.Errorf("storage.bucket %q has no location an engine can read: give --location", bucket)
}

// listMarts finds the marts under parquet/marts/<name>/ and describes each from the Arrow
// schema stored in one of its files. A mart written as a single file
// (parquet/marts/<name>.parquet) has no directory an engine can point at; it is skipped.
func listMarts(ctx context.Context, bucket string) ([]ddl.Table, error) {
	if dir, err := localDir(bucket); err == nil {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return nil, nil // nothing loaded yet; opening would create the directory
		}
	}
	b, err := openBucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	const prefix = "parquet/marts/"
	first := map[string]string{} // mart → first .parquet key
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		name, rest, ok := strings.Cut(strings.TrimPrefix(obj.Key, prefix), "/")
		if !ok || !strings.HasSuffix(rest, ".parquet") || path.Base(rest)[0] == '.' {
			continue
		}
		if _, seen := first[name]; !seen {
			first[name] = obj.Key
		}
	}
	names := make([]string, 0, len(first))
	for n := range first {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []ddl.Table
	for _, n := range names {
		data, err := b.ReadAll(ctx, first[n])
		if err != nil {
			return out, fmt.Errorf("mart %s: %w", n, err)
		}
		s, err := parquetSchema(data)
		if err != nil {
			return out, fmt.Errorf("mart %s: %s: %w", n, first[n], err)
		}
		out = append(out, ddl.FromArrow(n, ddl.MartDir(n), s))
	}
	return out, nil
}

func parquetSchema(data []byte) (*arrow.Schema, error) {
	r, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	fr, err := pqarrow.NewFileReader(r, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	return fr.Schema()
}

// writeOut writes the script to stdout, or to path through a temporary file renamed into
// place (a reader never sees half a script).
func writeOut(stdout io.Writer, path, script string) error {
	if path == "" {
		_, err := io.WriteString(stdout, script)
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(script), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writeSplit writes statement i to DIR/NNN_<table>.sql (NNN from 000; the schema
// statement is 000_schema.sql), each ended by ';'.
func writeSplit(dir string, stmts []ddl.Statement) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, s := range stmts {
		name := s.Table
		if name == "" {
			name = "schema"
		}
		p := filepath.Join(dir, fmt.Sprintf("%03d_%s.sql", i, name))
		if err := os.WriteFile(p, []byte(s.SQL+";\n"), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ddlIceberg writes Iceberg metadata over a local bucket's Parquet (internal/ddl/iceberg).
func (e *env) ddlIceberg(ctx context.Context, warehouse, namespace string, noMarts bool) int {
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	root, err := localDir(c.Storage.Bucket)
	if err != nil {
		fmt.Fprintf(e.stderr, "etl ddl: iceberg metadata is written for local buckets only (%v)\n", err)
		return 2
	}
	if warehouse == "" {
		warehouse = filepath.Join(root, "iceberg")
	}
	tables, err := ddl.FromSchemas(schemas.All())
	if err != nil {
		fmt.Fprintln(e.stderr, "etl ddl:", err)
		return 1
	}
	if !noMarts {
		marts, err := listMarts(ctx, c.Storage.Bucket)
		if err != nil {
			fmt.Fprintf(e.stderr, "etl ddl: marts not listed (%v); rerun with --no-marts to silence\n", err)
		}
		tables = append(tables, marts...)
	}
	res, err := iceberg.Write(ctx, root, warehouse, namespace, tables)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl ddl:", err)
		return 1
	}
	files := 0
	for _, r := range res {
		files += r.Files
		if r.Files > 0 {
			fmt.Fprintf(e.stdout, "%-55s %5d files  %s\n", r.Table, r.Files, r.Metadata)
		}
	}
	fmt.Fprintf(e.stdout, "iceberg: %d tables (%d data files) in the Hadoop catalog %s, namespace %s\n", len(res), files, warehouse, namespace)
	return 0
}

// withAccountKey gives every loader table of a configuration with accounts: its leading
// account partition (README "Several accounts"); the account names are known, so Athena
// projects the key as an enum.
func withAccountKey(tables []ddl.Table, c *config.Config, opt ddl.Options) []ddl.Table {
	if !c.MultiAccount() {
		return tables
	}
	for i := range tables {
		tables[i].Partition = append([]ddl.Key{{Name: enginepkg.AccountKey, Type: arrow.BinaryTypes.String}}, tables[i].Partition...)
	}
	for _, a := range c.Accounts {
		opt.Values[enginepkg.AccountKey] = append(opt.Values[enginepkg.AccountKey], a.Name)
	}
	return tables
}
