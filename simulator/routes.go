package simulator

import (
	"net/http"
	"path"
)

// The route table: every path the simulator answers, in one place, as Go 1.22 ServeMux
// patterns (a GET pattern answers HEAD too; {id} is one non-empty path segment). It reads as
// the table of contents of the API; the handlers live in the family files named in each
// group's comment.
//
// Every API route runs behind authorized: a valid token, then the rate budget, and
// X-Rate-Limit on every answer. The pre-signed segment downloads are the one exception:
// they carry their own signature and refuse an Authorization header. A request no route
// takes still needs a valid token, then gets Apple's JSON error: 404 NOT_FOUND for an
// unknown path, 405 with Allow for a method the path does not take (unrouted). The mux's
// own text pages never reach the client.
//
// Decision: methods a path does not take (it takes GET and HEAD unless said otherwise) → 405
// with Allow; unknown paths → 404 NOT_FOUND (JSON). Both still need a valid token and carry
// X-Rate-Limit.
func (s *Server) routes() []route {
	return []route{
		// Sales and finance reports: gzip TSV (sales.go, finance.go; REFERENCE.md §A, §B).
		{"GET /v1/salesReports", s.serveSales},
		{"GET /v1/financeReports", s.serveFinance},

		// Customer reviews and developer responses (reviews_http.go).
		{"GET /v1/apps/{id}/customerReviews", withKind("apps", s.serveReviewList)},
		{"GET /v1/appStoreVersions/{id}/customerReviews", withKind("appStoreVersions", s.serveReviewList)},
		{"GET /v1/customerReviews/{id}", withID(s.serveReview)},
		{"GET /v1/customerReviews/{id}/response", withLinkage(false, s.serveReviewResponse)},
		{"GET /v1/customerReviews/{id}/relationships/response", withLinkage(true, s.serveReviewResponse)},

		// Builds, power and performance metrics, diagnostics (metrics_*.go; REFERENCE.md §D).
		{"GET /v1/apps/{id}/builds", withID(s.serveBuildList)},
		{"GET /v1/builds/{id}", withID(s.serveBuild)},
		{"GET /v1/apps/{id}/perfPowerMetrics", withKind("apps", s.servePerfMetrics)},
		{"GET /v1/builds/{id}/perfPowerMetrics", withKind("builds", s.servePerfMetrics)},
		{"GET /v1/builds/{id}/diagnosticSignatures", withID(s.serveSignatures)},
		{"GET /v1/diagnosticSignatures/{id}/logs", withID(s.serveLogs)},

		// Analytics Reports API (analytics_http.go; REFERENCE.md §C.1).
		{"POST /v1/analyticsReportRequests", s.anaPost},
		{"GET /v1/analyticsReportRequests/{id}", withID(s.anaGetRequest)},
		{"DELETE /v1/analyticsReportRequests/{id}", func(w http.ResponseWriter, r *http.Request) { s.anaDelete(w, r.PathValue("id")) }},
		{"GET /v1/apps/{id}/analyticsReportRequests", withLinkage(false, s.anaAppRequests)},
		{"GET /v1/apps/{id}/relationships/analyticsReportRequests", withLinkage(true, s.anaAppRequests)},
		{"GET /v1/analyticsReportRequests/{id}/reports", withLinkage(false, s.anaReportList)},
		{"GET /v1/analyticsReportRequests/{id}/relationships/reports", withLinkage(true, s.anaReportList)},
		{"GET /v1/analyticsReports/{id}", withID(s.anaGetReport)},
		{"GET /v1/analyticsReports/{id}/instances", withLinkage(false, s.anaInstanceList)},
		{"GET /v1/analyticsReports/{id}/relationships/instances", withLinkage(true, s.anaInstanceList)},
		{"GET /v1/analyticsReportInstances/{id}", withID(s.anaGetInstance)},
		{"GET /v1/analyticsReportInstances/{id}/segments", withLinkage(false, s.anaSegmentList)},
		{"GET /v1/analyticsReportInstances/{id}/relationships/segments", withLinkage(true, s.anaSegmentList)},
		{"GET /v1/analyticsReportSegments/{id}", withID(s.anaGetSegment)},

		// App catalog: apps, versions, builds, in-app purchases, subscriptions (catalog.go).
		{"GET /v1/apps", s.serveApps},
		{"GET /v1/apps/{id}", withID(s.serveApp)},
		{"GET /v1/apps/{id}/appStoreVersions", withID(s.serveVersions)},
		{"GET /v1/appStoreVersions/{id}", withID(s.serveVersion)},
		{"GET /v1/builds", s.serveBuildsList},
		{"GET /v1/apps/{id}/inAppPurchasesV2", withID(s.serveIAPs)},
		{"GET /v2/inAppPurchases/{id}", withID(s.serveIAP)},
		{"GET /v1/apps/{id}/subscriptionGroups", withID(s.serveGroups)},
		{"GET /v1/subscriptionGroups/{id}", withID(s.serveGroup)},
		{"GET /v1/subscriptionGroups/{id}/subscriptions", withID(s.serveSubs)},
		{"GET /v1/subscriptions/{id}", withID(s.serveSub)},

		// TestFlight usage metrics (testflight.go).
		{"GET /v1/apps/{id}/metrics/betaTesterUsages", withID(s.serveTesterUsages)},
		{"GET /v1/builds/{id}/metrics/betaBuildUsages", withID(s.serveBuildUsages)},

		// Xcode Cloud (xcodecloud.go).
		{"GET /v1/ciProducts", s.serveCIProducts},
		{"GET /v1/ciProducts/{id}", withID(s.serveCIProduct)},
		{"GET /v1/apps/{id}/ciProduct", withID(s.serveAppCIProduct)},
		{"GET /v1/ciProducts/{id}/buildRuns", withID(s.serveCIRuns)},
		{"GET /v1/ciBuildRuns/{id}", withID(s.serveCIRun)},
		{"GET /v1/ciBuildRuns/{id}/builds", withID(s.serveCIRunBuilds)},
		{"GET /v1/ciBuildRuns/{id}/actions", withID(s.serveCIActions)},
		{"GET /v1/ciBuildActions/{id}", withID(s.serveCIAction)},
	}
}

