package simulator

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

type metricDocT struct {
	Data []struct {
		Type       string `json:"type"`
		DataPoints []struct {
			Start, End string
			Values     map[string]int `json:"values"`
		} `json:"dataPoints"`
		Dimensions map[string]struct {
			Data struct{ Type, ID string } `json:"data"`
		} `json:"dimensions"`
	} `json:"data"`
	Included []jitem `json:"included"`
	Links    struct{ Self, Next string }
	Meta     struct {
		Paging struct{ Total, Limit int } `json:"paging"`
	} `json:"meta"`
}

func (e *env) metricWalk(t *testing.T, target string) metricDocT {
	t.Helper()
	var all metricDocT
	for target != "" {
		u, _ := url.Parse(target)
		rec := e.do(t, u.Path, u.Query(), nil)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		var d metricDocT
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		all.Data = append(all.Data, d.Data...)
		all.Included = append(all.Included, d.Included...)
		all.Meta = d.Meta
		target = d.Links.Next
	}
	return all
}

func TestBetaTesterUsages(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.srv.AppIDs()[0]
	truth, err := e.srv.TruthBetaTesterUsages(app, "P7D")
	if err != nil {
		t.Fatal(err)
	}
	d := e.metricWalk(t, "/v1/apps/"+app+"/metrics/betaTesterUsages?period=P7D&groupBy=betaTesters&limit=3")
	if len(d.Data) != testersPerApp || d.Meta.Paging.Total != testersPerApp || len(d.Included) != testersPerApp {
		t.Fatalf("%d testers (total %d, included %d)", len(d.Data), d.Meta.Paging.Total, len(d.Included))
	}
	sum := map[string][3]int{}
	i := 0
	for k, it := range d.Data {
		tid := it.Dimensions["betaTesters"].Data.ID
		if it.Type != "appsBetaTesterUsages" || tid == "" || d.Included[k].ID != tid || d.Included[k].Type != "betaTesters" {
			t.Fatalf("item %d: %+v", k, it)
		}
		if len(it.DataPoints) != 7 {
			t.Fatalf("%d points for P7D", len(it.DataPoints))
		}
		for _, p := range it.DataPoints {
			want := truth[i]
			i++
			if want.TesterID != tid || iso(want.Day) != p.Start || iso(want.Day.AddDate(0, 0, 1)) != p.End ||
				p.Values["crashCount"] != want.Crashes || p.Values["sessionCount"] != want.Sessions ||
				p.Values["feedbackCount"] != want.Feedback {
				t.Fatalf("point %+v, truth %+v", p, want)
			}
			v := sum[p.Start]
			sum[p.Start] = [3]int{v[0] + want.Crashes, v[1] + want.Sessions, v[2] + want.Feedback}
		}
	}
	if last := d.Data[0].DataPoints[6].Start; last != "2026-11-24" {
		t.Fatalf("last day %s, want yesterday 2026-11-24", last)
	}
	// Without groupBy: one item, tester values summed.
	agg := e.metricWalk(t, "/v1/apps/"+app+"/metrics/betaTesterUsages?period=P7D")
	if len(agg.Data) != 1 || len(agg.Data[0].Dimensions) != 0 {
		t.Fatalf("aggregate: %+v", agg)
	}
	total := 0
	for _, p := range agg.Data[0].DataPoints {
		s := sum[p.Start]
		if p.Values["crashCount"] != s[0] || p.Values["sessionCount"] != s[1] || p.Values["feedbackCount"] != s[2] {
			t.Fatalf("aggregate %s: %v, sum %v", p.Start, p.Values, s)
		}
		total += s[1]
	}
	if total == 0 {
		t.Fatalf("no sessions in a week")
	}
	one := e.metricWalk(t, "/v1/apps/"+app+"/metrics/betaTesterUsages?groupBy=betaTesters&filter[betaTesters]="+truth[0].TesterID)
	if len(one.Data) != 1 || len(one.Data[0].DataPoints) != 30 {
		t.Fatalf("filter[betaTesters] + default P30D: %d items", len(one.Data))
	}
	wantStatus(t, e, "/v1/apps/"+app+"/metrics/betaTesterUsages?period=P2D", 400, "PARAMETER_ERROR.INVALID", "period")
	wantStatus(t, e, "/v1/apps/"+app+"/metrics/betaTesterUsages?groupBy=apps", 400, "PARAMETER_ERROR.INVALID", "groupBy")
	wantStatus(t, e, "/v1/apps/1/metrics/betaTesterUsages", 404, "NOT_FOUND", "")
}

