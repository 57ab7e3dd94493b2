package pipeline

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
	"github.com/ascetl/etl/transform"
)

func catalogOnly(c *config.Config) {
	c.Sales.Enabled, c.Finance.Enabled, c.Reviews.Enabled, c.Metrics.Enabled = false, false, false, false
	c.Catalog.Enabled = true
}

// dimRows reads a dimension table's rows.
func (h *harness) dimRows(table string) (*schemas.Table, []transform.CatalogRow) {
	h.t.Helper()
	t, _ := schemas.Lookup(table)
	return t, h.catalogRows(t, "parquet/"+table+"/")
}

// catalogRows reads every object of a catalog table under prefix.
func (h *harness) catalogRows(t *schemas.Table, prefix string) []transform.CatalogRow {
	h.t.Helper()
	keys, err := h.store.List(context.Background(), prefix)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []transform.CatalogRow
	for _, k := range keys {
		tbl, err := h.store.ReadTable(context.Background(), k, h.alloc)
		if err != nil {
			h.t.Fatalf("%s: %v", k, err)
		}
		rows, err := transform.CatalogRows(t, tbl)
		tbl.Release()
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, rows...)
	}
	return out
}

func parquetOnly(snap map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range snap {
		if strings.HasPrefix(k, "parquet/") {
			out[k] = v
		}
	}
	return out
}

func sameSnap(a, b map[string]string) string {
	for k, v := range a {
		if b[k] != v {
			return k
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			return k
		}
	}
	return ""
}

// The dimensions equal the simulator's catalog; a re-run rewrites nothing; after the
// rename the app has both names, each valid over its own dates.
func TestCatalogDimensionsKeepHistory(t *testing.T) {
	h := newHarness(t, simulator.Options{}, catalogOnly)
	ctx := context.Background()
	sum := h.run(ctx)
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d: %v", code, sum.Failures)
	}
	truth := h.sim.TruthCatalog()
	at, apps := h.dimRows(schemas.DimAppsTable)
	if len(apps) != len(truth.Apps) {
		t.Fatalf("dim_apps has %d rows, the catalog %d apps", len(apps), len(truth.Apps))
	}
	byID := map[string]transform.CatalogRow{}
	for _, r := range apps {
		byID[r.Str(at, "app_id")] = r
	}
	for _, a := range truth.Apps {
		r, ok := byID[a.ID]
		if !ok || r.Str(at, "name") != a.Name || r.Str(at, "sku") != a.SKU || r.Str(at, "bundle_id") != a.BundleID ||
			r.Get(at, schemas.IsCurrent) != true || r.Get(at, schemas.ValidTo) != nil {
			t.Errorf("app %s: %v, truth %+v", a.ID, r.Vals, a)
		}
	}
	counts := map[string]int{
		schemas.DimAppVersionsTable: len(truth.Versions), schemas.DimBuildsTable: len(truth.Builds),
		schemas.DimInAppPurchaseTable: len(truth.IAPs), schemas.DimSubscriptionsTable: len(truth.Subscriptions),
	}
	for table, n := range counts {
		if _, rows := h.dimRows(table); len(rows) != n || n == 0 {
			t.Errorf("%s: %d rows, truth %d", table, len(rows), n)
		}
	}
	bt, builds := h.dimRows(schemas.DimBuildsTable)
	tb := map[string]simulator.TruthCatalogBuild{}
	for _, b := range truth.Builds {
		tb[b.ID] = b
	}
	for _, r := range builds {
		b := tb[r.Str(bt, "build_id")]
		if r.Str(bt, "version_string") != b.AppVersion || r.Str(bt, "build_number") != b.Number || r.Str(bt, "app_id") != b.AppID {
			t.Errorf("build %v, truth %+v", r.Vals, b)
		}
	}
	st, subs := h.dimRows(schemas.DimSubscriptionsTable)
	groups := map[string]string{}
	for _, g := range truth.Groups {
		groups[g.ID] = g.ReferenceName
	}
	for _, r := range subs {
		if g := r.Str(st, "subscription_group_id"); groups[g] == "" || r.Str(st, "subscription_group_name") != groups[g] {
			t.Errorf("subscription %v: group", r.Vals)
		}
	}

	// Same day again: nothing rewritten.
	before := parquetOnly(h.snapshot())
	sum = h.run(ctx)
	if k := sameSnap(before, parquetOnly(h.snapshot())); k != "" || sum.ExitCode() != ExitOK {
		t.Fatalf("re-run rewrote %s (exit %d %v)", k, sum.ExitCode(), sum.Failures)
	}
	if ts := sum.Tables[schemas.DimAppsTable]; ts == nil || ts.Unchanged != 1 {
		t.Errorf("summary: %+v", sum.Tables)
	}

	// Past the rename: the old name is closed, the new one current.
	h.clock.Set(simulator.RenameAt().Add(36 * time.Hour))
	sum = h.run(ctx)
	if sum.ExitCode() != ExitOK {
		t.Fatalf("exit %d: %v", sum.ExitCode(), sum.Failures)
	}
	oldName, newName := simulator.RenamedApp()
	_, apps = h.dimRows(schemas.DimAppsTable)
	var hist []string
	for _, r := range apps {
		if r.Str(at, "name") != oldName && r.Str(at, "name") != newName {
			continue
		}
		to := "open"
		if v, ok := r.Get(at, schemas.ValidTo).(time.Time); ok {
			to = v.Format("2006-01-02")
		}
		hist = append(hist, fmt.Sprintf("%s %s..%s %v", r.Str(at, "name"), r.Get(at, schemas.ValidFrom).(time.Time).Format("2006-01-02"), to, r.Get(at, schemas.IsCurrent)))
	}
	want := []string{oldName + " 2026-11-21..2026-11-24 false", newName + " 2026-11-24..open true"}
	if !slices.Equal(hist, want) {
		t.Errorf("rename history:\n got %q\nwant %q", hist, want)
	}
	if len(apps) != len(truth.Apps)+1 {
		t.Errorf("dim_apps: %d rows after the rename, want %d", len(apps), len(truth.Apps)+1)
	}
}

