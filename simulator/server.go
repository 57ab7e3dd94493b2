package simulator

import (
	"crypto/ecdsa"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ascetl/etl/report"
)

// Options configure a Server. Zero values take the documented defaults.
type Options struct {
	Seed   int64
	Now    func() time.Time // default time.Now
	Vendor string           // default "85012345" (the first of Vendors, when they are given)
	// Vendors are the vendor numbers of the account, Vendor among them (default: Vendor
	// alone). Each sells the same catalog, with sales and finance data of its own
	// (vendors.go); the first one's data is what a server with that vendor alone serves.
	Vendors  []string
	IssuerID string // default DefaultIssuerID
	// RateLimit is the request budget per API key per rolling hour (default 3500).
	RateLimit int
	// Latency is added to every request (the wait ends early if the request is cancelled).
	Latency time.Duration
	// Accept14 makes version 1_4 valid (and latest) for SUBSCRIPTION, SUBSCRIPTION_EVENT and
	// SUBSCRIBER; its header is the 1_3 header with "Contingent App Name" appended.
	Accept14 bool
	// ContingentAppName appends the optional 29th SALES column "Contingent App Name".
	ContingentAppName bool
	// Apps is the number of apps in the synthetic catalog (default 4).
	Apps int
	// ReviewsPerApp is the number of historic customer reviews per app (0 = 1500, negative =
	// none); a steady stream follows after ReviewEpoch (see the decisions in reviews.go).
	ReviewsPerApp int
	// MetricsExtra adds to perfPowerMetrics a LAUNCH metric "prewarmTime" with the unit
	// "microfortnights", which no loader knows (see extraMetric in metrics_perf.go).
	MetricsExtra bool
	// AnalyticsSince, when positive, starts the simulator with an ONGOING analytics report
	// request for every app, created that long before Now (see anaStore in analytics.go), so a
	// fresh simulator already has instances to serve, as a long-standing account would.
	AnalyticsSince time.Duration
	// AnalyticsSnapshot, with AnalyticsSince, also starts every app with a ONE_TIME_SNAPSHOT
	// request created at the same moment (its instances, processing date c+2, hold
	// AnalyticsSnapshotDays of history), so a first run can load the history at once.
	AnalyticsSnapshot bool
	// AnalyticsSnapshotReady, when positive, lists a ONE_TIME_SNAPSHOT request's instances
	// that long after the request is created (processing date = the creation date), instead
	// of from c+2 like any request: a loader that creates the snapshot and polls can load it
	// within the same run.
	AnalyticsSnapshotReady time.Duration
	// Storm injects HTTP-level faults into every route at these rates, drawn from Seed and
	// a per-request counter (faults_http.go). The zero Storm injects nothing.
	Storm Storm
	// StormSeed seeds the storm's draws (0: Seed), so the same data can meet other storms.
	StormSeed int64
}

// Defaults.
const (
	DefaultVendor    = "85012345"
	DefaultIssuerID  = "57246542-96fe-1a63-e053-0824d011072a"
	DefaultRateLimit = 3500
	DefaultApps      = 4
)

// Server is an http.Handler that behaves like App Store Connect's salesReports and
// financeReports endpoints. It is safe for concurrent use.
type Server struct {
	opt Options
	cat *catalog

	mu      sync.Mutex
	keys    map[string]*ecdsa.PublicKey
	buckets map[string]*bucket
	stats   Stats
	faults  map[string]*faultState
	storm   stormState // Options.Storm's counter and counts (faults_http.go)

	cacheMu sync.Mutex
	cache   map[string]*served
	order   []string

	revOnce sync.Once
	rev     *reviewStore

	anaOnce sync.Once
	ana     *anaStore // Analytics Reports API state (analytics.go)

	mux *http.ServeMux // the route table (routes.go), built once by New

	// gens generate the reports of the account's other vendor numbers (vendors.go).
	gens map[string]*Server
	// forbid, when set (a Multi's account), says a request names another account's vendor
	// or app: it gets 403 FORBIDDEN_ERROR (accounts.go).
	forbid func(r *http.Request) bool
}

// Stats counts requests since New or ResetStats.
type Stats struct {
	Requests     int            // all requests
	ByPath       map[string]int // by URL path
	ByStatus     map[int]int    // by response status
	Unauthorized int            // 401 responses
	RateLimited  int            // 429 responses (budget exhausted or injected)
}

const cacheSize = 128

// New returns a simulator with the given options.
func New(opt Options) *Server {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Vendor == "" && len(opt.Vendors) > 0 {
		opt.Vendor = opt.Vendors[0]
	}
	if opt.Vendor == "" {
		opt.Vendor = DefaultVendor
	}
	if !slices.Contains(opt.Vendors, opt.Vendor) {
		opt.Vendors = append([]string{opt.Vendor}, opt.Vendors...)
	}
	if opt.IssuerID == "" {
		opt.IssuerID = DefaultIssuerID
	}
	if opt.RateLimit <= 0 {
		opt.RateLimit = DefaultRateLimit
	}
	if opt.Apps <= 0 {
		opt.Apps = DefaultApps
	}
	s := &Server{
		opt:     opt,
		keys:    map[string]*ecdsa.PublicKey{},
		buckets: map[string]*bucket{},
		faults:  map[string]*faultState{},
		cache:   map[string]*served{},
	}
	s.stats = newStats()
	s.cat = s.buildCatalog()
	s.mux = s.newMux()
	s.gens = s.vendorGenerators()
	return s
}

