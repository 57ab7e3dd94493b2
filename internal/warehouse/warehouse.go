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
	"database/sql/driver"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2" // also registers the "duckdb" database/sql driver
)

// DB is an open DuckDB database.
type DB struct {
	path string
	root string // Options.Root: view paths below it are written relative to it
	sql  *sql.DB
}

// Options tune OpenWith; the zero value is Open.
type Options struct {
	// Root is the data root (the local directory of the bucket). Every connection resolves
	// relative paths against it (DuckDB's file_search_path), and Refresh writes the path of
	// a view over a directory below Root relative to Root, so a moved or copied data folder
	// keeps working. Other clients of the file resolve those paths against their working
	// directory unless they set file_search_path the same way (README "Views and BI tools").
	Root string
	// ReadOnly opens an existing file read-only (a shared lock: many readers at once).
	ReadOnly bool
}

// Open opens (creating if needed) the DuckDB database at path, creating its
// parent directories. An empty path or ":memory:" opens a private in-memory
// database; all connections of the returned DB share it.
func Open(path string) (*DB, error) { return OpenWith(path, Options{}) }

// OpenWith is Open with options.
func OpenWith(path string, o Options) (*DB, error) {
	dsn := path
	if path == ":memory:" {
		dsn = ""
	}
	if dsn != "" && !o.ReadOnly {
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open duckdb %s: %w", path, err)
			}
		}
	}
	if o.ReadOnly {
		dsn += "?" + url.Values{"access_mode": {"READ_ONLY"}}.Encode()
	}
	var root string
	if o.Root != "" {
		abs, err := filepath.Abs(o.Root)
		if err != nil {
			return nil, fmt.Errorf("open duckdb %s: data root: %w", path, err)
		}
		// file_search_path is a comma-separated list; a comma cannot be escaped in it.
		if strings.Contains(abs, ",") {
			return nil, fmt.Errorf("open duckdb %s: data root %q contains a comma", path, abs)
		}
		root = filepath.ToSlash(abs)
	}
	init := func(ex driver.ExecerContext) error {
		// Marts read the same Parquet files many times over: keep their footers.
		if _, err := ex.ExecContext(context.Background(), "SET parquet_metadata_cache = true", nil); err != nil {
			return err
		}
		if root == "" {
			return nil
		}
		_, err := ex.ExecContext(context.Background(), "SET file_search_path = "+QuoteLiteral(root), nil)
		return err
	}
	c, err := duckdb.NewConnector(dsn, init)
	if err != nil {
		return nil, fmt.Errorf("open duckdb %s: %w", path, err)
	}
	db := sql.OpenDB(c)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open duckdb %s: %w", path, err)
	}
	return &DB{path: path, root: root, sql: db}, nil
}

// IsLocked reports whether err is DuckDB refusing a file another process holds open for
// writing ("Could not set lock on file").
func IsLocked(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Could not set lock on file")
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
