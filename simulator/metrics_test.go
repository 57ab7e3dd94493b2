package simulator

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// Metrics tests decode served JSON generically (map[string]any) and walk it, independently
// of the server's types.

func decodeTyped(t *testing.T, rec *httptest.ResponseRecorder, ctype string) any {
	t.Helper()
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != ctype {
		t.Fatalf("Content-Type %q, want %q", ct, ctype)
	}
	if !rateRE.MatchString(rec.Header().Get("X-Rate-Limit")) {
		t.Fatalf("X-Rate-Limit %q", rec.Header().Get("X-Rate-Limit"))
	}
	var v any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func sampleShape(t *testing.T, name string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	keyShape(v, "", out)
	return out
}

func shapeOf(v any) map[string]bool {
	out := map[string]bool{}
	keyShape(v, "", out)
	return out
}

// subset fails unless every key of sub is in super.
func subset(t *testing.T, what string, sub, super map[string]bool) {
	t.Helper()
	for k := range sub {
		if !super[k] {
			t.Errorf("%s: %s missing (have %v)", what, k, sortedKeys(super))
		}
	}
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func arr(v any) []any          { a, _ := v.([]any); return a }

func perfPath(kind, id string) string { return "/v1/" + kind + "/" + id + "/perfPowerMetrics" }

func TestBuildsList(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: -1})
	for _, app := range e.srv.AppIDs() {
		truth := e.srv.Builds(app)
		if len(truth) != BuildsPerApp {
			t.Fatalf("app %s: %d builds", app, len(truth))
		}
		path := "/v1/apps/" + app + "/builds"
		pages := walk(t, e, path, url.Values{"limit": {"4"}})
		if len(pages) != 2 || pages[0].Meta.Paging.Total != BuildsPerApp || pages[0].Meta.Paging.Limit != 4 {
			t.Fatalf("pages %d meta %+v", len(pages), pages[0].Meta)
		}
		var got []tRes
		for _, p := range pages {
			got = append(got, p.Data...)
		}
		for i, d := range got {
			tb := truth[i]
			if d.Type != "builds" || d.ID != tb.ID || d.Links.Self != "http://example.com/v1/builds/"+tb.ID {
				t.Fatalf("build %d: %+v vs %+v", i, d, tb)
			}
			if i > 0 && !truth[i-1].Uploaded.After(tb.Uploaded) {
				t.Fatal("Builds not newest first")
			}
			if rel := d.Relationships["app"].Links; rel == nil || rel.Related != d.Links.Self+"/app" {
				t.Fatalf("app relationship %+v", d.Relationships)
			}
		}
	}
	app := e.srv.AppIDs()[1]
	truth := e.srv.Builds(app)
	path := "/v1/apps/" + app + "/builds"
	// Attributes, raw.
	v := decodeTyped(t, e.do(t, path, url.Values{"sort": {"uploadedDate"}, "limit": {"1"}}, nil), "application/json")
	a := obj(obj(arr(obj(v)["data"])[0])["attributes"])
	oldest := truth[len(truth)-1]
	up, err := time.Parse(time.RFC3339, a["uploadedDate"].(string))
	if err != nil || !up.Equal(oldest.Uploaded) || a["version"] != oldest.Version || a["processingState"] != "VALID" ||
		strings.HasSuffix(a["uploadedDate"].(string), "Z") || up.Format(buildDateLayout) != a["uploadedDate"] {
		t.Fatalf("oldest build attributes %v vs %+v", a, oldest)
	}
	// filter[version] by build number.
	pages := walk(t, e, path, url.Values{"filter[version]": {truth[2].Version}})
	if len(pages[0].Data) != 1 || pages[0].Data[0].ID != truth[2].ID {
		t.Fatalf("filter[version]: %+v", pages[0].Data)
	}
	// Single build.
	var one tSingle
	decodeJSON(t, e.do(t, "/v1/builds/"+truth[0].ID, nil, nil), &one)
	if one.Data.ID != truth[0].ID {
		t.Fatalf("single build %+v", one.Data)
	}
	for _, c := range []struct {
		path   string
		q      url.Values
		status int
		code   string
		param  string
	}{
		{path, url.Values{"sort": {"version"}}, 400, "PARAMETER_ERROR.INVALID", "sort"},
		{path, url.Values{"limit": {"201"}}, 400, "PARAMETER_ERROR.INVALID", "limit"},
		{path, url.Values{"cursor": {"AQ.bogus"}}, 400, "PARAMETER_ERROR.INVALID", "cursor"},
		{path, url.Values{"filter[processingState]": {"DONE"}}, 400, "PARAMETER_ERROR.INVALID", "filter[processingState]"},
		{path, url.Values{"filter[nope]": {"1"}}, 400, "PARAMETER_ERROR.ILLEGAL", "filter[nope]"},
		{"/v1/apps/1/builds", nil, 404, "NOT_FOUND", ""},
		{"/v1/builds/nope", nil, 404, "NOT_FOUND", ""},
	} {
		rec := e.do(t, c.path, c.q, nil)
		if rec.Code != c.status {
			t.Fatalf("%s %v: %d %s", c.path, c.q, rec.Code, rec.Body)
		}
		er := decodeErr(t, rec).Errors[0]
		if er.Code != c.code || c.param != "" && (er.Source == nil || er.Source.Parameter != c.param) {
			t.Fatalf("%s %v: %+v", c.path, c.q, er)
		}
	}
}

