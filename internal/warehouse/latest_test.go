package warehouse

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ascetl/etl/queries"
)

// Analytics tables as the curated analytics queries and the latest views see them.
var (
	analyticsPart = []Col{{"app_id", "VARCHAR"}, {"month", "VARCHAR"}}
	analyticsMeta = []Col{{"granularity", "VARCHAR"}, {"processing_date", "DATE"}, {"instance_id", "VARCHAR"}, {"access_type", "VARCHAR"}}
	analyticsCols = map[string][]Col{
		"analytics_app_downloads_standard": {{"date", "DATE"}, {"counts", "BIGINT"}, {"download_type", "VARCHAR"},
			{"source_type", "VARCHAR"}, {"territory", "VARCHAR"}},
		"analytics_app_sessions_standard": {{"date", "DATE"}, {"sessions", "BIGINT"}, {"total_session_duration", "BIGINT"},
			{"unique_devices", "BIGINT"}, {"app_version", "VARCHAR"}},
		"analytics_app_store_installation_and_deletion_standard": {{"date", "DATE"}, {"counts", "BIGINT"}, {"event", "VARCHAR"}},
		"analytics_app_crashes":                                  {{"date", "DATE"}, {"crashes", "BIGINT"}, {"app_version", "VARCHAR"}},
	}
	analyticsOrder = []string{"analytics_app_downloads_standard", "analytics_app_sessions_standard",
		"analytics_app_store_installation_and_deletion_standard", "analytics_app_crashes"}
)

// withAnalyticsNames adds the analytics test tables, their latest views and the curated
// analytics queries to a sorted list of view names.
func withAnalyticsNames(names []string) []string {
	for _, n := range analyticsOrder {
		names = append(names, n, LatestName(n))
	}
	for _, q := range queries.All() {
		if strings.HasPrefix(q.Name, "analytics_") {
			names = append(names, q.Name)
		}
	}
	slices.Sort(names)
	return names
}

func analyticsTestViews(root string) []View {
	var out []View
	for _, n := range analyticsOrder {
		out = append(out, View{Name: n, Dir: filepath.Join(root, n), Partition: analyticsPart,
			Columns: append(append([]Col(nil), analyticsCols[n]...), analyticsMeta...)})
	}
	return out
}

// withLatest puts the latest views of the analytics test tables before qs, as etl views does.
func withLatest(qs []queries.Query) []queries.Query {
	var ls []Latest
	for _, n := range analyticsOrder {
		ls = append(ls, Latest{Table: n, Date: "date", FinalDays: 3})
	}
	lq, err := LatestQueries(ls)
	if err != nil {
		panic(err)
	}
	return append(lq, qs...)
}

// The curated analytics queries are checked by TestAnalyticsLatestAndCurated.
func init() {
	for _, q := range queries.All() {
		if strings.HasPrefix(q.Name, "analytics_") {
			checkedElsewhere[q.Name] = true
		}
	}
}

// analyticsRows builds a SELECT of analytics rows; each row is
// date|granularity|processing_date|instance|access|<table columns...>.
func analyticsSelect(cols []Col, rows ...string) string {
	var sel []string
	for _, r := range rows {
		f := strings.Split(r, "|")
		vals := []string{
			"DATE " + QuoteLiteral(f[0]), QuoteLiteral(f[1]), "DATE " + QuoteLiteral(f[2]), QuoteLiteral(f[3]), QuoteLiteral(f[4]),
		}
		for i, c := range cols[1:] {
			vals = append(vals, "CAST("+QuoteLiteral(f[5+i])+" AS "+c.DuckType+")")
		}
		sel = append(sel, "SELECT "+strings.Join(vals, ", "))
	}
	names := []string{"date", "granularity", "processing_date", "instance_id", "access_type"}
	for _, c := range cols[1:] {
		names = append(names, c.Name)
	}
	return "SELECT * FROM (" + strings.Join(sel, " UNION ALL ") + ") AS t(" + strings.Join(names, ", ") + ")"
}

