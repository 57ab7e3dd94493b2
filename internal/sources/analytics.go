package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// Analytics is the Analytics Reports API family (REFERENCE.md §C). A unit is one report
// instance: Type the report's table type (APP_DOWNLOADS_STANDARD), SubType the access type
// of the request that published it (ONGOING, ONE_TIME_SNAPSHOT), Frequency its granularity,
// Vendor the app, Period its processingDate; Planned.Ref is Apple's instance id. Instances
// never change once published, so every unit is final.
//
// Plan lists, per app, the report requests, their reports and the instances of the wanted
// reports and granularities, and keeps the request lifecycle in order (analytics_requests.go):
// nothing about it is remembered between runs but what the listing and the ledger say.
// Fetch downloads an instance's segments (analytics_fetch.go); Parse turns them into rows
// of the report's table, one output per (app, month) partition, merged by instance id.
type Analytics struct {
	Cfg  *config.Config
	Apps *Apps
}

// Access types of analytics report requests.
const (
	accessOngoing  = "ONGOING"
	accessSnapshot = "ONE_TIME_SNAPSHOT"
)

// analyticsKind is how the family loads one Analytics Reports API report: the report's
// table and the parser of an instance's segments. analyticsKinds is the ONE place a
// report is looked up — by Apple's name in Plan, by the unit's Type in Parse — so a
// report we have no schema for plugs in here (a generic table and parser) and nowhere else.
type analyticsKind struct {
	Name    string // Apple's report name, exact ("App Downloads Standard")
	Table   *schemas.Table
	Generic bool // no typed schema: columns typed by header name
	// NewParser prepares the parser of one instance's segments; rows' _extracted_at is at.
	NewParser func(inst transform.AnalyticsInstance, alloc memory.Allocator, at time.Time) (segmentParser, error)
}

// segmentParser turns an instance's segments (decompressed, in order) into rows, one
// record batch per month of the rows' date (transform.AnalyticsSegmentParser). Table is
// the table the rows belong to: a typed report's, or for a report without a schema the one
// its first segment's header gives (schemas.GenericAnalyticsTableFor).
type segmentParser = transform.AnalyticsSegmentParser

// analyticsCatalog is every report the family can load, by lower-case name and by type.
type analyticsCatalog struct {
	byName map[string]*analyticsKind
	byType map[string]*analyticsKind
	kinds  []*analyticsKind
}

var (
	analyticsOnce sync.Once
	analyticsCat  analyticsCatalog
)

// analyticsKinds returns the catalog: today the reports schemas/analytics.go has a table
// for, each parsed by transform.NewAnalyticsParser.
func analyticsKinds() *analyticsCatalog {
	analyticsOnce.Do(func() {
		c := analyticsCatalog{byName: map[string]*analyticsKind{}, byType: map[string]*analyticsKind{}}
		for _, r := range schemas.AnalyticsReports() {
			t, ok := schemas.Lookup(r.Table)
			if !ok {
				panic("sources: no table " + r.Table + " for analytics report " + r.Name)
			}
			k := &analyticsKind{Name: r.Name, Table: t, NewParser: typedParser(t, r)}
			c.add(k)
		}
		analyticsCat = c
	})
	return &analyticsCat
}

// generic is the kind of a report without a typed schema: it loads into
// analytics_<name in snake_case>, each column typed by its header name.
func genericKind(name string) *analyticsKind {
	t := schemas.GenericAnalyticsTable(name)
	return &analyticsKind{Name: name, Table: t, Generic: true,
		NewParser: func(inst transform.AnalyticsInstance, alloc memory.Allocator, at time.Time) (segmentParser, error) {
			return transform.NewGenericAnalyticsParser(name, inst, alloc, at)
		}}
}

// byUnitType finds the kind of a unit: a typed report by its table's type, else a generic
// one (the unit's type is the report name in upper snake case, which names its table).
func (c *analyticsCatalog) byUnitType(typ string) *analyticsKind {
	if k, ok := c.byType[typ]; ok {
		return k
	}
	return genericKind(strings.ReplaceAll(strings.ToLower(typ), "_", " "))
}

func (c *analyticsCatalog) add(k *analyticsKind) {
	c.kinds = append(c.kinds, k)
	c.byName[strings.ToLower(k.Name)] = k
	c.byType[k.Table.Type] = k
}

// lookup finds a report by Apple's name (case-insensitive, as Apple says values are).
func (c *analyticsCatalog) lookup(name string) (*analyticsKind, bool) {
	k, ok := c.byName[strings.ToLower(strings.TrimSpace(name))]
	return k, ok
}