// idSets are the dimension ids the facts may name.
type idSets map[string]map[string]bool

func (h *harness) idSets() idSets {
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
		t, rows := h.dimRows(spec.table)
		for _, r := range rows {
			add(spec.set, r.Str(t, spec.col))
		}
	}
	return s
}

// factIDColumns maps the id columns of fact tables, by column name, to the dimension ids
// they must resolve to. Every table of schemas.All() is scanned for these names (analytics
// tables included, when they have them), plus the app_id partition key of any table.
var factIDColumns = map[string]string{
	"apple_identifier":               "product", // sales, pre-orders, finance: app, in-app purchase or subscription
	"sku":                            "sku",     // sales and finance detail: app SKU or product id
	"vendor_identifier":              "sku",     // finance_financial
	"parent_identifier":              "app_sku", // sales: the parent app's SKU
	"app_apple_id":                   "app",     // subscription reports
	"app_apple_identifier":           "app",     // analytics
	"subscription_apple_id":          "subscription",
	"previous_subscription_apple_id": "subscription",
	"subscription_group_id":          "group",
	"build_id":                       "build", // metrics, diagnostics, TestFlight build usage
	"app_id":                         "app",   // reviews, metrics, TestFlight, Xcode Cloud (partition key)
	"version":                        "version",
}

