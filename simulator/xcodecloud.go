package simulator

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Xcode Cloud (decision 77): products, build runs and their actions, a pure function of the
// seed, the catalog and the clock (only what was created by then is visible).

const (
	ciDateFmt     = "2006-01-02T15:04:05.000Z"
	frameworkName = "AscetlKit"
	ciRunStep     = 3 * day
)

type ciProduct struct {
	id, name, typ string
	a             *app // nil for the framework
	created       time.Time
	origin        time.Time // first periodic run slot
}

type ciAction struct {
	id, name, typ, progress, status string
	started, finished               time.Time
	counts                          ciCounts
	run                             *ciRun
}

type ciCounts struct{ analyzer, errors, tests, warnings int }

func (c ciCounts) kv() kvs {
	return kvs{{"analyzerWarnings", c.analyzer}, {"errors", c.errors}, {"testFailures", c.tests}, {"warnings", c.warnings}}
}

type ciRun struct {
	id       string
	prod     *ciProduct
	number   int
	created  time.Time
	started  time.Time
	finished time.Time // zero while running
	progress string
	status   string // "" unless COMPLETE
	counts   ciCounts
	build    *build // nil unless the run produced a build
	sha, msg string
	pr       bool
	reason   string
	actions  []*ciAction
}

func (s *Server) ciProducts() []*ciProduct {
	seed := strconv.FormatInt(s.opt.Seed, 10)
	var out []*ciProduct
	for _, a := range s.cat.apps {
		bs := s.appBuilds(a)
		origin := bs[0].uploaded.Add(-30 * day).UTC().Truncate(time.Hour)
		out = append(out, &ciProduct{id: uuidOf("asc-ci-product", seed, a.sku), name: a.name, typ: "APP", a: a,
			created: origin.Add(-2 * day), origin: origin})
	}
	origin := reviewEpoch.Add(-400 * day)
	out = append(out, &ciProduct{id: uuidOf("asc-ci-product", seed, frameworkName), name: frameworkName,
		typ: "FRAMEWORK", created: origin.Add(-2 * day), origin: origin})
	return out
}

