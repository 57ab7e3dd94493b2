// Package warehouse is the only package that talks to DuckDB. It keeps a
// database (a file, or in memory) holding one view per Parquet table plus one
// view per curated query from package queries, and runs ad-hoc SQL for
// `etl query`.
//
// Every other package builds and tests without cgo; keep it that way by not
// importing duckdb-go anywhere else.
package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" database/sql driver
)

// DB is an open DuckDB database.
type DB struct {
	path string
	sql  *sql.DB
}

// Open opens (creating if needed) the DuckDB database at path, creating its
// parent directories. An empty path or ":memory:" opens a private in-memory
// database; all connections of the returned DB share it.
func Open(path string) (*DB, error) {
	dsn := path
	if path == ":memory:" {
		dsn = ""
	}
	if dsn != "" {
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open duckdb %s: %w", path, err)
			}
		}
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return nil, fmt.Errorf("open duckdb %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open duckdb %s: %w", path, err)
	}
	return &DB{path: path, sql: db}, nil
}

// Close closes the database; the file, if any, stays.
func (db *DB) Close() error {
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("close duckdb %s: %w", db.path, err)
	}
	return nil
}

// Result is a fully read query result. Values are what duckdb-go returns:
// int64 and friends, float64, string, bool, []byte, time.Time (DATE,
// TIME, TIMESTAMP*), duckdb.Decimal (DECIMAL), *big.Int (HUGEINT), nil for
// NULL, and []any / map[string]any / duckdb.OrderedMap for nested types.
type Result struct {
	Columns []string
	Types   []string // DuckDB type names, e.g. "BIGINT", "DECIMAL(38,6)", "DATE"
	Rows    [][]any
}

// Query runs one SQL statement and reads its whole result into memory.
func (db *DB) Query(ctx context.Context, query string) (*Result, error) {
	rows, err := db.sql.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("query columns: %w", err)
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("query column types: %w", err)
	}
	res := &Result{Columns: cols, Types: make([]string, len(cts))}
	for i, ct := range cts {
		res.Types[i] = ct.DatabaseTypeName()
	}
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("query scan: %w", err)
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return res, nil
}