// typedParser parses a report with a schema of its own.
func typedParser(t *schemas.Table, r schemas.AnalyticsReport) func(transform.AnalyticsInstance, memory.Allocator, time.Time) (segmentParser, error) {
	return func(inst transform.AnalyticsInstance, alloc memory.Allocator, at time.Time) (segmentParser, error) {
		return transform.NewAnalyticsParser(t, r, inst, alloc, at)
	}
}

func (s *Analytics) Family() report.Family { return report.Analytics }

func (s *Analytics) Tables() []*schemas.Table {
	var out []*schemas.Table
	for _, k := range analyticsKinds().kinds {
		out = append(out, k.Table)
	}
	return out
}

// wanted says which reports to load: analytics.reports (by API name) and
// analytics.categories; with neither, every report the request lists — a report without a
// typed schema loads through the generic loader, noted once per run.
type wantedReports struct {
	names map[string]bool // lower-case names; nil: any
	cats  map[string]bool // nil: any
}

func (s *Analytics) wanted() wantedReports {
	var w wantedReports
	if len(s.Cfg.Analytics.Reports) > 0 {
		w.names = map[string]bool{}
		for _, n := range s.Cfg.Analytics.Reports {
			w.names[strings.ToLower(strings.TrimSpace(n))] = true
		}
	}
	if len(s.Cfg.Analytics.Categories) > 0 {
		w.cats = map[string]bool{}
		for _, c := range s.Cfg.Analytics.Categories {
			w.cats[c] = true
		}
	}
	return w
}

// kind returns how to load a listed report (name and category as Apple lists them), or
// nil when it is not wanted.
func (w wantedReports) kind(name, category string) *analyticsKind {
	if w.names != nil && !w.names[strings.ToLower(strings.TrimSpace(name))] {
		return nil
	}
	if w.cats != nil {
		if category == "" {
			if e, ok := schemas.LookupAnalyticsCatalog(name); ok {
				category = e.Category
			}
		}
		if !w.cats[category] {
			return nil
		}
	}
	if k, ok := analyticsKinds().lookup(name); ok {
		return k
	}
	if schemas.ColumnName(name) == "" {
		return nil
	}
	return genericKind(name)
}

// Plan lists every app's instances. A backfill keeps the instances whose processing date
// lies in [From, To]: Apple keeps an instance 35 days, so that is as far back as a backfill
// reaches; older history comes only through the ONE_TIME_SNAPSHOT request
// (analytics.snapshot), once a month. An app whose listing fails is one Failure; the
// other apps go on.
func (s *Analytics) Plan(ctx context.Context, env *engine.PlanEnv) (engine.Plan, error) {
	env = patientPlan(env) // one listing that fails is asked for again, not the app skipped
	var plan engine.Plan
	apps, fail := s.Apps.List(ctx, env, s.Cfg.AnalyticsApps())
	if fail != nil {
		if err := ctx.Err(); err != nil {
			return plan, err
		}
		plan.Failures = append(plan.Failures, *fail)
		return plan, nil
	}
	want := s.wanted()
	for _, app := range apps {
		units, err := s.planApp(ctx, env, app, want)
		plan.Units = append(plan.Units, units...)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return plan, cerr
			}
			plan.Failures = append(plan.Failures, engine.Failure{Unit: requestsUnit(app, env.Now), Err: err})
		}
	}
	return plan, nil
}

// requestsUnit is the scope an app's failed listing is reported under.
func requestsUnit(app string, now time.Time) report.Unit {
	return report.Unit{Family: report.Analytics, Type: "REPORT_REQUESTS", SubType: accessOngoing,
		Frequency: report.Daily, Vendor: app, Period: now.UTC().Format("2006-01-02")}
}

// planApp lists one app's requests and the instances of each (every ONGOING request,
// stopped ones included: their instances stay readable until they expire; the snapshot
// with analytics.snapshot), then keeps the lifecycle in order. The units listed before a
// listing failed are returned with the error; the lifecycle is left alone then, since it
// needs the whole listing.
func (s *Analytics) planApp(ctx context.Context, env *engine.PlanEnv, app string, want wantedReports) ([]engine.Planned, error) {
	reqs, err := listRequests(ctx, env.API, app)
	if err != nil {
		return nil, err
	}
	var units []engine.Planned
	listed := map[string][]engine.Planned{}
	seen := seenReports(env, app, s.Cfg.Analytics.Granularities)
	for _, q := range reqs {
		if q.Access == accessSnapshot && !s.Cfg.Analytics.Snapshot {
			continue
		}
		us, err := s.instances(ctx, env, app, q, want, seen)
		if err != nil {
			return units, err
		}
		listed[q.ID] = us
		for _, u := range us {
			if anaInWindow(env.Window, u.Unit.Period) {
				units = append(units, u)
			}
		}
	}
	return units, s.lifecycle(ctx, env, app, reqs, listed)
}

