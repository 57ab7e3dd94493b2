package warehouse

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ascetl/etl/queries"
)

var (
	salesPart   = []Col{{"vendor", "VARCHAR"}, {"report_date", "DATE"}}
	financePart = []Col{{"vendor", "VARCHAR"}, {"region", "VARCHAR"}, {"fiscal_period", "VARCHAR"}}
	salesCols   = []Col{
		{"provider", "VARCHAR"}, {"sku", "VARCHAR"}, {"title", "VARCHAR"},
		{"product_type_identifier", "VARCHAR"}, {"units", "BIGINT"},
		{"developer_proceeds", "DECIMAL(18,6)"}, {"customer_currency", "VARCHAR"},
		{"country_code", "VARCHAR"}, {"currency_of_proceeds", "VARCHAR"},
		{"apple_identifier", "VARCHAR"}, {"customer_price", "DECIMAL(18,6)"},
		{"parent_identifier", "VARCHAR"}, {"_source_key", "VARCHAR"},
	}
	financeCols = []Col{
		{"start_date", "DATE"}, {"end_date", "DATE"}, {"quantity", "BIGINT"},
		{"partner_share", "DECIMAL(18,6)"}, {"extended_partner_share", "DECIMAL(18,6)"},
		{"partner_share_currency", "VARCHAR"}, {"country_of_sale", "VARCHAR"},
	}
	subsCols = []Col{
		{"app_name", "VARCHAR"}, {"app_apple_id", "VARCHAR"}, {"subscription_name", "VARCHAR"},
		{"subscription_apple_id", "VARCHAR"}, {"country", "VARCHAR"},
		{"active_standard_price_subscriptions", "BIGINT"},
		{"active_free_trial_introductory_offer_subscriptions", "BIGINT"},
		{"active_pay_up_front_introductory_offer_subscriptions", "BIGINT"},
		{"active_pay_as_you_go_introductory_offer_subscriptions", "BIGINT"},
	}
)

func testViews(root string) []View {
	return append([]View{
		{Name: "sales_summary_daily", Dir: filepath.Join(root, "sales_summary_daily"), Partition: salesPart, Columns: salesCols},
		{Name: "finance_financial", Dir: filepath.Join(root, "finance_financial"), Partition: financePart, Columns: financeCols},
		{Name: "subscription_summary_daily", Dir: filepath.Join(root, "subscription_summary_daily"), Partition: salesPart, Columns: subsCols},
		{Name: "customer_reviews", Dir: filepath.Join(root, "customer_reviews"), Partition: reviewPart, Columns: reviewCols},
		{Name: "review_responses", Dir: filepath.Join(root, "review_responses"), Partition: reviewPart, Columns: responseCols},
		{Name: "perf_metrics", Dir: filepath.Join(root, "perf_metrics"), Partition: metricsPart, Columns: metricCols},
		{Name: "diagnostic_signatures", Dir: filepath.Join(root, "diagnostic_signatures"), Partition: metricsPart, Columns: signatureCols},
		{Name: "diagnostic_log_frames", Dir: filepath.Join(root, "diagnostic_log_frames"), Partition: metricsPart, Columns: frameCols},
	}, append(analyticsTestViews(root), catalogTestViews(root)...)...)
}

var (
	metricsPart = []Col{{"app_id", "VARCHAR"}, {"snapshot_date", "DATE"}}
	metricCols  = []Col{{"source", "VARCHAR"}, {"platform", "VARCHAR"}, {"metric_category", "VARCHAR"}, {"metric", "VARCHAR"},
		{"unit_display", "VARCHAR"}, {"device", "VARCHAR"}, {"percentile", "VARCHAR"}, {"version", "VARCHAR"},
		{"point_index", "BIGINT"}, {"value", "DOUBLE"}}
	signatureCols = []Col{{"build_id", "VARCHAR"}, {"signature_id", "VARCHAR"}, {"diagnostic_type", "VARCHAR"},
		{"signature", "VARCHAR"}, {"weight", "DOUBLE"}, {"insight_direction", "VARCHAR"}}
	frameCols = []Col{{"signature_id", "VARCHAR"}, {"log_index", "BIGINT"}, {"frame_order", "BIGINT"}}
)