func TestBetaBuildUsages(t *testing.T) {
	e := newEnv(t, Options{})
	app := e.srv.AppIDs()[1]
	bs := e.srv.Builds(app)
	for _, b := range bs[:2] {
		truth, err := e.srv.TruthBetaBuildUsages(b.ID)
		if err != nil {
			t.Fatal(err)
		}
		d := e.metricWalk(t, "/v1/builds/"+b.ID+"/metrics/betaBuildUsages")
		if len(d.Data) != 1 || d.Data[0].Type != "buildsBetaBuildUsages" || len(d.Data[0].DataPoints) != len(truth) {
			t.Fatalf("build %s: %+v vs %d truth days", b.ID, d, len(truth))
		}
		if len(truth) == 0 || truth[0].Day != utcDay(b.Uploaded) {
			t.Fatalf("build %s: first day %v, uploaded %v", b.ID, truth, b.Uploaded)
		}
		for i, p := range d.Data[0].DataPoints {
			w := truth[i]
			if p.Start != iso(w.Day) || p.Values["installCount"] != w.Installs || p.Values["sessionCount"] != w.Sessions ||
				p.Values["crashCount"] != w.Crashes || p.Values["feedbackCount"] != w.Feedback || p.Values["inviteCount"] != w.Invites {
				t.Fatalf("point %+v, truth %+v", p, w)
			}
			if w.Day.After(utcDay(testNow).AddDate(0, 0, -1)) || w.Day.After(b.Uploaded.Add(90*24*time.Hour)) {
				t.Fatalf("day %v beyond yesterday or expiry", w.Day)
			}
		}
	}
	wantStatus(t, e, "/v1/builds/nope/metrics/betaBuildUsages", 404, "NOT_FOUND", "")
	wantStatus(t, e, "/v1/builds/"+bs[0].ID+"/metrics/betaBuildUsages?period=P7D", 400, "PARAMETER_ERROR.ILLEGAL", "period")
}

