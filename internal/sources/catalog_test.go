package sources_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
	"github.com/ascetl/etl/transform"
)

func catalogHarness(t *testing.T, more func(*config.Config)) *enginetest.Harness {
	return enginetest.New(t, enginetest.Options{Config: enginetest.Family(report.Catalog, more), Sources: sourcesNew})
}

func TestConformanceCatalog(t *testing.T) {
	enginetest.RunConformanceTests(t, enginetest.Case{
		Family:  report.Catalog,
		Options: enginetest.Options{Config: enginetest.Family(report.Catalog, nil), Sources: sourcesNew},
		Corrupt: corruptValues,
	})
}

// The dimensions equal the simulator's catalog; a re-run rewrites nothing; after the
// rename the app has both names, each valid over its own dates.
func TestCatalogDimensionsKeepHistory(t *testing.T) {
	h := catalogHarness(t, nil)
	ctx := context.Background()
	h.RunOK(ctx)
	truth := h.Sim.TruthCatalog()
	at, apps := tableRows(h, schemas.DimAppsTable)
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
		if _, rows := tableRows(h, table); len(rows) != n || n == 0 {
			t.Errorf("%s: %d rows, truth %d", table, len(rows), n)
		}
	}
	bt, builds := tableRows(h, schemas.DimBuildsTable)
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
	st, subs := tableRows(h, schemas.DimSubscriptionsTable)
	groups := map[string]string{}
	for _, g := range truth.Groups {
		groups[g.ID] = g.ReferenceName
	}
	for _, r := range subs {
		if g := r.Str(st, "subscription_group_id"); groups[g] == "" || r.Str(st, "subscription_group_name") != groups[g] {
			t.Errorf("subscription %v: group", r.Vals)
		}
	}

	// Same day again: nothing rewritten, nothing archived.
	before := h.Snapshot("")
	sum := h.RunOK(ctx)
	sameObjects(t, "re-run", before, h.Snapshot(""))
	if ts := sum.Tables["dimensions"]; ts == nil || ts.Unchanged != 1 {
		t.Errorf("summary: %+v", sum.Tables)
	}

	// Past the rename: the old name is closed, the new one current.
	h.Clock.Set(simulator.RenameAt().Add(36 * time.Hour))
	h.RunOK(ctx)
	oldName, newName := simulator.RenamedApp()
	_, apps = tableRows(h, schemas.DimAppsTable)
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
	// The two days are two units, each loaded from its own version.
	if es := h.Entries("catalog/"); len(es) != 2 || es[0].State != load.Loaded || es[1].State != load.Loaded {
		t.Errorf("ledger: %+v", es)
	}
}

// With catalog.apps, only those apps are read, and only their rows are closed when they
// disappear: the rows of other apps stay as they are.
func TestCatalogConfiguredApps(t *testing.T) {
	h := catalogHarness(t, nil)
	ctx := context.Background()
	h.RunOK(ctx)
	all := h.Sim.AppIDs()
	if len(all) < 2 {
		t.Fatalf("simulator has %d live apps", len(all))
	}
	keep := all[:1]
	h.Cfg.Catalog.Apps = keep
	h.Clock.Add(24 * time.Hour)
	h.RunOK(ctx)
	at, apps := tableRows(h, schemas.DimAppsTable)
	it, iaps := tableRows(h, schemas.DimInAppPurchaseTable)
	for _, x := range []struct {
		t    *schemas.Table
		rows []transform.CatalogRow
	}{{at, apps}, {it, iaps}} {
		for _, r := range x.rows {
			if r.Get(x.t, schemas.IsCurrent) != true {
				t.Errorf("%s: %v closed, though apps outside catalog.apps are not read", x.t.Name, r.Vals)
			}
		}
	}
	// The second unit says which apps it covered.
	es := h.Entries("catalog/")
	if len(es) != 2 || es[1].Cursor != `{"apps":["`+keep[0]+`"]}` {
		t.Fatalf("ledger cursor: %+v", es)
	}
	if es[1].Rows == 0 || es[1].Rows >= es[0].Rows {
		t.Errorf("the snapshot of one app has %d rows, of every app %d", es[1].Rows, es[0].Rows)
	}
}

// A list that fails fails the unit and keeps the stored dimensions; a past day's unit
// left failed is expired, not fetched; the next day loads again.
func TestCatalogFailureKeepsDimensions(t *testing.T) {
	h := catalogHarness(t, nil)
	ctx := context.Background()
	h.RunOK(ctx)
	before := h.Snapshot("parquet/")
	h.Clock.Add(24 * time.Hour)
	h.API = failing("/subscriptionGroups")
	sum := h.Run(ctx)
	if sum.ExitCode() != engine.ExitFailed || len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0], "subscriptionGroups") {
		t.Fatalf("exit %d, failures %v", sum.ExitCode(), sum.Failures)
	}
	sameObjects(t, "failed snapshot", before, h.Snapshot("parquet/"))
	h.API = nil
	h.Clock.Add(24 * time.Hour)
	sum = h.RunOK(ctx)
	if ts := sum.Tables["dimensions"]; ts == nil || ts.Expired != 1 || ts.Loaded != 1 {
		t.Errorf("summary: %+v", ts)
	}
	states := map[string]load.State{}
	for _, e := range h.Entries("catalog/") {
		states[e.Unit.Period] = e.State
	}
	if states["2026-11-22"] != load.Expired || states["2026-11-23"] != load.Loaded {
		t.Errorf("ledger: %v", states)
	}
}

// A bad document names the payload and the field.
func TestCatalogBadDocument(t *testing.T) {
	h := catalogHarness(t, nil)
	h.API = corruptValues
	sum := h.Run(context.Background())
	if sum.ExitCode() != engine.ExitFailed || len(sum.Failures) != 1 {
		t.Fatalf("exit %d, failures %v", sum.ExitCode(), sum.Failures)
	}
	if f := sum.Failures[0]; !strings.Contains(f, "/app-") || !strings.Contains(f, "-builds.json.gz: field data[0].attributes.") {
		t.Errorf("failure %q does not name the payload and the field", f)
	}
	if keys, _ := h.Store.List(context.Background(), "parquet/"); len(keys) != 0 {
		t.Errorf("a snapshot that does not parse loaded %v", keys)
	}
}