// Every id in every fact table resolves to a dimension row: sales, finance, reviews,
// metrics with diagnostics (and analytics when present), after one run that discovered the
// apps itself.
func TestCatalogNoOrphans(t *testing.T) {
	h := newHarness(t, simulator.Options{}, func(c *config.Config) {
		c.Reviews.Enabled, c.Metrics.Enabled, c.Catalog.Enabled = true, true, true
		c.Finance.Regions = []string{"ZZ"}
		c.Metrics.Builds, c.Metrics.Diagnostics = 2, true
	})
	ctx := context.Background()
	sum := h.run(ctx)
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d: %v", code, sum.Failures)
	}
	ids := h.idSets()
	checked := map[string]int{}
	for _, tb := range schemas.All() {
		if strings.HasPrefix(tb.Name, "dim_") {
			continue
		}
		keys, err := h.store.List(ctx, "parquet/"+tb.Name+"/")
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range keys {
			// Partition keys first (app_id=…).
			for _, part := range strings.Split(key, "/") {
				if v, ok := strings.CutPrefix(part, "app_id="); ok {
					checked[tb.Name+".app_id"]++
					if !ids["app"][v] {
						t.Errorf("%s: app_id %s has no dim_apps row", key, v)
					}
				}
			}
			tbl, err := h.store.ReadTable(ctx, key, h.alloc)
			if err != nil {
				t.Fatal(err)
			}
			h.checkIDs(t, tb.Name, key, tbl, ids, checked)
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
		"customer_reviews.app_id", "perf_metrics.build_id", "perf_metrics.version", "diagnostic_signatures.build_id"} {
		if checked[must] == 0 {
			t.Errorf("no value of %s was checked", must)
		}
	}
}

func (h *harness) checkIDs(t *testing.T, table, key string, tbl arrow.Table, ids idSets, checked map[string]int) {
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

// TestFlight and Xcode Cloud load what the simulator serves; re-runs duplicate nothing.
func TestTestFlightAndXcodeCloud(t *testing.T) {
	h := newHarness(t, simulator.Options{}, func(c *config.Config) {
		catalogOnly(c)
		c.TestFlight.Enabled, c.XcodeCloud.Enabled = true, true
		c.TestFlight.Builds, c.XcodeCloud.Runs = 2, 4
	})
	ctx := context.Background()
	sum := h.run(ctx)
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d: %v", code, sum.Failures)
	}
	tu, _ := schemas.Lookup(schemas.TestFlightTesterUsageTable)
	usage := h.catalogRows(tu, "parquet/"+tu.Name+"/")
	var sessions, truthSessions, rows int
	live := 0
	for _, a := range h.sim.TruthCatalog().Apps {
		if !a.Live {
			continue
		}
		live++
		days, err := h.sim.TruthBetaTesterUsages(a.ID, "P30D")
		if err != nil {
			t.Fatal(err)
		}
		rows += len(days)
		for _, d := range days {
			truthSessions += d.Sessions
		}
	}
	seen := map[string]bool{}
	for _, r := range usage {
		sessions += int(r.Get(tu, "session_count").(int64))
		if seen[r.Str(tu, "usage_key")] {
			t.Errorf("duplicate %s", r.Str(tu, "usage_key"))
		}
		seen[r.Str(tu, "usage_key")] = true
	}
	if len(usage) != rows || sessions != truthSessions || rows == 0 {
		t.Errorf("tester usage: %d rows %d sessions; truth %d rows %d sessions", len(usage), sessions, rows, truthSessions)
	}
	bu, _ := schemas.Lookup(schemas.TestFlightBuildUsageTable)
	buildUsage := h.catalogRows(bu, "parquet/"+bu.Name+"/")
	perBuild := map[string]int{}
	for _, r := range buildUsage {
		perBuild[r.Str(bu, "build_id")] += int(r.Get(bu, "install_count").(int64))
	}
	if len(perBuild) == 0 || len(perBuild) > 2*live {
		t.Errorf("build usage for %d builds", len(perBuild))
	}
	for b, n := range perBuild {
		days, err := h.sim.TruthBetaBuildUsages(b)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, d := range days {
			want += d.Installs
		}
		if n != want {
			t.Errorf("build %s: %d installs, truth %d", b, n, want)
		}
	}

	rt, _ := schemas.Lookup(schemas.XcodeCloudRunsTable)
	ct, _ := schemas.Lookup(schemas.XcodeCloudActionsTable)
	runs := h.catalogRows(rt, "parquet/"+rt.Name+"/")
	actions := h.catalogRows(ct, "parquet/"+ct.Name+"/")
	xc := h.sim.TruthXcodeCloud()
	truthRuns := map[string]simulator.TruthCIRun{}
	for _, r := range xc.Runs {
		truthRuns[r.ID] = r
	}
	actionErrors := map[string]int64{}
	for _, a := range actions {
		v, _ := a.Get(ct, "errors").(int64)
		actionErrors[a.Str(ct, "build_run_id")] += v
	}
	if len(runs) == 0 || len(runs) > 4*live || len(actions) < len(runs) {
		t.Fatalf("%d runs, %d actions", len(runs), len(actions))
	}
	for _, r := range runs {
		tr, ok := truthRuns[r.Str(rt, "build_run_id")]
		errs, _ := r.Get(rt, "errors").(int64)
		if !ok || errs != int64(tr.Errors) || actionErrors[tr.ID] != errs || r.Str(rt, "execution_progress") != tr.Progress {
			t.Errorf("run %v: truth %+v, actions' errors %d", r.Vals, tr, actionErrors[tr.ID])
		}
	}

	// Same clock: nothing rewritten. A day later: no duplicate rows.
	before := parquetOnly(h.snapshot())
	if sum := h.run(ctx); sum.ExitCode() != ExitOK {
		t.Fatalf("re-run: %v", sum.Failures)
	}
	if k := sameSnap(before, parquetOnly(h.snapshot())); k != "" {
		t.Errorf("re-run rewrote %s", k)
	}
	h.clock.Add(24 * time.Hour)
	if sum := h.run(ctx); sum.ExitCode() != ExitOK {
		t.Fatalf("next day: %v", sum.Failures)
	}
	usage = h.catalogRows(tu, "parquet/"+tu.Name+"/")
	seen = map[string]bool{}
	for _, r := range usage {
		if seen[r.Str(tu, "usage_key")] {
			t.Errorf("duplicate %s after the next day's run", r.Str(tu, "usage_key"))
		}
		seen[r.Str(tu, "usage_key")] = true
	}
	if len(usage) <= rows {
		t.Errorf("next day: %d usage rows, was %d", len(usage), rows)
	}
	runIDs := map[string]bool{}
	for _, r := range h.catalogRows(rt, "parquet/"+rt.Name+"/") {
		if runIDs[r.Str(rt, "build_run_id")] {
			t.Errorf("duplicate run %s", r.Str(rt, "build_run_id"))
		}
		runIDs[r.Str(rt, "build_run_id")] = true
	}
}

