package queries

import (
	"embed"
	"io/fs"
	"strings"
)

// The SQL of `etl reconcile` (internal/reconcile): files reconcile/setup_*.sql each create
// one helper view, in file-name order, before the checks; every other file is one check,
// named after the file. They are not curated queries (no view of their own): they read the
// recon_* helper tables and views that only the reconcile run creates.
//
//go:embed reconcile/*.sql
var reconcileFiles embed.FS

// ReconcileSetup returns the setup statements (reconcile/setup_*.sql), in file-name order.
func ReconcileSetup() []Query {
	var out []Query
	for _, q := range reconcileAll {
		if strings.HasPrefix(q.Name, "setup_") {
			out = append(out, q)
		}
	}
	return out
}

// ReconcileCheck returns the SQL of one check (reconcile/<name>.sql).
func ReconcileCheck(name string) (Query, bool) {
	for _, q := range reconcileAll {
		if q.Name == name && !strings.HasPrefix(name, "setup_") {
			return q, true
		}
	}
	return Query{}, false
}

// ReconcileChecks returns every check's SQL, sorted by name.
func ReconcileChecks() []Query {
	var out []Query
	for _, q := range reconcileAll {
		if !strings.HasPrefix(q.Name, "setup_") {
			out = append(out, q)
		}
	}
	return out
}

var reconcileAll = loadReconcile()

func loadReconcile() []Query {
	names, err := fs.Glob(reconcileFiles, "reconcile/*.sql")
	if err != nil {
		panic(err) // only a malformed pattern can fail
	}
	qs := make([]Query, 0, len(names)) // fs.Glob returns names sorted
	for _, n := range names {
		b, err := reconcileFiles.ReadFile(n)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		sql := string(b)
		name := strings.TrimSuffix(strings.TrimPrefix(n, "reconcile/"), ".sql")
		qs = append(qs, Query{Name: name, Description: description(sql), SQL: sql})
	}
	return qs
}
