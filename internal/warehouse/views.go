package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ascetl/etl/queries"
)

// Col is a column name and its DuckDB type, e.g. {"units", "BIGINT"}.
type Col struct {
	Name, DuckType string
}

// View describes one Parquet table exposed as a DuckDB view.
type View struct {
	// Name of the view, normally report.TableName (e.g. sales_summary_daily).
	Name string
	// Dir holds the table's hive tree, e.g. ./data/parquet/sales_summary_daily.
	// A relative path is made absolute; a directory below the database's data root
	// (Options.Root) is then written relative to the root, which every connection
	// resolves against, so a moved data folder still works. A URL (s3://..., gs://...)
	// is used as is; DuckDB then needs
	// the httpfs extension at query time, and the view is always a
	// read_parquet view because an object store cannot be listed from here.
	Dir string
	// Partition lists the hive keys in path order (vendor, report_date, ...).
	// They are not stored in the files; DuckDB adds them from the path.
	Partition []Col
	// Columns are the file columns, used only to build a typed empty view
	// while no file exists yet (so curated queries still bind and run).
	Columns []Col
}

// Refresh (re)creates, in one transaction, a view per table and then a view
// per curated query named after it. Either all views are replaced or none.
//
// A table whose Dir holds at least one *.parquet file becomes
//
//	CREATE OR REPLACE VIEW t AS SELECT * FROM read_parquet('<abs dir>/**/*.parquet',
//	    hive_partitioning = true, union_by_name = true, hive_types = {...})
//
// and otherwise a typed, empty view with the same columns: file columns, then
// the partition keys sorted by name, which is where and how read_parquet
// puts hive columns (vendor/report_date comes out as report_date, vendor).
//
// DuckDB 1.5.4 behaviour this relies on (pinned by TestDuckDBEdgeCases and the Refresh tests):
//   - "**" matches zero or more directories, so '<dir>/**/*.parquet' finds
//     files at any depth; hive_partitioning parses every key=value directory
//     of each path. Nothing else is needed, but every file must sit at the
//     same key depth: a file with fewer or other keys fails the whole view
//     ("Hive partition mismatch").
//   - Directories and files whose name starts with "." or "_" ARE matched by
//     the glob (hidden files are not skipped), so writers must not leave
//     temporary *.parquet files in the tree. fileblob's "<key>.<hex>.tmp"
//     temporaries and ".attrs" side files do not end in .parquet: ignored.
//   - hive_types must only name keys present in the paths; an unknown key is
//     an error, which is why only View.Partition is listed.
//   - If a file also contains a column named like a hive key, the value from
//     the path wins and the file column is hidden (there is one column of
//     that name, typed by hive_types). Our files never store partition
//     columns, so this cannot bite us.
//   - No file matching the glob is an error ("No files found that match the
//     pattern"), hence the typed empty views.
//   - A view is bound when it is created, so a curated query that names a
//     missing column fails Refresh (and rolls every view back) instead of
//     failing later. It is bound again at every query: files added later,
//     and new columns in them, are read without a Refresh. A Refresh is
//     needed only to turn an empty view into a Parquet view (or back, if all
//     files of a table are removed: the Parquet view then fails to query).
func (db *DB) Refresh(ctx context.Context, views []View, qs []queries.Query) (err error) {
	stmts := make([]string, 0, len(views)+len(qs))
	names := make([]string, 0, len(views)+len(qs))
	for _, v := range views {
		s, err := viewSQL(v, db.root)
		if err != nil {
			return fmt.Errorf("refresh view %s: %w", v.Name, err)
		}
		stmts = append(stmts, s)
		names = append(names, v.Name)
	}
	for _, q := range qs {
		s, err := querySQL(q)
		if err != nil {
			return fmt.Errorf("refresh query %s: %w", q.Name, err)
		}
		stmts = append(stmts, s)
		names = append(names, q.Name)
	}

	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("refresh views: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for i, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("refresh view %s: %w", names[i], err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("refresh views: commit: %w", err)
	}
	return nil
}

// Tables lists the views of the main schema (tables and curated queries),
// sorted by name.
func (db *DB) Tables(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT view_name FROM duckdb_views()
WHERE NOT internal AND database_name = current_database() AND schema_name = 'main'
ORDER BY view_name`)
	if err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list views: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	return names, nil
}

// duckType accepts plain type names such as VARCHAR, DATE, BIGINT,
// DECIMAL(18,6), TIMESTAMP WITH TIME ZONE: they are spliced into SQL
// unquoted, so nothing else may pass.
var duckType = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$`)

func checkCols(kind string, cols []Col) error {
	for _, c := range cols {
		if c.Name == "" {
			return fmt.Errorf("%s column with empty name", kind)
		}
		if !duckType.MatchString(c.DuckType) {
			return fmt.Errorf("%s column %q: bad type %q", kind, c.Name, c.DuckType)
		}
	}
	return nil
}

