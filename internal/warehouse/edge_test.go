package warehouse

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDuckDBEdgeCases pins what DuckDB 1.5.4 does with the glob and hive
// options that Refresh uses; the Refresh doc comment relies on these.
func TestDuckDBEdgeCases(t *testing.T) {
	db := openMem(t)
	root := filepath.ToSlash(t.TempDir())
	rp := func(dir, opts string) string {
		return "SELECT * FROM read_parquet(" + QuoteLiteral(root+"/"+dir+"/**/*.parquet") + opts + ")"
	}
	const vendorVarchar = ", hive_partitioning = true, union_by_name = true, hive_types = {'vendor': VARCHAR}"

	writeParquet(t, db, root+"/dup/vendor=1/data.parquet", "SELECT '999' AS vendor, 42::BIGINT AS x")
	writeParquet(t, db, root+"/hid/vendor=1/data.parquet", "SELECT 1 AS x")
	writeParquet(t, db, root+"/hid/vendor=2/.tmp.parquet", "SELECT 2 AS x")
	writeParquet(t, db, root+"/hid/vendor=3/_tmp.parquet", "SELECT 3 AS x")
	writeParquet(t, db, root+"/hid/.staging/vendor=4/data.parquet", "SELECT 4 AS x")
	writeParquet(t, db, root+"/hid/vendor=5/data.parquet.tmp", "SELECT 5 AS x")
	writeParquet(t, db, root+"/mix/vendor=1/data.parquet", "SELECT 1 AS x")
	writeParquet(t, db, root+"/mix/stray.parquet", "SELECT 2 AS x")
	writeParquet(t, db, root+"/mix2/vendor=1/report_date=2026-11-01/data.parquet", "SELECT 1 AS x")
	writeParquet(t, db, root+"/mix2/vendor=1/data.parquet", "SELECT 2 AS x")
	writeParquet(t, db, root+"/zero/a.parquet", "SELECT 1 AS x")

	tests := []struct {
		name    string
		sql     string
		cols    []string
		rows    string // rowStrings joined: cells by ",", rows by ";"
		wantErr string
	}{
		// The hive value from the path wins; the file's own column is hidden.
		{"hive key also in file", rp("dup", vendorVarchar), []string{"vendor", "x"}, "1,42", ""},
		{"hive key also in file, no union_by_name", rp("dup", ", hive_partitioning = true, hive_types = {'vendor': VARCHAR}"), []string{"vendor", "x"}, "1,42", ""},
		{"hive key also in file, hive off", rp("dup", ", hive_partitioning = false"), []string{"vendor", "x"}, "999,42", ""},
		{"hive_types key not in path", rp("dup", ", hive_partitioning = true, hive_types = {'vendor': VARCHAR, 'region': VARCHAR}"), nil, "", `Unknown hive_type: "region" does not appear to be a partition`},
		// Hidden and underscore names are not skipped by the glob.
		{"hidden files and dirs match", "SELECT x, vendor FROM (" + rp("hid", vendorVarchar) + ") ORDER BY x", []string{"x", "vendor"}, "1,1;2,2;3,3;4,4", ""},
		{"file outside key structure", rp("mix", vendorVarchar), nil, "", "Hive partition mismatch"},
		{"file at shallower depth", rp("mix2", ", hive_partitioning = true, hive_types = {'vendor': VARCHAR, 'report_date': DATE}"), nil, "", "Hive partition mismatch"},
		{"** matches zero directories", rp("zero", ""), []string{"x"}, "1", ""},
		{"no files", rp("none", ", hive_partitioning = true"), nil, "", "No files found that match the pattern"},
		{"without hive_types digits autocast", "SELECT typeof(vendor) AS t FROM (" + rp("hid", ", hive_partitioning = true") + ") LIMIT 1", []string{"t"}, "BIGINT", ""},
		{"money arithmetic types", "SELECT typeof(sum(2::BIGINT * 0.1::DECIMAL(18,6))) AS a, typeof(sum(2::BIGINT)) AS b", []string{"a", "b"}, "DECIMAL(38,6),HUGEINT", ""},
		{"NUL in a literal cuts the statement", "SELECT " + QuoteLiteral("a\x00b") + " AS s", nil, "", "unterminated quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := db.Query(context.Background(), tt.sql)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Columns, tt.cols) {
				t.Errorf("columns = %v, want %v", r.Columns, tt.cols)
			}
			if got := joinRows(r); got != tt.rows {
				t.Errorf("rows = %q, want %q", got, tt.rows)
			}
		})
	}
}

func joinRows(r *Result) string {
	var rows []string
	for _, row := range rowStrings(r) {
		rows = append(rows, strings.Join(row, ","))
	}
	return strings.Join(rows, ";")
}
