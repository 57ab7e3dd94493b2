package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// routeIDs finds, by walking the API itself, one id per resource type that every route of
// the table can be asked about with a 2xx answer.
func routeIDs(t *testing.T, e *env) map[string]string {
	t.Helper()
	first := func(target string) string {
		t.Helper()
		items, _ := e.listAll(t, target)
		if len(items) == 0 {
			t.Fatalf("GET %s: no items", target)
		}
		return items[0].ID
	}
	app := e.srv.AppIDs()[0]
	ids := map[string]string{"apps": app}
	ids["appStoreVersions"] = first("/v1/apps/" + app + "/appStoreVersions")
	ids["customerReviews"] = first("/v1/apps/" + app + "/customerReviews?limit=1&exists%5BpublishedResponse%5D=true")
	ids["builds"] = first("/v1/apps/" + app + "/builds?limit=1") // the newest build has diagnostics
	ids["diagnosticSignatures"] = first("/v1/builds/" + ids["builds"] + "/diagnosticSignatures?limit=1")
	ids["inAppPurchases"] = first("/v1/apps/" + app + "/inAppPurchasesV2?limit=1")
	for _, a := range e.srv.AppIDs() {
		if items, _ := e.listAll(t, "/v1/apps/"+a+"/subscriptionGroups"); len(items) > 0 {
			ids["subscriptionGroups"] = items[0].ID
			break
		}
	}
	ids["subscriptions"] = first("/v1/subscriptionGroups/" + ids["subscriptionGroups"] + "/subscriptions?limit=1")
	ids["ciProducts"] = first("/v1/ciProducts?limit=1")
	ids["ciBuildRuns"] = first("/v1/ciProducts/" + ids["ciProducts"] + "/buildRuns?limit=1")
	ids["ciBuildActions"] = first("/v1/ciBuildRuns/" + ids["ciBuildRuns"] + "/actions?limit=1")

	// Analytics: the ONGOING request AnalyticsSince created, its first report with instances.
	ids["analyticsReportRequests"] = first("/v1/apps/" + app + "/analyticsReportRequests")
	reports, _ := e.listAll(t, "/v1/analyticsReportRequests/"+ids["analyticsReportRequests"]+"/reports")
	for _, rep := range reports {
		if insts, _ := e.listAll(t, "/v1/analyticsReports/"+rep.ID+"/instances?limit=1"); len(insts) > 0 {
			ids["analyticsReports"], ids["analyticsReportInstances"] = rep.ID, insts[0].ID
			break
		}
	}
	segs, _ := e.listAll(t, "/v1/analyticsReportInstances/"+ids["analyticsReportInstances"]+"/segments")
	if len(segs) == 0 {
		t.Fatal("no analytics segments")
	}
	ids["analyticsReportSegments"] = segs[0].ID
	ids["segmentURL"], _ = segs[0].Attributes["url"].(string)
	return ids
}

// routeTarget fills a pattern's {id} with the id of the resource type before it and adds
// the query the route needs for a 2xx answer.
func routeTarget(t *testing.T, pattern string, ids map[string]string) (method, target string) {
	t.Helper()
	method, path, _ := strings.Cut(pattern, " ")
	if i := strings.Index(path, "/{id}"); i >= 0 {
		typ := path[strings.LastIndex(path[:i], "/")+1 : i]
		id, ok := ids[typ]
		if !ok || id == "" {
			t.Fatalf("%s: no id of %s", pattern, typ)
		}
		path = strings.Replace(path, "{id}", url.PathEscape(id), 1)
	}
	switch path {
	case "/v1/salesReports":
		path += "?" + salesQuery("SALES", "SUMMARY", "DAILY", "2026-11-20", "").Encode()
	case "/v1/financeReports":
		path += "?" + financeQuery("FINANCIAL", "US", "2026-01").Encode()
	}
	return method, path
}

// Every route of the table answers 2xx with a valid token; the table is walked, so a new
// route without an id here fails.
func TestRouteTable(t *testing.T) {
	e := newEnv(t, Options{AnalyticsSince: 10 * 24 * time.Hour})
	ids := routeIDs(t, e)
	var deletes []route
	for _, rt := range e.srv.routes() {
		if strings.HasPrefix(rt.pattern, http.MethodDelete+" ") {
			deletes = append(deletes, rt) // last: they remove what the others read
			continue
		}
		checkRoute(t, e, rt.pattern, ids)
	}
	// The pre-signed download, outside authorized: no token, its own signature.
	if rec := e.fetch(t, ids["segmentURL"], ""); rec.Code != http.StatusOK {
		t.Errorf("GET %s: %d %s", ids["segmentURL"], rec.Code, rec.Body)
	}
	for _, rt := range deletes {
		checkRoute(t, e, rt.pattern, ids)
	}
}