// Options returns the effective options (defaults filled in).
func (s *Server) Options() Options { return s.opt }

func (s *Server) now() time.Time { return s.opt.Now() }

func newStats() Stats { return Stats{ByPath: map[string]int{}, ByStatus: map[int]int{}} }

// Stats returns a copy of the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats
	c.ByPath = make(map[string]int, len(s.stats.ByPath))
	for k, v := range s.stats.ByPath {
		c.ByPath[k] = v
	}
	c.ByStatus = make(map[int]int, len(s.stats.ByStatus))
	for k, v := range s.stats.ByStatus {
		c.ByStatus[k] = v
	}
	return c
}

// ResetStats zeroes the request counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = newStats()
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP implements http.Handler: the request is counted (Stats), waits Options.Latency,
// then goes to its route (routes.go).
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	defer s.count(r, w)
	if !s.delay(r) {
		w.status = 499 // client closed request; nothing is written
		return
	}
	if s.serveStorm(w, r) {
		return
	}
	s.dispatch(w, r)
}

// count adds a finished request to the Stats.
func (s *Server) count(r *http.Request, w *statusWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	s.stats.ByPath[r.URL.Path]++
	s.stats.ByStatus[w.status]++
	switch w.status {
	case http.StatusUnauthorized:
		s.stats.Unauthorized++
	case http.StatusTooManyRequests:
		s.stats.RateLimited++
	}
}

// delay waits Options.Latency; false means the request was cancelled meanwhile.
func (s *Server) delay(r *http.Request) bool {
	if s.opt.Latency <= 0 {
		return true
	}
	t := time.NewTimer(s.opt.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// served is a generated report, cached per unit and version.
type served struct {
	doc   *doc
	name  string
	gz    []byte
	truth Truth
}

// report returns the generated report for the unit (nil doc rows = no data), from cache.
func (s *Server) report(u report.Unit, version string) *served {
	if g := s.gens[u.Vendor]; g != nil {
		return g.report(u, version) // another vendor number of the account (vendors.go)
	}
	key := u.ID() + "|" + version
	s.cacheMu.Lock()
	if r, ok := s.cache[key]; ok {
		s.cacheMu.Unlock()
		return r
	}
	s.cacheMu.Unlock()
	var d *doc
	if u.Family == report.Finance {
		d = s.genFinance(u)
	} else {
		d = s.genSales(u, version)
	}
	out := &served{doc: d, name: s.fileName(u), truth: truthOf(u.Type, d)}
	if len(d.rows) > 0 {
		out.gz = gzipBytes(d.render())
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if _, ok := s.cache[key]; !ok {
		s.cache[key] = out
		s.order = append(s.order, key)
		if len(s.order) > cacheSize {
			delete(s.cache, s.order[0])
			s.order = s.order[1:]
		}
	}
	return out
}

// availability says whether the unit can be served now: nil, or the 404/410 to answer.
//
// Decision: Not yet available (Now before report.ExpectedAvailable, incl. future periods):
// sales 404 NOT_FOUND "The report you requested is not available yet. Try again later.";
// finance 404 "There were no sales for the date specified." (as Apple).
//
// Decision: Past retention (report.Retention after availability): 410 with code NOT_FOUND,
// title "The requested resource is no longer available", detail "Report is no longer
// available." Order: faults, then availability, then data.
func (s *Server) availability(u report.Unit) *httpError {
	if e := errDiscontinued(u); e != nil {
		return e // sales_discontinued.go
	}
	avail, err := report.ExpectedAvailable(u)
	if err != nil {
		return errNoSales()
	}
	now := s.now()
	if now.Before(avail) {
		if u.Family == report.Finance {
			return errNoSales()
		}
		return errNotYet()
	}
	if ret := report.Retention(u); ret > 0 && now.After(avail.Add(ret)) {
		return errGone()
	}
	return nil
}

// deliver answers a validated unit: faults, availability, data, then the gzip body.
func (s *Server) deliver(w http.ResponseWriter, r *http.Request, u report.Unit, version string) {
	f := s.consumeFault(u.ID())
	switch f {
	case FaultServerError, FaultTransient:
		writeError(w, errUnexpected())
		return
	case FaultRateLimited:
		writeError(w, errRateLimited(60))
		return
	}
	if e := s.availability(u); e != nil {
		writeError(w, e)
		return
	}
	rep := s.report(u, version)
	if len(rep.doc.rows) == 0 {
		writeError(w, noDataError(u)) // nodata.go
		return
	}
	body := rep.gz
	if f != faultNone {
		body = applyContentFault(rep.doc, f, u.Type)
	}
	w.Header().Set("Content-Type", "application/a-gzip")
	w.Header().Set("Content-Disposition", "attachment; filename="+rep.name)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = w.Write(body)
}
