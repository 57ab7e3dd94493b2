package simulator

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// TestFlight usage metrics: per-day tester and build usage, a pure function of
// the seed, the app or build and the UTC day.

const testersPerApp = 8

var (
	testerFirst = []string{"Ana", "Ben", "Chiara", "Dmitri", "Emi", "Farid", "Greta", "Hugo", "Ines", "Jonas"}
	testerLast  = []string{"Ng", "Okafor", "Rossi", "Schmidt", "Tanaka", "Ulloa", "Varga", "Weber"}
	betaPeriods = map[string]int{"P7D": 7, "P30D": 30, "P90D": 90, "P365D": 365}
)

type betaTester struct {
	id, first, last, email string
	joined                 time.Time // UTC day
	activity               int       // percent of days with sessions
}

func (s *Server) testers(a *app) []*betaTester {
	r := s.rng("betaTesters", a.sku)
	out := make([]*betaTester, testersPerApp)
	for i := range out {
		f, l := pick(r, testerFirst), pick(r, testerLast)
		out[i] = &betaTester{id: uuidOf("asc-beta-tester", strconv.FormatInt(s.opt.Seed, 10), a.sku, strconv.Itoa(i)),
			first: f, last: l, email: fmt.Sprintf("%s.%s.%d@example.com", lower(f), lower(l), i+1),
			joined:   reviewEpoch.Add(-time.Duration(r.IntN(500)) * day),
			activity: 20 + r.IntN(60)}
	}
	return out
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// TruthTesterDay is one tester's usage on one UTC day.
type TruthTesterDay struct {
	TesterID                    string
	Day                         time.Time // UTC midnight
	Crashes, Sessions, Feedback int
}

// TruthBuildDay is one build's TestFlight usage on one UTC day.
type TruthBuildDay struct {
	Day                                            time.Time // UTC midnight
	Crashes, Installs, Sessions, Feedback, Invites int
}

func (s *Server) testerDay(a *app, t *betaTester, d time.Time) TruthTesterDay {
	out := TruthTesterDay{TesterID: t.id, Day: d}
	if d.Before(t.joined) {
		return out
	}
	r := s.rng("betaTesterUsage", a.sku, t.id, iso(d))
	if r.IntN(100) < t.activity {
		out.Sessions = 1 + r.IntN(6)
		if r.IntN(12) == 0 {
			out.Crashes = 1 + r.IntN(2)
		}
		if r.IntN(10) == 0 {
			out.Feedback = 1
		}
	}
	return out
}

func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// periodDays are the n UTC days ending the day before now, oldest first.
func periodDays(now time.Time, n int) []time.Time {
	last := utcDay(now).AddDate(0, 0, -1)
	out := make([]time.Time, n)
	for i := range n {
		out[i] = last.AddDate(0, 0, -(n - 1 - i))
	}
	return out
}

// TruthBetaTesterUsages returns per tester and day (testers in order, days oldest first) the
// usage of the app's testers over the period (P7D, P30D, P90D or P365D) ending yesterday.
func (s *Server) TruthBetaTesterUsages(appID, period string) ([]TruthTesterDay, error) {
	a := s.appByID(appID)
	if a == nil {
		return nil, fmt.Errorf("testflight: no app with id %q", appID)
	}
	n, ok := betaPeriods[period]
	if !ok {
		return nil, fmt.Errorf("testflight: period %q is not P7D, P30D, P90D or P365D", period)
	}
	var out []TruthTesterDay
	for _, t := range s.testers(a) {
		for _, d := range periodDays(s.now(), n) {
			out = append(out, s.testerDay(a, t, d))
		}
	}
	return out, nil
}

func (s *Server) buildDays(b *build, now time.Time) []TruthBuildDay {
	first := utcDay(b.uploaded)
	last := utcDay(now).AddDate(0, 0, -1)
	if exp := utcDay(b.uploaded.Add(90 * day)); exp.Before(last) {
		last = exp
	}
	var out []TruthBuildDay
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		r := s.rng("betaBuildUsage", b.id, iso(d))
		age := int(d.Sub(first) / day)
		fade := max(1, 20-age/3)
		x := TruthBuildDay{Day: d}
		if age < 5 {
			x.Invites = r.IntN(4)
		}
		x.Installs = r.IntN(1 + fade/2)
		x.Sessions = r.IntN(1 + fade)
		if x.Sessions > 0 && r.IntN(8) == 0 {
			x.Crashes = 1 + r.IntN(2)
		}
		if x.Sessions > 0 && r.IntN(6) == 0 {
			x.Feedback = 1
		}
		out = append(out, x)
	}
	return out
}

// TruthBetaBuildUsages returns the build's per-day TestFlight usage, oldest first.
func (s *Server) TruthBetaBuildUsages(buildID string) ([]TruthBuildDay, error) {
	now := s.now()
	b := s.buildByID(buildID, now)
	if b == nil {
		return nil, fmt.Errorf("testflight: no build with id %q", buildID)
	}
	return s.buildDays(b, now), nil
}

type metricPoint struct {
	Start  string `json:"start"`
	End    string `json:"end"`
	Values kvs    `json:"values"`
}

type metricDim struct {
	Data  resID             `json:"data"`
	Links map[string]string `json:"links"`
}

type metricItem struct {
	Type       string                `json:"type"`
	DataPoints []metricPoint         `json:"dataPoints"`
	Dimensions map[string]*metricDim `json:"dimensions,omitempty"`
}