// viewSQL builds the CREATE OR REPLACE VIEW statement for one table; root ("" for none)
// is the data root the path is made relative to.
func viewSQL(v View, root string) (string, error) {
	if v.Name == "" {
		return "", errors.New("empty view name")
	}
	if err := checkCols("partition", v.Partition); err != nil {
		return "", err
	}
	if err := checkCols("file", v.Columns); err != nil {
		return "", err
	}
	dir, remote, err := rootDir(v.Dir)
	if err != nil {
		return "", err
	}
	create := "CREATE OR REPLACE VIEW " + QuoteIdent(v.Name) + " AS "
	if !remote {
		has, err := hasParquet(dir)
		if err != nil {
			return "", err
		}
		if !has {
			return create + emptySelect(v), nil
		}
		dir = relativeTo(root, dir)
	}
	return create + readParquet(dir, v.Partition), nil
}

// relativeTo writes dir (absolute, forward slashes) relative to root when it lies below
// it, and leaves it absolute otherwise.
func relativeTo(root, dir string) string {
	if root == "" {
		return dir
	}
	rel, err := filepath.Rel(filepath.FromSlash(root), filepath.FromSlash(dir))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return dir
	}
	return filepath.ToSlash(rel)
}

// rootDir returns the directory in the form used in the glob, with forward
// slashes and no trailing slash.
func rootDir(dir string) (root string, remote bool, err error) {
	if dir == "" {
		return "", false, errors.New("empty directory")
	}
	if strings.Contains(dir, "://") {
		return strings.TrimRight(dir, "/"), true, checkGlobFree(dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false, err
	}
	return strings.TrimRight(filepath.ToSlash(abs), "/"), false, checkGlobFree(abs)
}

// checkGlobFree refuses directories containing glob characters: DuckDB has
// no escape for them inside a read_parquet pattern.
func checkGlobFree(dir string) error {
	if strings.ContainsAny(dir, "*?[]{}") {
		return fmt.Errorf("directory %q contains glob characters", dir)
	}
	return nil
}

func readParquet(root string, part []Col) string {
	if root == "" {
		root = "."
	}
	var b strings.Builder
	b.WriteString("SELECT * FROM read_parquet(")
	b.WriteString(QuoteLiteral(root + "/**/*.parquet"))
	if len(part) == 0 {
		b.WriteString(", hive_partitioning = false, union_by_name = true)")
		return b.String()
	}
	b.WriteString(", hive_partitioning = true, union_by_name = true, hive_types = {")
	for i, p := range part {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(QuoteLiteral(p.Name) + ": " + p.DuckType)
	}
	b.WriteString("})")
	return b.String()
}

// emptySelect types an empty view like read_parquet would: file columns,
// then the hive columns in byte order of their names (DuckDB 1.5 appends hive
// columns sorted by name, not in path order).
func emptySelect(v View) string {
	part := slices.SortedFunc(slices.Values(v.Partition), func(a, b Col) int { return strings.Compare(a.Name, b.Name) })
	cols := append(append([]Col(nil), v.Columns...), part...)
	if len(cols) == 0 {
		// Nothing to type the view with; still a valid relation.
		return "SELECT NULL AS " + QuoteIdent("_empty") + " WHERE false"
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("CAST(NULL AS " + c.DuckType + ") AS " + QuoteIdent(c.Name))
	}
	b.WriteString(" WHERE false")
	return b.String()
}

// errFound stops the directory walk at the first Parquet file.
var errFound = errors.New("found")

// hasParquet reports whether any *.parquet file exists below dir, matching
// what DuckDB's '<dir>/**/*.parquet' glob would find. A missing dir has none.
func hasParquet(dir string) (bool, error) {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".parquet") {
			return errFound
		}
		return nil
	})
	switch {
	case errors.Is(err, errFound):
		return true, nil
	case err == nil, errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("scan %s: %w", dir, err)
	}
}

// querySQL wraps a curated query as a view named after it.
func querySQL(q queries.Query) (string, error) {
	if q.Name == "" {
		return "", errors.New("empty query name")
	}
	body := strings.TrimSpace(q.SQL)
	for strings.HasSuffix(body, ";") {
		body = strings.TrimSpace(strings.TrimSuffix(body, ";"))
	}
	if body == "" {
		return "", errors.New("empty SQL")
	}
	// The body goes on its own lines so that a "-- comment" on its first or
	// last line cannot comment out any part of the CREATE statement.
	return "CREATE OR REPLACE VIEW " + QuoteIdent(q.Name) + " AS\n" + body + "\n", nil
}
