package warehouse

import "strings"

// QuoteIdent quotes s as a DuckDB identifier: it is wrapped in double quotes
// and every embedded double quote is doubled, so any string (including one
// that contains quotes, semicolons or comment markers) names exactly one
// identifier. Identifiers quoted this way are case sensitive in the catalog
// lookup only when another object differs by case alone; DuckDB otherwise
// matches identifiers case-insensitively.
func QuoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteLiteral quotes s as a DuckDB string literal: it is wrapped in single
// quotes and every embedded single quote is doubled. DuckDB does not treat
// backslash as an escape inside '...' (only inside E'...'), so nothing else
// needs escaping. A NUL byte cuts the statement short when it is handed to
// the C API, which leaves the literal unterminated: the statement then fails
// to parse instead of running something else.
func QuoteLiteral(s string) string {
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}
