package simulator

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Analytics Reports API documents: resources as maps (fields[...] drop attributes and
// relationships), paging, include=reports.

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

// segmentRes builds a segment resource with a URL minted now.
func (s *Server) segmentRes(base string, in *anaInstance, idx int, body []byte, now time.Time, fields map[string]bool) map[string]any {
	id := segmentID(in, idx)
	return resourceOf("analyticsReportSegments", id, base+"/v1/analyticsReportSegments/"+id,
		map[string]any{"checksum": md5Hex(body), "sizeInBytes": len(body), "url": s.presignedURL(base, id, now)}, nil, fields)
}

// anaPaging reads limit (1–200, default 50) and cursor (bound to key); snap is the time the
// listing is taken at (the first page's, carried by the cursor).
//
// Decision (Paging): limit 1–200 (default 50) on every list, limit[reports] 1–50 (default 10)
// with include=reports; cursors as for reviews (serveReviewList, reviews_http.go), bound to
// path and filters; instance lists are taken at the first page's time. Instances are ordered by
// processing date, then DAILY, WEEKLY, MONTHLY. filter[name] is exact (comma list),
// filter[category] and filter[granularity] are enums, filter[processingDate] YYYY-MM-DD;
// fields[...] drop attributes and relationships; unknown parameters 400
// PARAMETER_ERROR.ILLEGAL.
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

// writeAnaOne writes a single-resource document.
func writeAnaOne(w http.ResponseWriter, r *http.Request, base string, data map[string]any) {
	writeJSON(w, r, map[string]any{"data": data, "links": map[string]string{"self": selfURL(r, base)}})
}
