package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// Catalog is the catalog dimensions family: one unit per vendor and UTC day, a snapshot of
// the apps of the key with their App Store versions, builds, in-app purchases and
// subscriptions, merged into the dim_* tables as slowly changing dimensions (type 2: a
// renamed app keeps both names, each valid over its own dates).
//
// A unit is not final: a second run the same day reads the catalog again; an identical
// snapshot changes nothing, a changed one replaces that day's rows. Apple serves only the
// present catalog, so a backfill takes today's snapshot and a past day's unit is Gone.
type Catalog struct {
	Cfg *config.Config
}

// CatalogType is the unit type of a catalog snapshot.
const CatalogType = "DIMENSIONS"

func (s *Catalog) Family() report.Family { return report.Catalog }

func (s *Catalog) Tables() []*schemas.Table { return tablesOf(report.Catalog) }

// Plan plans today's snapshot, for a run and a backfill alike: Apple keeps no past
// catalog, so a backfill of any range can only take today's.
func (s *Catalog) Plan(ctx context.Context, env *engine.PlanEnv) (engine.Plan, error) {
	u := report.Unit{Family: report.Catalog, Type: CatalogType, Vendor: s.Cfg.VendorNumber, Period: snapshotDay(env.Now)}
	return engine.Plan{Units: []engine.Planned{{Unit: u}}}, nil
}

// catalogFilter is the Cursor of a catalog version read for catalog.apps only: the apps
// the listing was filtered to. Parse closes absent entities of those apps only, whatever
// the config says when the version is reparsed. Unfiltered versions have no cursor.
type catalogFilter struct {
	Apps []string `json:"apps"`
}

// Fetch reads the snapshot, every document archived as received:
//
//	apps-page-00001.json                         GET /v1/apps (filter[id] = catalog.apps)
//	app-<id>-versions.json                       …/appStoreVersions, the catalog.versions newest
//	app-<id>-builds.json                         GET /v1/builds, the catalog.builds newest, with preReleaseVersion
//	app-<id>-iaps-page-00001.json                …/inAppPurchasesV2, every page
//	app-<id>-groups-page-00001.json              …/subscriptionGroups, every page
//	app-<id>-group-<n>-subs-page-00001.json      the n-th group's subscriptions, every page
//
// A list that fails fails the unit: the stored dimensions stand, and the next run reads
// the catalog again.
func (s *Catalog) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	env = patientFetch(env) // a document that fails is asked for again, not the whole unit
	if f, gone := pastSnapshot(env, p); gone {
		return f, nil
	}
	q := url.Values{"limit": {"200"}}
	var cursor string
	if apps := s.Cfg.Catalog.Apps; len(apps) > 0 {
		q.Set("filter[id]", strings.Join(apps, ","))
		b, _ := json.Marshal(catalogFilter{Apps: apps})
		cursor = string(b)
	}
	var apps []string
	err := extract.EachPage(ctx, env.API, "/v1/apps", q, func(page int, body []byte) error {
		name := fmt.Sprintf("apps-page-%05d.json", page)
		ids, err := listIDs(name, body)
		if err != nil {
			return err
		}
		for i, id := range ids {
			if !report.ValidVendor(id) {
				return fmt.Errorf("%s: data[%d].id %q is not an App Apple ID", name, i, id)
			}
		}
		apps = append(apps, ids...)
		return putDoc(env, name, body)
	})
	if err != nil {
		return engine.Fetched{}, fmt.Errorf("apps: %w", err)
	}
	for _, app := range apps {
		if err := s.fetchApp(ctx, env, app); err != nil {
			return engine.Fetched{}, fmt.Errorf("catalog of app %s: %w", app, err)
		}
	}
	return engine.Fetched{Outcome: engine.Data, Cursor: cursor}, nil
}

