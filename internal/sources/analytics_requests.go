package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
)

// The request lifecycle of one app, kept in order at every plan from what Apple lists and
// what the ledger holds (no state file):
//
//   - No ONGOING request: one is created (Apple publishes its first instances 24–48 h
//     later).
//   - An ONGOING request Apple stopped for inactivity publishes nothing new, but its
//     instances stay readable until they expire (35 days) — and not once it is deleted,
//     while Apple refuses a new ONGOING request until it is. So it is deleted, and a new
//     one created, only once every instance the plan lists for it is settled in the
//     ledger (loaded, empty, expired, or failed analyticsSettleAttempts times). When some
//     are not, this pass loads them and the next pass re-creates the request.
//   - With analytics.snapshot, a ONE_TIME_SNAPSHOT request is created once: unless Apple
//     lists one for the app or the ledger holds a snapshot instance of it. Apple allows
//     one a month (409): that is noted, and the next pass asks again.
func (s *Analytics) lifecycle(ctx context.Context, env *engine.PlanEnv, app string, reqs []analyticsRequest, listed map[string][]engine.Planned) error {
	if err := s.keepOngoing(ctx, env, app, reqs, listed); err != nil {
		return err
	}
	if s.Cfg.Analytics.Snapshot {
		return s.keepSnapshot(ctx, env, app, reqs)
	}
	return nil
}

// keepOngoing makes sure the app has a live ONGOING request.
func (s *Analytics) keepOngoing(ctx context.Context, env *engine.PlanEnv, app string, reqs []analyticsRequest, listed map[string][]engine.Planned) error {
	live := false
	var stopped []analyticsRequest
	for _, q := range reqs {
		switch {
		case q.Access != accessOngoing:
		case q.Stopped:
			stopped = append(stopped, q)
		default:
			live = true
		}
	}
	for _, q := range stopped {
		if n := unsettledInstances(env.Entries, listed[q.ID]); n > 0 {
			env.Log.Info("analytics request stopped due to inactivity; loading its instances before re-creating it",
				"app", app, "request", q.ID, "instances", n)
			env.Note(engine.Note{Kind: "analytics request", Subject: "stopped " + app,
				Detail: fmt.Sprintf("app %s: the ONGOING request was stopped for inactivity; its %d remaining instances load first, the request is re-created on the next run", app, n)})
			return nil
		}
	}
	for _, q := range stopped {
		err := env.API.Delete(ctx, "/v1/analyticsReportRequests/"+url.PathEscape(q.ID))
		if err != nil && !apiStatusIs(err, http.StatusNotFound) {
			return fmt.Errorf("delete stopped analytics request %s of app %s: %w", q.ID, app, err)
		}
		env.Log.Info("analytics request deleted (stopped due to inactivity)", "app", app, "request", q.ID)
	}
	if live {
		return nil
	}
	id, err := s.createRequest(ctx, env.API, app, accessOngoing)
	if err != nil {
		return err
	}
	what, detail := "created", "Apple publishes its first instances 24–48 h later"
	if len(stopped) > 0 {
		what, detail = "re-created", "the stopped one was deleted; the days it missed come back only through a snapshot"
	}
	env.Log.Info("analytics request "+what, "app", app, "access", accessOngoing, "request", id)
	env.Note(engine.Note{Kind: "analytics request", Subject: what + " " + app,
		Detail: fmt.Sprintf("app %s: ONGOING request %s (%s)", app, what, detail)})
	return nil
}

// unsettledInstances counts the listed instances whose ledger entry is not settled.
func unsettledInstances(entries map[string]load.Entry, units []engine.Planned) int {
	n := 0
	for _, p := range units {
		e, known := entries[p.Unit.ID()]
		if !instanceSettled(e, known) {
			n++
		}
	}
	return n
}

// keepSnapshot requests the app's ONE_TIME_SNAPSHOT once.
func (s *Analytics) keepSnapshot(ctx context.Context, env *engine.PlanEnv, app string, reqs []analyticsRequest) error {
	for _, q := range reqs {
		if q.Access == accessSnapshot {
			return nil
		}
	}
	for _, e := range env.Entries {
		if e.Unit.Vendor == app && e.Unit.SubType == accessSnapshot {
			return nil // requested before (and since deleted)
		}
	}
	id, err := s.createRequest(ctx, env.API, app, accessSnapshot)
	switch {
	case apiStatusIs(err, http.StatusConflict):
		env.Log.Info("analytics snapshot refused (one per month); asking again next run", "app", app)
		env.Note(engine.Note{Kind: "analytics request", Subject: "snapshot refused " + app,
			Detail: fmt.Sprintf("app %s: Apple refused the ONE_TIME_SNAPSHOT request (one a month); the next run asks again", app)})
		return nil
	case err != nil:
		return err
	}
	env.Log.Info("analytics request created", "app", app, "access", accessSnapshot, "request", id)
	env.Note(engine.Note{Kind: "analytics request", Subject: "snapshot " + app,
		Detail: fmt.Sprintf("app %s: ONE_TIME_SNAPSHOT request created (history, published 24–48 h later)", app)})
	return nil
}

// createRequest POSTs a new request and returns its id. A 409 for ONGOING means one exists
// after all (created concurrently, or a create whose answer was lost was retried): the
// requests are listed again and the live one is used.
func (s *Analytics) createRequest(ctx context.Context, api engine.API, app, access string) (string, error) {
	body, _ := json.Marshal(map[string]any{"data": map[string]any{
		"type":          "analyticsReportRequests",
		"attributes":    map[string]any{"accessType": access},
		"relationships": map[string]any{"app": map[string]any{"data": map[string]any{"type": "apps", "id": app}}},
	}})
	data, err := api.PostJSON(ctx, "/v1/analyticsReportRequests", body)
	if apiStatusIs(err, http.StatusConflict) && access == accessOngoing {
		reqs, lerr := listRequests(ctx, api, app)
		if lerr != nil {
			return "", lerr
		}
		for _, q := range reqs {
			if q.Access == access && !q.Stopped {
				return q.ID, nil
			}
		}
	}
	if err != nil {
		return "", fmt.Errorf("create %s analytics request for app %s: %w", access, app, err)
	}
	var doc struct {
		Data anaResource `json:"data"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("create %s analytics request for app %s: bad response: %w", access, app, err)
	}
	if doc.Data.ID == "" {
		return "", fmt.Errorf("create %s analytics request for app %s: bad response: field data.id is empty", access, app)
	}
	return doc.Data.ID, nil
}
