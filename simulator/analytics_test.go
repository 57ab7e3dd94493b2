package simulator

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func anaEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, Options{})
	return e, appIDOf(e.srv.cat.apps[0])
}

func TestAnalyticsCreateConflictDelete(t *testing.T) {
	e, app := anaEnv(t)
	// Apple's sample body works once the app id is ours.
	sample := strings.Replace(string(readTestdata(t, "analytics_report_request_create_body_apple-doc-example.json")), "1476097583", app, 1)
	rec := e.send(t, http.MethodPost, "/v1/analyticsReportRequests", []byte(sample), nil)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var one jOne
	if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil {
		t.Fatal(err)
	}
	if one.Data.Type != "analyticsReportRequests" || one.Data.Attributes["accessType"] != "ONGOING" ||
		one.Data.Attributes["stoppedDueToInactivity"] != false || one.Data.Relationships["reports"] == nil {
		t.Fatalf("201 body: %s", rec.Body)
	}
	ongoing := one.Data.ID

	rec = e.send(t, http.MethodPost, "/v1/analyticsReportRequests", createBodyFor(app, "ONGOING"), nil)
	if rec.Code != http.StatusConflict {
		t.Fatalf("second ONGOING: %d %s", rec.Code, rec.Body)
	}
	er := decodeErr(t, rec)
	if er.Errors[0].Code != "ENTITY_ERROR" || er.Errors[0].Title == "" || er.Errors[0].ID == "" {
		t.Fatalf("409 body: %s", rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `"pointer":"/data/attributes/accessType"`) {
		t.Fatalf("409 lacks source.pointer: %s", rec.Body)
	}

	snap := e.createRequest(t, app, "ONE_TIME_SNAPSHOT")
	if rec := e.send(t, http.MethodPost, "/v1/analyticsReportRequests", createBodyFor(app, "ONE_TIME_SNAPSHOT"), nil); rec.Code != 409 {
		t.Fatalf("second snapshot: %d", rec.Code)
	}
	// Deleting the snapshot does not allow another in the same month.
	if rec := e.send(t, http.MethodDelete, "/v1/analyticsReportRequests/"+snap, nil, nil); rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Fatalf("delete: %d %q", rec.Code, rec.Body)
	}
	if rec := e.send(t, http.MethodPost, "/v1/analyticsReportRequests", createBodyFor(app, "ONE_TIME_SNAPSHOT"), nil); rec.Code != 409 {
		t.Fatalf("snapshot again in the same month: %d", rec.Code)
	}
	e.clock.Add(10 * 24 * time.Hour) // into December
	e.createRequest(t, app, "ONE_TIME_SNAPSHOT")

	// Deleted ONGOING: 404 afterwards, and a new one can be created.
	if rec := e.send(t, http.MethodDelete, "/v1/analyticsReportRequests/"+ongoing, nil, nil); rec.Code != 204 {
		t.Fatalf("delete ongoing: %d", rec.Code)
	}
	if rec := e.send(t, http.MethodDelete, "/v1/analyticsReportRequests/"+ongoing, nil, nil); rec.Code != 404 {
		t.Fatalf("second delete: %d", rec.Code)
	}
	if rec := e.send(t, http.MethodGet, "/v1/analyticsReportRequests/"+ongoing+"/reports", nil, nil); rec.Code != 404 {
		t.Fatalf("reports of deleted request: %d", rec.Code)
	}
	e.createRequest(t, app, "ONGOING")

	// Bad bodies.
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{`, 422},
		{string(createBodyFor(app, "SOMETIMES")), 422},
		{string(createBodyFor("123", "ONGOING")), 422},
		{`{"data":{"type":"apps","attributes":{"accessType":"ONGOING"}}}`, 422},
	} {
		if rec := e.send(t, http.MethodPost, "/v1/analyticsReportRequests", []byte(tc.body), nil); rec.Code != tc.code {
			t.Errorf("POST %s: %d, want %d", tc.body, rec.Code, tc.code)
		}
	}
	if rec := e.send(t, http.MethodGet, "/v1/analyticsReportRequests", nil, nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET collection: %d", rec.Code)
	}
	if rec := e.send(t, http.MethodPatch, "/v1/analyticsReportRequests/x", nil, nil); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("PATCH: %d", rec.Code)
	}
	// The app's list shows live requests only, filterable by access type.
	items, _ := e.listAll(t, "/v1/apps/"+app+"/analyticsReportRequests")
	if len(items) != 2 {
		t.Fatalf("app requests: %d", len(items))
	}
	items, _ = e.listAll(t, "/v1/apps/"+app+"/analyticsReportRequests?filter%5BaccessType%5D=ONGOING")
	if len(items) != 1 || items[0].Attributes["accessType"] != "ONGOING" {
		t.Fatalf("filtered: %+v", items)
	}
	if got := e.srv.AnalyticsRequests(app); len(got) != 4 || !got[0].Deleted || !got[1].Deleted {
		t.Fatalf("AnalyticsRequests: %+v", got)
	}
}

func TestAnalyticsReportsPagingAndFilters(t *testing.T) {
	e, app := anaEnv(t)
	req := e.createRequest(t, app, "ONGOING")
	items, pages := e.listAll(t, "/v1/analyticsReportRequests/"+req+"/reports?limit=5")
	names, cats, _ := AnalyticsReportNames()
	if len(items) != len(names) || pages != (len(names)+4)/5 {
		t.Fatalf("%d reports in %d pages, want %d", len(items), pages, len(names))
	}
	seen := map[string]bool{}
	for i, it := range items {
		if it.Attributes["name"] != names[i] || it.Attributes["category"] != cats[i] || seen[it.ID] ||
			!strings.HasSuffix(it.ID, "-"+req) || !strings.HasPrefix(it.ID, "r") {
			t.Fatalf("report %d: %+v", i, it)
		}
		seen[it.ID] = true
	}
	for _, want := range []string{"App Downloads Standard", "App Store Discovery and Engagement Detailed",
		"App Store Installation and Deletion Standard", "App Crashes Expanded",
		"App Store Subscription Event Report Standard", "App Store Subscription State Report Standard"} {
		if !slices.Contains(names, want) {
			t.Errorf("missing report %q", want)
		}
	}
	commerce, _ := e.listAll(t, "/v1/analyticsReportRequests/"+req+"/reports?filter%5Bcategory%5D=COMMERCE")
	if len(commerce) < 6 {
		t.Fatalf("COMMERCE: %d", len(commerce))
	}
	for _, it := range commerce {
		if it.Attributes["category"] != "COMMERCE" {
			t.Fatalf("category filter let %v through", it.Attributes)
		}
	}
	// Exact name match: "App Downloads" alone matches nothing.
	if got, _ := e.listAll(t, "/v1/analyticsReportRequests/"+req+"/reports?filter%5Bname%5D=App+Downloads"); len(got) != 0 {
		t.Fatalf("partial name matched %d", len(got))
	}
	for _, bad := range []string{"limit=201", "limit=0", "filter%5Bcategory%5D=APP_STORE_COMMERCE", "cursor=AQ.xyz", "sort=name"} {
		if rec := e.send(t, http.MethodGet, "/v1/analyticsReportRequests/"+req+"/reports?"+bad, nil, nil); rec.Code != 400 {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
	if rec := e.send(t, http.MethodGet, "/v1/analyticsReportRequests/"+req+"?include=reports&limit%5Breports%5D=51", nil, nil); rec.Code != 400 {
		t.Errorf("limit[reports]=51: %d", rec.Code)
	}
	one := e.getOne(t, "/v1/analyticsReportRequests/"+req+"?include=reports&limit%5Breports%5D=3&fields%5BanalyticsReports%5D=name")
	if len(one.Included) != 3 || one.Included[0].Attributes["category"] != nil || one.Included[0].Attributes["name"] == nil {
		t.Fatalf("include=reports: %+v", one.Included)
	}
	rel, _ := e.listAll(t, "/v1/analyticsReportRequests/"+req+"/relationships/reports?limit=200")
	if len(rel) != len(names) || rel[0].Attributes != nil {
		t.Fatalf("linkage: %d %+v", len(rel), rel[0])
	}
	if rec := e.send(t, http.MethodGet, "/v1/analyticsReports/"+items[0].ID, nil, nil); rec.Code != 200 {
		t.Fatalf("GET report: %d", rec.Code)
	}
	if rec := e.send(t, http.MethodGet, "/v1/analyticsReports/r9999-"+req, nil, nil); rec.Code != 404 {
		t.Fatalf("GET unknown report: %d", rec.Code)
	}
}

func TestAnalyticsInstanceTiming(t *testing.T) {
	e, app := anaEnv(t)
	req := e.createRequest(t, app, "ONGOING") // 2026-11-25 20:00 UTC
	rep := e.reportID(t, req, "App Downloads Standard")
	list := "/v1/analyticsReports/" + rep + "/instances"
	if got, _ := e.listAll(t, list); len(got) != 0 {
		t.Fatalf("instances right after creation: %d", len(got))
	}
	e.clock.Add(24 * time.Hour)
	if got, _ := e.listAll(t, list); len(got) != 0 {
		t.Fatalf("after 24h: %d", len(got))
	}
	e.clock.Add(24 * time.Hour) // 2026-11-27 20:00: first processing date 11-27
	got, _ := e.listAll(t, list)
	if len(got) != 2 || got[0].Attributes["processingDate"] != "2026-11-27" || got[0].Attributes["granularity"] != "DAILY" ||
		got[1].Attributes["granularity"] != "WEEKLY" { // 2026-11-27 is a Friday
		t.Fatalf("first instance: %+v", got)
	}
	e.clock.Add(12 * 24 * time.Hour) // 2026-12-09 20:00
	all, pages := e.listAll(t, list+"?limit=3")
	var daily, weekly, monthly []string
	for _, it := range all {
		p := it.Attributes["processingDate"].(string)
		switch it.Attributes["granularity"] {
		case "DAILY":
			daily = append(daily, p)
		case "WEEKLY":
			weekly = append(weekly, p)
		case "MONTHLY":
			monthly = append(monthly, p)
		}
	}
	if len(daily) != 13 || daily[0] != "2026-11-27" || daily[12] != "2026-12-09" || pages != (len(all)+2)/3 {
		t.Fatalf("daily %v in %d pages", daily, pages)
	}
	if !slices.Equal(weekly, []string{"2026-11-27", "2026-12-04"}) || !slices.Equal(monthly, []string{"2026-12-05"}) {
		t.Fatalf("weekly %v monthly %v", weekly, monthly)
	}
	w, _ := e.listAll(t, list+"?filter%5Bgranularity%5D=WEEKLY")
	if len(w) != 2 {
		t.Fatalf("filter[granularity]: %d", len(w))
	}
	p, _ := e.listAll(t, list+"?filter%5BprocessingDate%5D=2026-12-05")
	if len(p) != 2 { // DAILY and MONTHLY
		t.Fatalf("filter[processingDate]: %d", len(p))
	}
	if rec := e.send(t, http.MethodGet, list+"?filter%5Bgranularity%5D=HOURLY", nil, nil); rec.Code != 400 {
		t.Fatalf("bad granularity: %d", rec.Code)
	}
	// Weekly Date is the Monday of the previous week; monthly the first of the previous month.
	for _, tc := range []struct{ gran, proc, date string }{
		{"WEEKLY", "2026-12-04", "2026-11-23"}, {"MONTHLY", "2026-12-05", "2026-11-01"},
	} {
		_, rows, err := e.srv.AnalyticsRows(app, "App Downloads Standard", tc.gran, tc.proc, tc.date)
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s rows: %v", tc.gran, err)
		}
		in := findInst(t, e, list, tc.gran, tc.proc)
		tb := parseSegment(t, download(t, e, e.segments(t, in)[0]))
		for _, r := range tb.rows {
			if r[tb.col(t, "Date")] != tc.date {
				t.Fatalf("%s Date %s, want %s", tc.gran, r[tb.col(t, "Date")], tc.date)
			}
		}
	}
	// Subscription Event is DAILY only.
	sub := e.reportID(t, req, "App Store Subscription Event Report Standard")
	for _, it := range must(e.listAll(t, "/v1/analyticsReports/"+sub+"/instances")) {
		if it.Attributes["granularity"] != "DAILY" {
			t.Fatalf("subscription event %v", it.Attributes)
		}
	}
	// Reports without data never have instances.
	none := e.reportID(t, req, "ARKit World Tracking")
	if got := must(e.listAll(t, "/v1/analyticsReports/"+none+"/instances")); len(got) != 0 {
		t.Fatalf("ARKit World Tracking instances: %d", len(got))
	}
}

func must(items []jRes, _ int) []jRes { return items }

func findInst(t *testing.T, e *env, list, gran, proc string) string {
	t.Helper()
	for _, it := range must(e.listAll(t, list)) {
		if it.Attributes["granularity"] == gran && it.Attributes["processingDate"] == proc {
			return it.ID
		}
	}
	t.Fatalf("no %s instance %s", gran, proc)
	return ""
}

func download(t *testing.T, e *env, sg segment) []byte {
	t.Helper()
	rec := e.fetch(t, sg.url, "")
	if rec.Code != 200 {
		t.Fatalf("download %s: %d %s", sg.url, rec.Code, rec.Body)
	}
	b := rec.Body.Bytes()
	if len(b) != sg.size || md5Hex(b) != sg.checksum {
		t.Fatalf("size %d/%d checksum %s/%s", len(b), sg.size, md5Hex(b), sg.checksum)
	}
	return b
}

func TestAnalyticsSegmentURLs(t *testing.T) {
	e, app := anaEnv(t)
	req := e.createRequest(t, app, "ONGOING")
	e.clock.Add(3 * 24 * time.Hour)
	rep := e.reportID(t, req, "App Crashes")
	inst := findInst(t, e, "/v1/analyticsReports/"+rep+"/instances", "DAILY", "2026-11-28")
	segs := e.segments(t, inst)
	if len(segs) != 1 || len(segs[0].checksum) != 32 {
		t.Fatalf("segments: %+v", segs)
	}
	u, err := url.Parse(segs[0].url)
	if err != nil || !strings.HasSuffix(u.Path, ".csv.gz") || u.Query().Get("X-Amz-Expires") != "300" ||
		u.Query().Get("X-Amz-Date") != "20261128T200000Z" || len(u.Query().Get("X-Amz-Signature")) != 64 {
		t.Fatalf("url %s", segs[0].url)
	}
	remaining := e.srv.peek(testKID)
	before := e.srv.SegmentStats()
	rec := e.fetch(t, segs[0].url, "")
	if rec.Code != 200 || rec.Header().Get("X-Rate-Limit") != "" {
		t.Fatalf("download: %d %v", rec.Code, rec.Header())
	}
	if e.srv.peek(testKID) != remaining {
		t.Fatal("a segment download was charged to the API budget")
	}
	// A second mechanism (the API's bearer token) is refused.
	rec = e.fetch(t, segs[0].url, "Bearer "+e.token(t))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "<Code>InvalidArgument</Code>") ||
		!strings.Contains(rec.Body.String(), "Only one auth mechanism allowed") || rec.Header().Get("Content-Type") != "application/xml" {
		t.Fatalf("with Authorization: %d %s", rec.Code, rec.Body)
	}
	// A tampered signature.
	bad := strings.Replace(segs[0].url, "X-Amz-Date=20261128T200000Z", "X-Amz-Date=20261128T200100Z", 1)
	if rec := e.fetch(t, bad, ""); rec.Code != 403 || !strings.Contains(rec.Body.String(), "<Code>SignatureDoesNotMatch</Code>") {
		t.Fatalf("tampered: %d %s", rec.Code, rec.Body)
	}
	// Valid for 300 s, not one more.
	e.clock.Add(300 * time.Second)
	if rec := e.fetch(t, segs[0].url, ""); rec.Code != 200 {
		t.Fatalf("at 300 s: %d", rec.Code)
	}
	e.clock.Add(time.Second)
	rec = e.fetch(t, segs[0].url, "")
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "<Code>AccessDenied</Code><Message>Request has expired</Message>") {
		t.Fatalf("expired: %d %s", rec.Code, rec.Body)
	}
	// Listing again mints a working URL.
	fresh := e.segments(t, inst)
	if fresh[0].url == segs[0].url || fresh[0].checksum != segs[0].checksum {
		t.Fatal("segments list did not mint a fresh URL for the same bytes")
	}
	download(t, e, fresh[0])
	one := e.getOne(t, "/v1/analyticsReportSegments/"+fresh[0].id)
	if one.Data.Attributes["checksum"] != fresh[0].checksum {
		t.Fatalf("GET segment: %+v", one.Data)
	}
	got := e.srv.SegmentStats()
	want := SegmentStats{Downloads: before.Downloads + 6, Served: before.Served + 3, WithAuthorization: before.WithAuthorization + 1,
		Expired: before.Expired + 1, BadSignature: before.BadSignature + 1}
	if got != want {
		t.Fatalf("SegmentStats %+v, want %+v", got, want)
	}
}

// downloadsFixtureHeader is the header of Apple's App Downloads Detailed file (ingestr fixture).
func downloadsFixtureHeader(t *testing.T) []string {
	first, _, _ := strings.Cut(string(readTestdata(t, "app_downloads_detailed_segment_ingestr-fixture.tsv")), "\n")
	return strings.Split(first, "\t")
}

func TestAnalyticsSegmentFormat(t *testing.T) {
	e, app := anaEnv(t)
	req := e.createRequest(t, app, "ONGOING")
	e.clock.Add(8 * 24 * time.Hour)
	names, _, withData := AnalyticsReportNames()
	for i, name := range names {
		if !withData[i] {
			continue
		}
		rep := e.reportID(t, req, name)
		inst := findInst(t, e, "/v1/analyticsReports/"+rep+"/instances", "DAILY", "2026-12-02")
		tb := parseSegment(t, download(t, e, e.segments(t, inst)[0]))
		if tb.comma != (name == "App Crashes Expanded") {
			t.Errorf("%s: comma-delimited = %v", name, tb.comma)
		}
		if len(tb.rows) == 0 {
			t.Fatalf("%s: no rows", name)
		}
		pd := tb.col(t, "Processing Date")
		if pd < 2 || tb.header[1] != "App Apple Identifier" {
			t.Errorf("%s: header order %q", name, tb.header)
		}
		for _, r := range tb.rows {
			if len(r) != len(tb.header) || r[pd] != "2026-12-02" || r[1] != app {
				t.Fatalf("%s row %q", name, r)
			}
		}
		if strings.HasSuffix(name, "Standard") {
			for _, h := range tb.header {
				if h == "Source Info" || h == "Campaign" || h == "Page Title" {
					t.Errorf("%s has Detailed column %q", name, h)
				}
			}
		}
		switch name {
		case "App Downloads Detailed":
			if !slices.Equal(tb.header, downloadsFixtureHeader(t)) {
				t.Errorf("App Downloads Detailed header\n%q\nfixture\n%q", tb.header, downloadsFixtureHeader(t))
			}
		case "App Store Purchases Detailed":
			for _, c := range []string{"Proceeds In USD", "Sales In USD", "Paying Users", "Purchases"} {
				tb.col(t, c)
			}
		case "App Crashes Expanded":
			want := []string{"Date", "App Apple Identifier", "Count", "Unique Devices", "Processing Date", "App Name",
				"App Version", "Build", "Device", "Platform", "Release Type", "Territory"}
			if !slices.Equal(tb.header, want) {
				t.Errorf("App Crashes Expanded header %q", tb.header)
			}
		}
	}
	// Empty cells are the two characters "" in tab files, and fields with commas are quoted
	// in the comma file.
	_, rows, _ := e.srv.AnalyticsRows(app, "App Downloads Detailed", "DAILY", "2026-12-02", "2026-12-01")
	inst := findInst(t, e, "/v1/analyticsReports/"+e.reportID(t, req, "App Downloads Detailed")+"/instances", "DAILY", "2026-12-02")
	raw := string(gunzip(t, download(t, e, e.segments(t, inst)[0])))
	if !strings.Contains(raw, "\t\"\"\t") || len(rows) == 0 {
		t.Fatalf("no \"\" cells in App Downloads Detailed:\n%s", raw)
	}
	quoted := false
	for d := 0; d < 30 && !quoted; d++ {
		p := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		x := e.srv.anaStore().apps[app]
		rep := anaReportByName("App Crashes Expanded")
		var cells [][]string
		for _, r := range e.srv.anaRowsAt(rep, x, "DAILY", p.AddDate(0, 0, -5), p) {
			cells = append(cells, anaCells(rep, x, p.AddDate(0, 0, -5), p, r))
		}
		quoted = strings.Contains(string(renderLines(rep, cells)), `,"MacBook Pro (14-inch, 2023)",`)
	}
	if !quoted {
		t.Fatal("no quoted comma field in 30 days of App Crashes Expanded")
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// measureValue parses an integer or a 2-decimal USD amount into an integer (cents for USD).
func measureValue(t *testing.T, s string, usd bool) int64 {
	t.Helper()
	if usd {
		s = strings.Replace(s, ".", "", 1)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("measure %q: %v", s, err)
	}
	return v
}

func formatMeasure(v int64, usd bool) string {
	if usd {
		return money(v, 2)
	}
	return strconv.FormatInt(v, 10)
}

// loaded is what a loader keeping the latest processing date per Date has.
type loaded struct {
	proc string
	rows [][]string
}

// collect downloads every instance of a report and granularity the request lists now and
// folds them by Date, latest processing date winning; it also records every processing
// date seen per Date and the sums per (Date, processing date).
func collect(t *testing.T, e *env, reqID, name, gran string, into map[string]*loaded, seen map[string]map[string]string) []string {
	t.Helper()
	rep := e.reportID(t, reqID, name)
	var header []string
	for _, it := range must(e.listAll(t, "/v1/analyticsReports/"+rep+"/instances?filter%5Bgranularity%5D="+gran)) {
		proc := it.Attributes["processingDate"].(string)
		byDate := map[string][][]string{}
		for _, sg := range e.segments(t, it.ID) {
			tb := parseSegment(t, download(t, e, sg))
			header = tb.header
			dc := 0
			for _, r := range tb.rows {
				if r[tb.col(t, "Processing Date")] != proc {
					t.Fatalf("row Processing Date %s in instance %s", r[tb.col(t, "Processing Date")], proc)
				}
				byDate[r[dc]] = append(byDate[r[dc]], r)
			}
		}
		for d, rows := range byDate {
			if seen != nil {
				if seen[d] == nil {
					seen[d] = map[string]string{}
				}
				seen[d][proc] = fmt.Sprint(rows)
			}
			if cur := into[d]; cur == nil || cur.proc < proc {
				into[d] = &loaded{proc: proc, rows: rows}
			} else if cur.proc == proc && fmt.Sprint(cur.rows) != fmt.Sprint(rows) {
				t.Fatalf("%s %s: two instances with processing date %s disagree", name, d, proc)
			}
		}
	}
	return header
}

// checkTruth compares folded rows with TruthAnalytics exactly.
func checkTruth(t *testing.T, e *env, app, name, gran string, header []string, got map[string]*loaded) []AnalyticsTruthDay {
	t.Helper()
	truth := e.srv.TruthAnalytics(app, name, gran)
	if len(truth) != len(got) {
		t.Fatalf("%s %s: truth has %d dates, loaded %d", name, gran, len(truth), len(got))
	}
	rep := anaReportByName(name)
	for _, td := range truth {
		l := got[td.Date]
		if l == nil || l.proc != td.ProcessingDate || len(l.rows) != td.Rows {
			t.Fatalf("%s %s %s: truth %+v, loaded %+v", name, gran, td.Date, td, l)
		}
		for _, m := range rep.measures {
			ci := slices.Index(header, m)
			var sum int64
			for _, r := range l.rows {
				sum += measureValue(t, r[ci], decimalMeasures[m])
			}
			if formatMeasure(sum, decimalMeasures[m]) != td.Measures[m] {
				t.Fatalf("%s %s %s %s: loaded %s, truth %s", name, gran, td.Date, m, formatMeasure(sum, decimalMeasures[m]), td.Measures[m])
			}
		}
	}
	return truth
}

func TestAnalyticsRestatementMatchesTruth(t *testing.T) {
	e, app := anaEnv(t)
	req := e.createRequest(t, app, "ONGOING")
	e.clock.Add(14 * 24 * time.Hour) // 2026-12-09 20:00: processing dates 11-27 … 12-09
	for _, name := range []string{"App Sessions Detailed", "App Store Purchases Standard", "App Crashes Expanded",
		"App Store Subscription Event Report Standard"} {
		got := map[string]*loaded{}
		seen := map[string]map[string]string{}
		header := collect(t, e, req, name, "DAILY", got, seen)
		truth := checkTruth(t, e, app, name, "DAILY", header, got)
		rep := anaReportByName(name)
		restated, final := 0, 0
		for _, td := range truth {
			if len(td.ProcessingDates) != len(seen[td.Date]) {
				t.Fatalf("%s %s: truth processing dates %v, served %d", name, td.Date, td.ProcessingDates, len(seen[td.Date]))
			}
			vals := map[string]bool{}
			for _, v := range seen[td.Date] {
				vals[v] = true
			}
			if len(vals) > 1 {
				restated++
			}
			d, _ := parseISODate(td.Date)
			p, _ := parseISODate(td.ProcessingDate)
			if td.Final != (int(p.Sub(d)/day) >= rep.window) {
				t.Fatalf("%s %s: Final %v with window %d", name, td.Date, td.Final, rep.window)
			}
			if td.Final {
				final++
				if len(td.ProcessingDates) != rep.window && td.Date > "2026-11-25" {
					t.Fatalf("%s %s: final after %d instances, window %d", name, td.Date, len(td.ProcessingDates), rep.window)
				}
			}
		}
		if restated == 0 || final == 0 {
			t.Fatalf("%s: %d restated and %d final dates", name, restated, final)
		}
		// The first Date is the creation date.
		if truth[0].Date != "2026-11-25" {
			t.Fatalf("%s: first Date %s", name, truth[0].Date)
		}
	}
	for _, gran := range []string{"WEEKLY", "MONTHLY"} {
		got := map[string]*loaded{}
		header := collect(t, e, req, "App Store Discovery and Engagement Standard", gran, got, nil)
		checkTruth(t, e, app, "App Store Discovery and Engagement Standard", gran, header, got)
	}
}

func TestAnalyticsSnapshot(t *testing.T) {
	e, app := anaEnv(t)
	ongoing := e.createRequest(t, app, "ONGOING")
	snap := e.createRequest(t, app, "ONE_TIME_SNAPSHOT")
	e.clock.Add(5 * 24 * time.Hour) // 2026-11-30 20:00
	name := "App Downloads Detailed"
	rep := e.reportID(t, snap, name)
	insts := must(e.listAll(t, "/v1/analyticsReports/"+rep+"/instances"))
	if len(insts) != 3 {
		t.Fatalf("snapshot instances: %+v", insts)
	}
	for _, it := range insts {
		if it.Attributes["processingDate"] != "2026-11-27" {
			t.Fatalf("snapshot instance %+v", it.Attributes)
		}
	}
	daily := findInst(t, e, "/v1/analyticsReports/"+rep+"/instances", "DAILY", "2026-11-27")
	segs := e.segments(t, daily)
	if len(segs) != 4 { // 365 Dates in segments of 100
		t.Fatalf("snapshot DAILY segments: %d", len(segs))
	}
	dates := map[string]bool{}
	for _, sg := range segs {
		tb := parseSegment(t, download(t, e, sg))
		for _, r := range tb.rows {
			dates[r[0]] = true
		}
	}
	if len(dates) != AnalyticsSnapshotDays || !dates["2025-11-27"] || dates["2025-11-26"] || !dates["2026-11-26"] || dates["2026-11-27"] {
		t.Fatalf("snapshot DAILY carries %d dates", len(dates))
	}
	// Latest processing date wins over the snapshot and the ongoing instances together.
	got := map[string]*loaded{}
	header := collect(t, e, snap, name, "DAILY", got, nil)
	collect(t, e, ongoing, name, "DAILY", got, nil)
	truth := checkTruth(t, e, app, name, "DAILY", header, got)
	if len(truth) != AnalyticsSnapshotDays+3 || truth[len(truth)-1].Date != "2026-11-29" { // ongoing adds 11-27 … 11-29
		t.Fatalf("truth dates %d", len(truth))
	}
	for _, gran := range []string{"WEEKLY", "MONTHLY"} {
		got := map[string]*loaded{}
		header := collect(t, e, snap, name, gran, got, nil)
		collect(t, e, ongoing, name, gran, got, nil)
		tr := checkTruth(t, e, app, name, gran, header, got)
		if gran == "MONTHLY" && (len(tr) != 12 || tr[0].Date != "2025-11-01" || tr[11].Date != "2026-10-01") {
			t.Fatalf("monthly snapshot truth %+v", tr)
		}
	}
}

func TestAnalyticsRetention(t *testing.T) {
	e, app := anaEnv(t)
	req := e.createRequest(t, app, "ONGOING")
	e.clock.Add(3 * 24 * time.Hour)
	rep := e.reportID(t, req, "App Crashes")
	list := "/v1/analyticsReports/" + rep + "/instances"
	first := findInst(t, e, list, "DAILY", "2026-11-27")
	e.getOne(t, "/v1/analyticsReportInstances/"+first)
	e.clock.Add(31 * 24 * time.Hour) // 2026-12-28 20:00: 11-27 + 35 days = 2027-01-01
	e.getOne(t, "/v1/analyticsReportInstances/"+first)
	e.clock.Add(4 * 24 * time.Hour) // 2027-01-01 20:00
	rec := e.send(t, http.MethodGet, "/v1/analyticsReportInstances/"+first, nil, nil)
	if rec.Code != 404 {
		t.Fatalf("expired instance: %d", rec.Code)
	}
	er := decodeErr(t, rec)
	if er.Errors[0].Code != "NOT_FOUND" || er.Errors[0].Title != "The specified resource does not exist" ||
		er.Errors[0].Detail != "There is no resource of type 'analyticsReportInstances' with id '"+first+"'" {
		t.Fatalf("404 body %s", rec.Body)
	}
	if rec := e.send(t, http.MethodGet, "/v1/analyticsReportInstances/"+first+"/segments", nil, nil); rec.Code != 404 {
		t.Fatalf("segments of expired instance: %d", rec.Code)
	}
	for _, it := range must(e.listAll(t, list)) {
		if it.ID == first || it.Attributes["processingDate"].(string) <= "2026-11-27" {
			t.Fatalf("expired instance listed: %+v", it.Attributes)
		}
	}
	// The truth still covers what was published.
	tr := e.srv.TruthAnalytics(app, "App Crashes", "DAILY")
	if tr[0].Date != "2026-11-25" {
		t.Fatalf("truth starts %s", tr[0].Date)
	}
}

func TestAnalyticsInactivity(t *testing.T) {
	e, app := anaEnv(t)
	req := e.createRequest(t, app, "ONGOING")
	e.clock.Add(AnalyticsInactivity + time.Hour) // never read: stopped at created+28d
	one := e.getOne(t, "/v1/analyticsReportRequests/"+req)
	if one.Data.Attributes["stoppedDueToInactivity"] != true {
		t.Fatalf("not stopped: %+v", one.Data.Attributes)
	}
	e.clock.Add(3 * 24 * time.Hour)
	rep := e.reportID(t, req, "App Sessions Standard") // a read, but too late
	var last string
	for _, it := range must(e.listAll(t, "/v1/analyticsReports/"+rep+"/instances?filter%5Bgranularity%5D=DAILY")) {
		last = it.Attributes["processingDate"].(string)
	}
	if last != "2026-12-23" { // created 11-25 20:00 + 28 days = 12-23 20:00
		t.Fatalf("last processing date %s", last)
	}
	// A stopped request still blocks a new ONGOING until it is deleted.
	if rec := e.send(t, http.MethodPost, "/v1/analyticsReportRequests", createBodyFor(app, "ONGOING"), nil); rec.Code != 409 {
		t.Fatalf("create over stopped: %d", rec.Code)
	}
	if rec := e.send(t, http.MethodDelete, "/v1/analyticsReportRequests/"+req, nil, nil); rec.Code != 204 {
		t.Fatalf("delete: %d", rec.Code)
	}
	fresh := e.createRequest(t, app, "ONGOING")
	if got := e.getOne(t, "/v1/analyticsReportRequests/"+fresh); got.Data.Attributes["stoppedDueToInactivity"] != false {
		t.Fatal("new request starts stopped")
	}

	// Regular reads keep a request alive; the test control stops it at once.
	app2 := appIDOf(e.srv.cat.apps[1])
	r2 := e.createRequest(t, app2, "ONGOING")
	for range 40 {
		e.clock.Add(24 * time.Hour)
		e.listAll(t, "/v1/analyticsReportRequests/"+r2+"/reports?limit=1")
	}
	if e.getOne(t, "/v1/analyticsReportRequests/"+r2).Data.Attributes["stoppedDueToInactivity"] != false {
		t.Fatal("read daily but stopped")
	}
	if err := e.srv.StopAnalyticsRequest(app2, "ONGOING"); err != nil {
		t.Fatal(err)
	}
	if e.getOne(t, "/v1/analyticsReportRequests/"+r2).Data.Attributes["stoppedDueToInactivity"] != true {
		t.Fatal("StopAnalyticsRequest had no effect")
	}
	rep2 := e.reportID(t, r2, "App Crashes")
	lastProc := func() string {
		items := must(e.listAll(t, "/v1/analyticsReports/"+rep2+"/instances?filter%5Bgranularity%5D=DAILY"))
		return items[len(items)-1].Attributes["processingDate"].(string)
	}
	before := lastProc()
	e.clock.Add(3 * 24 * time.Hour)
	if after := lastProc(); after != before {
		t.Fatalf("stopped request still publishes: %s → %s", before, after)
	}
	if err := e.srv.StopAnalyticsRequest(app2, "ONE_TIME_SNAPSHOT"); err == nil {
		t.Fatal("stopping a missing request succeeded")
	}
}

func TestAnalyticsDeterministic(t *testing.T) {
	run := func() string {
		e, app := anaEnv(t)
		req := e.createRequest(t, app, "ONGOING")
		e.clock.Add(4 * 24 * time.Hour)
		rep := e.reportID(t, req, "App Store Purchases Detailed")
		inst := findInst(t, e, "/v1/analyticsReports/"+rep+"/instances", "DAILY", "2026-11-29")
		return e.segments(t, inst)[0].checksum + fmt.Sprint(e.srv.TruthAnalytics(app, "App Store Purchases Detailed", "DAILY"))
	}
	if a, b := run(), run(); a != b {
		t.Fatalf("not deterministic:\n%s\n%s", a, b)
	}
}

// With AnalyticsSince the simulator starts with an ONGOING request per app, created that long
// ago, so its instances are already there; a second ONGOING request is a conflict.
func TestAnalyticsSincePrecreatesOngoingRequests(t *testing.T) {
	e := newEnv(t, Options{AnalyticsSince: 10 * 24 * time.Hour})
	for _, app := range e.srv.AppIDs() {
		reqs := e.srv.AnalyticsRequests(app)
		if len(reqs) != 1 || reqs[0].AccessType != "ONGOING" || !reqs[0].Created.Equal(testNow.Add(-10*24*time.Hour)) {
			t.Fatalf("app %s: requests %+v", app, reqs)
		}
	}
	app := e.srv.AppIDs()[0]
	list, _ := e.listAll(t, "/v1/apps/"+app+"/analyticsReportRequests?filter%5BaccessType%5D=ONGOING")
	if len(list) != 1 {
		t.Fatalf("listed %d ONGOING requests", len(list))
	}
	rep := e.reportID(t, list[0].ID, "App Downloads Standard")
	got, _ := e.listAll(t, "/v1/analyticsReports/"+rep+"/instances?filter%5Bgranularity%5D=DAILY")
	if len(got) < 8 {
		t.Fatalf("a 10-day-old request has %d daily instances, want at least 8", len(got))
	}
	body := []byte(`{"data":{"type":"analyticsReportRequests","attributes":{"accessType":"ONGOING"},"relationships":{"app":{"data":{"type":"apps","id":"` + app + `"}}}}}`)
	if rec := e.send(t, http.MethodPost, "/v1/analyticsReportRequests", body, nil); rec.Code != http.StatusConflict {
		t.Fatalf("second ONGOING: %d", rec.Code)
	}
	if n := len(newEnv(t, Options{}).srv.AnalyticsRequests(app)); n != 0 {
		t.Fatalf("without the option: %d requests", n)
	}
}

// With AnalyticsSnapshot the pre-created requests include a ONE_TIME_SNAPSHOT whose
// instances (processing date c+2) already hold the year of history.
func TestAnalyticsSincePrecreatesSnapshot(t *testing.T) {
	e := newEnv(t, Options{AnalyticsSince: 10 * 24 * time.Hour, AnalyticsSnapshot: true})
	app := e.srv.AppIDs()[0]
	reqs := e.srv.AnalyticsRequests(app)
	if len(reqs) != 2 || reqs[1].AccessType != "ONE_TIME_SNAPSHOT" {
		t.Fatalf("requests %+v", reqs)
	}
	rep := e.reportID(t, reqs[1].ID, "App Downloads Standard")
	insts := must(e.listAll(t, "/v1/analyticsReports/"+rep+"/instances"))
	if len(insts) != 3 || insts[0].Attributes["processingDate"] != "2026-11-17" {
		t.Fatalf("snapshot instances %+v", insts)
	}
	tr := e.srv.TruthAnalytics(app, "App Downloads Standard", "DAILY")
	if len(tr) < AnalyticsSnapshotDays || tr[0].Date != "2025-11-17" {
		t.Fatalf("truth covers %d dates from %s", len(tr), tr[0].Date)
	}
	body := []byte(`{"data":{"type":"analyticsReportRequests","attributes":{"accessType":"ONE_TIME_SNAPSHOT"},"relationships":{"app":{"data":{"type":"apps","id":"` + app + `"}}}}}`)
	if rec := e.send(t, http.MethodPost, "/v1/analyticsReportRequests", body, nil); rec.Code != http.StatusConflict {
		t.Fatalf("second snapshot: %d", rec.Code)
	}
}

// With AnalyticsSnapshotReady a snapshot created now is listed that long after, with the
// creation date as processing date and history up to the day before.
func TestAnalyticsSnapshotReady(t *testing.T) {
	e := newEnv(t, Options{AnalyticsSnapshotReady: 2 * time.Minute})
	app := e.srv.AppIDs()[1]
	snap := e.createRequest(t, app, "ONE_TIME_SNAPSHOT")
	ongoing := e.createRequest(t, app, "ONGOING")
	rep := e.reportID(t, snap, "Home Screen Widget Usage")
	if got := must(e.listAll(t, "/v1/analyticsReports/"+rep+"/instances")); len(got) != 0 {
		t.Fatalf("listed before ready: %+v", got)
	}
	e.clock.Add(2 * time.Minute)
	insts := must(e.listAll(t, "/v1/analyticsReports/"+rep+"/instances"))
	if len(insts) != 3 || insts[0].Attributes["processingDate"] != "2026-11-25" {
		t.Fatalf("snapshot instances %+v", insts)
	}
	daily := findInst(t, e, "/v1/analyticsReports/"+rep+"/instances", "DAILY", "2026-11-25")
	dates := map[string]bool{}
	for _, sg := range e.segments(t, daily) {
		for _, r := range parseSegment(t, download(t, e, sg)).rows {
			dates[r[0]] = true
		}
	}
	if len(dates) != AnalyticsSnapshotDays || !dates["2026-11-24"] || dates["2026-11-25"] {
		t.Fatalf("%d dates", len(dates))
	}
	// ONGOING keeps Apple's timing.
	if got := must(e.listAll(t, "/v1/analyticsReports/"+e.reportID(t, ongoing, "Home Screen Widget Usage")+"/instances")); len(got) != 0 {
		t.Fatalf("ongoing listed %d instances at once", len(got))
	}
}
