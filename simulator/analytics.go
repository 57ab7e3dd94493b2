package simulator

import (
	"strconv"
	"sync"
	"time"
)

// Analytics Reports API: report requests per app and access type, their reports, the
// instances those publish over time and the segments (pre-signed downloads) of each
// instance (REFERENCE.md §C; the decisions are comments next to the code). This file holds the state and
// the time rules; analytics_http.go serves the JSON:API, analytics_presign.go the downloads.

const (
	// AnalyticsInactivity is how long a request may go without its reports being read
	// before it flips stoppedDueToInactivity.
	AnalyticsInactivity = 28 * day
	// AnalyticsRetention is how long an instance is listed after its processing date.
	AnalyticsRetention = 35 * day
	// AnalyticsURLLifetime is the validity of a segment URL (X-Amz-Expires).
	AnalyticsURLLifetime = 300 * time.Second
	// AnalyticsSnapshotDays is how far back a ONE_TIME_SNAPSHOT reaches (Apple: the whole
	// history from 2024 on; one year keeps the simulator's backfill modest: about 1,300 DAILY
	// rows per report and app).
	AnalyticsSnapshotDays = 365
	// anaSnapshotSegmentDays is how many Dates one segment of a snapshot's DAILY instance
	// holds (365 days: four segments), as Apple splits the history over several files.
	anaSnapshotSegmentDays = 100
	// anaFirstDays is the delay from a request's creation date to its first processing date.
	anaFirstDays = 2
)

const (
	accessOngoing  = "ONGOING"
	accessSnapshot = "ONE_TIME_SNAPSHOT"
)

// anaRequest is one analytics report request; deleted ones are kept for the truth.
type anaRequest struct {
	id, appID, access string
	app               *anaApp
	created           time.Time
	lastRead          time.Time
	stopped           time.Time // fixed stop moment (forced, or inactivity noticed); zero = none yet
	deleted           time.Time
}

// stopAt is when the request stopped producing instances as seen at now (zero = running).
//
// Decision (Inactivity): a request whose reports list, reports, instances, segments or segment
// downloads have not been read for 28 days (AnalyticsInactivity; creation counts as a read) is
// stopped at lastRead + 28 d: stoppedDueToInactivity true, no instance with a processing date
// after that moment; reading later does not restart it. StopAnalyticsRequest stops one now.
func (q *anaRequest) stopAt(now time.Time) time.Time {
	if !q.stopped.IsZero() {
		return q.stopped
	}
	if now.Sub(q.lastRead) > AnalyticsInactivity {
		return q.lastRead.Add(AnalyticsInactivity)
	}
	return time.Time{}
}

// until is the last moment at which the request published instances, as seen at now.
func (q *anaRequest) until(now time.Time) time.Time {
	end := now
	if st := q.stopAt(now); !st.IsZero() && st.Before(end) {
		end = st
	}
	if !q.deleted.IsZero() && q.deleted.Before(end) {
		end = q.deleted
	}
	return end
}

// touch records a read of the request's reports at now (after fixing an inactivity stop
// that happened before it).
func (q *anaRequest) touch(now time.Time) {
	if q.stopped.IsZero() {
		q.stopped = q.stopAt(now)
	}
	if now.After(q.lastRead) {
		q.lastRead = now
	}
}

// anaInstance is one published instance.
type anaInstance struct {
	id   string
	req  *anaRequest
	rep  *anaReport
	gran string
	proc time.Time
}

// segRef locates a segment: its instance and index.
type segRef struct {
	inst *anaInstance
	idx  int
}

// SegmentStats count requests to pre-signed segment URLs since New.
type SegmentStats struct {
	Downloads         int // every request to a segment URL, whatever the outcome
	Served            int // 200 answers
	WithAuthorization int // requests that carried an Authorization header (answered 400)
	Expired           int // 403 "Request has expired"
	BadSignature      int // 403 SignatureDoesNotMatch
}

type anaStore struct {
	mu     sync.Mutex
	apps   map[string]*anaApp
	reqs   []*anaRequest // creation order, deleted ones included
	byID   map[string]*anaRequest
	insts  map[string]*anaInstance
	segs   map[string]segRef
	bodies map[string][][]byte // instance id → gzip bodies of its segments
	stats  SegmentStats
	seq    int
}

// Decision: Options.AnalyticsSince > 0 starts the simulator with one ONGOING request per app of
// AppIDs(), created that long before Now (last read at creation), as if the account had asked
// for reports long ago; with Options.AnalyticsSnapshot also one ONE_TIME_SNAPSHOT per app
// created at the same moment (so its c+2 instances, with the year of history, are listed at
// once). The CLI's embedded simulator uses 10 days, so the main job loads analytics data on
// its first run; tests leave it 0 and create requests themselves.
func (s *Server) anaStore() *anaStore {
	s.anaOnce.Do(func() {
		st := &anaStore{apps: map[string]*anaApp{}, byID: map[string]*anaRequest{},
			insts: map[string]*anaInstance{}, segs: map[string]segRef{}, bodies: map[string][][]byte{}}
		for _, a := range s.cat.apps {
			st.apps[appIDOf(a)] = s.anaAppOf(a)
		}
		if s.opt.AnalyticsSince > 0 {
			created := s.now().Add(-s.opt.AnalyticsSince)
			for _, id := range s.AppIDs() {
				if _, ok := st.apps[id]; ok {
					s.anaCreate(st, id, accessOngoing, created)
					if s.opt.AnalyticsSnapshot {
						s.anaCreate(st, id, accessSnapshot, created)
					}
				}
			}
		}
		s.ana = st
	})
	return s.ana
}

