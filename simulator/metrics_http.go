package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// HTTP side of builds, power and performance metrics and diagnostics: GET /v1/apps/{id}/builds,
// /v1/builds/{id}, the perfPowerMetrics of an app or build, a build's diagnosticSignatures and
// a signature's logs (REFERENCE.md §D), for the catalog's apps. Auth, rate limiting, latency
// and Stats apply; Inject does not. Errors stay application/json. Builds, TruthMetrics and
// TruthDiagnostics are the test side; Options.MetricsExtra adds a metric no loader knows.

var (
	buildListParams  = []string{"sort", "filter[version]", "filter[processingState]", "limit", "cursor"}
	buildSorts       = []string{"-uploadedDate", "uploadedDate"}
	processingStates = []string{"PROCESSING", "FAILED", "INVALID", "VALID"}
)

type buildAttrs struct {
	Version         string `json:"version"`
	UploadedDate    string `json:"uploadedDate"`
	ExpirationDate  string `json:"expirationDate"`
	Expired         bool   `json:"expired"`
	MinOsVersion    string `json:"minOsVersion"`
	ProcessingState string `json:"processingState"`
}

func buildResource(base string, b *build, now time.Time) *resource {
	exp := b.uploaded.Add(90 * day)
	self := base + "/v1/builds/" + b.id
	rel := func(name string) *relationship {
		return &relationship{Links: &relLinks{Self: self + "/relationships/" + name, Related: self + "/" + name}}
	}
	return &resource{Type: "builds", ID: b.id,
		Attributes: &buildAttrs{Version: b.number, UploadedDate: b.uploaded.Format(buildDateLayout),
			ExpirationDate: exp.Format(buildDateLayout), Expired: now.After(exp), MinOsVersion: "16.0",
			ProcessingState: "VALID"},
		Relationships: map[string]*relationship{"app": rel("app"), "perfPowerMetrics": rel("perfPowerMetrics"),
			"diagnosticSignatures": rel("diagnosticSignatures")},
		Links: docLinks{Self: self}}
}

// Decision (/v1/apps/{id}/builds): sort uploadedDate or -uploadedDate (default -uploadedDate),
// filter[version] (build numbers), filter[processingState] (spec enum), limit 1–200 (default
// 50), cursor; paging, links and cursors as for reviews (serveReviewList, reviews_http.go) (the
// snapshot fixes which builds exist). Relationships app, perfPowerMetrics, diagnosticSignatures
// carry links only (no data; include is not supported).
func (s *Server) serveBuildList(w http.ResponseWriter, r *http.Request, appID string) {
	v := newQuery(r, buildListParams)
	sort := v.sort(buildSorts[0], buildSorts)
	numbers := freeSet(v.q, "filter[version]")
	states := v.enum("filter[processingState]", processingStates)
	limit := v.limit()
	if v.failed(w) {
		return
	}
	a := s.appByID(appID)
	if !found(w, a, "apps", appID) {
		return
	}
	key := "builds|" + r.URL.Path + "|" + sort + "|" + strings.Join(sortedSet(numbers), ",") + "|" +
		strings.Join(sortedSet(states), ",")
	now := s.now()
	off, snap := v.cursor(s, key, now.Unix())
	if v.failed(w) {
		return
	}
	var sel []*build
	for _, b := range s.visibleBuilds(a, time.Unix(snap, 0)) {
		if numbers != nil && !numbers[b.number] || states != nil && !states["VALID"] {
			continue
		}
		sel = append(sel, b)
	}
	if sort == "-uploadedDate" {
		slices.Reverse(sel)
	}
	base := "http://" + r.Host
	doc, start, end := pageDoc[*resource, any](s, r, base, key, off, limit, len(sel), snap)
	for _, b := range sel[start:end] {
		doc.Data = append(doc.Data, buildResource(base, b, now))
	}
	writeJSON(w, r, doc)
}

func (s *Server) serveBuild(w http.ResponseWriter, r *http.Request, id string) {
	if newQuery(r, nil).failed(w) {
		return
	}
	now := s.now()
	b := s.buildByID(id, now)
	if !found(w, b, "builds", id) {
		return
	}
	base := "http://" + r.Host
	writeJSON(w, r, oneDoc[*resource, any]{Data: buildResource(base, b, now), Links: docLinks{Self: selfURL(r, base)}})
}

var perfParams = []string{"filter[platform]", "filter[metricType]", "filter[deviceType]"}