// ciRuns are the product's runs created at or before t, oldest first (number = index + 1).
func (s *Server) ciRuns(p *ciProduct, t time.Time) []*ciRun {
	var runs []*ciRun
	for k := 0; ; k++ {
		r := s.rng("ciRun", p.id, strconv.Itoa(k))
		c := p.origin.Add(time.Duration(k)*ciRunStep + time.Duration(r.IntN(2*24*3600))*time.Second)
		if c.After(t) {
			break
		}
		runs = append(runs, &ciRun{id: uuidOf("asc-ci-run", p.id, strconv.Itoa(k)), prod: p, created: c})
	}
	if p.a != nil {
		for _, b := range s.appBuilds(p.a) {
			r := s.rng("ciBuildRun", b.id)
			c := b.uploaded.UTC().Add(-time.Duration(40*60+r.IntN(60*60)) * time.Second)
			if !c.After(t) {
				runs = append(runs, &ciRun{id: uuidOf("asc-ci-run", p.id, b.id), prod: p, created: c, build: b})
			}
		}
	}
	slices.SortStableFunc(runs, func(a, b *ciRun) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for i, run := range runs {
		run.number = i + 1
		s.fillRun(run, t)
	}
	return runs
}

var ciStatuses = []struct {
	status string
	pct    int
}{{"SUCCEEDED", 70}, {"FAILED", 15}, {"ERRORED", 5}, {"CANCELED", 5}, {"SKIPPED", 5}}

// fillRun decides the run's outcome, actions and visibility of its progress at t. The
// draws from the run's generator come in a fixed order: start, message, pull request,
// status, steps, failing step, action durations and counts, finish.
func (s *Server) fillRun(run *ciRun, t time.Time) {
	r := s.rng("ciRunDetail", run.id)
	run.started = run.created.Add(time.Duration(5+r.IntN(115)) * time.Second)
	run.sha = strings.ReplaceAll(uuidOf("sha", run.id), "-", "") + strings.ReplaceAll(uuidOf("sha2", run.id), "-", "")[:8]
	run.msg = pick(r, []string{"Fix crash on launch", "Update dependencies", "Improve sync performance",
		"Localize settings screen", "Refactor storage layer", "Bump build number"})
	run.pr = run.build == nil && r.IntN(3) == 0
	run.reason = "GIT_REF_CHANGE"
	if run.pr {
		run.reason = "PULL_REQUEST_UPDATE"
	}
	status := ciRunStatus(r, run)
	steps := ciSteps(r, run, status)
	failAt := -1
	if status != "SUCCEEDED" && status != "SKIPPED" {
		failAt = r.IntN(len(steps))
	}
	at := ciRunActions(r, run, steps, failAt, status)
	run.finished = at.Add(time.Duration(10+r.IntN(50)) * time.Second)
	run.counts = sumCounts(run.actions, false)
	ciProgressAt(run, t, status)
}

// ciRunStatus is the outcome of a finished run: a run that produced a build succeeded.
func ciRunStatus(r *rand.Rand, run *ciRun) string {
	status := "SUCCEEDED"
	if run.build == nil {
		x := r.IntN(100)
		for _, c := range ciStatuses {
			if x < c.pct {
				status = c.status
				break
			}
			x -= c.pct
		}
	}
	return status
}

type ciStep struct{ name, typ string }

// ciSteps are the run's actions: build and test, sometimes analyze, archive for a run that
// produced a build; a SKIPPED run has none.
func ciSteps(r *rand.Rand, run *ciRun, status string) []ciStep {
	steps := []ciStep{{"Build - iOS", "BUILD"}, {"Test - iOS", "TEST"}}
	if r.IntN(2) == 0 || run.build != nil {
		steps = append(steps, ciStep{"Analyze - iOS", "ANALYZE"})
	}
	if run.build != nil {
		steps = append(steps, ciStep{"Archive - iOS", "ARCHIVE"})
	}
	if status == "SKIPPED" {
		steps = nil
	}
	return steps
}

// ciRunActions runs the steps one after the other from the run's start: the step at
// failAt ends with the run's status, the ones after it are SKIPPED. It returns when the
// last one finished.
func ciRunActions(r *rand.Rand, run *ciRun, steps []ciStep, failAt int, status string) time.Time {
	at := run.started
	for i, st := range steps {
		a := &ciAction{id: uuidOf("asc-ci-action", run.id, strconv.Itoa(i)), name: st.name, typ: st.typ, run: run}
		switch {
		case failAt >= 0 && i > failAt:
			a.status, a.started, a.finished = "SKIPPED", at, at
		default:
			a.started = at
			at = at.Add(time.Duration(60+r.IntN(600)) * time.Second)
			a.finished = at
			a.status = "SUCCEEDED"
			a.counts.warnings = r.IntN(8)
			if st.typ == "ANALYZE" {
				a.counts.analyzer = r.IntN(4)
			}
			if i == failAt {
				a.status = status
				if status == "FAILED" {
					if st.typ == "TEST" {
						a.counts.tests = 1 + r.IntN(5)
					} else {
						a.counts.errors = 1 + r.IntN(3)
					}
				}
			}
		}
		run.actions = append(run.actions, a)
	}
	return at
}

// sumCounts adds up the issue counts of actions (of the COMPLETE ones only, if asked).
func sumCounts(actions []*ciAction, completeOnly bool) ciCounts {
	var c ciCounts
	for _, a := range actions {
		if completeOnly && a.progress != "COMPLETE" {
			continue
		}
		c.analyzer += a.counts.analyzer
		c.errors += a.counts.errors
		c.tests += a.counts.tests
		c.warnings += a.counts.warnings
	}
	return c
}

// ciProgressAt is what the run and its actions show at t: PENDING before start, RUNNING
// before finish (no status, no finish date), COMPLETE with the outcome after.
func ciProgressAt(run *ciRun, t time.Time, status string) {
	switch {
	case t.Before(run.started):
		run.progress, run.finished = "PENDING", time.Time{}
	case t.Before(run.finished):
		run.progress, run.finished = "RUNNING", time.Time{}
	default:
		run.progress, run.status = "COMPLETE", status
	}
	for _, a := range run.actions {
		switch {
		case t.Before(a.started) || run.progress == "PENDING":
			a.progress, a.status, a.started, a.finished = "PENDING", "", time.Time{}, time.Time{}
		case t.Before(a.finished) || (run.progress != "COMPLETE" && a.status == "SKIPPED"):
			a.progress, a.status, a.finished = "RUNNING", "", time.Time{}
		default:
			a.progress = "COMPLETE"
		}
	}
	if run.progress != "COMPLETE" {
		// Issue counts of a run in progress are those of its completed actions.
		run.counts = sumCounts(run.actions, true)
	}
	for _, a := range run.actions {
		if a.progress != "COMPLETE" {
			a.counts = ciCounts{}
		}
	}
}

// TruthCIProduct is a ciProducts resource.
type TruthCIProduct struct{ ID, Name, Type, AppID string }

// TruthCIRun is a ciBuildRuns resource as served at Now.
type TruthCIRun struct {
	ID, ProductID                                    string
	Number                                           int
	Created                                          time.Time
	Progress, Status                                 string
	Errors, Warnings, AnalyzerWarnings, TestFailures int
	BuildIDs                                         []string
}

// TruthCIAction is a ciBuildActions resource as served at Now.
type TruthCIAction struct {
	ID, RunID, Name, Type, Progress, Status          string
	Errors, Warnings, AnalyzerWarnings, TestFailures int
}

// TruthXcodeCloud is everything the Xcode Cloud endpoints serve at Now (runs oldest first).
type TruthXcodeCloud struct {
	Products []TruthCIProduct
	Runs     []TruthCIRun
	Actions  []TruthCIAction
}

// TruthXcodeCloud returns the Xcode Cloud products, runs and actions visible at Now.
func (s *Server) TruthXcodeCloud() TruthXcodeCloud {
	now := s.now()
	var out TruthXcodeCloud
	for _, p := range s.ciProducts() {
		tp := TruthCIProduct{ID: p.id, Name: p.name, Type: p.typ}
		if p.a != nil {
			tp.AppID = appIDOf(p.a)
		}
		out.Products = append(out.Products, tp)
		for _, run := range s.ciRuns(p, now) {
			tr := TruthCIRun{ID: run.id, ProductID: p.id, Number: run.number, Created: run.created, Progress: run.progress,
				Status: run.status, Errors: run.counts.errors, Warnings: run.counts.warnings,
				AnalyzerWarnings: run.counts.analyzer, TestFailures: run.counts.tests}
			if run.build != nil {
				tr.BuildIDs = []string{run.build.id}
			}
			out.Runs = append(out.Runs, tr)
			for _, a := range run.actions {
				out.Actions = append(out.Actions, TruthCIAction{ID: a.id, RunID: run.id, Name: a.name, Type: a.typ,
					Progress: a.progress, Status: a.status, Errors: a.counts.errors, Warnings: a.counts.warnings,
					AnalyzerWarnings: a.counts.analyzer, TestFailures: a.counts.tests})
			}
		}
	}
	return out
}

func ciDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(ciDateFmt)
}

