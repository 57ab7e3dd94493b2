package warehouse

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ascetl/etl/queries"
)

// Catalog dimension and TestFlight tables as the name-joined curated queries see them.
var (
	dimPart      = []Col{{"vendor", "VARCHAR"}}
	scdCols      = []Col{{"valid_from", "DATE"}, {"valid_to", "DATE"}, {"is_current", "BOOLEAN"}}
	catalogViews = []struct {
		name string
		part []Col
		cols []Col
	}{
		{"dim_apps", dimPart, []Col{{"app_id", "VARCHAR"}, {"name", "VARCHAR"}, {"sku", "VARCHAR"}}},
		{"dim_builds", dimPart, []Col{{"build_id", "VARCHAR"}, {"app_id", "VARCHAR"}, {"build_number", "VARCHAR"}, {"version_string", "VARCHAR"}}},
		{"dim_in_app_purchases", dimPart, []Col{{"in_app_purchase_id", "VARCHAR"}, {"app_id", "VARCHAR"}, {"name", "VARCHAR"},
			{"product_id", "VARCHAR"}, {"in_app_purchase_type", "VARCHAR"}}},
		{"dim_subscriptions", dimPart, []Col{{"subscription_id", "VARCHAR"}, {"app_id", "VARCHAR"}, {"subscription_group_name", "VARCHAR"},
			{"name", "VARCHAR"}, {"product_id", "VARCHAR"}}},
		{"testflight_build_usage", []Col{{"app_id", "VARCHAR"}, {"month", "VARCHAR"}}, []Col{{"build_id", "VARCHAR"}, {"day", "DATE"},
			{"crash_count", "BIGINT"}, {"session_count", "BIGINT"}}},
	}
	catalogQueries = []string{"crashes_by_version", "revenue_by_app_and_product", "reviews_by_app_name"}
)

func catalogTestViews(root string) []View {
	var out []View
	for _, v := range catalogViews {
		cols := v.cols
		if strings.HasPrefix(v.name, "dim_") {
			cols = append(append([]Col(nil), cols...), scdCols...)
		}
		out = append(out, View{Name: v.name, Dir: filepath.Join(root, v.name), Partition: v.part, Columns: cols})
	}
	return out
}

// withCatalogNames adds the catalog test tables and the name-joined queries to a sorted
// list of view names.
func withCatalogNames(names []string) []string {
	for _, v := range catalogViews {
		names = append(names, v.name)
	}
	names = append(names, catalogQueries...)
	slices.Sort(names)
	return names
}

// The name-joined queries are checked here and end to end by cmd/etl's catalog test.
func init() {
	for _, q := range catalogQueries {
		checkedElsewhere[q] = true
	}
}