var (
	reviewPart = []Col{{"app_id", "VARCHAR"}, {"month", "VARCHAR"}}
	reviewCols = []Col{{"review_id", "VARCHAR"}, {"rating", "BIGINT"}, {"title", "VARCHAR"}, {"body", "VARCHAR"},
		{"created_at", "TIMESTAMP WITH TIME ZONE"}, {"territory_alpha2", "VARCHAR"}}
	responseCols = []Col{{"review_id", "VARCHAR"}, {"last_modified_at", "TIMESTAMP WITH TIME ZONE"},
		{"review_created_at", "TIMESTAMP WITH TIME ZONE"}}
)

// checkedElsewhere are curated queries whose results the end-to-end CLI test checks against
// the simulator's ground truth (cmd/etl/reviews_test.go); here they only have to run.
var checkedElsewhere = map[string]bool{
	"review_response_time": true, "reviews_rating_by_week_territory": true, "unanswered_low_rating_reviews": true,
	"launch_and_hang_by_version": true, "metric_regressions": true, "top_diagnostic_signatures": true,
}

// salesSelect builds rows for sales_summary_daily; each row is
// sku, title, units, developer_proceeds, country, currency, parent.
func salesSelect(rows ...string) string {
	return `SELECT 'APPLE' AS provider, sku, title, '1' AS product_type_identifier,
  units::BIGINT AS units, dp::DECIMAL(18,6) AS developer_proceeds, currency_of_proceeds AS customer_currency,
  country_code, currency_of_proceeds, '123' AS apple_identifier, dp::DECIMAL(18,6) AS customer_price,
  parent_identifier, 'raw/x.gz' AS _source_key
FROM (VALUES ` + strings.Join(rows, ", ") + `) AS t(sku, title, units, dp, country_code, currency_of_proceeds, parent_identifier)`
}

func financeSelect(start, end string, rows ...string) string {
	return `SELECT DATE '` + start + `' AS start_date, DATE '` + end + `' AS end_date, quantity::BIGINT AS quantity,
  0::DECIMAL(18,6) AS partner_share, eps::DECIMAL(18,6) AS extended_partner_share,
  partner_share_currency, 'US' AS country_of_sale
FROM (VALUES ` + strings.Join(rows, ", ") + `) AS t(quantity, eps, partner_share_currency)`
}

func subsSelect(rows ...string) string {
	return `SELECT app_name, '1' AS app_apple_id, subscription_name, '2' AS subscription_apple_id, country,
  a::BIGINT AS active_standard_price_subscriptions,
  b::BIGINT AS active_free_trial_introductory_offer_subscriptions,
  c::BIGINT AS active_pay_up_front_introductory_offer_subscriptions,
  d::BIGINT AS active_pay_as_you_go_introductory_offer_subscriptions
FROM (VALUES ` + strings.Join(rows, ", ") + `) AS t(app_name, subscription_name, country, a, b, c, d)`
}

