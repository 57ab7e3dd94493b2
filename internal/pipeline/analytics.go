package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// Access types of analytics report requests.
const (
	accessOngoing  = "ONGOING"
	accessSnapshot = "ONE_TIME_SNAPSHOT"
)

// analyticsState is what the analytics family remembers per app between runs. Which
// instances are loaded is in the ledger (one entry per instance); this holds the request
// lifecycle.
type analyticsState struct {
	App                 string    `json:"app"`
	OngoingRequest      string    `json:"ongoing_request,omitempty"`
	SnapshotRequest     string    `json:"snapshot_request,omitempty"`
	SnapshotRequestedAt time.Time `json:"snapshot_requested_at,omitzero"`
	Recreated           int       `json:"recreated,omitempty"` // ONGOING requests re-created after inactivity
	UpdatedAt           time.Time `json:"updated_at,omitzero"`
}

func analyticsStateKey(app string) string { return "_etl/state/analytics/" + app + ".json" }

// analyticsRequest is one analyticsReportRequests resource.
type analyticsRequest struct {
	ID         string
	AccessType string
	Stopped    bool
}

// runAnalytics pulls the Analytics Reports API for the configured apps (issue 3): for each
// app it loads every instance not loaded yet of its ONGOING request (and, with
// analytics.snapshot, of its one-time snapshot), then keeps the request lifecycle in
// order: an app without an ONGOING request gets one, a request stopped for inactivity is
// deleted and created again (after its remaining instances were loaded), and the snapshot
// is requested once.
func (p *Pipeline) runAnalytics(ctx context.Context, sum *Summary) error {
	reports := p.Cfg.AnalyticsReports()
	apps, err := p.appIDs(ctx, sum, p.Cfg.AnalyticsApps()) // none configured: the key's apps on sale
	if err != nil {
		return nil // recorded in the summary as a failed app discovery
	}
	for _, app := range apps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.analyticsForApp(ctx, app, reports, sum); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			u := report.Unit{Family: report.Analytics, Type: "REPORT_REQUESTS", SubType: accessOngoing,
				Frequency: report.Daily, Vendor: app, Period: p.now().UTC().Format("2006-01-02")}
			sum.Planned++
			sum.add(outcome{Unit: u, State: load.Failed, Err: err})
			p.log().Warn("analytics", "app", app, "err", err.Error())
		}
	}
	return nil
}

func (p *Pipeline) analyticsForApp(ctx context.Context, app string, reports []schemas.AnalyticsReport, sum *Summary) error {
	var st analyticsState
	if err := p.readJSON(ctx, analyticsStateKey(app), &st); err != nil {
		return err
	}
	st.App = app
	reqs, err := p.analyticsRequests(ctx, app)
	if err != nil {
		return err
	}
	var ongoing, snapshot *analyticsRequest
	for i := range reqs {
		switch r := &reqs[i]; r.AccessType {
		case accessOngoing:
			if ongoing == nil || ongoing.Stopped && !r.Stopped {
				ongoing = r
			}
		case accessSnapshot:
			if snapshot == nil || r.ID == st.SnapshotRequest {
				snapshot = r
			}
		}
	}
	// Load first: a stopped request's instances stay readable until they expire, but not
	// once the request is deleted.
	for _, r := range []*analyticsRequest{ongoing, snapshot} {
		if r == nil || (r.AccessType == accessSnapshot && !p.Cfg.Analytics.Snapshot) {
			continue
		}
		if err := p.analyticsLoadRequest(ctx, app, *r, reports, sum); err != nil {
			return err
		}
	}
	// Then the lifecycle.
	if ongoing != nil && ongoing.Stopped {
		p.log().Warn("analytics request stopped due to inactivity; creating a new one", "app", app, "request", ongoing.ID)
		for _, r := range reqs {
			if r.AccessType == accessOngoing {
				if err := p.API.Delete(ctx, "/v1/analyticsReportRequests/"+url.PathEscape(r.ID)); err != nil && !isStatus(err, http.StatusNotFound) {
					return fmt.Errorf("delete stopped analytics request %s of app %s: %w", r.ID, app, err)
				}
			}
		}
		ongoing = nil
		st.Recreated++
	}
	if ongoing == nil {
		id, err := p.createAnalyticsRequest(ctx, app, accessOngoing)
		if err != nil {
			return err
		}
		st.OngoingRequest = id
		p.log().Info("analytics request created", "app", app, "access", accessOngoing, "request", id)
	} else {
		st.OngoingRequest = ongoing.ID
	}
	if p.Cfg.Analytics.Snapshot && st.SnapshotRequest == "" {
		if snapshot != nil {
			st.SnapshotRequest = snapshot.ID
		} else {
			id, err := p.createAnalyticsRequest(ctx, app, accessSnapshot)
			switch {
			case isStatus(err, http.StatusConflict):
				// Apple allows one snapshot a month: try again next run.
				p.log().Warn("analytics snapshot refused (one per month); retrying next run", "app", app)
			case err != nil:
				return err
			default:
				st.SnapshotRequest = id
				p.log().Info("analytics request created", "app", app, "access", accessSnapshot, "request", id)
			}
		}
		if st.SnapshotRequest != "" {
			st.SnapshotRequestedAt = p.now().UTC()
		}
	}
	st.UpdatedAt = p.now().UTC()
	return p.writeJSON(ctx, analyticsStateKey(app), st)
}

