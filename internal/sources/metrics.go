package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// Metrics is the power and performance metrics family with its diagnostics (REFERENCE.md
// §D). A unit is one app's snapshot on one UTC day (metrics/PERF_METRICS/<app>/<day>):
// the app's perfPowerMetrics (its most recent versions), the perfPowerMetrics of its
// metrics.builds newest builds and, with metrics.diagnostics, their diagnostic signatures
// and each signature's logs. Its rows fill the six tables' (app_id, snapshot_date)
// partitions, replacing them (metrics_parse.go), so each day keeps what Apple reported
// that day and trends stay queryable.
//
// Apple serves these documents only as of now, so a snapshot is final once loaded (a run
// does not fetch it again the same day), and one of a past day cannot be taken: a unit
// that failed or was interrupted is redone whole later the same day, and expires after.
type Metrics struct {
	Cfg  *config.Config
	Apps *Apps
}

func (s *Metrics) Family() report.Family { return report.Metrics }

func (s *Metrics) Tables() []*schemas.Table { return tablesOf(report.Metrics) }

// Plan plans today's snapshot of every app: metrics.apps, else reviews.apps, else the
// apps the key can see (Apps.List; a failed listing is the pass's failure, not an error).
// A backfill plans the same: Apple keeps no past snapshots, so the farthest a backfill can
// reach is today's.
func (s *Metrics) Plan(ctx context.Context, env *engine.PlanEnv) (engine.Plan, error) {
	configured := s.Cfg.Metrics.Apps
	if len(configured) == 0 {
		configured = s.Cfg.Reviews.Apps
	}
	apps, fail := s.Apps.List(ctx, env, configured)
	if fail != nil {
		return engine.Plan{Failures: []engine.Failure{*fail}}, nil
	}
	day := snapshotDay(env.Now)
	var plan engine.Plan
	for _, app := range apps {
		u := report.Unit{Family: report.Metrics, Type: "PERF_METRICS", Vendor: app, Period: day}
		plan.Units = append(plan.Units, engine.Planned{Unit: u, Final: true})
	}
	return plan, nil
}

// Payload names of a snapshot, in the order they are fetched (Parse reads them back by
// name): the app's metrics, the build listing, then per build its metrics, its signature
// pages and one logs document per signature.
const (
	appMetricsName = "app-metrics.json"
	buildsName     = "builds.json"
)

func buildMetricsName(id string) string { return "build-" + safeName(id) + "-metrics.json" }

func buildSignaturesName(id string, page int) string {
	return fmt.Sprintf("build-%s-signatures-%03d.json", safeName(id), page)
}

func buildLogsName(id string, n int) string {
	return fmt.Sprintf("build-%s-logs-%03d.json", safeName(id), n)
}

// errUnreadable stops a fetch at a listing that does not decode (a build listing, a page
// of signatures): what comes after it cannot be known. The listing is archived like any
// payload, and Parse then fails on it naming its key and line, so the unit fails with
// the evidence kept.
var errUnreadable = errors.New("listing unreadable")

// Fetch takes the snapshot. A unit of another day than today's (a failed one re-polled)
// is Gone: a snapshot of a past day cannot be taken.
func (s *Metrics) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	env = patientFetch(env) // a document that fails is asked for again, not the whole unit
	if p.Unit.Period != snapshotDay(env.Now) {
		return engine.Fetched{Outcome: engine.Gone, Detail: "a snapshot of a past day cannot be taken"}, nil
	}
	f := &metricsFetch{ctx: ctx, env: env, diagnostics: s.Cfg.Metrics.Diagnostics}
	if err := f.snapshot(p.Unit.Vendor, s.Cfg.Metrics.Builds); err != nil && !errors.Is(err, errUnreadable) {
		return engine.Fetched{}, err
	}
	return engine.Fetched{Outcome: engine.Data}, nil
}

// metricsFetch is one snapshot's fetch: every document is put as received, in order.
type metricsFetch struct {
	ctx         context.Context
	env         *engine.FetchEnv
	diagnostics bool
}

// get GETs one document and puts it under name.
func (f *metricsFetch) get(name, target string, q url.Values) ([]byte, error) {
	body, err := f.env.API.GetJSON(f.ctx, target, q)
	if err != nil {
		return nil, err
	}
	return body, f.put(name, body)
}

func (f *metricsFetch) put(name string, body []byte) error {
	return f.env.Put(name, bytes.NewReader(body))
}

func (f *metricsFetch) snapshot(app string, builds int) error {
	if _, err := f.get(appMetricsName, "/v1/apps/"+url.PathEscape(app)+"/perfPowerMetrics", nil); err != nil {
		return err
	}
	ids, err := f.builds(app, builds)
	if err != nil {
		return err
	}
	for _, b := range ids {
		if _, err := f.get(buildMetricsName(b), "/v1/builds/"+url.PathEscape(b)+"/perfPowerMetrics", nil); err != nil {
			return err
		}
		if !f.diagnostics {
			continue
		}
		if err := f.buildDiagnostics(b); err != nil {
			return err
		}
	}
	return nil
}

// builds lists the ids of the app's n newest builds (one page: n is at most 50).
func (f *metricsFetch) builds(app string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	q := url.Values{"sort": {"-uploadedDate"}, "limit": {strconv.Itoa(min(n, 200))}}
	body, err := f.get(buildsName, "/v1/apps/"+url.PathEscape(app)+"/builds", q)
	if err != nil {
		return nil, fmt.Errorf("builds of app %s: %w", app, err)
	}
	return newestBuilds(buildsName, body, n)
}

// newestBuilds reads the build ids of a listing, newest first, at most n of them.
func newestBuilds(key string, body []byte, n int) ([]string, error) {
	doc, err := transform.DecodeDocument(key, body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUnreadable, err)
	}
	var ids []string
	for _, r := range doc.Data {
		if len(ids) < n {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

// buildDiagnostics fetches a build's signatures (every page) and each signature's logs.
// A build Apple has no diagnostics for answers 404 on the first page: not an error.
func (f *metricsFetch) buildDiagnostics(build string) error {
	var sigs []string
	pages := 0
	err := extract.EachPage(f.ctx, f.env.API, "/v1/builds/"+url.PathEscape(build)+"/diagnosticSignatures",
		url.Values{"limit": {"200"}}, func(page int, body []byte) error {
			pages = page
			name := buildSignaturesName(build, page)
			if err := f.put(name, body); err != nil {
				return err
			}
			doc, err := transform.DecodeDocument(name, body)
			if err != nil {
				return fmt.Errorf("%w: %w", errUnreadable, err)
			}
			for _, r := range doc.Data {
				sigs = append(sigs, r.ID)
			}
			return nil
		})
	var ae *extract.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound && pages == 0:
		return nil // no diagnostics for this build (a later page's 404 is an error)
	case err != nil:
		return err
	}
	for i, id := range sigs {
		if _, err := f.get(buildLogsName(build, i+1), "/v1/diagnosticSignatures/"+url.PathEscape(id)+"/logs", nil); err != nil {
			return err
		}
	}
	return nil
}

// safeName keeps an id usable inside an object key.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}