func TestXcodeCloud(t *testing.T) {
	e := newEnv(t, Options{})
	xc := e.srv.TruthXcodeCloud()
	prods, inc := e.walk(t, "/v1/ciProducts?limit=2&include=app&fields[apps]=name")
	if len(prods) != DefaultApps+1 || len(xc.Products) != len(prods) {
		t.Fatalf("%d products", len(prods))
	}
	apps := 0
	for i, p := range prods {
		tp := xc.Products[i]
		if p.ID != tp.ID || p.str("name") != tp.Name || p.str("productType") != tp.Type || p.relID(t, "app") != tp.AppID {
			t.Fatalf("product %+v, truth %+v", p, tp)
		}
		if tp.AppID != "" {
			apps++
		}
	}
	if apps != DefaultApps || len(inc) != DefaultApps {
		t.Fatalf("%d app products, %d included apps", apps, len(inc))
	}
	fw, _ := e.walk(t, "/v1/ciProducts?filter[productType]=FRAMEWORK")
	if len(fw) != 1 || fw[0].str("name") != frameworkName {
		t.Fatalf("framework filter %+v", fw)
	}
	byApp, _ := e.one(t, "/v1/apps/"+e.srv.AppIDs()[0]+"/ciProduct")
	if byApp.ID != xc.Products[0].ID {
		t.Fatalf("apps/{id}/ciProduct %s", byApp.ID)
	}

	// Runs of the first product: numbering, builds, issue counts = sums of actions.
	p := xc.Products[0]
	runs, incB := e.walk(t, "/v1/ciProducts/"+p.ID+"/buildRuns?limit=200&include=builds")
	var want []TruthCIRun
	for _, r := range xc.Runs {
		if r.ProductID == p.ID {
			want = append(want, r)
		}
	}
	if len(runs) != len(want) || len(runs) < 50 {
		t.Fatalf("%d runs, truth %d", len(runs), len(want))
	}
	built := map[string]bool{}
	for _, b := range incB {
		built[b.ID] = true
	}
	for _, b := range e.srv.Builds(p.AppID) {
		if !built[b.ID] {
			t.Fatalf("build %s has no run", b.ID)
		}
	}
	statuses := map[string]int{}
	actions := map[string][]TruthCIAction{}
	for _, a := range xc.Actions {
		actions[a.RunID] = append(actions[a.RunID], a)
	}
	for i, r := range runs { // newest first
		w := want[len(want)-1-i]
		num, _ := r.Attributes["number"].(float64)
		if r.ID != w.ID || int(num) != w.Number || w.Number != len(want)-i {
			t.Fatalf("run %d: %+v, truth %+v", i, r, w)
		}
		ic, _ := r.Attributes["issueCounts"].(map[string]any)
		var sum [4]int
		for _, a := range actions[w.ID] {
			sum[0] += a.Errors
			sum[1] += a.Warnings
			sum[2] += a.AnalyzerWarnings
			sum[3] += a.TestFailures
		}
		if int(ic["errors"].(float64)) != sum[0] || int(ic["warnings"].(float64)) != sum[1] ||
			int(ic["analyzerWarnings"].(float64)) != sum[2] || int(ic["testFailures"].(float64)) != sum[3] ||
			sum[0] != w.Errors || sum[3] != w.TestFailures {
			t.Fatalf("run %s issue counts %v, actions sum %v", r.ID, ic, sum)
		}
		status := r.str("completionStatus")
		statuses[status]++
		if (status == "FAILED") != (sum[0]+sum[3] > 0) {
			t.Fatalf("run %s %s with errors %d, test failures %d", r.ID, status, sum[0], sum[3])
		}
	}
	for _, st := range []string{"SUCCEEDED", "FAILED", "SKIPPED"} {
		if statuses[st] == 0 {
			t.Fatalf("no %s runs: %v", st, statuses)
		}
	}
	// Actions of one run through the API.
	r := want[len(want)-1]
	as, _ := e.walk(t, "/v1/ciBuildRuns/"+r.ID+"/actions?limit=1")
	if len(as) != len(actions[r.ID]) {
		t.Fatalf("%d actions, truth %d", len(as), len(actions[r.ID]))
	}
	for i, a := range as {
		if a.ID != actions[r.ID][i].ID || a.str("actionType") != actions[r.ID][i].Type || a.relID(t, "buildRun") != r.ID {
			t.Fatalf("action %+v", a)
		}
		one, _ := e.one(t, "/v1/ciBuildActions/"+a.ID)
		if one.str("name") != a.str("name") {
			t.Fatalf("single action %+v", one)
		}
	}
	// A run in progress: clock inside the newest run.
	last := want[len(want)-1]
	e.clock.t = last.Created.Add(time.Second)
	cur, _ := e.one(t, "/v1/ciBuildRuns/"+last.ID)
	if cur.str("executionProgress") == "COMPLETE" || cur.Attributes["completionStatus"] != nil || cur.Attributes["finishedDate"] != nil {
		t.Fatalf("run just created: %+v", cur.Attributes)
	}
	e.clock.t = last.Created.Add(-time.Second)
	wantStatus(t, e, "/v1/ciBuildRuns/"+last.ID, 404, "NOT_FOUND", "")
	e.clock.t = testNow
	wantStatus(t, e, "/v1/ciProducts/nope/buildRuns", 404, "NOT_FOUND", "")
	wantStatus(t, e, "/v1/ciProducts?filter[productType]=LIBRARY", 400, "PARAMETER_ERROR.INVALID", "filter[productType]")
	wantStatus(t, e, "/v1/ciProducts/"+p.ID+"/buildRuns?sort=date", 400, "PARAMETER_ERROR.INVALID", "sort")
}