// anaSeen is what the ledger knows of an app's analytics, to keep the daily listing cheap:
// each listed report costs one request per request and app (Apple lists about 50, most of
// them without data for a given app).
type anaSeen struct {
	any       bool                       // the app has analytics units at all (not a first run)
	types     map[string]bool            // report types with at least one unit
	snapshots map[string]map[string]bool // report type -> granularities with a snapshot instance settled
	grans     []string                   // the granularities loaded (analytics.granularities)
	day       int                        // days since the epoch, of the plan's time
}

// unseenEvery is how often (in days) a report the app never had an instance of is listed
// after the first run: an instance lives 35 days, so a report that starts having data is
// loaded within a week, while the daily run does not list ~40 empty reports per app.
const unseenEvery = 7

func seenReports(env *engine.PlanEnv, app string, grans []string) anaSeen {
	s := anaSeen{types: map[string]bool{}, snapshots: map[string]map[string]bool{}, grans: grans,
		day: int(env.Now.Unix() / 86400)}
	for _, e := range env.Entries {
		if e.Unit.Family != report.Analytics || e.Unit.Vendor != app || e.Unit.Type == "REPORT_REQUESTS" {
			continue
		}
		s.any, s.types[e.Unit.Type] = true, true
		if e.Unit.SubType == accessSnapshot && (e.State == load.Loaded || e.State == load.Empty || e.State == load.Expired) {
			if s.snapshots[e.Unit.Type] == nil {
				s.snapshots[e.Unit.Type] = map[string]bool{}
			}
			s.snapshots[e.Unit.Type][e.Unit.Frequency] = true
		}
	}
	return s
}

// skip reports whether a report is left out of this run's listing of request q (a
// backfill lists everything):
//   - of a ONE_TIME_SNAPSHOT, a report whose snapshot instances are settled for every
//     granularity loaded: Apple makes one instance per granularity, once;
//   - one the app has never had an instance of, on all but one day in unseenEvery (spread
//     by report), once the app has analytics at all.
func (s anaSeen) skip(k *analyticsKind, q analyticsRequest, env *engine.PlanEnv) bool {
	if env.Window.Backfill() || !s.any {
		return false
	}
	if q.Access == accessSnapshot && len(s.grans) > 0 {
		done := true
		for _, g := range s.grans {
			done = done && s.snapshots[k.Table.Type][g]
		}
		if done {
			return true
		}
	}
	if s.types[k.Table.Type] {
		return false
	}
	h := fnv.New32a()
	h.Write([]byte(k.Table.Type))
	return (s.day+int(h.Sum32()%unseenEvery))%unseenEvery != 0
}

// anaInWindow reports whether a processing date lies in a backfill's window (always, for a run).
func anaInWindow(w engine.Window, processingDate string) bool {
	if !w.Backfill() {
		return true
	}
	return processingDate >= w.From.Format("2006-01-02") && processingDate <= w.To.Format("2006-01-02")
}

// analyticsRequest is one analyticsReportRequests resource.
type analyticsRequest struct {
	ID      string
	Access  string
	Stopped bool
}

// anaResource is one JSON:API resource object of a list.
type anaResource struct {
	ID         string          `json:"id"`
	Attributes json.RawMessage `json:"attributes"`
}