func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func (s *Server) ciProductRes(jq *jreq, p *ciProduct) *jres {
	self := jq.base + "/v1/ciProducts/" + p.id
	ra := jq.rel(self, "app")
	ra.Data = nullableLinkage("apps", p.a)
	if p.a != nil && jq.include["app"] {
		m := s.model()
		jq.add(s.appRes(&jreq{base: jq.base, now: jq.now, fields: jq.fields, include: map[string]bool{}, seen: map[string]bool{}}, m, m.byID[appIDOf(p.a)]))
	}
	return &jres{Type: "ciProducts", ID: p.id, Links: docLinks{Self: self},
		Attributes:    kvs{{"name", p.name}, {"createdDate", ciDate(p.created)}, {"productType", p.typ}},
		Relationships: kvs{{"app", ra}, {"buildRuns", jq.rel(self, "buildRuns")}}}
}

func nullableLinkage(typ string, a *app) any {
	if a == nil {
		return one(typ, "")
	}
	return linkage(typ, appIDOf(a))
}

func (s *Server) ciRunRes(jq *jreq, run *ciRun) *jres {
	self := jq.base + "/v1/ciBuildRuns/" + run.id
	rb := jq.rel(self, "builds")
	if jq.include["builds"] {
		ids := []resID{}
		if run.build != nil {
			ids = append(ids, linkage("builds", run.build.id))
			jq.add(s.buildRes(&jreq{base: jq.base, now: jq.now, fields: jq.fields, include: map[string]bool{}, seen: map[string]bool{}}, run.build))
		}
		rb.Data = ids
	}
	rp := jq.rel(self, "product")
	rp.Data = linkage("ciProducts", run.prod.id)
	status := nullable(run.status)
	return &jres{Type: "ciBuildRuns", ID: run.id, Links: docLinks{Self: self}, Attributes: kvs{
		{"number", run.number}, {"createdDate", ciDate(run.created)}, {"startedDate", ciDate(startedAt(run))},
		{"finishedDate", ciDate(run.finished)},
		{"sourceCommit", kvs{{"commitSha", run.sha}, {"message", run.msg},
			{"author", kvs{{"displayName", developerName}}}, {"webUrl", "https://git.example.com/ascetl/commit/" + run.sha}}},
		{"isPullRequestBuild", run.pr}, {"issueCounts", run.counts.kv()}, {"executionProgress", run.progress},
		{"completionStatus", status}, {"startReason", run.reason}},
		Relationships: kvs{{"builds", rb}, {"product", rp}, {"actions", jq.rel(self, "actions")}}}
}