// With no apps configured, reviews and metrics run for the apps discovered on sale, with
// one listing per run; configured apps are used as they are.
func TestAppDiscovery(t *testing.T) {
	h := newHarness(t, simulator.Options{}, func(c *config.Config) {
		c.Sales.Enabled, c.Finance.Enabled, c.Reviews.Enabled, c.Metrics.Enabled = false, false, true, true
		c.Metrics.Builds = 0
	})
	ctx := context.Background()
	sum := h.run(ctx)
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d: %v", code, sum.Failures)
	}
	got, err := h.store.List(ctx, "_etl/state/reviews/")
	if err != nil {
		t.Fatal(err)
	}
	want := h.sim.AppIDs()
	if len(got) != len(want) {
		t.Fatalf("reviews state for %d apps, want %d: %v", len(got), len(want), got)
	}
	for _, a := range want {
		if ok, _ := h.store.Exists(ctx, reviewStateKey(a)); !ok {
			t.Errorf("app %s: no reviews loaded", a)
		}
		if keys, _ := h.store.List(ctx, "parquet/perf_metrics/app_id="+a+"/"); len(keys) != 1 {
			t.Errorf("app %s: metrics %v", a, keys)
		}
	}
	p := h.pipeline()
	s1 := newSummary(start)
	first, err := p.appIDs(ctx, s1, nil)
	if err != nil || !slices.Equal(first, want) {
		t.Fatalf("appIDs = %v, %v", first, err)
	}
	n := h.sim.Stats().Requests
	if again, _ := p.appIDs(ctx, s1, nil); !slices.Equal(again, want) || h.sim.Stats().Requests != n {
		t.Errorf("second call in the same run listed the apps again")
	}
	if got, _ := p.appIDs(ctx, s1, []string{"123"}); !slices.Equal(got, []string{"123"}) {
		t.Errorf("configured apps: %v", got)
	}
}