func TestBuildsFollowClock(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: -1})
	app := e.srv.AppIDs()[0]
	all := e.srv.Builds(app)
	e.clock.t = all[1].Uploaded.Add(-time.Second) // the newest two are not uploaded yet
	if got := e.srv.Builds(app); len(got) != len(all)-2 || got[0].ID != all[2].ID {
		t.Fatalf("builds before upload: %+v", got)
	}
	if rec := e.do(t, perfPath("builds", all[0].ID), nil, nil); rec.Code != 404 {
		t.Fatalf("future build: %d", rec.Code)
	}
}

// metricsCount walks a served xcodeMetrics document.
func metricsCount(v any) MetricsDocTruth {
	var t MetricsDocTruth
	seen := map[string]bool{}
	for _, p := range arr(obj(v)["productData"]) {
		for _, c := range arr(obj(p)["metricCategories"]) {
			for _, m := range arr(obj(c)["metrics"]) {
				mm := obj(m)
				t.Metrics = append(t.Metrics, TruthMetric{obj(c)["identifier"].(string), mm["identifier"].(string),
					obj(mm["unit"])["identifier"].(string)})
				t.GoalKeys += len(arr(mm["goalKeys"]))
				for _, ds := range arr(mm["datasets"]) {
					t.Datasets++
					if obj(ds)["recommendedMetricGoal"] != nil {
						t.RecommendedGoals++
					}
					for _, pt := range arr(obj(ds)["points"]) {
						t.Points++
						if obj(pt)["percentageBreakdown"] != nil {
							t.Breakdowns++
						}
						if ver := obj(pt)["version"].(string); !seen[ver] {
							seen[ver] = true
							t.Versions = append(t.Versions, ver)
						}
					}
				}
			}
		}
	}
	if ins := obj(obj(v)["insights"]); ins != nil {
		for _, k := range []string{"trendingUp", "regressions"} {
			for _, in := range arr(ins[k]) {
				t.Insights++
				t.InsightPopulations += max(1, len(arr(obj(in)["populations"])))
			}
		}
	}
	return t
}

func pointValues(v any) []float64 {
	var out []float64
	for _, p := range arr(obj(v)["productData"]) {
		for _, c := range arr(obj(p)["metricCategories"]) {
			for _, m := range arr(obj(c)["metrics"]) {
				for _, ds := range arr(obj(m)["datasets"]) {
					for _, pt := range arr(obj(ds)["points"]) {
						out = append(out, obj(pt)["value"].(float64))
					}
				}
			}
		}
	}
	return out
}

func docTruthEqual(a, b MetricsDocTruth) bool {
	return slices.Equal(a.Versions, b.Versions) && slices.Equal(a.Metrics, b.Metrics) && a.Datasets == b.Datasets &&
		a.Points == b.Points && a.Breakdowns == b.Breakdowns && a.GoalKeys == b.GoalKeys &&
		a.RecommendedGoals == b.RecommendedGoals && a.Insights == b.Insights && a.InsightPopulations == b.InsightPopulations
}

