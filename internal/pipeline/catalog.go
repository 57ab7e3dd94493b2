package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// discovery caches the app ids listed from GET /v1/apps, once per run (per Summary).
type discovery struct {
	run  *Summary
	apps []string
	err  error
}

// appIDs returns configured when it is not empty, else the apps the key can see that
// have a version on the App Store (GET /v1/apps?filter[appStoreVersions.appStoreState]=
// READY_FOR_SALE, every page), listed once per run. Apps only known to the sales reports
// (pre-orders, removed apps) have no reviews, metrics or analytics, hence the filter; the
// dimensions read every app. A failed listing is recorded once in the run summary (table
// app_discovery) and returned, so callers skip their family for this run.
func (p *Pipeline) appIDs(ctx context.Context, sum *Summary, configured []string) ([]string, error) {
	if len(configured) > 0 {
		return configured, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.discovered.run == sum {
		return p.discovered.apps, p.discovered.err
	}
	var apps []string
	err := p.listAll(ctx, "/v1/apps", url.Values{"filter[appStoreVersions.appStoreState]": {"READY_FOR_SALE"}, "limit": {"200"}},
		"", func(doc *transform.Document) error {
			for _, r := range doc.Data {
				if !report.ValidVendor(r.ID) {
					return fmt.Errorf("GET /v1/apps: app id %q is not an App Apple ID", r.ID)
				}
				apps = append(apps, r.ID)
			}
			return nil
		})
	if err != nil {
		err = fmt.Errorf("app discovery: %w", err)
		u := report.Unit{Family: report.Catalog, Type: "APP_DISCOVERY", Vendor: p.Cfg.VendorNumber, Period: p.day()}
		sum.Planned++
		sum.add(outcome{Unit: u, State: load.Failed, Err: err})
		apps = nil
	} else {
		p.log().Info("apps discovered", "apps", len(apps))
	}
	p.discovered = discovery{run: sum, apps: apps, err: err}
	return apps, err
}

// day is the run's snapshot date (UTC).
func (p *Pipeline) day() string { return p.now().UTC().Format("2006-01-02") }

// listAll GETs target and every links.next page, archiving each page under rawPrefix
// (page-00001.json.gz, …) when rawPrefix is not "", and hands each decoded page to fn.
func (p *Pipeline) listAll(ctx context.Context, target string, q url.Values, rawPrefix string, fn func(*transform.Document) error) error {
	for page := 1; target != ""; page++ {
		data, err := p.API.GetJSON(ctx, target, q)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("GET %s page %d", target, page)
		if rawPrefix != "" {
			key = fmt.Sprintf("%spage-%05d.json.gz", rawPrefix, page)
			if err := p.putRawBytes(ctx, key, data); err != nil {
				return err
			}
		}
		doc, err := transform.DecodeDocument(key, data)
		if err != nil {
			return err
		}
		if err := fn(doc); err != nil {
			return err
		}
		target, q = doc.Next, nil
		if page >= 1000 {
			return fmt.Errorf("GET %s: more than 1000 pages", target)
		}
	}
	return nil
}

// isNotFound reports whether err is the API's 404.
func isNotFound(err error) bool { return isStatus(err, http.StatusNotFound) }

// runCatalog snapshots the dimension tables and then, when enabled, the TestFlight and
// Xcode Cloud families.
func (p *Pipeline) runCatalog(ctx context.Context, sum *Summary) error {
	snap, err := p.runDims(ctx, sum)
	if err != nil {
		return err
	}
	if p.Cfg.TestFlight.Enabled && ctx.Err() == nil {
		if err := p.runTestFlight(ctx, sum, snap); err != nil {
			return err
		}
	}
	if p.Cfg.XcodeCloud.Enabled && ctx.Err() == nil {
		if err := p.runXcodeCloud(ctx, sum, snap); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// catalogSnapshot is what one run read of the catalog.
type catalogSnapshot struct {
	day      time.Time
	apps     []string            // every app read (App Apple IDs), in listing order
	complete map[string]bool     // apps whose lists were all read without error
	builds   map[string][]string // app -> build ids, newest first
	rows     map[string][]transform.CatalogRow
}

// runDims reads the catalog of every app and merges it into the dim_* tables (see
// transform.MergeSCD). An app whose lists fail is reported and its stored rows are kept
// as they are; the other apps still load.
func (p *Pipeline) runDims(ctx context.Context, sum *Summary) (*catalogSnapshot, error) {
	now := p.now().UTC()
	snap := &catalogSnapshot{day: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC),
		complete: map[string]bool{}, builds: map[string][]string{}, rows: map[string][]transform.CatalogRow{}}
	day := p.day()
	vendor := p.Cfg.VendorNumber
	fail := func(typ string, err error) {
		u := report.Unit{Family: report.Catalog, Type: typ, Vendor: vendor, Period: day}
		sum.Planned++
		sum.add(outcome{Unit: u, State: load.Failed, Err: err})
		p.log().Warn("catalog", "report", u.Table(), "err", err.Error())
	}

	appsT, _ := schemas.Lookup(schemas.DimAppsTable)
	q := url.Values{"limit": {"200"}}
	if len(p.Cfg.Catalog.Apps) > 0 {
		q.Set("filter[id]", strings.Join(p.Cfg.Catalog.Apps, ","))
	}
	err := p.listAll(ctx, "/v1/apps", q, fmt.Sprintf("raw/catalog/apps/vendor=%s/%s/", vendor, day), func(doc *transform.Document) error {
		for i := range doc.Data {
			r, err := transform.ResourceRow(appsT, doc, &doc.Data[i], now)
			if err != nil {
				return err
			}
			if !report.ValidVendor(doc.Data[i].ID) {
				return fmt.Errorf("%s: data[%d].id %q is not an App Apple ID", doc.Key, i, doc.Data[i].ID)
			}
			snap.apps = append(snap.apps, doc.Data[i].ID)
			snap.rows[schemas.DimAppsTable] = append(snap.rows[schemas.DimAppsTable], r)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		fail("DIM_APPS", fmt.Errorf("apps: %w", err))
		return snap, nil // nothing to merge: stored dimensions stay as they are
	}
	for _, app := range snap.apps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := p.appCatalog(ctx, app, snap, now); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			fail("DIM_APPS", fmt.Errorf("catalog of app %s: %w", app, err))
			continue
		}
		snap.complete[app] = true
	}
	listed := map[string]bool{}
	for _, a := range snap.apps {
		listed[a] = true
	}
	for _, table := range schemas.DimTables() {
		t, _ := schemas.Lookup(table)
		closeAbsent := func(r transform.CatalogRow) bool {
			switch table {
			case schemas.DimAppsTable: // the listing covers every app, or the configured ones
				return len(p.Cfg.Catalog.Apps) == 0 || slices.Contains(p.Cfg.Catalog.Apps, r.Str(t, "app_id"))
			case schemas.DimInAppPurchaseTable, schemas.DimSubscriptionsTable: // complete lists per app
				return snap.complete[r.Str(t, "app_id")] || (len(p.Cfg.Catalog.Apps) == 0 && !listed[r.Str(t, "app_id")])
			}
			return false // versions and builds: only the newest are read
		}
		o := p.mergeDim(ctx, t, snap, closeAbsent)
		sum.Planned++
		sum.add(o)
		if o.Err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		p.log().Info("unit", "family", report.Catalog, "report", table, "period", day, "state", o.State,
			"rows", o.Rows, "unchanged", o.Unchanged)
	}
	return snap, nil
}

// appCatalog reads one app's versions, builds, in-app purchases and subscriptions into
// snap. Nothing is added for the app unless every list was read.
func (p *Pipeline) appCatalog(ctx context.Context, app string, snap *catalogSnapshot, at time.Time) error {
	raw := func(name string) string {
		return fmt.Sprintf("raw/catalog/%s/app_id=%s/%s/", name, app, snap.day.Format("2006-01-02"))
	}
	rows := map[string][]transform.CatalogRow{}
	var builds []string
	tbl := func(name string) *schemas.Table { t, _ := schemas.Lookup(name); return t }

	// App Store versions, newest first: one page of catalog.versions.
	vt := tbl(schemas.DimAppVersionsTable)
	data, err := p.API.GetJSON(ctx, "/v1/apps/"+app+"/appStoreVersions", url.Values{"limit": {strconv.Itoa(p.Cfg.Catalog.Versions)}})
	if err != nil {
		return fmt.Errorf("appStoreVersions: %w", err)
	}
	if err := p.decodeRows(ctx, raw("app_store_versions")+"page-00001.json.gz", data, vt, at, func(r *transform.CatalogRow, _ *transform.Resource, _ *transform.Document) error {
		r.Set(vt, "app_id", app)
		rows[vt.Name] = append(rows[vt.Name], *r)
		return nil
	}); err != nil {
		return err
	}

	// Builds, newest first, with their app version (preReleaseVersion).
	bt := tbl(schemas.DimBuildsTable)
	data, err = p.API.GetJSON(ctx, "/v1/builds", url.Values{"filter[app]": {app}, "sort": {"-uploadedDate"},
		"include": {"preReleaseVersion"}, "limit": {strconv.Itoa(p.Cfg.Catalog.Builds)}})
	if err != nil {
		return fmt.Errorf("builds: %w", err)
	}
	if err := p.decodeRows(ctx, raw("builds")+"page-00001.json.gz", data, bt, at, func(r *transform.CatalogRow, res *transform.Resource, doc *transform.Document) error {
		if r.Get(bt, "app_id") == nil {
			r.Set(bt, "app_id", app)
		}
		pr, ok, err := res.Related(doc.Key, "preReleaseVersion")
		if err != nil {
			return err
		}
		if inc, found := doc.Find("preReleaseVersions", pr); ok && found {
			for col, attr := range map[string]string{"version_string": "version", "platform": "platform"} {
				v, err := inc.Attr(doc.Key, attr)
				if err != nil {
					return err
				}
				if v != nil {
					r.Set(bt, col, *v)
				}
			}
		}
		builds = append(builds, res.ID)
		rows[bt.Name] = append(rows[bt.Name], *r)
		return nil
	}); err != nil {
		return err
	}

	// In-app purchases: every page.
	it := tbl(schemas.DimInAppPurchaseTable)
	if err := p.listRows(ctx, "/v1/apps/"+app+"/inAppPurchasesV2", raw("in_app_purchases"), it, at, func(r *transform.CatalogRow, _ *transform.Resource, _ *transform.Document) error {
		r.Set(it, "app_id", app)
		rows[it.Name] = append(rows[it.Name], *r)
		return nil
	}); err != nil {
		return fmt.Errorf("inAppPurchasesV2: %w", err)
	}

	// Subscription groups, then each group's subscriptions: every page.
	type group struct{ id, name string }
	var groups []group
	err = p.listAll(ctx, "/v1/apps/"+app+"/subscriptionGroups", url.Values{"limit": {"200"}}, raw("subscription_groups"), func(doc *transform.Document) error {
		for i := range doc.Data {
			name, err := doc.Data[i].Attr(doc.Key, "referenceName")
			if err != nil {
				return err
			}
			g := group{id: doc.Data[i].ID}
			if name != nil {
				g.name = *name
			}
			groups = append(groups, g)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("subscriptionGroups: %w", err)
	}
	st := tbl(schemas.DimSubscriptionsTable)
	for _, g := range groups {
		err := p.listRows(ctx, "/v1/subscriptionGroups/"+url.PathEscape(g.id)+"/subscriptions", raw("subscriptions/group="+safeName(g.id)), st, at,
			func(r *transform.CatalogRow, _ *transform.Resource, _ *transform.Document) error {
				r.Set(st, "app_id", app)
				if r.Get(st, "subscription_group_id") == nil {
					r.Set(st, "subscription_group_id", g.id)
				}
				r.Set(st, "subscription_group_name", g.name)
				rows[st.Name] = append(rows[st.Name], *r)
				return nil
			})
		if err != nil {
			return fmt.Errorf("subscriptions of group %s: %w", g.id, err)
		}
	}
	for k, v := range rows {
		snap.rows[k] = append(snap.rows[k], v...)
	}
	snap.builds[app] = builds
	return nil
}

type rowFunc func(r *transform.CatalogRow, res *transform.Resource, doc *transform.Document) error

// decodeRows archives one document under key and calls fn with a row of t per resource.
func (p *Pipeline) decodeRows(ctx context.Context, key string, data []byte, t *schemas.Table, at time.Time, fn rowFunc) error {
	if err := p.putRawBytes(ctx, key, data); err != nil {
		return err
	}
	doc, err := transform.DecodeDocument(key, data)
	if err != nil {
		return err
	}
	return rowsOf(doc, t, at, fn)
}

// listRows is listAll calling fn with a row of t per resource.
func (p *Pipeline) listRows(ctx context.Context, target, rawPrefix string, t *schemas.Table, at time.Time, fn rowFunc) error {
	return p.listAll(ctx, target, url.Values{"limit": {"200"}}, rawPrefix, func(doc *transform.Document) error {
		return rowsOf(doc, t, at, fn)
	})
}

func rowsOf(doc *transform.Document, t *schemas.Table, at time.Time, fn rowFunc) error {
	for i := range doc.Data {
		r, err := transform.ResourceRow(t, doc, &doc.Data[i], at)
		if err != nil {
			return err
		}
		if err := fn(&r, &doc.Data[i], doc); err != nil {
			return err
		}
	}
	return nil
}

// mergeDim merges today's snapshot rows of one dimension into its object
// (parquet/<table>/vendor=<n>/data.parquet).
func (p *Pipeline) mergeDim(ctx context.Context, t *schemas.Table, snap *catalogSnapshot, closeAbsent func(transform.CatalogRow) bool) outcome {
	u := report.Unit{Family: report.Catalog, Type: t.Type, Vendor: p.Cfg.VendorNumber, Period: p.day()}
	key := load.ParquetKey(t.Name, "vendor="+p.Cfg.VendorNumber)
	info, err := p.mergeCatalogObject(ctx, t, key, func(stored []transform.CatalogRow) []transform.CatalogRow {
		rows, _ := transform.MergeSCD(t, stored, snap.rows[t.Name], snap.day, closeAbsent)
		return rows
	})
	if err != nil {
		return outcome{Unit: u, State: load.Failed, Err: err}
	}
	return outcome{Unit: u, State: load.Loaded, Rows: info.Rows, Bytes: info.Bytes, Unchanged: info.Unchanged}
}

// mergeCatalogObject reads the rows stored at key (none if absent), lets merge compute the
// new rows and writes them back with MergeParquet, which leaves the object untouched when
// the result is identical. The table's first column is the merge key.
func (p *Pipeline) mergeCatalogObject(ctx context.Context, t *schemas.Table, key string, merge func([]transform.CatalogRow) []transform.CatalogRow) (load.MergeInfo, error) {
	var stored []transform.CatalogRow
	ok, err := p.Store.Exists(ctx, key)
	if err != nil {
		return load.MergeInfo{}, err
	}
	if ok {
		tbl, err := p.Store.ReadTable(ctx, key, p.alloc())
		if err != nil {
			return load.MergeInfo{}, err
		}
		stored, err = transform.CatalogRows(t, tbl)
		tbl.Release()
		if err != nil {
			return load.MergeInfo{}, fmt.Errorf("%s: %w", key, err)
		}
	}
	rows := merge(stored)
	rec, err := transform.CatalogRecord(p.alloc(), t, rows)
	if err != nil {
		return load.MergeInfo{}, err
	}
	defer rec.Release()
	keyCol := t.Columns[0].Name
	replace := make([]string, 0, len(stored))
	for _, r := range stored {
		if s, ok := r.Vals[0].(string); ok {
			replace = append(replace, s)
		}
	}
	sort.Strings(replace)
	return p.Store.MergeParquet(ctx, key, keyCol, replace, rec, load.ParquetOptions{Alloc: p.alloc()})
}