// presignedRoute is the one route outside authorized: pre-signed segment downloads, any
// method (the handler answers S3's 405 itself), analytics_presign.go.
const presignedRoute = segmentPrefix + "{file}"

// route is one line of the table: a ServeMux pattern and its handler.
type route struct {
	pattern string
	h       http.HandlerFunc
}

// newMux builds the ServeMux of the table once (New calls it).
func (s *Server) newMux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.authorized(rt.h))
	}
	mux.HandleFunc(presignedRoute, s.servePresigned)
	return mux
}

// dispatch hands r to its route, or answers it as unrouted when the mux has none: no
// pattern matches, or the path is not canonical (the mux would redirect it).
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if p := r.URL.EscapedPath(); pattern == "" || path.Clean(p) != p {
		s.authorized(unrouted(h))(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// unrouted turns the mux's own answer for a request no route takes (h: its 404 page, its 405
// page with Allow, or a redirect) into Apple's JSON error: 405 METHOD_NOT_ALLOWED with the
// mux's Allow list, else 404 NOT_FOUND.
func unrouted(h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &muxAnswer{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeError(w, errMethod(r.Method))
			return
		}
		writeError(w, errNoPath(r.URL.Path))
	}
}

// muxAnswer keeps the status and headers of the mux's own answer and drops its body.
type muxAnswer struct {
	header http.Header
	status int
}

func (m *muxAnswer) Header() http.Header { return m.header }

func (m *muxAnswer) WriteHeader(code int) {
	if m.status == 0 {
		m.status = code
	}
}

func (m *muxAnswer) Write(b []byte) (int, error) {
	m.WriteHeader(http.StatusOK)
	return len(b), nil
}

// authorized runs h for a request whose token is valid and within the rate budget; every
// answer, refusals included, carries X-Rate-Limit.
func (s *Server) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		kid, aerr := s.authenticate(r)
		rem, retry := s.take(kid)
		w.Header().Set("X-Rate-Limit", s.rateHeader(rem))
		if aerr != nil {
			writeError(w, errUnauthorized())
			return
		}
		if retry > 0 {
			writeError(w, errRateLimited(retry))
			return
		}
		if s.forbid != nil && s.forbid(r) {
			writeError(w, errForbidden())
			return
		}
		h(w, r)
	}
}

// withID adapts a handler of one resource id (the pattern's {id}).
func withID(h func(w http.ResponseWriter, r *http.Request, id string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h(w, r, r.PathValue("id")) }
}

// withKind adapts a handler that serves the same listing under several parent kinds.
func withKind(kind string, h func(w http.ResponseWriter, r *http.Request, kind, id string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h(w, r, kind, r.PathValue("id")) }
}

// withLinkage adapts a handler that serves both a related resource (linkage false) and its
// relationships/ linkage variant (true).
func withLinkage(linkage bool, h func(w http.ResponseWriter, r *http.Request, id string, linkage bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h(w, r, r.PathValue("id"), linkage) }
}
