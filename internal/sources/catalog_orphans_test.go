package sources_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/schemas"
)

// idSets are the dimension ids the facts may name.
type idSets map[string]map[string]bool

func dimIDs(h *enginetest.Harness) idSets {
	s := idSets{}
	add := func(set, v string) {
		if s[set] == nil {
			s[set] = map[string]bool{}
		}
		if v != "" {
			s[set][v] = true
		}
	}
	for _, spec := range []struct{ table, col, set string }{
		{schemas.DimAppsTable, "app_id", "app"}, {schemas.DimAppsTable, "sku", "sku"}, {schemas.DimAppsTable, "sku", "app_sku"},
		{schemas.DimAppsTable, "app_id", "product"},
		{schemas.DimInAppPurchaseTable, "in_app_purchase_id", "product"}, {schemas.DimInAppPurchaseTable, "product_id", "sku"},
		{schemas.DimSubscriptionsTable, "subscription_id", "product"}, {schemas.DimSubscriptionsTable, "product_id", "sku"},
		{schemas.DimSubscriptionsTable, "subscription_id", "subscription"},
		{schemas.DimSubscriptionsTable, "subscription_group_id", "group"},
		{schemas.DimBuildsTable, "build_id", "build"}, {schemas.DimBuildsTable, "version_string", "version"},
		{schemas.DimAppVersionsTable, "version_string", "version"}, {schemas.DimAppVersionsTable, "app_store_version_id", "app_store_version"},
	} {
		t, rows := tableRows(h, spec.table)
		for _, r := range rows {
			add(spec.set, r.Str(t, spec.col))
		}
	}
	return s
}

// factIDColumns maps the id columns of fact tables, by column name, to the dimension ids
// they must resolve to; the app_id partition key of any table is checked too.
var factIDColumns = map[string]string{
	"apple_identifier":               "product", // sales, pre-orders, finance: app, in-app purchase or subscription
	"sku":                            "sku",     // sales and finance detail: app SKU or product id
	"vendor_identifier":              "sku",     // finance_financial
	"parent_identifier":              "app_sku", // sales: the parent app's SKU
	"app_apple_id":                   "app",     // subscription reports
	"subscription_apple_id":          "subscription",
	"previous_subscription_apple_id": "subscription",
	"subscription_group_id":          "group",
	"build_id":                       "build", // TestFlight build usage
	"version":                        "version",
}

// Every id in every fact table the ported families load (sales, finance, TestFlight,
// Xcode Cloud) resolves to a dimension row, after one run that discovered the apps
// itself. (Reviews, metrics and analytics join the check with their Sources.)
func TestCatalogNoOrphans(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{Config: func(c *config.Config) {
		c.Sales.Enabled, c.Finance.Enabled, c.Catalog.Enabled = true, true, true
		c.TestFlight.Enabled, c.XcodeCloud.Enabled = true, true
		c.Finance.Regions = []string{"ZZ"}
		c.Sales.InitialDays = 2
		c.TestFlight.Builds, c.XcodeCloud.Runs = 2, 4
	}, Sources: sourcesNew})
	ctx := context.Background()
	h.RunOK(ctx)
	ids := dimIDs(h)
	checked := map[string]int{}
	for _, tb := range schemas.All() {
		if strings.HasPrefix(tb.Name, "dim_") {
			continue
		}
		keys, err := h.Store.List(ctx, "parquet/"+tb.Name+"/")
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range keys {
			for _, part := range strings.Split(key, "/") {
				if v, ok := strings.CutPrefix(part, "app_id="); ok {
					checked[tb.Name+".app_id"]++
					if !ids["app"][v] {
						t.Errorf("%s: app_id %s has no dim_apps row", key, v)
					}
				}
			}
			tbl, err := h.Store.ReadTable(ctx, key, h.Alloc)
			if err != nil {
				t.Fatal(err)
			}
			checkIDs(t, tb.Name, key, tbl, ids, checked)
			tbl.Release()
		}
	}
	var names []string
	for k := range checked {
		names = append(names, k)
	}
	sort.Strings(names)
	t.Logf("checked: %v", names)
	for _, must := range []string{"sales_summary_daily.apple_identifier", "sales_summary_daily.sku", "sales_summary_daily.parent_identifier",
		"subscription_summary_daily.subscription_apple_id", "subscription_event_summary_daily.subscription_group_id",
		"pre_order_summary_daily.apple_identifier", "finance_financial.vendor_identifier", "finance_detail.apple_identifier",
		"testflight_build_usage.build_id", "testflight_beta_tester_usage.app_id", "xcode_cloud_build_runs.app_id"} {
		if checked[must] == 0 {
			t.Errorf("no value of %s was checked", must)
		}
	}
}

func checkIDs(t *testing.T, table, key string, tbl arrow.Table, ids idSets, checked map[string]int) {
	t.Helper()
	for i, f := range tbl.Schema().Fields() {
		set, ok := factIDColumns[f.Name]
		if !ok {
			continue
		}
		for _, chunk := range tbl.Column(i).Data().Chunks() {
			c, ok := chunk.(*array.String)
			if !ok {
				t.Fatalf("%s: %s is %s", key, f.Name, chunk.DataType())
			}
			for j := 0; j < c.Len(); j++ {
				v := strings.TrimSpace(c.Value(j))
				if c.IsNull(j) || v == "" {
					continue
				}
				checked[table+"."+f.Name]++
				if !ids[set][v] {
					t.Errorf("%s row %d: %s %q resolves to no dimension row (%s)", key, j+1, f.Name, v, set)
					return
				}
			}
		}
	}
}