// live returns the request with that id unless it is unknown or deleted.
func (st *anaStore) live(id string) *anaRequest {
	q := st.byID[id]
	if q == nil || !q.deleted.IsZero() {
		return nil
	}
	return q
}

// current is the app's non-deleted request of an access type.
func (st *anaStore) current(appID, access string) *anaRequest {
	for _, q := range st.reqs {
		if q.appID == appID && q.access == access && q.deleted.IsZero() {
			return q
		}
	}
	return nil
}

// create adds a request, or reports the conflict that forbids it.
func (s *Server) anaCreate(st *anaStore, appID, access string, now time.Time) (*anaRequest, bool) {
	if st.current(appID, access) != nil {
		return nil, false
	}
	if access == accessSnapshot {
		for _, q := range st.reqs {
			if q.appID == appID && q.access == accessSnapshot && sameMonth(q.created, now) {
				return nil, false
			}
		}
	}
	st.seq++
	q := &anaRequest{appID: appID, access: access, app: st.apps[appID], created: now, lastRead: now,
		id: uuidOf("asc-analytics-request", strconv.FormatInt(s.opt.Seed, 10), appID, access, strconv.Itoa(st.seq))}
	st.reqs = append(st.reqs, q)
	st.byID[q.id] = q
	return q, true
}

func sameMonth(a, b time.Time) bool {
	a, b = a.UTC(), b.UTC()
	return a.Year() == b.Year() && a.Month() == b.Month()
}

// firstProc is the request's first processing date.
func (q *anaRequest) firstProc() time.Time {
	return dateOnly(q.created).AddDate(0, 0, anaFirstDays)
}

// snapshotProc is a ONE_TIME_SNAPSHOT's processing date and the moment its instances are
// listed: by default like any request (c+2, from 00:00 UTC); with
// Options.AnalyticsSnapshotReady > 0 the creation date, listed that long after creation.
func (s *Server) snapshotProc(q *anaRequest) (proc, listed time.Time) {
	if r := s.opt.AnalyticsSnapshotReady; r > 0 {
		return dateOnly(q.created), q.created.Add(r)
	}
	p := q.firstProc()
	return p, p
}

// produced lists the instances of a report the request has published by now (including
// ones past retention), ordered by processing date then granularity. from limits the
// processing dates (zero = all).
//
// Decision: Timing (UTC dates, c = the creation date): processing dates start at c+2 and an
// instance is visible from 00:00 UTC of its processing date P (24–48 h after creation).
// ONGOING: DAILY every day; WEEKLY on Fridays with Date = P−11 (the previous Monday); MONTHLY
// on the 5th with Date = the first of the previous month. A DAILY instance holds Dates max(c,
// P−k) … P−1, k the report's completeness window (Discovery, Downloads, Purchases, Subscription
// Event 3; Sessions, Installation, Crashes, Crashes Expanded 5; Subscription State 2).
func (s *Server) anaProduced(q *anaRequest, rep *anaReport, now, from time.Time) []*anaInstance {
	if q.app == nil || !q.app.hasData(rep) {
		return nil
	}
	end := q.until(now)
	first := q.firstProc()
	var out []*anaInstance
	add := func(gran string, p time.Time) {
		if rep.hasGran(gran) {
			out = append(out, &anaInstance{req: q, rep: rep, gran: gran, proc: p,
				id: uuidOf("asc-analytics-instance", q.id, rep.name, gran, iso(p))})
		}
	}
	if q.access == accessSnapshot {
		if p, listed := s.snapshotProc(q); !listed.After(end) && !p.Before(from) {
			for _, g := range anaGranularities {
				add(g, p)
			}
		}
		return out
	}
	p := first
	if from.After(p) {
		p = dateOnly(from)
		if from.After(p) {
			p = p.Add(day)
		}
	}
	for ; !p.After(end); p = p.Add(day) {
		add("DAILY", p)
		if p.Weekday() == time.Friday {
			add("WEEKLY", p)
		}
		if p.Day() == 5 {
			add("MONTHLY", p)
		}
	}
	return out
}

// visible lists the instances a report lists at now: published, request not deleted, and
// younger than the retention.
func (s *Server) anaVisible(q *anaRequest, rep *anaReport, now time.Time) []*anaInstance {
	if !q.deleted.IsZero() && !q.deleted.After(now) {
		return nil
	}
	var out []*anaInstance
	for _, in := range s.anaProduced(q, rep, now, now.Add(-AnalyticsRetention)) {
		if in.visibleAt(now) {
			out = append(out, in)
		}
	}
	return out
}

