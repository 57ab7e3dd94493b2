package sources

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// TestFlight is the TestFlight usage family: one unit per app and UTC day, the app's beta
// tester usage (one row per tester and day over testflight.period) and the beta build
// usage of its testflight.builds newest builds (one row per build and day), merged by
// usage key into (app, month) partitions, so overlapping windows never duplicate a row.
//
// The apps are catalog.apps, else the apps on sale (Apps, listed once per pass). Apple
// serves only the usage up to yesterday: a backfill takes today's snapshot, and a past
// day's unit is Gone.
type TestFlight struct {
	Cfg  *config.Config
	Apps *Apps
}

// TestFlightType is the unit type of one app's usage snapshot.
const TestFlightType = "TESTFLIGHT_USAGE"

func (s *TestFlight) Family() report.Family { return report.TestFlight }

func (s *TestFlight) Tables() []*schemas.Table { return tablesOf(report.TestFlight) }

// Plan plans today's unit of every app, for a run and a backfill alike: Apple serves the
// usage of the testflight.period days up to yesterday (P365D reaches a year back) and
// nothing older, so a backfill takes today's snapshot (set testflight.period for depth).
func (s *TestFlight) Plan(ctx context.Context, env *engine.PlanEnv) (engine.Plan, error) {
	var plan engine.Plan
	apps, fail := s.Apps.List(ctx, env, s.Cfg.Catalog.Apps)
	if fail != nil {
		plan.Failures = append(plan.Failures, *fail)
		return plan, nil
	}
	for _, app := range apps {
		plan.Units = append(plan.Units, engine.Planned{Unit: report.Unit{Family: report.TestFlight, Type: TestFlightType,
			Vendor: app, Period: snapshotDay(env.Now)}})
	}
	return plan, nil
}

// Fetch reads one app's usage, every document archived as received:
//
//	testers-page-00001.json   GET /v1/apps/{id}/metrics/betaTesterUsages?groupBy=betaTesters, every page
//	builds.json               GET /v1/builds?filter[app]={id}, the testflight.builds newest
//	build-<n>-usage.json      GET /v1/builds/{id}/metrics/betaBuildUsages of the n-th build listed
//
// A build Apple answers 404 for has no TestFlight usage (no payload).
func (s *TestFlight) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	env = patientFetch(env) // a document that fails is asked for again, not the whole unit
	if f, gone := pastSnapshot(env, p); gone {
		return f, nil
	}
	app := p.Unit.Vendor
	q := url.Values{"period": {s.Cfg.TestFlight.Period}, "groupBy": {"betaTesters"}, "limit": {"200"}}
	err := extract.EachPage(ctx, env.API, "/v1/apps/"+app+"/metrics/betaTesterUsages", q, func(page int, body []byte) error {
		return putDoc(env, fmt.Sprintf("testers-page-%05d.json", page), body)
	})
	if err != nil {
		return engine.Fetched{}, fmt.Errorf("beta tester usage of app %s: %w", app, err)
	}
	if s.Cfg.TestFlight.Builds == 0 {
		return engine.Fetched{Outcome: engine.Data}, nil
	}
	data, err := env.API.GetJSON(ctx, "/v1/builds", url.Values{"filter[app]": {app}, "sort": {"-uploadedDate"},
		"limit": {strconv.Itoa(s.Cfg.TestFlight.Builds)}})
	if err != nil {
		return engine.Fetched{}, fmt.Errorf("builds of app %s: %w", app, err)
	}
	builds, err := listIDs("builds.json", data)
	if err != nil {
		return engine.Fetched{}, err
	}
	if err := putDoc(env, "builds.json", data); err != nil {
		return engine.Fetched{}, err
	}
	for i, b := range builds {
		data, err := env.API.GetJSON(ctx, "/v1/builds/"+url.PathEscape(b)+"/metrics/betaBuildUsages", url.Values{"limit": {"200"}})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return engine.Fetched{}, fmt.Errorf("beta build usage of build %s: %w", b, err)
		}
		if err := putDoc(env, fmt.Sprintf("build-%d-usage.json", i+1), data); err != nil {
			return engine.Fetched{}, err
		}
	}
	return engine.Fetched{Outcome: engine.Data}, nil
}

var testflightPayload = regexp.MustCompile(`^(?:(testers)-page-[0-9]+|(builds)|build-([0-9]+)-usage)\.json$`)

// Parse flattens the usage documents into rows, partitioned by the month of their day.
func (s *TestFlight) Parse(ctx context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	app, at := in.Unit.Vendor, in.Version.FetchedAt
	tu, bu := table(schemas.TestFlightTesterUsageTable), table(schemas.TestFlightBuildUsageTable)
	parts := partRows{}
	add := func(t *schemas.Table, rows []transform.CatalogRow) {
		for _, r := range rows {
			parts.add(t, app, monthOf(r.Get(t, "day").(time.Time)), r)
		}
	}
	var builds []string
	for _, p := range in.Version.Payloads {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := testflightPayload.FindStringSubmatch(p.Name)
		if m == nil {
			return nil, fmt.Errorf("%s: not a TestFlight document (payload %q)", p.Key, p.Name)
		}
		data, err := readPayload(in, p)
		if err != nil {
			return nil, err
		}
		switch {
		case m[1] != "":
			doc, err := transform.TesterUsageRows(p.Key, data, at)
			if err != nil {
				return nil, docErr(p.Key, data, err)
			}
			add(tu, doc.Rows)
		case m[2] != "":
			doc, err := decodeDoc(p.Key, data)
			if err != nil {
				return nil, err
			}
			for _, r := range doc.Data {
				builds = append(builds, r.ID)
			}
		default:
			n, _ := strconv.Atoi(m[3])
			if n < 1 || n > len(builds) {
				return nil, fmt.Errorf("%s: build %d is not in the builds listing (%d builds)", p.Key, n, len(builds))
			}
			doc, err := transform.BuildUsageRows(p.Key, data, builds[n-1], at)
			if err != nil {
				return nil, docErr(p.Key, data, err)
			}
			if doc.Next != "" {
				// One build's usage is one data item; a second page would be Apple's change.
				return nil, fmt.Errorf("%s: field links.next: unexpected second page of one build's usage", p.Key)
			}
			add(bu, doc.Rows)
		}
	}
	return parts.outputs(in)
}