func startedAt(run *ciRun) time.Time {
	if run.progress == "PENDING" {
		return time.Time{}
	}
	return run.started
}

func (s *Server) ciActionRes(jq *jreq, a *ciAction) *jres {
	self := jq.base + "/v1/ciBuildActions/" + a.id
	rr := jq.rel(self, "buildRun")
	rr.Data = linkage("ciBuildRuns", a.run.id)
	return &jres{Type: "ciBuildActions", ID: a.id, Links: docLinks{Self: self}, Attributes: kvs{
		{"name", a.name}, {"actionType", a.typ}, {"startedDate", ciDate(a.started)}, {"finishedDate", ciDate(a.finished)},
		{"issueCounts", a.counts.kv()}, {"executionProgress", a.progress}, {"completionStatus", nullable(a.status)},
		{"isRequiredToPass", a.typ != "ANALYZE"}},
		Relationships: kvs{{"buildRun", rr}}}
}

func (s *Server) ciProductByID(id string, t time.Time) *ciProduct {
	for _, p := range s.ciProducts() {
		if p.id == id && !p.created.After(t) {
			return p
		}
	}
	return nil
}

func (s *Server) serveCIProducts(w http.ResponseWriter, r *http.Request) {
	jq, off, snap := s.openList(w, r, reqSpec{params: []string{"filter[productType]", "filter[app]"},
		fields: []string{"ciProducts", "apps"}, includes: []string{"app"}},
		func(jq *jreq) (e *httpError) {
			_, e = enumSet(jq.q, "filter[productType]", []string{"APP", "FRAMEWORK"})
			return e
		})
	if jq == nil {
		return
	}
	var sel []*ciProduct
	for _, p := range s.ciProducts() {
		appID := ""
		if p.a != nil {
			appID = appIDOf(p.a)
		}
		if !p.created.After(jq.now) && jq.match("filter[productType]", p.typ) && jq.match("filter[app]", appID) {
			sel = append(sel, p)
		}
	}
	servePage(s, w, jq, off, snap, sel, func(p *ciProduct) *jres { return s.ciProductRes(jq, p) })
}

var ciProductSpec = reqSpec{fields: []string{"ciProducts", "apps"}, includes: []string{"app"}}

func (s *Server) serveCIProduct(w http.ResponseWriter, r *http.Request, id string) {
	serveByID(s, w, r, ciProductSpec, "ciProducts", id,
		func(jq *jreq) *ciProduct { return s.ciProductByID(id, jq.now) }, s.ciProductRes)
}