func TestAnalyticsLatestAndCurated(t *testing.T) {
	db := openMem(t)
	root := t.TempDir()
	dl := filepath.Join(root, "analytics_app_downloads_standard")
	cols := analyticsCols["analytics_app_downloads_standard"]
	// 2025-01-05 restated three times (the last final), once again by a snapshot with the
	// same processing date as an ongoing instance; 2025-01-08 only provisional so far;
	// a weekly row and another app.
	writeParquet(t, db, filepath.Join(dl, "app_id=1/month=2025-01/data.parquet"), analyticsSelect(cols,
		"2025-01-05|DAILY|2025-01-06|i06|ONGOING|5|First-time download|App Store search|FR",
		"2025-01-05|DAILY|2025-01-07|i07|ONGOING|7|First-time download|App Store search|FR",
		"2025-01-05|DAILY|2025-01-07|i07|ONGOING|1|Redownload|App Store search|FR",
		"2025-01-05|DAILY|2025-01-07|s07|ONE_TIME_SNAPSHOT|7|First-time download|App Store search|FR",
		"2025-01-05|DAILY|2025-01-07|s07|ONE_TIME_SNAPSHOT|1|Redownload|App Store search|FR",
		"2025-01-05|DAILY|2025-01-08|i08|ONGOING|9|First-time download|App Store search|FR",
		"2025-01-05|DAILY|2025-01-08|i08|ONGOING|2|Auto-update|App Store search|FR",
		"2025-01-06|DAILY|2025-01-07|s07|ONE_TIME_SNAPSHOT|4|First-time download|App referrer|US",
		"2025-01-07|DAILY|2025-01-08|i08|ONGOING|3|First-time download|App referrer|US",
		"2025-01-06|WEEKLY|2025-01-17|w17|ONGOING|40|First-time download|App Store search|FR",
	))
	writeParquet(t, db, filepath.Join(dl, "app_id=2/month=2025-01/data.parquet"), analyticsSelect(cols,
		"2025-01-05|DAILY|2025-01-06|j06|ONGOING|6|First-time download|Web referrer|DE",
	))
	sess := analyticsCols["analytics_app_sessions_standard"]
	writeParquet(t, db, filepath.Join(root, "analytics_app_sessions_standard/app_id=1/month=2025-01/data.parquet"), analyticsSelect(sess,
		"2025-01-05|DAILY|2025-01-06|a|ONGOING|10|100|4|1.0",
		"2025-01-05|DAILY|2025-01-10|b|ONGOING|20|300|6|1.0",
		"2025-01-05|DAILY|2025-01-10|b|ONGOING|30|300|5|1.1",
	))
	inst := analyticsCols["analytics_app_store_installation_and_deletion_standard"]
	writeParquet(t, db, filepath.Join(root, "analytics_app_store_installation_and_deletion_standard/app_id=1/month=2025-01/data.parquet"), analyticsSelect(inst,
		"2025-01-05|DAILY|2025-01-10|a|ONGOING|8|Install",
		"2025-01-05|DAILY|2025-01-10|a|ONGOING|2|Delete",
	))
	cr := analyticsCols["analytics_app_crashes"]
	writeParquet(t, db, filepath.Join(root, "analytics_app_crashes/app_id=1/month=2025-01/data.parquet"), analyticsSelect(cr,
		"2025-01-05|DAILY|2025-01-06|a|ONGOING|9|1.0",
		"2025-01-05|DAILY|2025-01-10|b|ONGOING|3|1.0",
		"2025-01-05|DAILY|2025-01-10|b|ONGOING|6|1.2",
	))
	// The other tables of testViews have no files under root: typed empty views.
	if err := db.Refresh(context.Background(), testViews(root), withLatest(queries.All())); err != nil {
		t.Fatal(err)
	}
	check := func(sql, want string) {
		t.Helper()
		if got := joinRows(query(t, db, sql)); got != want {
			t.Errorf("%s\n got %s\nwant %s", sql, strings.ReplaceAll(got, ";", "\n     "), strings.ReplaceAll(want, ";", "\n     "))
		}
	}
	// The raw table keeps every processing date; latest keeps one instance per date.
	check(`SELECT count(DISTINCT processing_date) FROM analytics_app_downloads_standard WHERE app_id = '1' AND date = '2025-01-05'`, "3")
	check(`SELECT app_id, granularity, date, processing_date, instance_id, sum(counts), bool_and(is_final)
FROM analytics_app_downloads_standard_latest GROUP BY ALL ORDER BY 1, 2, 3`,
		"1,DAILY,2025-01-05,2025-01-08,i08,11,true;"+
			"1,DAILY,2025-01-06,2025-01-07,s07,4,false;"+
			"1,DAILY,2025-01-07,2025-01-08,i08,3,false;"+
			"1,WEEKLY,2025-01-06,2025-01-17,w17,40,true;"+
			"2,DAILY,2025-01-05,2025-01-06,j06,6,false")
	// A snapshot and an ongoing instance of the same processing date: ONGOING wins, once.
	check(`SELECT instance_id, sum(counts) FROM analytics_app_downloads_standard_latest
WHERE app_id = '1' AND granularity = 'DAILY' AND (date = '2025-01-06' OR processing_date = '2025-01-07')
GROUP BY ALL ORDER BY 1`, "s07,4")
	check(`SELECT count(*) FROM (SELECT app_id, granularity, date, count(DISTINCT instance_id) AS n
FROM analytics_app_downloads_standard_latest GROUP BY ALL) WHERE n > 1`, "0")

	check(`SELECT * FROM analytics_daily_downloads_by_source_territory`,
		"1,2025-01-05,App Store search,FR,9,<nil>,11,true;"+
			"1,2025-01-06,App referrer,US,4,<nil>,4,false;"+
			"1,2025-01-07,App referrer,US,3,<nil>,3,false;"+
			"2,2025-01-05,Web referrer,DE,6,<nil>,6,false")
	check(`SELECT * FROM analytics_sessions_active_devices`, "1,2025-01-05,50,600,12,11,true")
	check(`SELECT * FROM analytics_install_delete_ratio`, "1,2025-01-05,8,2,0.25,true")
	check(`SELECT * FROM analytics_crash_rate_by_version`,
		"1,1.0,3,20,150,2025-01-05,2025-01-05;"+
			"1,1.1,0,30,0,<nil>,<nil>;"+
			"1,1.2,6,0,<nil>,2025-01-05,2025-01-05")
}

func TestLatestQuery(t *testing.T) {
	q, err := LatestQuery(Latest{Table: "analytics_x", Date: "event_date", FinalDays: 5})
	if err != nil {
		t.Fatal(err)
	}
	if q.Name != "analytics_x_latest" || !strings.Contains(q.SQL, `FROM "analytics_x"`) ||
		!strings.Contains(q.SQL, `coalesce("event_date", processing_date)`) || !strings.Contains(q.SQL, "+ 5, false) AS is_final") {
		t.Errorf("%+v", q)
	}
	for _, bad := range []Latest{{Date: "d"}, {Table: "t"}, {Table: "t", Date: "d", FinalDays: -1}} {
		if _, err := LatestQuery(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
