package warehouse

import (
	"errors"
	"fmt"

	"github.com/ascetl/etl/queries"
)

// Latest describes the <table>_latest view of an Analytics Reports API table. Apple
// restates each date for several days: a daily instance carries the last few dates again,
// and a later processing date supersedes the rows of an earlier one for the same date
// (REFERENCE.md §C.2). The table keeps every processing date; the view keeps, for every
// app, granularity and date, only the rows of the latest instance that carried the date
// (ties between instances of the same processing date, e.g. a snapshot and an ongoing
// instance, go to ONGOING, then to the greater instance id), and adds is_final.
type Latest struct {
	Table     string // the table's view, e.g. analytics_app_downloads_standard
	Date      string // the row's date column: date, event_date
	FinalDays int    // completeness window in days
}

// LatestName is the view name of a table's latest view.
func LatestName(table string) string { return table + "_latest" }

// LatestQuery returns the view as a query named <table>_latest, to be created after the
// table views and before the curated queries that read it (Refresh creates queries in
// order).
//
// is_final is true when the row's processing date is at least FinalDays after the last
// day the row covers (the date itself for DAILY, date + 6 for WEEKLY, the month's last day
// for MONTHLY): Apple does not restate it any more.
func LatestQuery(l Latest) (queries.Query, error) {
	if l.Table == "" || l.Date == "" {
		return queries.Query{}, errors.New("latest view: table and date column are required")
	}
	if l.FinalDays < 0 {
		return queries.Query{}, fmt.Errorf("latest view %s: negative completeness window", l.Table)
	}
	d := QuoteIdent(l.Date)
	sql := fmt.Sprintf(`-- %[1]s without superseded processing dates: per app, granularity and date, the rows of the latest instance only
SELECT * EXCLUDE (_latest_rank),
    coalesce(processing_date >= (CASE granularity
        WHEN 'WEEKLY' THEN %[2]s + 6
        WHEN 'MONTHLY' THEN last_day(%[2]s)
        ELSE %[2]s END) + %[3]d, false) AS is_final
FROM (
    SELECT *, rank() OVER (
        PARTITION BY app_id, granularity, coalesce(%[2]s, processing_date)
        ORDER BY processing_date DESC, (access_type = 'ONGOING') DESC, instance_id DESC) AS _latest_rank
    FROM %[4]s
)
WHERE _latest_rank = 1
`, l.Table, d, l.FinalDays, QuoteIdent(l.Table))
	return queries.Query{Name: LatestName(l.Table), Description: l.Table + " without superseded processing dates", SQL: sql}, nil
}

// LatestQueries builds the latest views of several tables.
func LatestQueries(ls []Latest) ([]queries.Query, error) {
	out := make([]queries.Query, 0, len(ls))
	for _, l := range ls {
		q, err := LatestQuery(l)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}