// fetchApp reads one app's versions, builds, in-app purchases and subscriptions.
func (s *Catalog) fetchApp(ctx context.Context, env *engine.FetchEnv, app string) error {
	prefix := "app-" + app + "-"
	// App Store versions and builds, newest first: one page of the configured size.
	data, err := env.API.GetJSON(ctx, "/v1/apps/"+app+"/appStoreVersions", url.Values{"limit": {strconv.Itoa(s.Cfg.Catalog.Versions)}})
	if err != nil {
		return fmt.Errorf("appStoreVersions: %w", err)
	}
	if err := putDoc(env, prefix+"versions.json", data); err != nil {
		return err
	}
	data, err = env.API.GetJSON(ctx, "/v1/builds", url.Values{"filter[app]": {app}, "sort": {"-uploadedDate"},
		"include": {"preReleaseVersion"}, "limit": {strconv.Itoa(s.Cfg.Catalog.Builds)}})
	if err != nil {
		return fmt.Errorf("builds: %w", err)
	}
	if err := putDoc(env, prefix+"builds.json", data); err != nil {
		return err
	}
	all := func(what, target, name string, fn func(body []byte) error) error {
		err := extract.EachPage(ctx, env.API, target, url.Values{"limit": {"200"}}, func(page int, body []byte) error {
			n := fmt.Sprintf("%s-page-%05d.json", name, page)
			if fn != nil {
				if err := fn(body); err != nil {
					return fmt.Errorf("%s: %w", n, err)
				}
			}
			return putDoc(env, n, body)
		})
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if err := all("inAppPurchasesV2", "/v1/apps/"+app+"/inAppPurchasesV2", prefix+"iaps", nil); err != nil {
		return err
	}
	var groups []string
	if err := all("subscriptionGroups", "/v1/apps/"+app+"/subscriptionGroups", prefix+"groups", func(body []byte) error {
		ids, err := listIDs("subscriptionGroups", body)
		groups = append(groups, ids...)
		return err
	}); err != nil {
		return err
	}
	for i, g := range groups {
		if err := all("subscriptions of group "+g, "/v1/subscriptionGroups/"+url.PathEscape(g)+"/subscriptions",
			fmt.Sprintf("%sgroup-%d-subs", prefix, i+1), nil); err != nil {
			return err
		}
	}
	return nil
}

// catalogPayload parses a catalog payload name: the app (none for the apps listing), the
// document kind and, for subscriptions, the group's position in the app's groups listing.
var catalogPayload = regexp.MustCompile(`^(?:apps-page-[0-9]+|app-([0-9]+)-(?:(versions|builds)|(iaps|groups)-page-[0-9]+|group-([0-9]+)-(subs)-page-[0-9]+))\.json$`)

// catalogSnap is what Parse read of one version.
type catalogSnap struct {
	at     time.Time
	rows   map[string][]transform.CatalogRow
	groups map[string][][2]string // app -> its subscription groups (id, reference name), in listing order
}

// Parse turns the snapshot into five slowly-changing outputs for the snapshot day.
func (s *Catalog) Parse(ctx context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	day, err := time.Parse("2006-01-02", in.Unit.Period)
	if err != nil {
		return nil, fmt.Errorf("unit %s: %w", in.Unit.ID(), err)
	}
	snap := &catalogSnap{at: in.Version.FetchedAt, rows: map[string][]transform.CatalogRow{}, groups: map[string][][2]string{}}
	for _, p := range in.Version.Payloads {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := readPayload(in, p)
		if err != nil {
			return nil, err
		}
		if err := snap.add(p, data); err != nil {
			return nil, err
		}
	}
	var filter catalogFilter
	if c := in.Version.Cursor; c != "" {
		if err := json.Unmarshal([]byte(c), &filter); err != nil {
			return nil, fmt.Errorf("version %s: cursor %q: %w", in.Version.ID, c, err)
		}
	}
	// Absent entities are closed when the snapshot covers them: every app (or every
	// configured one) was listed, and each listed app's in-app purchases and subscriptions
	// were read completely. Versions and builds are read newest first up to a limit:
	// older ones stay as they are.
	scope := &load.Scope{All: true}
	if len(filter.Apps) > 0 {
		scope = &load.Scope{Column: "app_id", Values: filter.Apps}
	}
	scopes := map[string]*load.Scope{schemas.DimAppsTable: scope, schemas.DimInAppPurchaseTable: scope, schemas.DimSubscriptionsTable: scope}
	part, err := table(schemas.DimAppsTable).PartitionPath(in.Unit.Vendor)
	if err != nil {
		return nil, err
	}
	parsed := &engine.Parsed{}
	var release []func()
	parsed.Release = func() {
		for _, r := range release {
			r()
		}
	}
	for _, name := range schemas.DimTables() {
		t := table(name)
		rec, err := transform.CatalogRecord(in.Alloc, t, snap.rows[name])
		if err != nil {
			parsed.Release()
			return nil, err
		}
		release = append(release, rec.Release)
		input := engine.Records(rec)
		input.Scope, input.Day = scopes[name], day
		parsed.Outputs = append(parsed.Outputs, engine.Output{Table: t, Partition: part, Input: input, Primary: true})
	}
	return parsed, nil
}

// add reads one payload into the snapshot.
func (c *catalogSnap) add(p load.Payload, data []byte) error {
	m := catalogPayload.FindStringSubmatch(p.Name)
	if m == nil {
		return fmt.Errorf("%s: not a catalog document (payload %q)", p.Key, p.Name)
	}
	doc, err := decodeDoc(p.Key, data)
	if err != nil {
		return err
	}
	app := m[1]
	kind := m[2] + m[3] + m[5]
	if app == "" {
		kind = "apps"
	}
	put := func(name string) func(*transform.CatalogRow, *transform.Resource) error {
		t := table(name)
		return func(r *transform.CatalogRow, _ *transform.Resource) error {
			if r.Get(t, "app_id") == nil {
				r.Set(t, "app_id", app)
			}
			c.rows[name] = append(c.rows[name], *r)
			return nil
		}
	}
	switch kind {
	case "apps":
		t := table(schemas.DimAppsTable)
		return resourceRows(doc, data, t, c.at, func(r *transform.CatalogRow, res *transform.Resource) error {
			if !report.ValidVendor(res.ID) {
				return fmt.Errorf("%s: field data[%d].id: %q is not an App Apple ID", p.Key, res.Index-1, res.ID)
			}
			c.rows[t.Name] = append(c.rows[t.Name], *r)
			return nil
		})
	case "versions":
		return resourceRows(doc, data, table(schemas.DimAppVersionsTable), c.at, put(schemas.DimAppVersionsTable))
	case "builds":
		return c.addBuilds(doc, data, app)
	case "iaps":
		return resourceRows(doc, data, table(schemas.DimInAppPurchaseTable), c.at, put(schemas.DimInAppPurchaseTable))
	case "groups":
		for i := range doc.Data {
			name, err := doc.Data[i].Attr(doc.Key, "referenceName")
			if err != nil {
				return docErr(p.Key, data, err)
			}
			g := [2]string{doc.Data[i].ID, ""}
			if name != nil {
				g[1] = *name
			}
			c.groups[app] = append(c.groups[app], g)
		}
		return nil
	}
	// kind "subs": the subscriptions of the app's n-th group
	n, _ := strconv.Atoi(m[4])
	if n < 1 || n > len(c.groups[app]) {
		return fmt.Errorf("%s: group %d of app %s is not in its groups listing (%d groups)", p.Key, n, app, len(c.groups[app]))
	}
	g := c.groups[app][n-1]
	st := table(schemas.DimSubscriptionsTable)
	add := put(schemas.DimSubscriptionsTable)
	return resourceRows(doc, data, st, c.at, func(r *transform.CatalogRow, res *transform.Resource) error {
		if r.Get(st, "subscription_group_id") == nil {
			r.Set(st, "subscription_group_id", g[0])
		}
		r.Set(st, "subscription_group_name", g[1])
		return add(r, res)
	})
}

// addBuilds reads a builds page: the app version of each build is its included
// preReleaseVersion's version (and platform).
func (c *catalogSnap) addBuilds(doc *transform.Document, data []byte, app string) error {
	bt := table(schemas.DimBuildsTable)
	return resourceRows(doc, data, bt, c.at, func(r *transform.CatalogRow, res *transform.Resource) error {
		if r.Get(bt, "app_id") == nil {
			r.Set(bt, "app_id", app)
		}
		pr, ok, err := res.Related(doc.Key, "preReleaseVersion")
		if err != nil {
			return err
		}
		if inc, found := doc.Find("preReleaseVersions", pr); ok && found {
			for _, ca := range [][2]string{{"version_string", "version"}, {"platform", "platform"}} {
				v, err := inc.Attr(doc.Key, ca[1])
				if err != nil {
					return err
				}
				if v != nil {
					r.Set(bt, ca[0], *v)
				}
			}
		}
		c.rows[bt.Name] = append(c.rows[bt.Name], *r)
		return nil
	})
}