// Decision (Retention): an instance vanishes from lists, and its id, segments and segment ids
// answer 404 NOT_FOUND "There is no resource of type 'analyticsReportInstances' with id 'X'",
// from P + 35 days (00:00 UTC).
func (in *anaInstance) visibleAt(now time.Time) bool {
	return (in.req.deleted.IsZero() || in.req.deleted.After(now)) && now.Before(in.proc.Add(AnalyticsRetention))
}

// dates are the Date values an instance carries, ascending.
//
// Decision (ONE_TIME_SNAPSHOT): one instance per granularity, processing date c+2 (or, with
// Options.AnalyticsSnapshotReady > 0, the creation date c, listed that long after the request
// was created). DAILY holds Dates max(P−365, history start) … P−1 (AnalyticsSnapshotDays)
// with the values an ONGOING instance of the same P has; WEEKLY/MONTHLY hold every
// week/month whose Friday/5th lies in [P−365, P]. History start 2024-01-01 (2025-01-01 for
// Subscription Event). Apple's snapshot reaches back to 2024; one year keeps a first run's
// backfill small (about 1,300 DAILY rows per report and app). The DAILY snapshot instance is
// split in segments of 100 Dates each (four for a year); all others have one.
func (in *anaInstance) dates() []time.Time {
	p, rep := in.proc, in.rep
	lo := p.AddDate(0, 0, -AnalyticsSnapshotDays)
	if lo.Before(rep.history) {
		lo = rep.history
	}
	var out []time.Time
	snap := in.req.access == accessSnapshot
	switch in.gran {
	case "DAILY":
		from := p.AddDate(0, 0, -rep.window)
		if c := dateOnly(in.req.created); !snap && c.After(from) {
			from = c
		}
		if snap {
			from = lo
		}
		for d := from; d.Before(p); d = d.Add(day) {
			out = append(out, d)
		}
	case "WEEKLY":
		start := p
		if snap {
			start = p.AddDate(0, 0, -AnalyticsSnapshotDays)
		}
		for f := start; !f.After(p); f = f.Add(day) {
			if f.Weekday() == time.Friday && !f.AddDate(0, 0, -11).Before(rep.history) {
				out = append(out, f.AddDate(0, 0, -11))
			}
		}
	case "MONTHLY":
		start := p
		if snap {
			start = p.AddDate(0, 0, -AnalyticsSnapshotDays)
		}
		for f := start; !f.After(p); f = f.Add(day) {
			if f.Day() == 5 {
				m := time.Date(f.Year(), f.Month()-1, 1, 0, 0, 0, 0, time.UTC)
				if !m.Before(rep.history) {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

// content renders the instance's segment files: the rows of every Date, Date ascending; a
// snapshot's DAILY instance is split in segments of anaSnapshotSegmentDays Dates (each
// with the header).
func (s *Server) anaContent(in *anaInstance) [][]byte {
	x := in.req.app
	perPart := len(in.dates()) + 1
	if in.req.access == accessSnapshot && in.gran == "DAILY" {
		perPart = anaSnapshotSegmentDays
	}
	var parts [][][]string
	for i, d := range in.dates() {
		if i%perPart == 0 {
			parts = append(parts, nil)
		}
		for _, r := range s.anaRowsAt(in.rep, x, in.gran, d, in.proc) {
			parts[len(parts)-1] = append(parts[len(parts)-1], anaCells(in.rep, x, d, in.proc, r))
		}
	}
	if len(parts) == 0 {
		parts = [][][]string{nil}
	}
	out := make([][]byte, len(parts))
	for i, p := range parts {
		out[i] = gzipBytes(renderLines(in.rep, p))
	}
	return out
}

// bodiesOf returns (and caches) an instance's segment bodies; st.mu must be held.
func (s *Server) bodiesOf(st *anaStore, in *anaInstance) [][]byte {
	if b, ok := st.bodies[in.id]; ok {
		return b
	}
	if len(st.bodies) >= 256 {
		clear(st.bodies)
	}
	b := s.anaContent(in)
	st.bodies[in.id] = b
	return b
}

func segmentID(in *anaInstance, idx int) string {
	return uuidOf("asc-analytics-segment", in.id, strconv.Itoa(idx))
}

// findInstance looks an instance id up among those visible now (registering what it scans).
func (s *Server) findInstance(st *anaStore, id string, now time.Time) *anaInstance {
	if in, ok := st.insts[id]; ok {
		if in.visibleAt(now) {
			return in
		}
		return nil
	}
	for _, q := range st.reqs {
		for _, rep := range anaReports {
			for _, in := range s.anaVisible(q, rep, now) {
				st.insts[in.id] = in
				if in.id == id {
					return in
				}
			}
		}
	}
	return nil
}
