package pipeline

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// partRows groups rows by their (app_id, month) partition.
type partRows map[[2]string][]transform.CatalogRow

func (pr partRows) add(app, month string, r transform.CatalogRow) {
	k := [2]string{app, month}
	pr[k] = append(pr[k], r)
}

// mergeParts merges each partition's fresh rows into its object by the table's key
// (transform.MergeByKey), recording one outcome per partition.
func (p *Pipeline) mergeParts(ctx context.Context, sum *Summary, t *schemas.Table, parts partRows) {
	keys := make([][2]string, 0, len(parts))
	for k := range parts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"/"+keys[i][1] < keys[j][0]+"/"+keys[j][1] })
	for _, k := range keys {
		u := report.Unit{Family: report.Catalog, Type: t.Type, Vendor: k[0], Period: k[1]}
		key := load.ParquetKey(t.Name, "app_id="+k[0]+"/month="+k[1])
		info, err := p.mergeCatalogObject(ctx, t, key, func(stored []transform.CatalogRow) []transform.CatalogRow {
			return transform.MergeByKey(t, stored, parts[k], t.Columns[0].Name)
		})
		o := outcome{Unit: u, State: load.Loaded, Rows: info.Rows, Bytes: info.Bytes, Unchanged: info.Unchanged}
		if err != nil {
			o = outcome{Unit: u, State: load.Failed, Err: err}
		}
		sum.Planned++
		sum.add(o)
		p.log().Info("unit", "family", report.Catalog, "report", t.Name, "period", k[1], "app", k[0], "state", o.State, "rows", o.Rows, "unchanged", o.Unchanged)
	}
}

// familyFail records a failure of an optional family for one app.
func (p *Pipeline) familyFail(sum *Summary, t *schemas.Table, app string, err error) {
	u := report.Unit{Family: report.Catalog, Type: t.Type, Vendor: app, Period: p.day()}
	sum.Planned++
	sum.add(outcome{Unit: u, State: load.Failed, Err: err})
	p.log().Warn("catalog", "report", t.Name, "app", app, "err", err.Error())
}

// familyApps are the apps of the optional families: catalog.apps, else the discovered
// apps on sale.
func (p *Pipeline) familyApps(ctx context.Context, sum *Summary) []string {
	apps, err := p.appIDs(ctx, sum, p.Cfg.Catalog.Apps)
	if err != nil {
		return nil
	}
	return apps
}

func month(t time.Time) string { return t.UTC().Format("2006-01") }

// runTestFlight loads beta tester usage per app (grouped by tester) and beta build usage
// of each app's testflight.builds newest builds, one row per tester or build and day.
func (p *Pipeline) runTestFlight(ctx context.Context, sum *Summary, snap *catalogSnapshot) error {
	tu, _ := schemas.Lookup(schemas.TestFlightTesterUsageTable)
	bu, _ := schemas.Lookup(schemas.TestFlightBuildUsageTable)
	at := p.now().UTC()
	day := p.day()
	testers, builds := partRows{}, partRows{}
	for _, app := range p.familyApps(ctx, sum) {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw := fmt.Sprintf("raw/testflight/%%s/app_id=%s/%s/", app, day)
		var rows []transform.CatalogRow
		target, q := "/v1/apps/"+app+"/metrics/betaTesterUsages", url.Values{
			"period": {p.Cfg.TestFlight.Period}, "groupBy": {"betaTesters"}, "limit": {"200"}}
		var err error
		for page := 1; target != "" && err == nil; page++ {
			var data []byte
			if data, err = p.API.GetJSON(ctx, target, q); err != nil {
				break
			}
			key := fmt.Sprintf(raw, "beta_tester_usages") + fmt.Sprintf("page-%05d.json.gz", page)
			if err = p.putRawBytes(ctx, key, data); err != nil {
				break
			}
			var doc transform.UsageDoc
			if doc, err = transform.TesterUsageRows(key, data, at); err == nil {
				rows = append(rows, doc.Rows...)
				target, q = doc.Next, nil
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.familyFail(sum, tu, app, fmt.Errorf("beta tester usage of app %s: %w", app, err))
		} else {
			for _, r := range rows {
				testers.add(app, month(r.Get(tu, "day").(time.Time)), r)
			}
		}

		ids := snap.builds[app]
		if len(ids) > p.Cfg.TestFlight.Builds {
			ids = ids[:p.Cfg.TestFlight.Builds]
		}
		for _, b := range ids {
			key := fmt.Sprintf(raw, "beta_build_usages") + "build-" + safeName(b) + ".json.gz"
			data, err := p.API.GetJSON(ctx, "/v1/builds/"+url.PathEscape(b)+"/metrics/betaBuildUsages", url.Values{"limit": {"200"}})
			if isNotFound(err) {
				continue // no TestFlight usage for the build
			}
			var doc transform.UsageDoc
			if err == nil {
				if err = p.putRawBytes(ctx, key, data); err == nil {
					doc, err = transform.BuildUsageRows(key, data, b, at)
				}
			}
			if err == nil && doc.Next != "" {
				err = fmt.Errorf("%s: unexpected second page", key)
			}
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				p.familyFail(sum, bu, app, fmt.Errorf("beta build usage of build %s: %w", b, err))
				continue
			}
			for _, r := range doc.Rows {
				builds.add(app, month(r.Get(bu, "day").(time.Time)), r)
			}
		}
	}
	p.mergeParts(ctx, sum, tu, testers)
	p.mergeParts(ctx, sum, bu, builds)
	return ctx.Err()
}