func TestPerfMetricsShape(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: -1})
	appSample := sampleShape(t, "perf_power_metrics_app_launch_apple-doc-example.json")
	buildSample := sampleShape(t, "perf_power_metrics_build_animation_apple-doc-example.json")
	// Keys the samples do not show but the schema has.
	allowed := map[string]bool{}
	for k := range appSample {
		allowed[k] = true
		allowed[strings.Replace(k, "/regressions", "/trendingUp", 1)] = true
	}
	for k := range buildSample {
		allowed[k] = true
	}
	const pts = "/productData[]/metricCategories[]/metrics[]/datasets[]"
	for _, k := range []string{pts + "/points[]/errorMargin", pts + "/points[]/percentageBreakdown",
		pts + "/points[]/percentageBreakdown/value", pts + "/points[]/percentageBreakdown/subSystemLabel",
		pts + "/recommendedMetricGoal", pts + "/recommendedMetricGoal/value", pts + "/recommendedMetricGoal/detail"} {
		allowed[k] = true
	}
	for _, k := range []string{"subSystemLabel", "highImpact"} {
		allowed["/insights/regressions[]/"+k], allowed["/insights/trendingUp[]/"+k] = true, true
	}
	sawInt, sawDec, sawRegression := false, false, false
	for ai, app := range e.srv.AppIDs() {
		rec := e.do(t, perfPath("apps", app), nil, nil)
		v := decodeTyped(t, rec, xcodeMetricsType)
		got := shapeOf(v)
		subset(t, "served ⊆ schema", got, allowed)
		if ai == 0 {
			subset(t, "app sample ⊆ served", appSample, got)
		}
		if len(arr(obj(obj(v)["insights"])["regressions"])) > 0 {
			sawRegression = true
		}
		for _, x := range pointValues(v) {
			sawInt = sawInt || x == math.Trunc(x) // encoding/json writes integral floats as integers
			sawDec = sawDec || x != math.Trunc(x)
		}
		if obj(v)["version"] != "1.0.0" || obj(arr(obj(v)["productData"])[0])["platform"] != "iOS" {
			t.Fatalf("version/platform: %v", obj(v)["version"])
		}
		// referenceVersions is an array of strings (Apple's example), not a string (spec).
		for _, in := range arr(obj(obj(v)["insights"])["regressions"]) {
			if rv := arr(obj(in)["referenceVersions"]); len(rv) == 0 {
				t.Fatalf("referenceVersions %v", obj(in)["referenceVersions"])
			} else if _, ok := rv[0].(string); !ok {
				t.Fatalf("referenceVersions %v", rv)
			}
		}
		// App endpoint: points of the (up to) five most recent versions, oldest first.
		builds := e.srv.Builds(app)
		var want []string
		for i := min(len(builds), maxMetricVersions) - 1; i >= 0; i-- {
			want = append(want, builds[i].AppVersion)
		}
		if c := metricsCount(v); !slices.Equal(c.Versions, want) {
			t.Fatalf("versions %v, want %v", c.Versions, want)
		}
		// Build endpoint: one point per dataset, the build's version; no insights.
		for _, b := range builds {
			bv := decodeTyped(t, e.do(t, perfPath("builds", b.ID), nil, nil), xcodeMetricsType)
			got := shapeOf(bv)
			subset(t, "build served ⊆ schema", got, allowed)
			if b.ID == builds[0].ID {
				subset(t, "build sample ⊆ served", buildSample, got)
			}
			if _, ok := obj(bv)["insights"]; ok {
				t.Fatal("build document has insights")
			}
			if c := metricsCount(bv); c.Points != c.Datasets || !slices.Equal(c.Versions, []string{b.AppVersion}) {
				t.Fatalf("build %s: %+v", b.ID, c)
			}
		}
	}
	if !sawInt || !sawDec || !sawRegression {
		t.Fatalf("int %v decimal %v regression %v", sawInt, sawDec, sawRegression)
	}
	// goalKeys: poor is open-ended, as in Apple's example.
	v := decodeTyped(t, e.do(t, perfPath("apps", e.srv.AppIDs()[0]), url.Values{"filter[metricType]": {"ANIMATION"}}, nil), xcodeMetricsType)
	m := obj(arr(obj(arr(obj(arr(obj(v)["productData"])[0])["metricCategories"])[0])["metrics"])[0])
	gk := arr(m["goalKeys"])
	if len(gk) != 3 || obj(gk[0])["goalKey"] != "poor" || obj(gk[0])["upperBound"] != nil || obj(gk[1])["upperBound"] == nil {
		t.Fatalf("goalKeys %v", gk)
	}
	if g := obj(arr(obj(arr(m["datasets"])[0])["points"])[0])["goal"]; g != "good" && g != "fair" && g != "poor" {
		t.Fatalf("goal %v", g)
	}
}

