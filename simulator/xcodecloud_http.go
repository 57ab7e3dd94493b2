package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// HTTP side of Xcode Cloud: ciProducts, ciBuildRuns and ciBuildActions resources and the
// handlers that list and serve them.

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
		jq.add(s.appRes(jq.nested(), m, m.byID[appIDOf(p.a)]))
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
			jq.add(s.buildRes(jq.nested(), run.build))
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

func (s *Server) serveCIProduct(w http.ResponseWriter, r *http.Request, id string) {
	serveByID(s, w, r, ciProductSpec, "ciProducts", id,
		func(jq *jreq) *ciProduct { return s.ciProductByID(id, jq.now) }, s.ciProductRes)
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
