package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/load"
)

// salesOnlyConfig writes the default config with only sales enabled (initial_days 3),
// storage.bucket set to bucket and the DuckDB file in dir.
func salesOnlyConfig(t *testing.T, dir, bucket string) string {
	t.Helper()
	s := string(etl.DefaultConfig)
	s = strings.Replace(s, "bucket: file://./data?metadata=skip", "bucket: "+bucket, 1)
	s = strings.Replace(s, "duckdb: ./data/asc.duckdb", "duckdb: "+filepath.Join(dir, "asc.duckdb"), 1)
	s = strings.Replace(s, "initial_days: 14", "initial_days: 3", 1)
	for _, sec := range []string{"finance", "reviews", "metrics", "catalog", "analytics"} {
		re := regexp.MustCompile(`(?m)^(` + sec + `:[^\n]*\n  enabled: +)true`)
		if !re.MatchString(s) {
			t.Fatalf("config has no %s.enabled: true", sec)
		}
		s = re.ReplaceAllString(s, "${1}false")
	}
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunAgainstS3MatchesLocal runs `etl run` (sales, 3 days, embedded simulator) once
// against a local bucket and once against an S3 server (gofakes3 in-process, reached
// through s3blob with endpoint/path-style/region URL options and credentials from the
// environment), and compares the objects and every Parquet row (lineage time aside).
func TestRunAgainstS3MatchesLocal(t *testing.T) {
	ctx := context.Background()
	be := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	defer srv.Close()
	if err := be.CreateBucket("lake"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	localDir, s3Dir := t.TempDir(), t.TempDir()
	buckets := map[string]string{
		"local": "file://" + filepath.ToSlash(filepath.Join(localDir, "data")) + "?metadata=skip",
		"s3":    "s3://lake/asc?region=us-east-1&use_path_style=true&disable_https=true&endpoint=" + srv.URL,
	}
	dirs := map[string]string{"local": localDir, "s3": s3Dir}
	rows := map[string]map[string][]string{}
	for _, name := range []string{"local", "s3"} {
		cfg := salesOnlyConfig(t, dirs[name], buckets[name])
		code, out, errs := runCLI(t, "run", "--config", cfg)
		if code != 0 {
			t.Fatalf("%s run: exit %d\n%s\n%s", name, code, out, errs)
		}
		if !strings.Contains(out, "sales_summary_daily") {
			t.Fatalf("%s run output lacks sales_summary_daily:\n%s", name, out)
		}
		if name == "s3" {
			checkRemoteViewsScript(t, out, filepath.Join(s3Dir, "asc.views.sql"), strings.TrimPrefix(srv.URL, "http://"))
		}
		b, err := openBucket(ctx, buckets[name])
		if err != nil {
			t.Fatal(err)
		}
		rows[name] = parquetRows(t, load.New(b))
		b.Close()
	}
	local, remote := rows["local"], rows["s3"]
	if len(local) == 0 {
		t.Fatal("the local run wrote no Parquet")
	}
	lk, rk := slices.Sorted(mapKeys(local)), slices.Sorted(mapKeys(remote))
	if !slices.Equal(lk, rk) {
		t.Fatalf("Parquet objects differ:\nlocal %v\ns3    %v", lk, rk)
	}
	n := 0
	for _, k := range lk {
		if !slices.Equal(local[k], remote[k]) {
			t.Errorf("%s: rows differ (local %d, s3 %d)", k, len(local[k]), len(remote[k]))
		}
		n += len(local[k])
	}
	if n == 0 {
		t.Fatal("no rows compared")
	}
	t.Logf("%d Parquet objects, %d rows identical on file:// and s3://", len(lk), n)
}

func mapKeys[M ~map[string]V, V any](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// parquetRows reads every Parquet object of st into rows rendered as text (column name =
// value), leaving out _extracted_at, which differs between two runs by design.
// versionIDRE matches an archived version's id inside a raw key.
var versionIDRE = regexp.MustCompile(`/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}/`)

func parquetRows(t *testing.T, st *load.Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	keys, err := st.List(ctx, "parquet/")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, k := range keys {
		// Derived, not loaded: the marts need DuckDB over a local root (a remote bucket gets
		// them as views in the script), and etl_ledger carries the run's own times.
		if strings.HasPrefix(k, "parquet/marts/") || strings.HasPrefix(k, "parquet/etl_ledger/") {
			continue
		}
		if !strings.HasSuffix(k, ".parquet") {
			t.Errorf("non-Parquet object under parquet/: %s", k)
			continue
		}
		tbl, err := st.ReadTable(ctx, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr := array.NewTableReader(tbl, 0)
		var rows []string
		for tr.Next() {
			rec := tr.RecordBatch()
			for i := 0; i < int(rec.NumRows()); i++ {
				var b strings.Builder
				for c := 0; c < int(rec.NumCols()); c++ {
					name := rec.ColumnName(c)
					if name == "_extracted_at" {
						continue
					}
					v := rec.Column(c).ValueStr(i)
					if name == "_source_key" { // the archived version's id carries its fetch time
						v = versionIDRE.ReplaceAllString(v, "/<version>/")
					}
					fmt.Fprintf(&b, "%s=%s|", name, v)
				}
				rows = append(rows, b.String())
			}
		}
		tr.Release()
		tbl.Release()
		out[k] = rows
	}
	return out
}

// checkRemoteViewsScript checks that the run wrote the DuckDB script for the bucket.
func checkRemoteViewsScript(t *testing.T, out, path, endpointHost string) {
	t.Helper()
	if !strings.Contains(out, "is remote: wrote") {
		t.Errorf("run output does not mention the remote views script:\n%s", out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		"LOAD httpfs;",
		`CREATE OR REPLACE SECRET "etl_s3" (TYPE s3, PROVIDER credential_chain, REGION 'us-east-1', ENDPOINT '` + endpointHost + `', URL_STYLE 'path', USE_SSL false, SCOPE 's3://lake/asc/');`,
		"CREATE OR REPLACE VIEW \"sales_summary_daily\" AS SELECT * FROM read_parquet('s3://lake/asc/parquet/sales_summary_daily/**/*.parquet', hive_partitioning = true",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("views script lacks %q:\n%s", want, s)
		}
	}
}