// Decision (TestFlight): GET /v1/apps/{id}/metrics/betaTesterUsages (period
// P7D|P30D|P90D|P365D, default P30D; groupBy=betaTesters; filter[betaTesters]) and GET
// /v1/builds/{id}/metrics/betaBuildUsages serve one dataPoint per UTC day (start = the day, end
// = the next day) for the period's days ending yesterday (UTC), and for a build from its upload
// day to the earlier of yesterday and its expiry. Eight testers per live app; without groupBy
// the tester values are summed into one data item.
func (s *Server) serveTesterUsages(w http.ResponseWriter, r *http.Request, appID string) {
	period := "P30D"
	var groupBy map[string]bool
	jq, off, snap, a := openListUnder(s, w, r, reqSpec{params: []string{"period", "groupBy", "filter[betaTesters]"}}, "apps", appID,
		func(*jreq) *app { return s.appByID(appID) },
		func(jq *jreq) (e *httpError) {
			if v, ok := qget(jq.q, "period"); ok {
				if _, good := betaPeriods[v]; !good {
					return errInvalidValue("period", v)
				}
				period = v
			}
			groupBy, e = enumSet(jq.q, "groupBy", []string{"betaTesters"})
			return e
		})
	if a == nil {
		return
	}
	var ts []*betaTester
	for _, t := range s.testers(a) {
		if jq.match("filter[betaTesters]", t.id) {
			ts = append(ts, t)
		}
	}
	days := periodDays(jq.now, betaPeriods[period])
	var items []*metricItem
	var who []*betaTester // the tester of each item when grouped
	if groupBy["betaTesters"] {
		for _, t := range ts {
			items = append(items, s.testerItem(jq, a, t, days))
			who = append(who, t)
		}
	} else if len(ts) > 0 {
		items = append(items, s.testersItem(a, ts, days))
	}
	doc, start, end := pageDoc[*metricItem, *jres](s, r, jq.base, cursorKey(r), off, jq.limit, len(items), snap)
	doc.Data = items[start:end]
	if who != nil {
		for _, t := range who[start:end] {
			doc.Included = append(doc.Included, testerRes(jq.base, t))
		}
	}
	writeJSON(w, r, doc)
}

func testerPoint(d time.Time, c, ss, f int) metricPoint {
	return metricPoint{Start: iso(d), End: iso(d.AddDate(0, 0, 1)),
		Values: kvs{{"crashCount", c}, {"sessionCount", ss}, {"feedbackCount", f}}}
}

// testerItem is one tester's usage over days (groupBy=betaTesters).
func (s *Server) testerItem(jq *jreq, a *app, t *betaTester, days []time.Time) *metricItem {
	it := &metricItem{Type: "appsBetaTesterUsages"}
	for _, d := range days {
		x := s.testerDay(a, t, d)
		it.DataPoints = append(it.DataPoints, testerPoint(d, x.Crashes, x.Sessions, x.Feedback))
	}
	it.Dimensions = map[string]*metricDim{"betaTesters": {Data: linkage("betaTesters", t.id),
		Links: map[string]string{"related": jq.base + "/v1/betaTesters/" + t.id,
			"groupBy": jq.base + jq.r.URL.Path + "?groupBy=betaTesters"}}}
	return it
}

// testersItem sums the testers' usage per day into one item.
func (s *Server) testersItem(a *app, ts []*betaTester, days []time.Time) *metricItem {
	it := &metricItem{Type: "appsBetaTesterUsages"}
	for _, d := range days {
		var c, ss, f int
		for _, t := range ts {
			x := s.testerDay(a, t, d)
			c, ss, f = c+x.Crashes, ss+x.Sessions, f+x.Feedback
		}
		it.DataPoints = append(it.DataPoints, testerPoint(d, c, ss, f))
	}
	return it
}

func testerRes(base string, t *betaTester) *jres {
	return &jres{Type: "betaTesters", ID: t.id, Links: docLinks{Self: base + "/v1/betaTesters/" + t.id},
		Attributes: kvs{{"firstName", t.first}, {"lastName", t.last}, {"email", t.email},
			{"inviteType", "EMAIL"}, {"state", "INSTALLED"}}}
}

func (s *Server) serveBuildUsages(w http.ResponseWriter, r *http.Request, buildID string) {
	jq, off, snap, b := openListUnder(s, w, r, reqSpec{}, "builds", buildID,
		func(jq *jreq) *build { return s.buildByID(buildID, jq.now) }, nil)
	if b == nil {
		return
	}
	it := &metricItem{Type: "buildsBetaBuildUsages", DataPoints: []metricPoint{}}
	for _, x := range s.buildDays(b, jq.now) {
		it.DataPoints = append(it.DataPoints, metricPoint{Start: iso(x.Day), End: iso(x.Day.AddDate(0, 0, 1)),
			Values: kvs{{"crashCount", x.Crashes}, {"installCount", x.Installs}, {"sessionCount", x.Sessions},
				{"feedbackCount", x.Feedback}, {"inviteCount", x.Invites}}})
	}
	items := []*metricItem{it}
	doc, start, end := pageDoc[*metricItem, *jres](s, r, jq.base, cursorKey(r), off, jq.limit, 1, snap)
	doc.Data = items[start:end]
	writeJSON(w, r, doc)
}
