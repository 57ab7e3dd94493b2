package schemas

import (
	"slices"
	"strings"
)

// Typing the columns of an analytics report without a schema.
//
// The type of a column is decided by its header alone, never by the values of one file:
// the same report is loaded instance after instance into the same Parquet partitions, and
// a column typed int64 in one instance and text in the next could not be merged (nor read
// as one view). Header rules are stable across instances, runs and machines without
// persisting anything. Values are then checked against that type: a value that does not
// parse stops the instance with a ParseError naming key, line and column, as for typed
// reports.
//
// The rules, on the header in snake_case (ColumnName), first match wins:
//  1. A column of a typed analytics schema keeps that schema's type (counts → int64,
//     proceeds_in_usd → decimal, app_download_date → date, territory → text, …).
//  2. "date" or a name ending in "_date" → date (YYYY-MM-DD).
//  3. A name with a word of decimalWords (usd, amount, rate, average, percentage, duration,
//     …) → decimal(18,6).
//  4. A name whose last word is in countWords (counts, devices, sessions, installs, …) or
//     whose first word is "number", "total" or "unique" → int64.
//  5. Anything else → text (lossless: an unknown measure stays readable and castable).

var (
	decimalWords = []string{"usd", "amount", "proceeds", "revenue", "rate", "ratio", "percent",
		"percentage", "average", "avg", "mean", "median", "duration", "mb", "gb", "kb"}
	countWords = []string{"counts", "count", "devices", "users", "sessions", "crashes", "installs",
		"deletions", "downloads", "redownloads", "updates", "impressions", "views", "taps", "events",
		"purchases", "subscribers", "subscriptions", "seconds", "milliseconds", "ms", "minutes",
		"bytes", "hangs", "terminations", "launches", "errors", "failures", "requests", "scans",
		"wakes", "playbacks", "redemptions", "opens", "clicks"}
	countPrefixes = []string{"number", "total", "unique"}
)

// GenericAnalyticsKind is the type of a column named header in an analytics report
// without a schema (see the rules above).
func GenericAnalyticsKind(header string) Kind {
	n := ColumnName(header)
	if k, ok := typedAnalyticsKind(n); ok {
		return k
	}
	if n == "date" || strings.HasSuffix(n, "_date") {
		return DateISO
	}
	words := strings.Split(n, "_")
	for _, w := range words {
		if slices.Contains(decimalWords, w) {
			return Decimal
		}
	}
	if len(words) > 0 && (slices.Contains(countWords, words[len(words)-1]) || slices.Contains(countPrefixes, words[0]) && len(words) > 1) {
		return Int64
	}
	return String
}

// typedAnalyticsKind is the kind of column name n in the typed analytics schemas (the
// first table that has it; they agree).
func typedAnalyticsKind(n string) (Kind, bool) {
	buildAnalytics()
	for _, t := range analyticsTabs {
		for _, c := range t.Columns {
			if c.Name == n && !c.Optional {
				return c.Kind, true
			}
		}
	}
	return String, false
}
