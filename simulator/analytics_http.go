package simulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTP side of the Analytics Reports API: validation and the GET handlers (writes in
// analytics_write.go, documents in analytics_docs.go). The request, report, instance and
// segment paths and their relationships/ linkage variants (REFERENCE.md §C.1, routes.go)
// serve the catalog's apps; the pre-signed downloads live under /analytics-segments/. Auth,
// rate limiting, latency and Stats apply to the API paths; Inject does not. TruthAnalytics,
// AnalyticsRows, AnalyticsRequests, SegmentStats and StopAnalyticsRequest are the test side
// (analytics_truth.go).

const defaultReportsIncluded = 10

var (
	reqFieldList  = []string{"accessType", "stoppedDueToInactivity", "reports"}
	repFieldList  = []string{"name", "category", "instances"}
	instFieldList = []string{"granularity", "processingDate", "segments"}
	segFieldList  = []string{"checksum", "sizeInBytes", "url"}
	accessTypes   = []string{accessOngoing, accessSnapshot}
	linkageParams = []string{"limit", "cursor"}
)

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
