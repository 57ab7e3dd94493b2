package warehouse

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func openMem(t *testing.T) *DB {
	t.Helper()
	db, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *DB, sql string) {
	t.Helper()
	if _, err := db.sql.ExecContext(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// writeParquet writes the result of query to path (creating its directory)
// with DuckDB's COPY, as one Parquet file.
func writeParquet(t *testing.T, db *DB, path, query string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	exec(t, db, "COPY ("+query+") TO "+QuoteLiteral(path)+" (FORMAT parquet)")
}

func query(t *testing.T, db *DB, sql string) *Result {
	t.Helper()
	r, err := db.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r
}

// strings renders every value as Write's csv format would (NULL as "<nil>").
func rowStrings(r *Result) [][]string {
	out := make([][]string, len(r.Rows))
	for i, row := range r.Rows {
		out[i] = make([]string, len(row))
		for j, v := range row {
			if v == nil {
				out[i][j] = "<nil>"
				continue
			}
			out[i][j] = text(v, r.Types[j])
		}
	}
	return out
}
