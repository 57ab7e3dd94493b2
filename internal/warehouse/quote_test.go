package warehouse

import (
	"context"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		in, ident, literal string
	}{
		{"plain", `"plain"`, `'plain'`},
		{"", `""`, `''`},
		{`a"b`, `"a""b"`, `'a"b'`},
		{`it's`, `"it's"`, `'it''s'`},
		{`x'; DROP TABLE victim; --`, `"x'; DROP TABLE victim; --"`, `'x''; DROP TABLE victim; --'`},
		{`x"; DROP TABLE victim; --`, `"x""; DROP TABLE victim; --"`, `'x"; DROP TABLE victim; --'`},
		{`''`, `"''"`, `''''''`},
		{`""`, `""""""`, `'""'`},
		{`back\slash\'`, `"back\slash\'"`, `'back\slash\'''`},
		{"/* c */ -- x\nnext", "\"/* c */ -- x\nnext\"", "'/* c */ -- x\nnext'"},
		{"ünïcode ✓", `"ünïcode ✓"`, `'ünïcode ✓'`},
	}
	db := openMem(t)
	exec(t, db, "CREATE TABLE victim AS SELECT 1 AS x")
	ctx := context.Background()
	for _, tt := range tests {
		if got := QuoteIdent(tt.in); got != tt.ident {
			t.Errorf("QuoteIdent(%q) = %s, want %s", tt.in, got, tt.ident)
		}
		if got := QuoteLiteral(tt.in); got != tt.literal {
			t.Errorf("QuoteLiteral(%q) = %s, want %s", tt.in, got, tt.literal)
		}
		// Round trip through DuckDB: the literal is the value, the identifier the name.
		r, err := db.Query(ctx, "SELECT "+QuoteLiteral(tt.in)+" AS v")
		if err != nil {
			t.Errorf("literal %q: %v", tt.in, err)
		} else if len(r.Rows) != 1 || r.Rows[0][0] != tt.in {
			t.Errorf("literal %q came back as %v", tt.in, r.Rows)
		}
		if tt.in == "" {
			continue // DuckDB rejects zero-length identifiers
		}
		r, err = db.Query(ctx, "SELECT 1 AS "+QuoteIdent(tt.in))
		if err != nil {
			t.Errorf("ident %q: %v", tt.in, err)
		} else if len(r.Columns) != 1 || r.Columns[0] != tt.in {
			t.Errorf("ident %q came back as %v", tt.in, r.Columns)
		}
	}
	if r := query(t, db, "SELECT x FROM victim"); joinRows(r) != "1" {
		t.Fatal("victim table changed")
	}
}