// buildTree writes a small hive tree like the loader's under root.
func buildTree(t *testing.T, db *DB, root string) {
	t.Helper()
	s := filepath.Join(root, "sales_summary_daily")
	writeParquet(t, db, filepath.Join(s, "vendor=1/report_date=2026-11-01/data.parquet"), salesSelect(
		"('APP1', 'Fancy App', 10, '0.70', 'US', 'USD', NULL)",
		"('APP1', 'Fancy App', -1, '0.70', 'US', 'USD', '')", // refund
		"('IAP1', 'Gems', 1, '0.10', 'US', 'USD', 'APP1')",   // in-app purchase of APP1
		"('IAP1', 'Gems', 1, '0.20', 'US', 'USD', 'APP1')",
		"('APP1', 'Fancy App', 2, '0.55', 'GB', 'GBP', NULL)",
	))
	// Same SKU under another vendor is another app.
	writeParquet(t, db, filepath.Join(s, "vendor=2/report_date=2026-11-01/data.parquet"), salesSelect(
		"('APP1', 'Other Vendor App', 1, '1.00', 'US', 'USD', NULL)",
	))
	// A newer file with an extra column (union_by_name), and an IAP whose app has no rows.
	writeParquet(t, db, filepath.Join(s, "vendor=1/report_date=2026-11-02/data.parquet"),
		"SELECT *, 'Contingent' AS contingent_app_name FROM ("+salesSelect(
			"('APP1', 'Fancy App', 5, '0.70', 'US', 'USD', NULL)",
			"('IAP2', 'Coins', 4, '0.25', 'US', 'USD', 'APP9')",
		)+")")

	f := filepath.Join(root, "finance_financial")
	const p2s, p2e = "2025-10-26", "2025-11-29"
	// 2026-02, vendor 1: per-region files and a ZZ file; only ZZ counts.
	writeParquet(t, db, filepath.Join(f, "vendor=1/region=US/fiscal_period=2026-02/data.parquet"),
		financeSelect(p2s, p2e, "(3, '2.10', 'USD')"))
	writeParquet(t, db, filepath.Join(f, "vendor=1/region=EU/fiscal_period=2026-02/data.parquet"),
		financeSelect(p2s, p2e, "(2, '1.40', 'EUR')"))
	writeParquet(t, db, filepath.Join(f, "vendor=1/region=ZZ/fiscal_period=2026-02/data.parquet"),
		financeSelect(p2s, p2e, "(3, '2.10', 'USD')", "(2, '1.40', 'EUR')", "(1, '100', 'JPY')"))
	// 2026-02, vendor 2: regions only.
	writeParquet(t, db, filepath.Join(f, "vendor=2/region=US/fiscal_period=2026-02/data.parquet"),
		financeSelect(p2s, "2025-11-28", "(10, '7.00', 'USD')"))
	// 2026-03, vendor 1: regions only, with a refund.
	writeParquet(t, db, filepath.Join(f, "vendor=1/region=US/fiscal_period=2026-03/data.parquet"),
		financeSelect("2025-11-30", "2025-12-27", "(1, '0.1', 'USD')", "(1, '0.2', 'USD')", "(-1, '-0.7', 'USD')"))
	writeParquet(t, db, filepath.Join(f, "vendor=1/region=JP/fiscal_period=2026-03/data.parquet"),
		financeSelect("2025-11-30", "2025-12-27", "(1, '120', 'JPY')"))

	sub := filepath.Join(root, "subscription_summary_daily")
	writeParquet(t, db, filepath.Join(sub, "vendor=1/report_date=2026-11-01/data.parquet"), subsSelect(
		"('Fancy App', 'Pro Monthly', 'US', 5, 2, 1, 0)",
		"('Fancy App', 'Pro Monthly', 'GB', 3, NULL, 0, 2)",
		"('Fancy App', 'Pro Yearly', 'US', 1, 0, 0, 0)",
	))
	writeParquet(t, db, filepath.Join(sub, "vendor=1/report_date=2026-11-02/data.parquet"), subsSelect(
		"('Fancy App', 'Pro Monthly', 'US', 6, 1, 0, 0)",
	))
}

type want struct {
	cols  []string
	types []string
	rows  string
}