// runXcodeCloud loads the xcode_cloud.runs newest build runs of every Xcode Cloud product
// of the apps, and the actions of each run not already stored as complete.
func (p *Pipeline) runXcodeCloud(ctx context.Context, sum *Summary, snap *catalogSnapshot) error {
	rt, _ := schemas.Lookup(schemas.XcodeCloudRunsTable)
	ct, _ := schemas.Lookup(schemas.XcodeCloudActionsTable)
	at := p.now().UTC()
	day := p.day()
	wanted := map[string]bool{}
	for _, a := range p.familyApps(ctx, sum) {
		wanted[a] = true
	}
	type product struct{ id, app string }
	var products []product
	err := p.listAll(ctx, "/v1/ciProducts", url.Values{"include": {"app"}, "limit": {"200"}},
		fmt.Sprintf("raw/xcode_cloud/ci_products/vendor=%s/%s/", p.Cfg.VendorNumber, day), func(doc *transform.Document) error {
			for i := range doc.Data {
				app, ok, err := doc.Data[i].Related(doc.Key, "app")
				if err != nil {
					return err
				}
				if ok && wanted[app] && report.ValidVendor(app) { // framework products have no app: not loaded
					products = append(products, product{id: doc.Data[i].ID, app: app})
				}
			}
			return nil
		})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.familyFail(sum, rt, p.Cfg.VendorNumber, fmt.Errorf("ciProducts: %w", err))
		return nil
	}
	runs, actions := partRows{}, partRows{}
	stored := map[string][]transform.CatalogRow{} // partition key -> stored runs
	for _, pr := range products {
		if err := ctx.Err(); err != nil {
			return err
		}
		raw := fmt.Sprintf("raw/xcode_cloud/%%s/app_id=%s/%s/", pr.app, day)
		data, err := p.API.GetJSON(ctx, "/v1/ciProducts/"+url.PathEscape(pr.id)+"/buildRuns", url.Values{
			"sort": {"-number"}, "include": {"builds"}, "limit": {strconv.Itoa(p.Cfg.XcodeCloud.Runs)}})
		var fresh []transform.CatalogRow
		if err == nil {
			key := fmt.Sprintf(raw, "ci_build_runs") + "product-" + safeName(pr.id) + ".json.gz"
			err = p.decodeRows(ctx, key, data, rt, at, func(r *transform.CatalogRow, res *transform.Resource, doc *transform.Document) error {
				ids, err := res.RelatedMany(doc.Key, "builds")
				if err != nil {
					return err
				}
				if len(ids) > 0 {
					r.Set(rt, "build_ids", strings.Join(ids, ","))
				}
				if r.Get(rt, "product_id") == nil {
					r.Set(rt, "product_id", pr.id)
				}
				if _, ok := r.Get(rt, "created_at").(time.Time); !ok {
					return fmt.Errorf("%s: build run %s has no createdDate", doc.Key, res.ID)
				}
				fresh = append(fresh, *r)
				return nil
			})
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.familyFail(sum, rt, pr.app, fmt.Errorf("build runs of product %s: %w", pr.id, err))
			continue
		}
		for _, r := range fresh {
			m := month(r.Get(rt, "created_at").(time.Time))
			if p.runStoredComplete(ctx, stored, rt, pr.app, m, r) {
				runs.add(pr.app, m, r)
				continue // finished and unchanged: its actions are stored
			}
			runID := r.Str(rt, "build_run_id")
			var acts []transform.CatalogRow
			err := p.listRows(ctx, "/v1/ciBuildRuns/"+url.PathEscape(runID)+"/actions",
				fmt.Sprintf(raw, "ci_build_actions")+"run-"+safeName(runID)+"/", ct, at,
				func(a *transform.CatalogRow, _ *transform.Resource, _ *transform.Document) error {
					a.Set(ct, "build_run_id", runID)
					acts = append(acts, *a)
					return nil
				})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				// The run is not stored either, so the next run reads its actions again.
				p.familyFail(sum, ct, pr.app, fmt.Errorf("actions of build run %s: %w", runID, err))
				continue
			}
			runs.add(pr.app, m, r)
			for _, a := range acts {
				actions.add(pr.app, m, a)
			}
		}
	}
	p.mergeParts(ctx, sum, rt, runs)
	p.mergeParts(ctx, sum, ct, actions)
	return ctx.Err()
}

// runStoredComplete reports whether the stored partition already holds run r, complete and
// with the same values (its actions were loaded with it and cannot change any more).
// stored caches the partitions read.
func (p *Pipeline) runStoredComplete(ctx context.Context, stored map[string][]transform.CatalogRow, t *schemas.Table, app, m string, r transform.CatalogRow) bool {
	if r.Str(t, "execution_progress") != "COMPLETE" {
		return false
	}
	key := load.ParquetKey(t.Name, "app_id="+app+"/month="+m)
	rows, ok := stored[key]
	if !ok {
		if exists, err := p.Store.Exists(ctx, key); err == nil && exists {
			if tbl, err := p.Store.ReadTable(ctx, key, p.alloc()); err == nil {
				rows, _ = transform.CatalogRows(t, tbl)
				tbl.Release()
			}
		}
		stored[key] = rows
	}
	merged := transform.MergeByKey(t, rows, []transform.CatalogRow{r}, t.Columns[0].Name)
	return len(merged) == len(rows) && sameLineageRows(merged, rows)
}

func sameLineageRows(a, b []transform.CatalogRow) bool {
	for i := range a {
		if a[i].SourceKey != b[i].SourceKey || a[i].SourceLine != b[i].SourceLine || !a[i].ExtractedAt.Equal(b[i].ExtractedAt) {
			return false
		}
	}
	return true
}
