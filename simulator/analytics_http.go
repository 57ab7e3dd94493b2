package simulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HTTP side of the Analytics Reports API: routing, validation and JSON:API bodies.

const defaultReportsIncluded = 10

var (
	reqFieldList  = []string{"accessType", "stoppedDueToInactivity", "reports"}
	repFieldList  = []string{"name", "category", "instances"}
	instFieldList = []string{"granularity", "processingDate", "segments"}
	segFieldList  = []string{"checksum", "sizeInBytes", "url"}
	accessTypes   = []string{accessOngoing, accessSnapshot}
	linkageParams = []string{"limit", "cursor"}
)

// anaError is an error whose source may be a JSON pointer into the request body.
type anaError struct {
	status              int
	code, title, detail string
	pointer, parameter  string
}

func writeAnaError(w http.ResponseWriter, e anaError) {
	obj := map[string]any{"id": newID(), "status": strconv.Itoa(e.status), "code": e.code, "title": e.title}
	if e.detail != "" {
		obj["detail"] = e.detail
	}
	switch {
	case e.pointer != "":
		obj["source"] = map[string]string{"pointer": e.pointer}
	case e.parameter != "":
		obj["source"] = map[string]string{"parameter": e.parameter}
	}
	b, _ := json.Marshal(map[string]any{"errors": []any{obj}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

const titleEntity = "The request entity is not valid."

func errEntity(code, detail, pointer string) anaError {
	return anaError{status: 422, code: code, title: titleEntity, detail: detail, pointer: pointer}
}

// errDuplicate is the 409 for a second request of the same access type.
func errDuplicate() anaError {
	return anaError{status: 409, code: "ENTITY_ERROR", title: titleEntity,
		detail: "You already have such an entity", pointer: "/data/attributes/accessType"}
}

type createBody struct {
	Data *struct {
		Type       string `json:"type"`
		Attributes struct {
			AccessType string `json:"accessType"`
		} `json:"attributes"`
		Relationships struct {
			App struct {
				Data *struct {
					Type string `json:"type"`
					ID   string `json:"id"`
				} `json:"data"`
			} `json:"app"`
		} `json:"relationships"`
	} `json:"data"`
}

func (s *Server) anaPost(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var b createBody
	if err == nil {
		err = json.Unmarshal(raw, &b)
	}
	switch {
	case err != nil || b.Data == nil:
		writeAnaError(w, errEntity("ENTITY_UNPROCESSABLE", "The request body is not a valid JSON:API document.", ""))
		return
	case b.Data.Type != "analyticsReportRequests":
		writeAnaError(w, errEntity("ENTITY_ERROR.TYPE_MISMATCH",
			fmt.Sprintf("The type '%s' is not the expected type 'analyticsReportRequests'.", b.Data.Type), "/data/type"))
		return
	case !slices.Contains(accessTypes, b.Data.Attributes.AccessType):
		writeAnaError(w, errEntity("ENTITY_ERROR.ATTRIBUTE.INVALID",
			fmt.Sprintf("'%s' is not a valid value for the attribute 'accessType'.", b.Data.Attributes.AccessType),
			"/data/attributes/accessType"))
		return
	}
	app := b.Data.Relationships.App.Data
	st := s.anaStore()
	st.mu.Lock()
	if app == nil || app.Type != "apps" || st.apps[app.ID] == nil {
		st.mu.Unlock()
		id := ""
		if app != nil {
			id = app.ID
		}
		writeAnaError(w, errEntity("ENTITY_ERROR.RELATIONSHIP.INVALID",
			fmt.Sprintf("There is no resource of type 'apps' with id '%s'.", id), "/data/relationships/app"))
		return
	}
	now := s.now()
	q, ok := s.anaCreate(st, app.ID, b.Data.Attributes.AccessType, now)
	st.mu.Unlock()
	if !ok {
		writeAnaError(w, errDuplicate())
		return
	}
	base := "http://" + r.Host
	res := requestRes(base, q, now, nil)
	body, _ := json.Marshal(map[string]any{"data": res, "links": map[string]string{"self": base + "/v1/analyticsReportRequests"}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", base+"/v1/analyticsReportRequests/"+q.id)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
}

func (s *Server) anaDelete(w http.ResponseWriter, id string) {
	st := s.anaStore()
	st.mu.Lock()
	q := st.live(id)
	if q != nil {
		q.deleted = s.now()
	}
	st.mu.Unlock()
	if q == nil {
		writeError(w, errNoResource("analyticsReportRequests", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// JSON:API resources as maps (fields[...] drop attributes and relationships).
func resourceOf(typ, id, self string, attrs map[string]any, rels map[string]string, fields map[string]bool) map[string]any {
	res := map[string]any{"type": typ, "id": id, "links": map[string]string{"self": self}}
	a := map[string]any{}
	for k, v := range attrs {
		if want(fields, k) {
			a[k] = v
		}
	}
	if len(a) > 0 {
		res["attributes"] = a
	}
	rs := map[string]any{}
	for name, path := range rels {
		if want(fields, name) {
			rs[name] = map[string]any{"links": map[string]string{
				"self": self + "/relationships/" + path, "related": self + "/" + path}}
		}
	}
	if len(rs) > 0 {
		res["relationships"] = rs
	}
	return res
}

func requestRes(base string, q *anaRequest, now time.Time, fields map[string]bool) map[string]any {
	return resourceOf("analyticsReportRequests", q.id, base+"/v1/analyticsReportRequests/"+q.id,
		map[string]any{"accessType": q.access, "stoppedDueToInactivity": !q.stopAt(now).IsZero()},
		map[string]string{"reports": "reports"}, fields)
}

func reportID(rep *anaReport, q *anaRequest) string { return fmt.Sprintf("r%d-%s", rep.num, q.id) }

func reportRes(base string, rep *anaReport, q *anaRequest, fields map[string]bool) map[string]any {
	id := reportID(rep, q)
	return resourceOf("analyticsReports", id, base+"/v1/analyticsReports/"+id,
		map[string]any{"name": rep.name, "category": rep.category}, map[string]string{"instances": "instances"}, fields)
}

func instanceRes(base string, in *anaInstance, fields map[string]bool) map[string]any {
	return resourceOf("analyticsReportInstances", in.id, base+"/v1/analyticsReportInstances/"+in.id,
		map[string]any{"granularity": in.gran, "processingDate": iso(in.proc)}, map[string]string{"segments": "segments"}, fields)
}

// anaPaging reads limit (1–200, default 50) and cursor (bound to key); snap is the time the
// listing is taken at (the first page's, carried by the cursor).
func (s *Server) anaPaging(q url.Values, key string) (off uint64, snap time.Time, limit int, e *httpError) {
	limit, e = parseLimit(q)
	if e != nil {
		return 0, time.Time{}, 0, e
	}
	off, sn, e := s.cursorAt(q, key, s.now().Unix())
	if e != nil {
		return 0, time.Time{}, 0, e
	}
	return off, time.Unix(sn, 0).UTC(), limit, nil
}

// writeList writes one page of items; linkage answers {type,id} only.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, items []map[string]any, key string,
	off uint64, snap time.Time, limit int, linkage bool, included []map[string]any) {
	base := "http://" + r.Host
	start, end := pageBounds(off, limit, len(items))
	data := make([]any, 0, end-start)
	for _, it := range items[start:end] {
		if linkage {
			data = append(data, map[string]any{"type": it["type"], "id": it["id"]})
		} else {
			data = append(data, it)
		}
	}
	links := map[string]string{"self": selfURL(r, base)}
	if next := s.nextLink(r, base, key, end, len(items), snap.Unix()); next != "" {
		links["next"] = next
	}
	doc := map[string]any{"data": data, "links": links,
		"meta": map[string]any{"paging": map[string]int{"total": len(items), "limit": limit}}}
	if len(included) > 0 {
		doc["included"] = included
	}
	writeJSON(w, r, doc)
}

// parseReportIncludes reads include=reports and limit[reports] (1–50, default 10).
func parseReportIncludes(q url.Values) (incl bool, limit int, e *httpError) {
	inc, e := enumSet(q, "include", []string{"reports"})
	if e != nil {
		return false, 0, e
	}
	if limit, e = parseSubLimit(q, "reports", defaultReportsIncluded); e != nil {
		return false, 0, e
	}
	return inc["reports"], limit, nil
}

// withReports adds relationships.reports.data (first limit reports) and the included
// report resources.
func withReports(base string, res map[string]any, q *anaRequest, limit int, fRep map[string]bool, inc *[]map[string]any, seen map[string]bool) {
	ids := []any{}
	for i, rep := range anaReports {
		if i >= limit {
			break
		}
		id := reportID(rep, q)
		ids = append(ids, map[string]string{"type": "analyticsReports", "id": id})
		if !seen[id] {
			seen[id] = true
			*inc = append(*inc, reportRes(base, rep, q, fRep))
		}
	}
	rels, _ := res["relationships"].(map[string]any)
	if rels == nil {
		rels = map[string]any{}
		res["relationships"] = rels
	}
	rel, _ := rels["reports"].(map[string]any)
	if rel == nil {
		rel = map[string]any{}
		rels["reports"] = rel
	}
	rel["data"] = ids
	rel["meta"] = map[string]any{"paging": map[string]int{"total": len(anaReports), "limit": limit}}
}

func (s *Server) anaGetRequest(w http.ResponseWriter, r *http.Request, id string) {
	v := newQuery(r, []string{"fields[analyticsReportRequests]", "fields[analyticsReports]", "include", "limit[reports]"})
	fReq := v.enum("fields[analyticsReportRequests]", reqFieldList)
	fRep := v.enum("fields[analyticsReports]", repFieldList)
	incl, lim := v.reportIncludes()
	if v.failed(w) {
		return
	}
	st := s.lockedAnaStore()
	defer st.mu.Unlock()
	req := st.live(id)
	if !found(w, req, "analyticsReportRequests", id) {
		return
	}
	base := "http://" + r.Host
	res := requestRes(base, req, s.now(), fReq)
	doc := map[string]any{"data": res, "links": map[string]string{"self": selfURL(r, base)}}
	if incl {
		var inc []map[string]any
		withReports(base, res, req, lim, fRep, &inc, map[string]bool{})
		doc["included"] = inc
	}
	writeJSON(w, r, doc)
}

func (s *Server) anaAppRequests(w http.ResponseWriter, r *http.Request, appID string, linkage bool) {
	v := newAnaListQuery(r, linkage, "filter[accessType]", "fields[analyticsReportRequests]", "fields[analyticsReports]", "include",
		"limit", "limit[reports]", "cursor")
	access := v.enum("filter[accessType]", accessTypes)
	fReq := v.enum("fields[analyticsReportRequests]", reqFieldList)
	fRep := v.enum("fields[analyticsReports]", repFieldList)
	incl, lim := v.reportIncludes()
	key := "anaRequests|" + r.URL.Path + "|" + strings.Join(sortedSet(access), ",")
	off, snap, limit := v.paging(s, key)
	if v.failed(w) {
		return
	}
	st := s.lockedAnaStore()
	defer st.mu.Unlock()
	if !found(w, st.apps[appID], "apps", appID) {
		return
	}
	base := "http://" + r.Host
	var items, inc []map[string]any
	seen := map[string]bool{}
	start, end := pageBounds(off, limit, 1<<30)
	for _, req := range st.reqs {
		if req.appID != appID || !req.deleted.IsZero() || access != nil && !access[req.access] {
			continue
		}
		res := requestRes(base, req, s.now(), fReq)
		if incl && len(items) >= start && len(items) < end {
			withReports(base, res, req, lim, fRep, &inc, seen)
		}
		items = append(items, res)
	}
	s.writeList(w, r, items, key, off, snap, limit, linkage, inc)
}

// liveReport resolves a report id r<N>-<requestId> of a live request.
func (st *anaStore) liveReport(id string) (*anaReport, *anaRequest) {
	rest, ok := strings.CutPrefix(id, "r")
	if !ok {
		return nil, nil
	}
	num, reqID, ok := strings.Cut(rest, "-")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || strconv.Itoa(n) != num {
		return nil, nil
	}
	rep, q := anaReportByNum(n), st.live(reqID)
	if rep == nil || q == nil {
		return nil, nil
	}
	return rep, q
}

func (s *Server) anaReportList(w http.ResponseWriter, r *http.Request, reqID string, linkage bool) {
	v := newAnaListQuery(r, linkage, "filter[category]", "filter[name]", "fields[analyticsReports]", "limit", "cursor")
	cats := v.enum("filter[category]", anaCategories)
	var names map[string]bool
	if v.e == nil {
		names = freeSet(v.q, "filter[name]")
	}
	fRep := v.enum("fields[analyticsReports]", repFieldList)
	key := "anaReports|" + r.URL.Path + "|" + strings.Join(sortedSet(cats), ",") + "|" + strings.Join(sortedSet(names), "\x00")
	off, snap, limit := v.paging(s, key)
	if v.failed(w) {
		return
	}
	st := s.lockedAnaStore()
	defer st.mu.Unlock()
	req := st.live(reqID)
	if !found(w, req, "analyticsReportRequests", reqID) {
		return
	}
	req.touch(s.now())
	base := "http://" + r.Host
	var items []map[string]any
	for _, rep := range anaReports {
		if cats != nil && !cats[rep.category] || names != nil && !names[rep.name] {
			continue
		}
		items = append(items, reportRes(base, rep, req, fRep))
	}
	s.writeList(w, r, items, key, off, snap, limit, linkage, nil)
}

func (s *Server) anaGetReport(w http.ResponseWriter, r *http.Request, id string) {
	v := newQuery(r, []string{"fields[analyticsReports]"})
	fRep := v.enum("fields[analyticsReports]", repFieldList)
	if v.failed(w) {
		return
	}
	st := s.lockedAnaStore()
	defer st.mu.Unlock()
	rep, req := st.liveReport(id)
	if !found(w, rep, "analyticsReports", id) {
		return
	}
	req.touch(s.now())
	base := "http://" + r.Host
	writeAnaOne(w, r, base, reportRes(base, rep, req, fRep))
}

func (s *Server) anaInstanceList(w http.ResponseWriter, r *http.Request, repID string, linkage bool) {
	v := newAnaListQuery(r, linkage, "filter[granularity]", "filter[processingDate]", "fields[analyticsReportInstances]",
		"limit", "cursor")
	grans := v.enum("filter[granularity]", anaGranularities)
	var procs map[string]bool
	if fv, ok := qget(v.q, "filter[processingDate]"); ok && v.e == nil {
		procs = map[string]bool{}
		for d := range strings.SplitSeq(fv, ",") {
			if _, err := parseISODate(d); err != nil {
				v.e = errInvalidValue("filter[processingDate]", d)
				break
			}
			procs[d] = true
		}
	}
	fInst := v.enum("fields[analyticsReportInstances]", instFieldList)
	key := "anaInstances|" + r.URL.Path + "|" + strings.Join(sortedSet(grans), ",") + "|" + strings.Join(sortedSet(procs), ",")
	off, snap, limit := v.paging(s, key)
	if v.failed(w) {
		return
	}
	st := s.lockedAnaStore()
	defer st.mu.Unlock()
	rep, req := st.liveReport(repID)
	if !found(w, rep, "analyticsReports", repID) {
		return
	}
	req.touch(s.now())
	base := "http://" + r.Host
	var items []map[string]any
	for _, in := range s.anaVisible(req, rep, snap) {
		if grans != nil && !grans[in.gran] || procs != nil && !procs[iso(in.proc)] {
			continue
		}
		st.insts[in.id] = in
		items = append(items, instanceRes(base, in, fInst))
	}
	s.writeList(w, r, items, key, off, snap, limit, linkage, nil)
}

func (s *Server) anaGetInstance(w http.ResponseWriter, r *http.Request, id string) {
	v := newQuery(r, []string{"fields[analyticsReportInstances]"})
	fInst := v.enum("fields[analyticsReportInstances]", instFieldList)
	if v.failed(w) {
		return
	}
	st := s.lockedAnaStore()
	defer st.mu.Unlock()
	now := s.now()
	in := s.findInstance(st, id, now)
	if !found(w, in, "analyticsReportInstances", id) {
		return
	}
	in.req.touch(now)
	base := "http://" + r.Host
	writeAnaOne(w, r, base, instanceRes(base, in, fInst))
}

// segmentRes builds a segment resource with a URL minted now.
func (s *Server) segmentRes(base string, in *anaInstance, idx int, body []byte, now time.Time, fields map[string]bool) map[string]any {
	id := segmentID(in, idx)
	return resourceOf("analyticsReportSegments", id, base+"/v1/analyticsReportSegments/"+id,
		map[string]any{"checksum": md5Hex(body), "sizeInBytes": len(body), "url": s.presignedURL(base, id, now)}, nil, fields)
}

func (s *Server) anaSegmentList(w http.ResponseWriter, r *http.Request, instID string, linkage bool) {
	v := newAnaListQuery(r, linkage, "fields[analyticsReportSegments]", "limit", "cursor")
	fSeg := v.enum("fields[analyticsReportSegments]", segFieldList)
	key := "anaSegments|" + r.URL.Path
	off, snap, limit := v.paging(s, key)
	if v.failed(w) {
		return
	}
	st := s.lockedAnaStore()
	defer st.mu.Unlock()
	now := s.now()
	in := s.findInstance(st, instID, now)
	if !found(w, in, "analyticsReportInstances", instID) {
		return
	}
	in.req.touch(now)
	base := "http://" + r.Host
	var items []map[string]any
	for i, body := range s.bodiesOf(st, in) {
		st.segs[segmentID(in, i)] = segRef{inst: in, idx: i}
		items = append(items, s.segmentRes(base, in, i, body, now, fSeg))
	}
	s.writeList(w, r, items, key, off, snap, limit, linkage, nil)
}

func (s *Server) anaGetSegment(w http.ResponseWriter, r *http.Request, id string) {
	v := newQuery(r, []string{"fields[analyticsReportSegments]"})
	fSeg := v.enum("fields[analyticsReportSegments]", segFieldList)
	if v.failed(w) {
		return
	}
	st := s.lockedAnaStore()
	defer st.mu.Unlock()
	now := s.now()
	ref, ok := st.segs[id]
	if !ok || !ref.inst.visibleAt(now) {
		writeError(w, errNoResource("analyticsReportSegments", id))
		return
	}
	ref.inst.req.touch(now)
	base := "http://" + r.Host
	bodies := s.bodiesOf(st, ref.inst)
	writeAnaOne(w, r, base, s.segmentRes(base, ref.inst, ref.idx, bodies[ref.idx], now, fSeg))
}

// newAnaListQuery is newQuery for a listing: a linkage listing (relationships/...)
// allows only limit and cursor, the full one params.
func newAnaListQuery(r *http.Request, linkage bool, params ...string) *query {
	if linkage {
		params = linkageParams
	}
	return newQuery(r, params)
}

// reportIncludes is parseReportIncludes.
func (v *query) reportIncludes() (incl bool, limit int) {
	if v.e != nil {
		return false, 0
	}
	incl, limit, v.e = parseReportIncludes(v.q)
	return incl, limit
}

// paging is anaPaging with the listing's cursor key.
func (v *query) paging(s *Server, key string) (off uint64, snap time.Time, limit int) {
	if v.e != nil {
		return 0, time.Time{}, 0
	}
	off, snap, limit, v.e = s.anaPaging(v.q, key)
	return off, snap, limit
}

// lockedAnaStore returns the store with its lock held.
func (s *Server) lockedAnaStore() *anaStore {
	st := s.anaStore()
	st.mu.Lock()
	return st
}

// writeAnaOne writes a single-resource document.
func writeAnaOne(w http.ResponseWriter, r *http.Request, base string, data map[string]any) {
	writeJSON(w, r, map[string]any{"data": data, "links": map[string]string{"self": selfURL(r, base)}})
}