var curatedWant = map[string]want{
	"daily_units_proceeds_by_app_territory": {
		cols:  []string{"report_date", "vendor", "app_sku", "app_title", "country_code", "currency_of_proceeds", "units", "proceeds"},
		types: []string{"DATE", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "DECIMAL(38,6)"},
		rows: "2026-11-01,1,APP1,Fancy App,GB,GBP,2,1.100000;" +
			"2026-11-01,1,APP1,Fancy App,US,USD,11,6.600000;" +
			"2026-11-01,2,APP1,Other Vendor App,US,USD,1,1.000000;" +
			"2026-11-02,1,APP1,Fancy App,US,USD,5,3.500000;" +
			"2026-11-02,1,APP9,<nil>,US,USD,4,1.000000",
	},
	"finance_proceeds_by_currency": {
		cols:  []string{"fiscal_period", "vendor", "partner_share_currency", "quantity", "extended_partner_share", "start_date", "end_date"},
		types: []string{"VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "DECIMAL(38,6)", "DATE", "DATE"},
		// Vendor 1 (ZZ) and vendor 2 (regions) are separate rows, never summed together.
		rows: "2026-02,1,EUR,2,1.400000,2025-10-26,2025-11-29;" +
			"2026-02,1,JPY,1,100.000000,2025-10-26,2025-11-29;" +
			"2026-02,1,USD,3,2.100000,2025-10-26,2025-11-29;" +
			"2026-02,2,USD,10,7.000000,2025-10-26,2025-11-28;" +
			"2026-03,1,JPY,1,120.000000,2025-11-30,2025-12-27;" +
			"2026-03,1,USD,1,-0.400000,2025-11-30,2025-12-27",
	},
	"active_subscriptions_by_day": {
		cols:  []string{"report_date", "vendor", "app_name", "subscription_name", "active_paid", "active_trial", "active_intro_paid", "total_active"},
		types: []string{"DATE", "VARCHAR", "VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "BIGINT", "BIGINT"},
		rows: "2026-11-01,1,Fancy App,Pro Monthly,8,2,3,13;" +
			"2026-11-01,1,Fancy App,Pro Yearly,1,0,0,1;" +
			"2026-11-02,1,Fancy App,Pro Monthly,6,1,0,7",
	},
}

func checkCurated(t *testing.T, db *DB, empty bool) {
	t.Helper()
	for _, q := range queries.All() {
		w, ok := curatedWant[q.Name]
		if !ok {
			if !checkedElsewhere[q.Name] {
				t.Errorf("no expectation for curated query %s", q.Name)
			}
			query(t, db, "SELECT * FROM "+QuoteIdent(q.Name))
			continue
		}
		r := query(t, db, "SELECT * FROM "+QuoteIdent(q.Name))
		if !slices.Equal(r.Columns, w.cols) {
			t.Errorf("%s: columns = %v, want %v", q.Name, r.Columns, w.cols)
		}
		if !slices.Equal(r.Types, w.types) {
			t.Errorf("%s: types = %v, want %v", q.Name, r.Types, w.types)
		}
		wantRows := w.rows
		if empty {
			wantRows = ""
		}
		if got := joinRows(r); got != wantRows {
			t.Errorf("%s: rows\n got %s\nwant %s", q.Name, strings.ReplaceAll(got, ";", "\n     "), strings.ReplaceAll(wantRows, ";", "\n     "))
		}
	}
}

func TestCuratedQueries(t *testing.T) {
	db := openMem(t)
	root := t.TempDir()
	buildTree(t, db, root)
	if err := db.Refresh(context.Background(), testViews(root), withLatest(queries.All())); err != nil {
		t.Fatal(err)
	}
	checkCurated(t, db, false)

	// union_by_name: the extra column exists, NULL in the older files.
	r := query(t, db, `SELECT report_date, count(*) AS n, count(contingent_app_name) AS c
FROM sales_summary_daily WHERE vendor = '1' GROUP BY ALL ORDER BY 1`)
	if got, want := joinRows(r), "2026-11-01,5,0;2026-11-02,2,2"; got != want {
		t.Errorf("union_by_name rows = %q, want %q", got, want)
	}
	// Hive columns come last, sorted by name (not in path order), typed by hive_types;
	// the typed empty views must have the same columns in the same order.
	empty := openMem(t)
	if err := empty.Refresh(context.Background(), testViews(t.TempDir()), nil); err != nil {
		t.Fatal(err)
	}
	for _, v := range testViews(root) {
		full := query(t, db, "SELECT * FROM "+QuoteIdent(v.Name)+" LIMIT 0")
		none := query(t, empty, "SELECT * FROM "+QuoteIdent(v.Name))
		var cols, types []string
		for i, c := range full.Columns {
			if c != "contingent_app_name" { // the extra column only some files have
				cols, types = append(cols, c), append(types, full.Types[i])
			}
		}
		if !slices.Equal(cols, none.Columns) || !slices.Equal(types, none.Types) {
			t.Errorf("%s: parquet view %v %v\nempty view %v %v", v.Name, cols, types, none.Columns, none.Types)
		}
	}
	r = query(t, db, "SELECT * FROM finance_financial LIMIT 0")
	if got := r.Columns[len(r.Columns)-3:]; !slices.Equal(got, []string{"fiscal_period", "region", "vendor"}) {
		t.Errorf("finance hive columns = %v", got)
	}
}

func TestEmptyViews(t *testing.T) {
	db := openMem(t)
	root := t.TempDir() // no files: every table gets a typed empty view
	if err := db.Refresh(context.Background(), testViews(root), withLatest(queries.All())); err != nil {
		t.Fatal(err)
	}
	checkCurated(t, db, true)
	r := query(t, db, "SELECT * FROM finance_financial")
	wantCols := []string{"start_date", "end_date", "quantity", "partner_share", "extended_partner_share",
		"partner_share_currency", "country_of_sale", "fiscal_period", "region", "vendor"}
	if !slices.Equal(r.Columns, wantCols) || r.Types[3] != "DECIMAL(18,6)" || r.Types[0] != "DATE" || len(r.Rows) != 0 {
		t.Errorf("empty finance view: %v %v %d rows", r.Columns, r.Types, len(r.Rows))
	}
}

func TestRefreshReplacesAndIsAtomic(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	root := t.TempDir()
	views := testViews(root)
	if err := db.Refresh(ctx, views, withLatest(queries.All())); err != nil {
		t.Fatal(err)
	}
	// Files appear: the next Refresh turns the empty views into Parquet views.
	buildTree(t, db, root)
	if err := db.Refresh(ctx, views, withLatest(queries.All())); err != nil {
		t.Fatal(err)
	}
	checkCurated(t, db, false)

	// A broken query fails the whole Refresh and leaves every view as it was.
	os.RemoveAll(filepath.Join(root, "finance_financial"))
	bad := append(withLatest(queries.All()), queries.Query{Name: "broken", SQL: "SELECT no_such_column FROM sales_summary_daily;"})
	err := db.Refresh(ctx, views, bad)
	if err == nil || !strings.Contains(err.Error(), "refresh view broken") {
		t.Fatalf("Refresh with a broken query: err = %v", err)
	}
	names, err := db.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, "broken") {
		t.Error("broken view was created")
	}
	// finance_financial must still be the Parquet view (now failing: its files are gone),
	// not the empty view the rolled-back transaction created.
	if _, err := db.Query(ctx, "SELECT * FROM finance_financial"); err == nil {
		t.Error("finance_financial was replaced by the rolled-back Refresh")
	}
}

func TestOpenFileAndReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "dirs", "etl.duckdb")
	data := filepath.Join(dir, "data")

	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	buildTree(t, db, data)
	// Relative directories become absolute in the view text.
	t.Chdir(dir)
	views := testViews("data")
	if err := db.Refresh(ctx, views, withLatest(queries.All())); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}

	t.Chdir(t.TempDir()) // somewhere else entirely
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, err := db.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"active_subscriptions_by_day", "customer_reviews", "daily_units_proceeds_by_app_territory",
		"diagnostic_log_frames", "diagnostic_signatures", "finance_financial", "finance_proceeds_by_currency",
		"launch_and_hang_by_version", "metric_regressions", "perf_metrics", "review_response_time", "review_responses",
		"reviews_rating_by_week_territory", "sales_summary_daily", "subscription_summary_daily",
		"top_diagnostic_signatures", "unanswered_low_rating_reviews"}
	want = withCatalogNames(withAnalyticsNames(want))
	if !slices.Equal(names, want) {
		t.Errorf("Tables() = %v, want %v", names, want)
	}
	checkCurated(t, db, false)
}

