package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// XcodeCloud is the Xcode Cloud family: one unit per vendor and UTC day, the
// xcode_cloud.runs newest build runs of every Xcode Cloud product of the apps (with their
// actions), merged by id into (app, month of the run's creation) partitions: a run seen
// RUNNING and later COMPLETE keeps one row, the latest.
//
// The actions of a run already loaded as COMPLETE are not fetched again: the unit's Cursor
// lists the complete runs whose actions are loaded, and a version without a run's actions
// leaves the stored action rows alone (MergeByKey touches only the keys it has). The apps
// are catalog.apps, else the apps on sale; products without an app (frameworks) are
// skipped. Apple serves only the present: a backfill takes today's snapshot, and a past
// day's unit is Gone.
type XcodeCloud struct {
	Cfg  *config.Config
	Apps *Apps

	mu     sync.Mutex
	wanted map[string]bool // the apps of this pass (set by Plan)
}

// XcodeCloudType is the unit type of the build runs read on one day.
const XcodeCloudType = "XCODE_CLOUD_RUNS"

func (s *XcodeCloud) Family() report.Family { return report.XcodeCloud }

func (s *XcodeCloud) Tables() []*schemas.Table { return tablesOf(report.XcodeCloud) }

// xcodeCursor is the state a fetch starts from and leaves: the runs (among those listed)
// that are COMPLETE with their actions loaded.
type xcodeCursor struct {
	Complete []string `json:"complete"`
}

// Plan plans today's unit, for a run and a backfill alike: Apple lists the runs as they
// are now (a backfill reads the xcode_cloud.runs newest, whatever its range). Its cursor is the one of the newest unit loaded before today,
// so that a second run the same day fetches exactly what the first one did (and an
// identical snapshot archives nothing).
func (s *XcodeCloud) Plan(ctx context.Context, env *engine.PlanEnv) (engine.Plan, error) {
	var plan engine.Plan
	apps, fail := s.Apps.List(ctx, env, s.Cfg.Catalog.Apps)
	if fail != nil {
		plan.Failures = append(plan.Failures, *fail)
		return plan, nil
	}
	wanted := map[string]bool{}
	for _, a := range apps {
		wanted[a] = true
	}
	s.mu.Lock()
	s.wanted = wanted
	s.mu.Unlock()
	day := snapshotDay(env.Now)
	var prior load.Entry
	for _, e := range env.Entries {
		if e.State == load.Loaded && e.Unit.Type == XcodeCloudType && e.Unit.Vendor == s.Cfg.VendorNumber &&
			e.Unit.Period < day && e.Unit.Period > prior.Unit.Period {
			prior = e
		}
	}
	u := report.Unit{Family: report.XcodeCloud, Type: XcodeCloudType, Vendor: s.Cfg.VendorNumber, Period: day}
	plan.Units = append(plan.Units, engine.Planned{Unit: u, Cursor: prior.Cursor})
	return plan, nil
}

func (s *XcodeCloud) wantedApps() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wanted
}