// filter keeps the categories in types and the datasets of the devices in devs (nil =
// all); metrics and categories left empty are dropped, and so are insights on other
// categories or devices.
func (d *pmDoc) filter(types, devs map[string]bool) *pmDoc {
	if types == nil && devs == nil {
		return d
	}
	out := &pmDoc{Version: d.Version}
	for _, p := range d.ProductData {
		np := &pmProduct{Platform: p.Platform, MetricCategories: []*pmCategory{}}
		for _, c := range p.MetricCategories {
			if types != nil && !types[c.Identifier] {
				continue
			}
			nc := &pmCategory{Identifier: c.Identifier}
			for _, m := range c.Metrics {
				nm := *m
				nm.Datasets = nil
				for _, ds := range m.Datasets {
					if devs == nil || devs[ds.FilterCriteria.Device] {
						nm.Datasets = append(nm.Datasets, ds)
					}
				}
				if len(nm.Datasets) > 0 {
					nc.Metrics = append(nc.Metrics, &nm)
				}
			}
			if len(nc.Metrics) > 0 {
				np.MetricCategories = append(np.MetricCategories, nc)
			}
		}
		out.ProductData = append(out.ProductData, np)
	}
	if d.Insights != nil {
		keep := func(xs []*pmInsight) []*pmInsight {
			res := []*pmInsight{}
			for _, in := range xs {
				if (types == nil || types[in.MetricCategory]) && (devs == nil || devs[in.device]) {
					res = append(res, in)
				}
			}
			return res
		}
		out.Insights = &pmInsights{TrendingUp: keep(d.Insights.TrendingUp), Regressions: keep(d.Insights.Regressions)}
	}
	return out
}

// Decision (Query): filter[metricType] comma list of the eight categories (anything else 400
// PARAMETER_ERROR.INVALID); filter[deviceType] free comma list keeping only datasets of those
// devices (metrics and categories left empty are dropped; insights follow both filters; an
// unknown device gives metricCategories []); filter[platform] IOS or iOS (others 400). Other
// parameters 400 PARAMETER_ERROR.ILLEGAL; parameters are checked before the id; unknown app or
// build 404 NOT_FOUND. Accept is not checked.
func (s *Server) servePerfMetrics(w http.ResponseWriter, r *http.Request, kind, id string) {
	q := r.URL.Query()
	if e := checkParams(q, perfParams); e != nil {
		writeError(w, e)
		return
	}
	if v, ok := qget(q, "filter[platform]"); ok {
		for e := range strings.SplitSeq(v, ",") {
			if e != "IOS" && e != "iOS" {
				writeError(w, errInvalidValue("filter[platform]", e))
				return
			}
		}
	}
	types, e := enumSet(q, "filter[metricType]", metricCategories)
	if e != nil {
		writeError(w, e)
		return
	}
	devs := freeSet(q, "filter[deviceType]")
	now := s.now()
	var d *pmDoc
	if kind == "apps" {
		a := s.appByID(id)
		if a == nil {
			writeError(w, errNoResource("apps", id))
			return
		}
		d = s.appPerfDoc(a, now)
	} else {
		b := s.buildByID(id, now)
		if b == nil {
			writeError(w, errNoResource("builds", id))
			return
		}
		d = s.buildPerfDoc(b, now)
	}
	writeTyped(w, r, xcodeMetricsType, d.filter(types, devs))
}

func (s *Server) serveSignatures(w http.ResponseWriter, r *http.Request, buildID string) {
	v := newQuery(r, signatureParams)
	types := v.enum("filter[diagnosticType]", diagTypes)
	fields := v.enum("fields[diagnosticSignatures]", diagFieldList)
	limit := v.limit()
	if v.failed(w) {
		return
	}
	b := s.buildByID(buildID, s.now())
	if !found(w, b, "builds", buildID) {
		return
	}
	all := s.signatures(b)
	if len(all) == 0 {
		writeError(w, &httpError{status: 404, code: "NOT_FOUND", title: titleNotFound,
			detail: fmt.Sprintf("There are no diagnosticSignatures for the builds with id '%s'", buildID)})
		return
	}
	key := "diag|" + r.URL.Path + "|" + strings.Join(sortedSet(types), ",")
	off, _ := v.cursor(s, key, 0)
	if v.failed(w) {
		return
	}
	var sel []*diagSig
	for _, sg := range all {
		if types == nil || types[sg.typ] {
			sel = append(sel, sg)
		}
	}
	base := "http://" + r.Host
	doc, start, end := pageDoc[*diagResource, any](s, r, base, key, off, limit, len(sel), 0)
	for _, sg := range sel[start:end] {
		doc.Data = append(doc.Data, sigResource(base, sg, fields))
	}
	writeJSON(w, r, doc)
}

func sigResource(base string, sg *diagSig, fields map[string]bool) *diagResource {
	self := base + "/v1/diagnosticSignatures/" + sg.id
	res := &diagResource{Type: "diagnosticSignatures", ID: sg.id, Links: docLinks{Self: self}}
	a := &diagAttrs{}
	has := false
	if want(fields, "diagnosticType") {
		a.DiagnosticType, has = ptr(sg.typ), true
	}
	if want(fields, "signature") {
		a.Signature, has = ptr(sg.signature), true
	}
	if want(fields, "weight") {
		a.Weight, has = ptr(sg.weight), true
	}
	if want(fields, "insight") && sg.insight != nil {
		a.Insight, has = sg.insight, true
	}
	if has {
		res.Attributes = a
	}
	if want(fields, "logs") {
		rel := &diagRelated{}
		rel.Links.Related = self + "/logs"
		res.Relationships = map[string]*diagRelated{"logs": rel}
	}
	return res
}

func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request, id string) {
	v := newQuery(r, []string{"limit"})
	limit := v.limit()
	if v.failed(w) {
		return
	}
	sg := s.signatureByID(id, s.now())
	if !found(w, sg, "diagnosticSignatures", id) {
		return
	}
	writeTyped(w, r, diagLogsType, s.logs(sg, limit))
}
