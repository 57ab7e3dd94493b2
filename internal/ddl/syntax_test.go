package ddl

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/ascetl/etl/schemas"
)

// No Trino, Spark, Athena or BigQuery can run here, so the generated DDL is checked with
// sqlglot's parsers when Debian's python3-sqlglot is installed (apt-get install
// python3-sqlglot; the test is skipped without it). Debian ships sqlglot 10.6, whose
// grammar covers Trino's CREATE TABLE … WITH (…) and Hive's CREATE EXTERNAL TABLE …
// PARTITIONED BY … TBLPROPERTIES (Athena's DDL dialect), and Spark's CREATE TABLE … USING
// … PARTITIONED BY … LOCATION except two newer pieces: the OPTIONS clause and the
// TIMESTAMP_NTZ type (Spark 3.4), which are taken out before parsing. It has no grammar
// for BigQuery's CREATE EXTERNAL TABLE (WITH PARTITION COLUMNS, BIGNUMERIC), so BigQuery
// is covered by the golden file only.
var sqlglotDialect = map[Engine]string{Trino: "trino", Athena: "hive", Spark: "spark"}

func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import sqlglot").Run() == nil {
			return path
		}
	}
	t.Skip("no python3 with sqlglot (apt-get install python3-sqlglot)")
	return ""
}

func TestSyntaxSqlglot(t *testing.T) {
	py := python(t)
	tables, err := FromSchemas(schemas.All())
	if err != nil {
		t.Fatal(err)
	}
	tables = append(tables, goldenMart())
	for _, e := range Engines() {
		dialect, ok := sqlglotDialect[e]
		if !ok {
			continue
		}
		t.Run(string(e), func(t *testing.T) {
			stmts, err := Statements(e, tables, goldenOptions(e))
			if err != nil {
				t.Fatal(err)
			}
			var sqls []string
			for _, s := range stmts {
				sql := s.SQL
				if e == Spark {
					sql = strings.Replace(sql, "OPTIONS ('pathGlobFilter' = '*.parquet')\n", "", 1)
					sql = strings.ReplaceAll(sql, " TIMESTAMP_NTZ", " TIMESTAMP")
				}
				sqls = append(sqls, sql)
			}
			in, _ := json.Marshal(map[string]any{"dialect": dialect, "statements": sqls})
			cmd := exec.Command(py, "testdata/sqlglot_check.py")
			cmd.Stdin = bytes.NewReader(in)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("sqlglot (%s) refused statements: %v\n%s", dialect, err, out)
			}
			if n := bytes.Count(out, []byte("ok Create")); n < len(tables) {
				t.Errorf("sqlglot parsed %d CREATE statements, want at least %d:\n%s", n, len(tables), out)
			}
		})
	}
}