// Fetch reads the build runs, every document archived as received:
//
//	products-page-00001.json                     GET /v1/ciProducts?include=app, every page
//	product-<k>-runs.json                        the k-th product's newest runs (include=builds)
//	product-<k>-run-<m>-actions-page-00001.json  the actions of its m-th run, every page
//
// (k counts every product listed, m every run of the product's runs document.)
func (s *XcodeCloud) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	env = patientFetch(env) // a document that fails is asked for again, not the whole unit
	if f, gone := pastSnapshot(env, p); gone {
		return f, nil
	}
	wanted := s.wantedApps()
	if wanted == nil {
		return engine.Fetched{}, errors.New("the apps were not listed in this pass")
	}
	var known xcodeCursor
	if p.Cursor != "" {
		if err := json.Unmarshal([]byte(p.Cursor), &known); err != nil {
			return engine.Fetched{}, fmt.Errorf("cursor %q: %w", p.Cursor, err)
		}
	}
	complete := map[string]bool{}
	for _, id := range known.Complete {
		complete[id] = true
	}
	type product struct {
		k  int
		id string
	}
	var products []product
	n := 0
	err := extract.EachPage(ctx, env.API, "/v1/ciProducts", url.Values{"include": {"app"}, "limit": {"200"}}, func(page int, body []byte) error {
		name := fmt.Sprintf("products-page-%05d.json", page)
		list, err := productApps(name, body)
		if err != nil {
			return err
		}
		for _, pr := range list {
			n++
			if pr[1] != "" && wanted[pr[1]] && report.ValidVendor(pr[1]) { // frameworks have no app
				products = append(products, product{n, pr[0]})
			}
		}
		return putDoc(env, name, body)
	})
	if err != nil {
		return engine.Fetched{}, fmt.Errorf("ciProducts: %w", err)
	}
	var next []string
	for _, pr := range products {
		done, err := s.fetchRuns(ctx, env, pr.k, pr.id, complete)
		if err != nil {
			return engine.Fetched{}, err
		}
		next = append(next, done...)
	}
	sort.Strings(next)
	cur, _ := json.Marshal(xcodeCursor{Complete: next})
	if len(next) == 0 {
		cur = nil
	}
	return engine.Fetched{Outcome: engine.Data, Cursor: string(cur)}, nil
}

// fetchRuns reads one product's newest runs and the actions of each run not known to be
// complete; it returns the runs listed that are complete with their actions loaded.
func (s *XcodeCloud) fetchRuns(ctx context.Context, env *engine.FetchEnv, k int, id string, complete map[string]bool) ([]string, error) {
	data, err := env.API.GetJSON(ctx, "/v1/ciProducts/"+url.PathEscape(id)+"/buildRuns", url.Values{
		"sort": {"-number"}, "include": {"builds"}, "limit": {strconv.Itoa(s.Cfg.XcodeCloud.Runs)}})
	if err != nil {
		return nil, fmt.Errorf("build runs of product %s: %w", id, err)
	}
	name := fmt.Sprintf("product-%d-runs.json", k)
	runs, err := runStates(name, data)
	if err != nil {
		return nil, err
	}
	if err := putDoc(env, name, data); err != nil {
		return nil, err
	}
	var done []string
	for m, run := range runs {
		finished := run[1] == "COMPLETE"
		if finished && complete[run[0]] {
			done = append(done, run[0])
			continue // its actions are loaded and can no longer change
		}
		err := extract.EachPage(ctx, env.API, "/v1/ciBuildRuns/"+url.PathEscape(run[0])+"/actions", url.Values{"limit": {"200"}},
			func(page int, body []byte) error {
				return putDoc(env, fmt.Sprintf("product-%d-run-%d-actions-page-%05d.json", k, m+1, page), body)
			})
		if err != nil {
			return nil, fmt.Errorf("actions of build run %s: %w", run[0], err)
		}
		if finished {
			done = append(done, run[0])
		}
	}
	return done, nil
}