func TestOpenMemory(t *testing.T) {
	for _, path := range []string{"", ":memory:"} {
		db, err := Open(path)
		if err != nil {
			t.Fatalf("Open(%q): %v", path, err)
		}
		// All pooled connections share one in-memory database.
		exec(t, db, "CREATE TABLE t AS SELECT 1 AS x")
		r := query(t, db, "SELECT x FROM t")
		if joinRows(r) != "1" {
			t.Errorf("Open(%q): rows = %q", path, joinRows(r))
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestViewSQL(t *testing.T) {
	remote := View{Name: "sales_summary_daily", Dir: "s3://bucket/parquet/sales_summary_daily/", Partition: salesPart}
	got, err := viewSQL(remote, "")
	if err != nil {
		t.Fatal(err)
	}
	want := `CREATE OR REPLACE VIEW "sales_summary_daily" AS SELECT * FROM read_parquet('s3://bucket/parquet/sales_summary_daily/**/*.parquet', hive_partitioning = true, union_by_name = true, hive_types = {'vendor': VARCHAR, 'report_date': DATE})`
	if got != want {
		t.Errorf("remote view SQL\n got %s\nwant %s", got, want)
	}

	empty := View{Name: `we"ird`, Dir: t.TempDir(), Partition: []Col{{"vendor", "VARCHAR"}}, Columns: []Col{{"units", "BIGINT"}, {"p", "DECIMAL(18, 6)"}}}
	got, err = viewSQL(empty, "")
	if err != nil {
		t.Fatal(err)
	}
	want = `CREATE OR REPLACE VIEW "we""ird" AS SELECT CAST(NULL AS BIGINT) AS "units", CAST(NULL AS DECIMAL(18, 6)) AS "p", CAST(NULL AS VARCHAR) AS "vendor" WHERE false`
	if got != want {
		t.Errorf("empty view SQL\n got %s\nwant %s", got, want)
	}

	bad := []View{
		{Name: "", Dir: "x"},
		{Name: "v", Dir: ""},
		{Name: "v", Dir: "/data/[abc]"},
		{Name: "v", Dir: "/data/*"},
		{Name: "v", Dir: "/x", Partition: []Col{{"vendor", "VARCHAR); DROP TABLE t; --"}}},
		{Name: "v", Dir: "/x", Columns: []Col{{"units", "BIGINT) AS x FROM y; --"}}},
		{Name: "v", Dir: "/x", Columns: []Col{{"", "BIGINT"}}},
	}
	for _, v := range bad {
		if s, err := viewSQL(v, ""); err == nil {
			t.Errorf("viewSQL(%+v) = %s, want an error", v, s)
		}
	}
}

func TestQuerySQL(t *testing.T) {
	got, err := querySQL(queries.Query{Name: "q", SQL: "-- d\nSELECT 1 ;  \n ;\n"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "CREATE OR REPLACE VIEW \"q\" AS\n-- d\nSELECT 1\n"; got != want {
		t.Errorf("querySQL = %q, want %q", got, want)
	}
	for _, q := range []queries.Query{{Name: "", SQL: "SELECT 1"}, {Name: "q", SQL: " ; "}} {
		if _, err := querySQL(q); err == nil {
			t.Errorf("querySQL(%+v): want an error", q)
		}
	}
}

// TestFilesAddedAfterRefresh pins that DuckDB re-binds a view at query time:
// new files, and new columns in them, are visible without a Refresh.
func TestFilesAddedAfterRefresh(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	root := t.TempDir()
	buildTree(t, db, root)
	if err := db.Refresh(ctx, testViews(root), withLatest(queries.All())); err != nil {
		t.Fatal(err)
	}
	writeParquet(t, db, filepath.Join(root, "subscription_summary_daily/vendor=1/report_date=2026-11-03/data.parquet"),
		"SELECT *, 7::BIGINT AS subscribers FROM ("+subsSelect("('Fancy App', 'Pro Monthly', 'US', 2, 0, 0, 0)")+")")
	r := query(t, db, "SELECT count(*) AS n FROM active_subscriptions_by_day WHERE report_date = DATE '2026-11-03'")
	if joinRows(r) != "1" {
		t.Errorf("new file not read before Refresh: %q", joinRows(r))
	}
	r = query(t, db, "SELECT sum(subscribers) AS s FROM subscription_summary_daily")
	if joinRows(r) != "7" {
		t.Errorf("new column before Refresh: %q", joinRows(r))
	}
}
