package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
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
	Name  string // Apple's report name, exact ("App Downloads Standard")
	Table *schemas.Table
	// NewParser prepares the parser of one instance's segments; rows' _extracted_at is at.
	NewParser func(inst transform.AnalyticsInstance, alloc memory.Allocator, at time.Time) (segmentParser, error)
}

// segmentParser turns an instance's segments (decompressed, in order) into rows, one
// record batch per month of the rows' date (transform.AnalyticsParser).
type segmentParser interface {
	AddSegment(key string, r io.Reader) error
	Months() []string
	Record(month string) arrow.RecordBatch
	Drift() transform.Drift
	Release()
}

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

// wanted is the set of reports to load (analytics.reports and analytics.categories).
func (s *Analytics) wanted() map[string]*analyticsKind {
	out := map[string]*analyticsKind{}
	for _, r := range s.Cfg.AnalyticsReports() {
		if k, ok := analyticsKinds().lookup(r.Name); ok {
			out[strings.ToLower(k.Name)] = k
		}
	}
	return out
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
func (s *Analytics) planApp(ctx context.Context, env *engine.PlanEnv, app string, want map[string]*analyticsKind) ([]engine.Planned, error) {
	reqs, err := listRequests(ctx, env.API, app)
	if err != nil {
		return nil, err
	}
	var units []engine.Planned
	listed := map[string][]engine.Planned{}
	for _, q := range reqs {
		if q.Access == accessSnapshot && !s.Cfg.Analytics.Snapshot {
			continue
		}
		us, err := s.instances(ctx, env.API, app, q, want)
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
func (s *Analytics) instances(ctx context.Context, api engine.API, app string, q analyticsRequest, want map[string]*analyticsKind) ([]engine.Planned, error) {
	type found struct {
		id   string
		kind *analyticsKind
	}
	var reports []found
	err := eachAnaResource(ctx, api, "/v1/analyticsReportRequests/"+url.PathEscape(q.ID)+"/reports", engine.Query("limit", "200"),
		func(r anaResource) error {
			var a struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(r.Attributes, &a); err != nil {
				return fmt.Errorf("field attributes: %w", err)
			}
			if k, ok := want[strings.ToLower(strings.TrimSpace(a.Name))]; ok {
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