func checkRoute(t *testing.T, e *env, pattern string, ids map[string]string) {
	t.Helper()
	method, target := routeTarget(t, pattern, ids)
	var body []byte
	if method == http.MethodPost {
		body = createBodyFor(ids["apps"], accessSnapshot)
	}
	rec := e.send(t, method, target, body, nil)
	if rec.Code < 200 || rec.Code > 299 {
		t.Errorf("%s: %s %s: %d %s", pattern, method, target, rec.Code, rec.Body)
	}
	if !rateRE.MatchString(rec.Header().Get("X-Rate-Limit")) {
		t.Errorf("%s: X-Rate-Limit %q", pattern, rec.Header().Get("X-Rate-Limit"))
	}
}

// A request no route takes gets Apple's JSON error, never the mux's text pages: 404 for an
// unknown path, 405 with Allow for a method the path does not take, and 401 before either
// without a valid token.
func TestUnrouted(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.srv.AppIDs()[0]
	for _, c := range []struct {
		method, target string
		token          bool
		status         int
		code, allow    string
	}{
		{"GET", "/v1/nothing", true, 404, "NOT_FOUND", ""},
		{"GET", "/", true, 404, "NOT_FOUND", ""},
		{"GET", "/v1/apps/", true, 404, "NOT_FOUND", ""},
		{"GET", "/v1//apps", true, 404, "NOT_FOUND", ""},
		{"GET", "/v1/apps/../apps", true, 404, "NOT_FOUND", ""},
		{"GET", "/v1/apps/" + app + "/nothing", true, 404, "NOT_FOUND", ""},
		{"GET", "/v1/customerReviews/", true, 404, "NOT_FOUND", ""},
		{"GET", "/v3/apps", true, 404, "NOT_FOUND", ""},
		{"GET", "/analytics-segments", true, 404, "NOT_FOUND", ""},
		{"POST", "/v1/nothing", true, 404, "NOT_FOUND", ""},
		{"GET", "/v1/nothing", false, 401, "NOT_AUTHORIZED", ""},
		{"POST", "/v1/apps", true, 405, "METHOD_NOT_ALLOWED", "GET, HEAD"},
		{"POST", "/v1/salesReports", true, 405, "METHOD_NOT_ALLOWED", "GET, HEAD"},
		{"DELETE", "/v1/apps/" + app + "/customerReviews", true, 405, "METHOD_NOT_ALLOWED", "GET, HEAD"},
		{"PATCH", "/v1/analyticsReportRequests/x", true, 405, "METHOD_NOT_ALLOWED", "DELETE, GET, HEAD"},
		{"GET", "/v1/analyticsReportRequests", true, 405, "METHOD_NOT_ALLOWED", "POST"},
		{"POST", "/v1/apps", false, 401, "NOT_AUTHORIZED", ""},
	} {
		name := c.method + " " + c.target
		hdr := map[string]string{}
		if !c.token {
			hdr["Authorization"] = "" // send drops it
		}
		rec := e.send(t, c.method, c.target, nil, hdr)
		if rec.Code != c.status {
			t.Errorf("%s: %d, want %d (%s)", name, rec.Code, c.status, rec.Body)
			continue
		}
		if got := decodeErr(t, rec).Errors[0].Code; got != c.code {
			t.Errorf("%s: code %q, want %q", name, got, c.code)
		}
		if got := rec.Header().Get("Allow"); got != c.allow {
			t.Errorf("%s: Allow %q, want %q", name, got, c.allow)
		}
		if !rateRE.MatchString(rec.Header().Get("X-Rate-Limit")) {
			t.Errorf("%s: X-Rate-Limit %q", name, rec.Header().Get("X-Rate-Limit"))
		}
		if ct := rec.Header().Get("X-Content-Type-Options"); ct != "" {
			t.Errorf("%s: the mux's own page leaked (X-Content-Type-Options %q)", name, ct)
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &probe); err != nil || len(probe) != 1 {
			t.Errorf("%s: body %q is not Apple's error document alone", name, rec.Body)
		}
	}
}