// serveAppCIProduct answers /v1/apps/{id}/ciProduct: the app's APP product.
func (s *Server) serveAppCIProduct(w http.ResponseWriter, r *http.Request, appID string) {
	jq, e := s.parseJReq(r, ciProductSpec)
	if e != nil {
		writeError(w, e)
		return
	}
	if !found(w, s.model().byID[appID], "apps", appID) {
		return
	}
	var p *ciProduct
	for _, c := range s.ciProducts() {
		if c.a != nil && appIDOf(c.a) == appID && !c.created.After(jq.now) {
			p = c
		}
	}
	if p == nil {
		writeError(w, &httpError{status: 404, code: "NOT_FOUND", title: titleNotFound,
			detail: fmt.Sprintf("There is no resource of type 'ciProducts' related to the apps with id '%s'", appID)})
		return
	}
	serveOne(w, jq, s.ciProductRes(jq, p))
}

var ciRunSpec = reqSpec{fields: []string{"ciBuildRuns", "builds"}, includes: []string{"builds"}}

func (s *Server) serveCIRuns(w http.ResponseWriter, r *http.Request, productID string) {
	sp := ciRunSpec
	sp.params = []string{"filter[builds]", "sort"}
	var sort string
	jq, off, snap, p := openListUnder(s, w, r, sp, "ciProducts", productID,
		func(jq *jreq) *ciProduct { return s.ciProductByID(productID, jq.now) },
		func(jq *jreq) (e *httpError) {
			sort, e = jq.sortParam("-number", "number")
			return e
		})
	if p == nil {
		return
	}
	var sel []*ciRun
	for _, run := range s.ciRuns(p, jq.now) {
		bid := ""
		if run.build != nil {
			bid = run.build.id
		}
		if jq.match("filter[builds]", bid) {
			sel = append(sel, run)
		}
	}
	if sort == "-number" {
		slices.Reverse(sel)
	}
	servePage(s, w, jq, off, snap, sel, func(run *ciRun) *jres { return s.ciRunRes(jq, run) })
}

// ciRunByID finds a run visible at t.
func (s *Server) ciRunByID(id string, t time.Time) *ciRun {
	for _, p := range s.ciProducts() {
		for _, run := range s.ciRuns(p, t) {
			if run.id == id {
				return run
			}
		}
	}
	return nil
}

// ciActionByID finds an action of a run visible at t.
func (s *Server) ciActionByID(id string, t time.Time) *ciAction {
	for _, p := range s.ciProducts() {
		for _, run := range s.ciRuns(p, t) {
			for _, a := range run.actions {
				if a.id == id {
					return a
				}
			}
		}
	}
	return nil
}

func (s *Server) serveCIRun(w http.ResponseWriter, r *http.Request, id string) {
	serveByID(s, w, r, ciRunSpec, "ciBuildRuns", id,
		func(jq *jreq) *ciRun { return s.ciRunByID(id, jq.now) }, s.ciRunRes)
}

// openRunList opens a listing under the build run id (a 404 when there is none).
func (s *Server) openRunList(w http.ResponseWriter, r *http.Request, sp reqSpec, id string) (*jreq, uint64, int64, *ciRun) {
	return openListUnder(s, w, r, sp, "ciBuildRuns", id, func(jq *jreq) *ciRun { return s.ciRunByID(id, jq.now) }, nil)
}

func (s *Server) serveCIRunBuilds(w http.ResponseWriter, r *http.Request, id string) {
	jq, off, snap, run := s.openRunList(w, r, reqSpec{fields: []string{"builds"}}, id)
	if run == nil {
		return
	}
	var sel []*build
	if run.build != nil && !run.build.uploaded.After(jq.now) {
		sel = append(sel, run.build)
	}
	servePage(s, w, jq, off, snap, sel, func(b *build) *jres { return s.buildRes(jq, b) })
}

func (s *Server) serveCIActions(w http.ResponseWriter, r *http.Request, id string) {
	jq, off, snap, run := s.openRunList(w, r, reqSpec{fields: []string{"ciBuildActions"}}, id)
	if run == nil {
		return
	}
	servePage(s, w, jq, off, snap, run.actions, func(a *ciAction) *jres { return s.ciActionRes(jq, a) })
}

func (s *Server) serveCIAction(w http.ResponseWriter, r *http.Request, id string) {
	serveByID(s, w, r, reqSpec{fields: []string{"ciBuildActions"}}, "ciBuildActions", id,
		func(jq *jreq) *ciAction { return s.ciActionByID(id, jq.now) }, s.ciActionRes)
}