// productApps reads a ciProducts page: each product's id and app id ("" for none).
func productApps(name string, body []byte) ([][2]string, error) {
	var doc struct {
		Data []struct {
			ID            string `json:"id"`
			Relationships struct {
				App struct {
					Data *struct {
						ID string `json:"id"`
					} `json:"data"`
				} `json:"app"`
			} `json:"relationships"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s: not a JSON:API list: %w", name, err)
	}
	out := make([][2]string, len(doc.Data))
	for i, r := range doc.Data {
		out[i][0] = r.ID
		if a := r.Relationships.App.Data; a != nil {
			out[i][1] = a.ID
		}
	}
	return out, nil
}

// runStates reads a buildRuns page: each run's id and executionProgress.
func runStates(name string, body []byte) ([][2]string, error) {
	var doc struct {
		Data []struct {
			ID         string `json:"id"`
			Attributes struct {
				ExecutionProgress any `json:"executionProgress"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s: not a JSON:API list: %w", name, err)
	}
	out := make([][2]string, len(doc.Data))
	for i, r := range doc.Data {
		if r.ID == "" {
			return nil, fmt.Errorf("%s: data[%d] has no id", name, i)
		}
		out[i][0] = r.ID
		out[i][1], _ = r.Attributes.ExecutionProgress.(string) // anything else: not known complete
	}
	return out, nil
}

var xcodePayload = regexp.MustCompile(`^(?:products-page-[0-9]+|product-([0-9]+)-(?:(runs)|run-([0-9]+)-actions-page-[0-9]+))\.json$`)

// xcodeRun is a run Parse read, for its actions.
type xcodeRun struct{ id, app, month string }

// Parse turns the runs and actions into rows of their run's (app, month) partition.
func (s *XcodeCloud) Parse(ctx context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	at := in.Version.FetchedAt
	rt, ct := table(schemas.XcodeCloudRunsTable), table(schemas.XcodeCloudActionsTable)
	parts := partRows{}
	var products [][2]string        // id, app: every product listed, in order
	runs := map[string][]xcodeRun{} // product position -> its runs, in order
	for _, p := range in.Version.Payloads {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := xcodePayload.FindStringSubmatch(p.Name)
		if m == nil {
			return nil, fmt.Errorf("%s: not an Xcode Cloud document (payload %q)", p.Key, p.Name)
		}
		data, err := readPayload(in, p)
		if err != nil {
			return nil, err
		}
		doc, err := decodeDoc(p.Key, data)
		if err != nil {
			return nil, err
		}
		switch {
		case m[1] == "": // products
			for i := range doc.Data {
				app, _, err := doc.Data[i].Related(doc.Key, "app")
				if err != nil {
					return nil, docErr(p.Key, data, err)
				}
				products = append(products, [2]string{doc.Data[i].ID, app})
			}
		case m[2] != "": // runs of the k-th product
			k, _ := strconv.Atoi(m[1])
			if k < 1 || k > len(products) || !report.ValidVendor(products[k-1][1]) {
				return nil, fmt.Errorf("%s: product %d is not an app's product of the listing (%d products)", p.Key, k, len(products))
			}
			pr := products[k-1]
			err := resourceRows(doc, data, rt, at, func(r *transform.CatalogRow, res *transform.Resource) error {
				ids, err := res.RelatedMany(doc.Key, "builds")
				if err != nil {
					return err
				}
				if len(ids) > 0 {
					r.Set(rt, "build_ids", strings.Join(ids, ","))
				}
				if r.Get(rt, "product_id") == nil {
					r.Set(rt, "product_id", pr[0])
				}
				created, ok := r.Get(rt, "created_at").(time.Time)
				if !ok {
					return fmt.Errorf("%s: field data[%d].attributes.createdDate: build run %s has none", doc.Key, res.Index-1, res.ID)
				}
				run := xcodeRun{id: res.ID, app: pr[1], month: monthOf(created)}
				runs[m[1]] = append(runs[m[1]], run)
				parts.add(rt, run.app, run.month, *r)
				return nil
			})
			if err != nil {
				return nil, err
			}
		default: // actions of the k-th product's m-th run
			j, _ := strconv.Atoi(m[3])
			list := runs[m[1]]
			if j < 1 || j > len(list) {
				return nil, fmt.Errorf("%s: run %d is not in product %s's runs (%d runs)", p.Key, j, m[1], len(list))
			}
			run := list[j-1]
			err := resourceRows(doc, data, ct, at, func(r *transform.CatalogRow, _ *transform.Resource) error {
				r.Set(ct, "build_run_id", run.id)
				parts.add(ct, run.app, run.month, *r)
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return parts.outputs(in)
}
