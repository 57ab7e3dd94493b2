package warehouse

import (
	"context"
	"strings"
	"testing"
)

// TextTable stores any text as given (quotes, semicolons, empty strings), and QueryText
// writes every DuckDB type the reconcile checks return as plain text, NULL as nil.
func TestTextTableAndQueryText(t *testing.T) {
	ctx := context.Background()
	db, err := Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := [][]string{{"it's", `a "b"; DROP TABLE x; --`}, {"", "2026-02"}}
	if err := db.TextTable(ctx, "t x", []string{"a", "b c"}, rows); err != nil {
		t.Fatal(err)
	}
	if err := db.TextTable(ctx, "t x", []string{"a", "b c"}, rows[:1]); err != nil { // replaced, not appended
		t.Fatal(err)
	}
	if err := db.TextTable(ctx, "bad", []string{"a"}, [][]string{{"1", "2"}}); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("short row: %v", err)
	}
	if err := db.Exec(ctx, `CREATE VIEW v AS SELECT a, "b c" AS b FROM "t x"`); err != nil {
		t.Fatal(err)
	}
	cols, got, err := db.QueryText(ctx, `SELECT a, b,
		CAST(12.5 AS DECIMAL(38, 6)) AS d, sum(CAST(7 AS BIGINT)) AS h, DATE '2026-02-01' AS day,
		NULL AS n, true AS yes, CAST(-0.000001 AS DECIMAL(18, 6)) AS tiny
		FROM v GROUP BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"it's", `a "b"; DROP TABLE x; --`, "12.5", "7", "2026-02-01", "<nil>", "true", "-0.000001"}
	if len(got) != 1 || len(cols) != len(want) {
		t.Fatalf("got %d rows, columns %v", len(got), cols)
	}
	for i, w := range want {
		v := "<nil>"
		if got[0][i] != nil {
			v = *got[0][i]
		}
		if v != w {
			t.Errorf("column %s: %q, want %q", cols[i], v, w)
		}
	}
	if _, _, err := db.QueryText(ctx, "SELECT * FROM nope"); err == nil {
		t.Error("query of a missing table: no error")
	}
}