// analyticsRequests lists the app's report requests (both access types).
func (p *Pipeline) analyticsRequests(ctx context.Context, app string) ([]analyticsRequest, error) {
	var out []analyticsRequest
	err := p.eachResource(ctx, "/v1/apps/"+url.PathEscape(app)+"/analyticsReportRequests",
		url.Values{"limit": {"200"}}, func(r jsonResource) error {
			var a struct {
				AccessType string `json:"accessType"`
				Stopped    bool   `json:"stoppedDueToInactivity"`
			}
			if err := json.Unmarshal(r.Attributes, &a); err != nil {
				return err
			}
			out = append(out, analyticsRequest{ID: r.ID, AccessType: a.AccessType, Stopped: a.Stopped})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("analytics requests of app %s: %w", app, err)
	}
	return out, nil
}

// createAnalyticsRequest POSTs a new request. A 409 for ONGOING means one exists after all
// (created concurrently): it is listed again and reused.
func (p *Pipeline) createAnalyticsRequest(ctx context.Context, app, access string) (string, error) {
	body, _ := json.Marshal(map[string]any{"data": map[string]any{
		"type":          "analyticsReportRequests",
		"attributes":    map[string]any{"accessType": access},
		"relationships": map[string]any{"app": map[string]any{"data": map[string]any{"type": "apps", "id": app}}},
	}})
	data, err := p.API.PostJSON(ctx, "/v1/analyticsReportRequests", body)
	if isStatus(err, http.StatusConflict) && access == accessOngoing {
		reqs, lerr := p.analyticsRequests(ctx, app)
		if lerr != nil {
			return "", lerr
		}
		for _, r := range reqs {
			if r.AccessType == access && !r.Stopped {
				return r.ID, nil
			}
		}
	}
	if err != nil {
		return "", fmt.Errorf("create %s analytics request for app %s: %w", access, app, err)
	}
	var doc struct {
		Data jsonResource `json:"data"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Data.ID == "" {
		return "", fmt.Errorf("create %s analytics request for app %s: bad response: %v", access, app, err)
	}
	return doc.Data.ID, nil
}

// analyticsLoadRequest loads every wanted report's instances of one request that the
// ledger does not have as loaded.
func (p *Pipeline) analyticsLoadRequest(ctx context.Context, app string, req analyticsRequest, reports []schemas.AnalyticsReport, sum *Summary) error {
	want := map[string]schemas.AnalyticsReport{}
	for _, r := range reports {
		want[r.Name] = r
	}
	type apiReport struct {
		id string
		r  schemas.AnalyticsReport
	}
	var found []apiReport
	err := p.eachResource(ctx, "/v1/analyticsReportRequests/"+url.PathEscape(req.ID)+"/reports",
		url.Values{"limit": {"200"}}, func(res jsonResource) error {
			var a struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(res.Attributes, &a); err != nil {
				return err
			}
			if r, ok := want[a.Name]; ok {
				found = append(found, apiReport{res.ID, r})
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("analytics reports of request %s (app %s): %w", req.ID, app, err)
	}
	grans := map[string]bool{}
	for _, g := range p.Cfg.Analytics.Granularities {
		grans[g] = true
	}
	for _, ar := range found {
		insts, err := p.analyticsInstances(ctx, ar.id, grans)
		if err != nil {
			return fmt.Errorf("instances of %q (app %s): %w", ar.r.Name, app, err)
		}
		for _, in := range insts {
			if err := ctx.Err(); err != nil {
				return err
			}
			p.analyticsInstance(ctx, app, req.AccessType, ar.r, in, sum)
		}
	}
	return nil
}

// apiInstance is one analyticsReportInstances resource.
type apiInstance struct {
	ID, Granularity, ProcessingDate string
}

// analyticsInstances lists a report's instances of the wanted granularities, oldest first.
func (p *Pipeline) analyticsInstances(ctx context.Context, reportID string, grans map[string]bool) ([]apiInstance, error) {
	q := url.Values{"limit": {"200"}}
	if len(grans) == 1 {
		for g := range grans {
			q.Set("filter[granularity]", g)
		}
	}
	var out []apiInstance
	err := p.eachResource(ctx, "/v1/analyticsReports/"+url.PathEscape(reportID)+"/instances", q, func(res jsonResource) error {
		var a struct {
			Granularity    string `json:"granularity"`
			ProcessingDate string `json:"processingDate"`
		}
		if err := json.Unmarshal(res.Attributes, &a); err != nil {
			return err
		}
		if grans[a.Granularity] {
			out = append(out, apiInstance{res.ID, a.Granularity, a.ProcessingDate})
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].ProcessingDate < out[j].ProcessingDate })
	return out, err
}

// jsonResource is one JSON:API resource object.
type jsonResource struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Attributes json.RawMessage `json:"attributes"`
}

// eachResource calls fn for every resource of a JSON:API list, following links.next
// (listAll, without archiving the pages).
func (p *Pipeline) eachResource(ctx context.Context, target string, q url.Values, fn func(jsonResource) error) error {
	return p.listAll(ctx, target, q, "", func(doc *transform.Document) error {
		for i := range doc.Data {
			r := &doc.Data[i]
			if err := fn(jsonResource{ID: r.ID, Type: r.Type, Attributes: r.Attributes()}); err != nil {
				return fmt.Errorf("%s: %s %s: %w", target, r.Type, r.ID, err)
			}
		}
		return nil
	})
}

// isStatus reports whether err is an API error with the given HTTP status.
func isStatus(err error, status int) bool {
	var ae *extract.APIError
	return errors.As(err, &ae) && ae.Status == status
}

// analyticsUnit is the ledger unit of one instance.
func analyticsUnit(app, access string, r schemas.AnalyticsReport, in apiInstance) report.Unit {
	return report.Unit{Family: report.Analytics, Type: strings.ToUpper(strings.TrimPrefix(r.Table, "analytics_")),
		SubType: access, Frequency: in.Granularity, Vendor: app, Period: in.ProcessingDate}
}