// A renamed app shows the name it had on each day: old before the rename, new after, and
// the first name also before the first snapshot; products and subscriptions get their
// names, and an id the catalog does not know keeps NULL names.
func TestCatalogQueriesAsOf(t *testing.T) {
	db := openMem(t)
	root := t.TempDir()
	writeParquet(t, db, filepath.Join(root, "dim_apps/vendor=1/data.parquet"), `SELECT * FROM (VALUES
  ('10', 'Café Übung', 'app2', DATE '2026-11-21', DATE '2026-11-24', false),
  ('10', 'Café Übung – Deutsch lernen', 'app2', DATE '2026-11-24', NULL, true),
  ('20', 'Notes', 'app1', DATE '2026-11-21', NULL, true)
) AS t(app_id, name, sku, valid_from, valid_to, is_current)`)
	writeParquet(t, db, filepath.Join(root, "dim_in_app_purchases/vendor=1/data.parquet"), `SELECT * FROM (VALUES
  ('11', '10', 'Coin Pack', 'app2.coins', 'CONSUMABLE', DATE '2026-11-21', NULL::DATE, true)
) AS t(in_app_purchase_id, app_id, name, product_id, in_app_purchase_type, valid_from, valid_to, is_current)`)
	writeParquet(t, db, filepath.Join(root, "dim_subscriptions/vendor=1/data.parquet"), `SELECT * FROM (VALUES
  ('21', '20', 'Premium', 'Premium Monthly', 'app1.monthly', DATE '2026-11-21', NULL::DATE, true)
) AS t(subscription_id, app_id, subscription_group_name, name, product_id, valid_from, valid_to, is_current)`)
	writeParquet(t, db, filepath.Join(root, "dim_builds/vendor=1/data.parquet"), `SELECT * FROM (VALUES
  ('b1', '10', '41', '1.2.0', DATE '2026-11-21', NULL::DATE, true),
  ('b2', '10', '42', '1.2.0', DATE '2026-11-21', NULL::DATE, true)
) AS t(build_id, app_id, build_number, version_string, valid_from, valid_to, is_current)`)
	writeParquet(t, db, filepath.Join(root, "testflight_build_usage/app_id=10/month=2026-11/data.parquet"), `SELECT * FROM (VALUES
  ('b1', DATE '2026-11-20', 2, 10), ('b2', DATE '2026-11-20', 1, 5), ('b9', DATE '2026-11-20', 7, 7)
) AS t(build_id, day, crash_count, session_count)`)
	for _, d := range []string{"2026-11-19", "2026-11-23", "2026-11-24"} {
		writeParquet(t, db, filepath.Join(root, "sales_summary_daily/vendor=1/report_date="+d+"/data.parquet"), `SELECT 'APPLE' AS provider,
  sku, 'x' AS title, '1' AS product_type_identifier, units::BIGINT AS units, dp::DECIMAL(18,6) AS developer_proceeds,
  'USD' AS customer_currency, 'US' AS country_code, 'USD' AS currency_of_proceeds, id AS apple_identifier,
  dp::DECIMAL(18,6) AS customer_price, parent AS parent_identifier, 'raw/x.gz' AS _source_key
FROM (VALUES ('app2', '10', 2, '1.00', NULL), ('app2.coins', '11', 1, '0.50', 'app2'),
  ('app1.monthly', '21', 1, '3.00', 'app1'), ('gone', '99', 1, '1.00', NULL)) AS t(sku, id, units, dp, parent)`)
	}
	writeParquet(t, db, filepath.Join(root, "customer_reviews/app_id=10/month=2026-11/data.parquet"), `SELECT * FROM (VALUES
  ('r1', 5, 't', 'b', TIMESTAMPTZ '2026-11-22 10:00:00+00', 'DE'),
  ('r2', 1, 't', 'b', TIMESTAMPTZ '2026-11-25 10:00:00+00', 'DE')
) AS t(review_id, rating, title, body, created_at, territory_alpha2)`)
	writeParquet(t, db, filepath.Join(root, "review_responses/app_id=10/month=2026-11/data.parquet"),
		`SELECT 'r2' AS review_id, TIMESTAMPTZ '2026-11-26 10:00:00+00' AS last_modified_at, TIMESTAMPTZ '2026-11-25 10:00:00+00' AS review_created_at`)
	if err := db.Refresh(context.Background(), testViews(root), withLatest(queries.All())); err != nil {
		t.Fatal(err)
	}
	check := func(sql, want string) {
		t.Helper()
		if got := joinRows(query(t, db, sql)); got != want {
			t.Errorf("%s\n got %s\nwant %s", sql, strings.ReplaceAll(got, ";", "\n     "), strings.ReplaceAll(want, ";", "\n     "))
		}
	}
	check(`SELECT report_date, app_id, app_name, product_apple_id, product_name, product_type, subscription_group_name, units, proceeds
FROM revenue_by_app_and_product ORDER BY report_date, product_apple_id`,
		"2026-11-19,10,Café Übung,10,Café Übung,APP,<nil>,2,2.000000;"+
			"2026-11-19,10,Café Übung,11,Coin Pack,CONSUMABLE,<nil>,1,0.500000;"+
			"2026-11-19,20,Notes,21,Premium Monthly,SUBSCRIPTION,Premium,1,3.000000;"+
			"2026-11-19,<nil>,<nil>,99,<nil>,<nil>,<nil>,1,1.000000;"+
			"2026-11-23,10,Café Übung,10,Café Übung,APP,<nil>,2,2.000000;"+
			"2026-11-23,10,Café Übung,11,Coin Pack,CONSUMABLE,<nil>,1,0.500000;"+
			"2026-11-23,20,Notes,21,Premium Monthly,SUBSCRIPTION,Premium,1,3.000000;"+
			"2026-11-23,<nil>,<nil>,99,<nil>,<nil>,<nil>,1,1.000000;"+
			"2026-11-24,10,Café Übung – Deutsch lernen,10,Café Übung – Deutsch lernen,APP,<nil>,2,2.000000;"+
			"2026-11-24,10,Café Übung – Deutsch lernen,11,Coin Pack,CONSUMABLE,<nil>,1,0.500000;"+
			"2026-11-24,20,Notes,21,Premium Monthly,SUBSCRIPTION,Premium,1,3.000000;"+
			"2026-11-24,<nil>,<nil>,99,<nil>,<nil>,<nil>,1,1.000000")
	check(`SELECT app_id, app_name, month, territory, reviews, avg_rating, answered FROM reviews_by_app_name ORDER BY app_name`,
		"10,Café Übung,2026-11,DE,1,5,0;10,Café Übung – Deutsch lernen,2026-11,DE,1,1,1")
	check(`SELECT app_id, app_name, version_string, build_numbers, testflight_crashes, testflight_sessions, diagnostic_signatures FROM crashes_by_version`,
		"10,Café Übung – Deutsch lernen,1.2.0,41,42,3,15,0")
}
