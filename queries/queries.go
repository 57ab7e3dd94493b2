// Package queries holds the curated SQL (one DuckDB query per .sql file)
// that the warehouse exposes as views named after the files. It is plain
// text and does not depend on DuckDB.
package queries

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.sql
var files embed.FS

// Query is one curated query.
type Query struct {
	Name        string // file name without ".sql"; also the view name
	Description string // first "-- " comment line, without the marker
	SQL         string // the whole file
}

var all = load()

func load() []Query {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		panic(err) // only a malformed pattern can fail
	}
	qs := make([]Query, 0, len(names))
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		sql := string(b)
		qs = append(qs, Query{Name: strings.TrimSuffix(n, ".sql"), Description: description(sql), SQL: sql})
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].Name < qs[j].Name })
	return qs
}

// description returns the text of the first line that starts with "-- ".
func description(sql string) string {
	for line := range strings.Lines(sql) {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "-- "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// All returns every curated query, sorted by name. The slice is a copy.
func All() []Query {
	return append([]Query(nil), all...)
}

// Get returns the query with the given name (without ".sql").
func Get(name string) (Query, bool) {
	for _, q := range all {
		if q.Name == name {
			return q, true
		}
	}
	return Query{}, false
}