func TestPerfMetricsTruth(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: -1})
	noPop := false
	for _, app := range e.srv.AppIDs() {
		truth, err := e.srv.TruthMetrics(app)
		if err != nil {
			t.Fatal(err)
		}
		got := metricsCount(decodeTyped(t, e.do(t, perfPath("apps", app), nil, nil), xcodeMetricsType))
		if !docTruthEqual(got, truth.App) {
			t.Fatalf("app %s:\n got %+v\nwant %+v", app, got, truth.App)
		}
		cats := map[string]bool{}
		for _, m := range truth.App.Metrics {
			cats[m.Category] = true
		}
		if len(cats) != len(metricCategories) || truth.App.Breakdowns == 0 || truth.App.GoalKeys == 0 {
			t.Fatalf("app %s: %+v", app, truth.App)
		}
		if truth.App.InsightPopulations > 0 && truth.App.Insights > 0 {
			noPop = noPop || truth.App.InsightPopulations < truth.App.Insights*2
		}
		if len(truth.Builds) != BuildsPerApp {
			t.Fatalf("builds %d", len(truth.Builds))
		}
		for id, bt := range truth.Builds {
			got := metricsCount(decodeTyped(t, e.do(t, perfPath("builds", id), nil, nil), xcodeMetricsType))
			if !docTruthEqual(got, bt) {
				t.Fatalf("build %s:\n got %+v\nwant %+v", id, got, bt)
			}
		}
	}
	if _, err := e.srv.TruthMetrics("nope"); err == nil {
		t.Fatal("TruthMetrics of an unknown app")
	}
}

func TestPerfMetricsFilters(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: -1})
	app := e.srv.AppIDs()[0]
	build := e.srv.Builds(app)[0].ID
	for _, path := range []string{perfPath("apps", app), perfPath("builds", build)} {
		v := decodeTyped(t, e.do(t, path, url.Values{"filter[metricType]": {"LAUNCH,HANG"}, "filter[platform]": {"IOS"}}, nil), xcodeMetricsType)
		c := metricsCount(v)
		for _, m := range c.Metrics {
			if m.Category != "LAUNCH" && m.Category != "HANG" {
				t.Fatalf("metricType filter let %v through", m)
			}
		}
		if len(c.Metrics) != 3 {
			t.Fatalf("metrics %v", c.Metrics)
		}
		for _, k := range []string{"trendingUp", "regressions"} {
			for _, in := range arr(obj(obj(v)["insights"])[k]) {
				if cat := obj(in)["metricCategory"]; cat != "LAUNCH" && cat != "HANG" {
					t.Fatalf("insight on %v", cat)
				}
			}
		}
		v = decodeTyped(t, e.do(t, path, url.Values{"filter[deviceType]": {"all_ipads"}, "filter[platform]": {"iOS"}}, nil), xcodeMetricsType)
		n := 0
		for _, p := range arr(obj(v)["productData"]) {
			for _, cat := range arr(obj(p)["metricCategories"]) {
				for _, m := range arr(obj(cat)["metrics"]) {
					for _, ds := range arr(obj(m)["datasets"]) {
						n++
						if d := obj(obj(ds)["filterCriteria"])["device"]; d != "all_ipads" {
							t.Fatalf("deviceType filter let %v through", d)
						}
					}
				}
			}
		}
		if n == 0 {
			t.Fatal("no iPad datasets")
		}
		v = decodeTyped(t, e.do(t, path, url.Values{"filter[deviceType]": {"Newton1,1"}}, nil), xcodeMetricsType)
		if c := metricsCount(v); c.Datasets != 0 || c.Insights != 0 {
			t.Fatalf("unknown device: %+v", c)
		}
	}
	for _, c := range []struct {
		path   string
		q      url.Values
		status int
		code   string
		param  string
	}{
		{perfPath("apps", app), url.Values{"filter[metricType]": {"LAUNCH,GPU"}}, 400, "PARAMETER_ERROR.INVALID", "filter[metricType]"},
		{perfPath("apps", app), url.Values{"filter[platform]": {"MAC_OS"}}, 400, "PARAMETER_ERROR.INVALID", "filter[platform]"},
		{perfPath("builds", build), url.Values{"limit": {"5"}}, 400, "PARAMETER_ERROR.ILLEGAL", "limit"},
		{perfPath("apps", "123"), nil, 404, "NOT_FOUND", ""},
		{perfPath("builds", "00000000-0000-4000-8000-000000000000"), nil, 404, "NOT_FOUND", ""},
	} {
		rec := e.do(t, c.path, c.q, nil)
		if rec.Code != c.status {
			t.Fatalf("%s %v: %d %s", c.path, c.q, rec.Code, rec.Body)
		}
		er := decodeErr(t, rec).Errors[0]
		if er.Code != c.code || c.param != "" && (er.Source == nil || er.Source.Parameter != c.param) {
			t.Fatalf("%s %v: %+v", c.path, c.q, er)
		}
	}
}

