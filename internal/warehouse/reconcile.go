package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// What `etl reconcile` (internal/reconcile.DB) needs of the database besides its views:
// text tables it fills from Go (the ledger, the fiscal calendar), one statement at a time,
// and results as text, so that the reconcile package never sees a DuckDB type.

// TextTable creates, or replaces, table name with VARCHAR columns and the given rows.
func (db *DB) TextTable(ctx context.Context, name string, columns []string, rows [][]string) (err error) {
	if len(columns) == 0 {
		return fmt.Errorf("text table %s: no columns", name)
	}
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = QuoteIdent(c) + " VARCHAR"
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("text table %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, "CREATE OR REPLACE TABLE "+QuoteIdent(name)+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return fmt.Errorf("text table %s: %w", name, err)
	}
	if len(rows) > 0 {
		ins, err := tx.PrepareContext(ctx, "INSERT INTO "+QuoteIdent(name)+" VALUES (?"+strings.Repeat(", ?", len(columns)-1)+")")
		if err != nil {
			return fmt.Errorf("text table %s: %w", name, err)
		}
		defer ins.Close()
		args := make([]any, len(columns))
		for i, r := range rows {
			if len(r) != len(columns) {
				return fmt.Errorf("text table %s: row %d has %d values for %d columns", name, i+1, len(r), len(columns))
			}
			for j, v := range r {
				args[j] = v
			}
			if _, err := ins.ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("text table %s: row %d: %w", name, i+1, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("text table %s: %w", name, err)
	}
	return nil
}

// Exec runs one statement.
func (db *DB) Exec(ctx context.Context, stmt string) error {
	if _, err := db.sql.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return nil
}

// QueryText runs a query and returns every cell as text (nil for NULL): strings as they
// are, numbers (DECIMAL and HUGEINT included) in plain decimal notation, DATE as
// YYYY-MM-DD, timestamps as RFC 3339, booleans as true/false.
func (db *DB) QueryText(ctx context.Context, query string) ([]string, [][]*string, error) {
	res, err := db.Query(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	out := make([][]*string, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = make([]*string, len(r))
		for j, v := range r {
			out[i][j] = textOf(v, res.Types[j])
		}
	}
	return res.Columns, out, nil
}

func textOf(v any, typ string) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case []byte:
		s = string(x)
	case time.Time:
		if typ == "DATE" {
			s = x.Format(time.DateOnly)
		} else {
			s = x.UTC().Format(time.RFC3339Nano)
		}
	case sql.NullString:
		if !x.Valid {
			return nil
		}
		s = x.String
	case fmt.Stringer: // duckdb.Decimal, *big.Int (HUGEINT), UUID
		s = x.String()
	default:
		s = fmt.Sprint(x)
	}
	return &s
}