// eachAnaResource calls fn for every resource of a JSON:API list (extract.EachPage). A
// resource that does not decode is an error naming the list, the page and the index.
func eachAnaResource(ctx context.Context, api engine.API, target string, q url.Values, fn func(r anaResource) error) error {
	return extract.EachPage(ctx, api, target, q, func(page int, body []byte) error {
		var doc struct {
			Data []anaResource `json:"data"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return fmt.Errorf("GET %s page %d: %w", target, page, err)
		}
		for i, r := range doc.Data {
			if r.ID == "" {
				return fmt.Errorf("GET %s page %d: data[%d]: no id", target, page, i)
			}
			if err := fn(r); err != nil {
				return fmt.Errorf("GET %s page %d: data[%d] (%s): %w", target, page, i, r.ID, err)
			}
		}
		return nil
	})
}

// listRequests lists an app's report requests (both access types), those not stopped first.
func listRequests(ctx context.Context, api engine.API, app string) ([]analyticsRequest, error) {
	var out []analyticsRequest
	err := eachAnaResource(ctx, api, "/v1/apps/"+url.PathEscape(app)+"/analyticsReportRequests", engine.Query("limit", "200"),
		func(r anaResource) error {
			var a struct {
				AccessType string `json:"accessType"`
				Stopped    bool   `json:"stoppedDueToInactivity"`
			}
			if err := json.Unmarshal(r.Attributes, &a); err != nil {
				return fmt.Errorf("field attributes: %w", err)
			}
			out = append(out, analyticsRequest{ID: r.ID, Access: a.AccessType, Stopped: a.Stopped})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("analytics requests of app %s: %w", app, err)
	}
	slices.SortStableFunc(out, func(a, b analyticsRequest) int {
		switch {
		case a.Stopped == b.Stopped:
			return 0
		case b.Stopped:
			return -1
		}
		return 1
	})
	return out, nil
}

// instances lists the instances of one request's wanted reports and granularities, as units.
func (s *Analytics) instances(ctx context.Context, env *engine.PlanEnv, app string, q analyticsRequest, want wantedReports, seen anaSeen) ([]engine.Planned, error) {
	api := env.API
	type found struct {
		id   string
		kind *analyticsKind
	}
	var reports []found
	err := eachAnaResource(ctx, api, "/v1/analyticsReportRequests/"+url.PathEscape(q.ID)+"/reports", engine.Query("limit", "200"),
		func(r anaResource) error {
			var a struct {
				Name     string `json:"name"`
				Category string `json:"category"`
			}
			if err := json.Unmarshal(r.Attributes, &a); err != nil {
				return fmt.Errorf("field attributes: %w", err)
			}
			if k := want.kind(a.Name, a.Category); k != nil {
				if _, known := schemas.LookupAnalyticsCatalog(k.Name); k.Generic && !known {
					// A report Apple added since schemas.AnalyticsCatalog was written.
					env.Note(engine.Note{Kind: "analytics report", Table: k.Table.Name, Subject: "new " + k.Name,
						Detail: fmt.Sprintf("new report %q: loaded into %s, its columns typed by header name", k.Name, k.Table.Name)})
				}
				if seen.skip(k, q, env) {
					return nil
				}
				reports = append(reports, found{r.ID, k})
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("analytics reports of request %s (app %s): %w", q.ID, app, err)
	}
	// filter[granularity] takes a comma list, as Apple's array filters do; the
	// granularity is checked again below, in case a server ignores the filter.
	grans := s.Cfg.Analytics.Granularities
	var out []engine.Planned
	for _, rep := range reports {
		err := eachAnaResource(ctx, api, "/v1/analyticsReports/"+url.PathEscape(rep.id)+"/instances",
			engine.Query("limit", "200", "filter[granularity]", strings.Join(grans, ",")),
			func(r anaResource) error {
				var a struct {
					Granularity    string `json:"granularity"`
					ProcessingDate string `json:"processingDate"`
				}
				if err := json.Unmarshal(r.Attributes, &a); err != nil {
					return fmt.Errorf("field attributes: %w", err)
				}
				if !slices.Contains(grans, a.Granularity) {
					return nil
				}
				u := report.Unit{Family: report.Analytics, Type: rep.kind.Table.Type, SubType: q.Access,
					Frequency: a.Granularity, Vendor: app, Period: a.ProcessingDate}
				if err := u.Validate(); err != nil {
					return fmt.Errorf("field processingDate or granularity: %w", err)
				}
				out = append(out, engine.Planned{Unit: u, Ref: r.ID, Final: true})
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("instances of %q (app %s): %w", rep.kind.Name, app, err)
		}
	}
	return out, nil
}

// apiStatusIs reports whether err is an API error with the given HTTP status.
func apiStatusIs(err error, status int) bool {
	var ae *extract.APIError
	return errors.As(err, &ae) && ae.Status == status
}

// instanceSettled reports whether the ledger has an instance safe from its request's deletion:
// loaded, empty or expired, or failed analyticsSettleAttempts times (what Apple served is
// archived when it got that far; more attempts will not help).
func instanceSettled(e load.Entry, known bool) bool {
	if !known {
		return false
	}
	switch e.State {
	case load.Loaded, load.Empty, load.Expired:
		return true
	case load.Failed:
		return e.Attempts >= analyticsSettleAttempts
	}
	return false
}

// analyticsSettleAttempts is how often an instance of a stopped request may fail before it
// stops holding the request's re-creation back.
const analyticsSettleAttempts = 3