func TestPerfMetricsDeterminism(t *testing.T) {
	body := func(seed int64, at time.Time, path func(*env) string) string {
		e := newEnv(t, Options{Seed: seed, ReviewsPerApp: -1})
		e.clock.t = at
		return e.do(t, path(e), nil, nil).Body.String()
	}
	appPath := func(e *env) string { return perfPath("apps", e.srv.AppIDs()[2]) }
	buildPath := func(e *env) string { return perfPath("builds", e.srv.Builds(e.srv.AppIDs()[2])[1].ID) }
	for _, p := range []func(*env) string{appPath, buildPath} {
		a := body(7, testNow, p)
		if b := body(7, testNow.Add(3*time.Hour), p); a != b {
			t.Fatal("same seed and day, different body")
		}
		if b := body(8, testNow, p); a == b {
			t.Fatal("different seed, same body")
		}
		if b := body(7, testNow.Add(24*time.Hour), p); a == b {
			t.Fatal("next day, same values")
		}
	}
	// The next day moves values, not the structure (build documents have no insights).
	e := newEnv(t, Options{ReviewsPerApp: -1})
	app := e.srv.AppIDs()[0]
	t1, _ := e.srv.TruthMetrics(app)
	e.clock.Add(24 * time.Hour)
	t2, _ := e.srv.TruthMetrics(app)
	for id, bt := range t1.Builds {
		if !docTruthEqual(bt, t2.Builds[id]) {
			t.Fatalf("build %s structure changed overnight", id)
		}
	}
	if !slices.Equal(t1.App.Metrics, t2.App.Metrics) || t1.App.Points != t2.App.Points {
		t.Fatal("app structure changed overnight")
	}
}

func TestPerfMetricsExtra(t *testing.T) {
	extra := TruthMetric{"LAUNCH", "prewarmTime", "microfortnights"}
	for _, on := range []bool{false, true} {
		e := newEnv(t, Options{ReviewsPerApp: -1, MetricsExtra: on})
		app := e.srv.AppIDs()[0]
		truth, _ := e.srv.TruthMetrics(app)
		got := metricsCount(decodeTyped(t, e.do(t, perfPath("apps", app), nil, nil), xcodeMetricsType))
		if slices.Contains(truth.App.Metrics, extra) != on || slices.Contains(got.Metrics, extra) != on {
			t.Fatalf("MetricsExtra=%v: %v", on, got.Metrics)
		}
		for id, bt := range truth.Builds {
			if slices.Contains(bt.Metrics, extra) != on {
				t.Fatalf("build %s MetricsExtra=%v: %v", id, on, bt.Metrics)
			}
		}
	}
}
