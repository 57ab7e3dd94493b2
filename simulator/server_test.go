package simulator

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/report"
)

var rateRE = regexp.MustCompile(`^user-hour-lim:(\d+);user-hour-rem:(\d+);$`)

func TestRateLimit(t *testing.T) {
	e := newEnv(t, Options{RateLimit: 5})
	q := salesQuery("SALES", "SUMMARY", "DAILY", "2026-11-20", "1_0")
	for i := range 5 {
		rec := e.do(t, "/v1/salesReports", q, nil)
		m := rateRE.FindStringSubmatch(rec.Header().Get("X-Rate-Limit"))
		if rec.Code != 200 || m == nil || m[1] != "5" || m[2] != string(rune('0'+4-i)) {
			t.Fatalf("request %d: %d %q", i, rec.Code, rec.Header().Get("X-Rate-Limit"))
		}
		e.clock.Add(time.Minute)
	}
	rec := e.do(t, "/v1/salesReports", q, nil)
	if rec.Code != 429 || rec.Header().Get("X-Rate-Limit") != "user-hour-lim:5;user-hour-rem:0;" {
		t.Fatalf("over budget: %d %q", rec.Code, rec.Header().Get("X-Rate-Limit"))
	}
	if ra := rec.Header().Get("Retry-After"); ra != "3300" {
		t.Fatalf("Retry-After %q, want 3300 (oldest request leaves the window in 55 min)", ra)
	}
	x := decodeErr(t, rec).Errors[0]
	if x.Code != "RATE_LIMIT_EXCEEDED" || x.Title != titleRateLimit || x.Detail != detailRateLimit {
		t.Fatalf("429 body %+v", x)
	}
	e.clock.Add(55 * time.Minute) // the first request leaves the window
	if rec := e.do(t, "/v1/salesReports", q, nil); rec.Code != 200 || rec.Header().Get("X-Rate-Limit") != "user-hour-lim:5;user-hour-rem:0;" {
		t.Fatalf("after 55 min: %d %q", rec.Code, rec.Header().Get("X-Rate-Limit"))
	}
	e.clock.Add(time.Hour)
	if rec := e.do(t, "/v1/salesReports", q, nil); rec.Code != 200 || rec.Header().Get("X-Rate-Limit") != "user-hour-lim:5;user-hour-rem:4;" {
		t.Fatalf("after an hour: %d %q", rec.Code, rec.Header().Get("X-Rate-Limit"))
	}
	if st := e.srv.Stats(); st.RateLimited != 1 || st.Requests != 8 || st.ByPath["/v1/salesReports"] != 8 || st.ByStatus[200] != 7 {
		t.Fatalf("stats %+v", st)
	}
	e.srv.ResetStats()
	if st := e.srv.Stats(); st.Requests != 0 {
		t.Fatalf("reset: %+v", st)
	}
}

// Every response carries X-Rate-Limit, errors included.
func TestRateHeaderOnEveryResponse(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		method, target, auth string
	}{
		{"GET", "/v1/salesReports?filter[reportType]=X", "good"},
		{"GET", "/v1/nothing", "good"},
		{"POST", "/v1/salesReports", "good"},
		{"GET", "/v1/financeReports", "good"},
		{"GET", "/v1/salesReports", ""},
		{"GET", "/v1/salesReports", "Bearer nonsense"},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, c.target, nil)
		switch c.auth {
		case "good":
			req.Header.Set("Authorization", "Bearer "+e.token(t))
		case "":
		default:
			req.Header.Set("Authorization", c.auth)
		}
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		if !rateRE.MatchString(rec.Header().Get("X-Rate-Limit")) || rec.Code < 400 {
			t.Errorf("%s %s: %d %q", c.method, c.target, rec.Code, rec.Header().Get("X-Rate-Limit"))
		}
		decodeErr(t, rec)
	}
}

func TestDeterminism(t *testing.T) {
	a, b := newEnv(t, Options{Seed: 7}), newEnv(t, Options{Seed: 7})
	c := newEnv(t, Options{Seed: 8})
	for _, q := range [][]string{{"SALES", "SUMMARY", "WEEKLY", "2026-11-15"}, {"SUBSCRIBER", "DETAILED", "DAILY", "2026-11-20"}} {
		ra := a.do(t, "/v1/salesReports", salesQuery(q[0], q[1], q[2], q[3], ""), nil)
		rb := b.do(t, "/v1/salesReports", salesQuery(q[0], q[1], q[2], q[3], ""), nil)
		rc := c.do(t, "/v1/salesReports", salesQuery(q[0], q[1], q[2], q[3], ""), nil)
		if ra.Code != 200 || !bytes.Equal(ra.Body.Bytes(), rb.Body.Bytes()) {
			t.Fatalf("%v: servers with the same seed differ (%d)", q, ra.Code)
		}
		if rc.Code == 200 && bytes.Equal(ra.Body.Bytes(), rc.Body.Bytes()) {
			t.Fatalf("%v: different seeds gave identical bytes", q)
		}
	}
	rf := a.do(t, "/v1/financeReports", financeQuery("FINANCIAL", "ZZ", "2026-12"), nil)
	rg := b.do(t, "/v1/financeReports", financeQuery("FINANCIAL", "ZZ", "2026-12"), nil)
	if rf.Code != 200 || !bytes.Equal(rf.Body.Bytes(), rg.Body.Bytes()) {
		t.Fatalf("finance differs (%d)", rf.Code)
	}
}

func TestPeriodResolution(t *testing.T) {
	e := newEnv(t, Options{})
	// Any day of a week serves the week ending on its Sunday.
	wed := e.do(t, "/v1/salesReports", salesQuery("SALES", "SUMMARY", "WEEKLY", "2026-11-11", ""), nil)
	sun := e.do(t, "/v1/salesReports", salesQuery("SALES", "SUMMARY", "WEEKLY", "2026-11-15", ""), nil)
	if wed.Code != 200 || !bytes.Equal(wed.Body.Bytes(), sun.Body.Bytes()) ||
		wed.Header().Get("Content-Disposition") != "attachment; filename=S_W_85012345_20261115.txt.gz" {
		t.Fatalf("weekly: %d %q", wed.Code, wed.Header().Get("Content-Disposition"))
	}
	ls := lines(t, wed.Body.Bytes())
	if ls[1][9] != "11/09/2026" || ls[1][10] != "11/15/2026" {
		t.Fatalf("week bounds %q %q", ls[1][9], ls[1][10])
	}
	// Omitted date for DAILY = latest available day: at 12:00 PST on 11/25 that is 11/24.
	rec := e.do(t, "/v1/salesReports", salesQuery("SALES", "SUMMARY", "DAILY", "", ""), nil)
	if cd := rec.Header().Get("Content-Disposition"); rec.Code == 200 && cd != "attachment; filename=S_D_85012345_20261124.txt.gz" {
		t.Fatalf("latest: %q", cd)
	}
	// Before 08:00 Pacific the previous day is not out yet.
	early := newEnv(t, Options{})
	early.clock.t = time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC) // 07:00 PST
	rec = early.do(t, "/v1/salesReports", salesQuery("SALES", "SUMMARY", "DAILY", "2026-11-24", ""), nil)
	if rec.Code != 404 || decodeErr(t, rec).Errors[0].Detail != detailNotYet {
		t.Fatalf("07:00 PST: %d", rec.Code)
	}
}

func TestNoSalesDays(t *testing.T) {
	e := newEnv(t, Options{})
	for _, typ := range [][2]string{{"SALES", "SUMMARY"}, {"PRE_ORDER", "SUMMARY"}, {"SUBSCRIPTION", "SUMMARY"}, {"FIRST_ANNUAL", "DETAILED"}} {
		found := false
		for i := range 120 {
			d := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("2006-01-02")
			u := report.Unit{Family: report.Sales, Type: typ[0], SubType: typ[1], Frequency: "DAILY", Vendor: DefaultVendor, Period: d}
			tr, err := e.srv.Truth(u, "")
			if err != nil {
				t.Fatal(err)
			}
			if tr.Status == 404 || tr.Status == 400 { // 400: subscription family (nodata.go)
				rec := e.do(t, "/v1/salesReports", salesQuery(typ[0], typ[1], "DAILY", d, ""), nil)
				if rec.Code != tr.Status || !isNoData(t, rec) {
					t.Fatalf("%s %s: %d %s", typ[0], d, rec.Code, rec.Body)
				}
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no empty day in 120", typ[0])
		}
	}
	// Truth statuses for not-yet and gone.
	for d, want := range map[string]int{"2026-11-25": 404, "2025-06-01": 410} {
		tr, _ := e.srv.Truth(report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: DefaultVendor, Period: d}, "")
		if tr.Status != want || tr.Rows != 0 {
			t.Errorf("%s: %+v", d, tr)
		}
	}
}

func TestVersionOptions(t *testing.T) {
	e := newEnv(t, Options{Accept14: true, ContingentAppName: true})
	rec := e.do(t, "/v1/salesReports", salesQuery("SUBSCRIPTION", "SUMMARY", "DAILY", "2026-11-24", "1_4"), nil)
	if rec.Code != 200 {
		t.Fatalf("1_4: %d %s", rec.Code, rec.Body)
	}
	h := lines(t, rec.Body.Bytes())[0]
	if len(h) != 36 || h[35] != "Contingent App Name" || h[34] != "Pay As You Go Win-back Offers" {
		t.Fatalf("1_4 header %q", h)
	}
	rec = e.do(t, "/v1/salesReports", salesQuery("SUBSCRIPTION", "SUMMARY", "DAILY", "2026-11-24", "1_3"), nil)
	if h := lines(t, rec.Body.Bytes())[0]; len(h) != 35 {
		t.Fatalf("1_3 header has %d columns", len(h))
	}
	rec = e.do(t, "/v1/salesReports", salesQuery("SALES", "SUMMARY", "DAILY", "2026-11-24", ""), nil)
	if h := lines(t, rec.Body.Bytes())[0]; len(h) != 29 || h[28] != "Contingent App Name" {
		t.Fatalf("SALES header %q", h)
	}
	rec = e.do(t, "/v1/salesReports", salesQuery("SUBSCRIBER", "DETAILED", "DAILY", "2026-11-24", "1_2"), nil)
	if rec.Code != 400 || !strings.HasSuffix(decodeErr(t, rec).Errors[0].Detail, "is 1_4.") {
		t.Fatalf("1_2 with Accept14: %d %s", rec.Code, rec.Body)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t, Options{})
	u := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: DefaultVendor, Period: "2026-11-24"}
	q := salesQuery("SALES", "SUMMARY", "DAILY", u.Period, "")
	get := func() *httptest.ResponseRecorder { return e.do(t, "/v1/salesReports", q, nil) }

	e.srv.Inject(u.ID(), FaultServerError)
	for range 3 {
		if rec := get(); rec.Code != 500 || decodeErr(t, rec).Errors[0].Code != "UNEXPECTED_ERROR" {
			t.Fatalf("server error: %d", rec.Code)
		}
	}
	e.srv.InjectN(u.ID(), FaultTransient, 2)
	if a, b, c := get().Code, get().Code, get().Code; a != 500 || b != 500 || c != 200 {
		t.Fatalf("transient: %d %d %d", a, b, c)
	}
	e.srv.Inject(u.ID(), FaultRateLimited)
	if rec := get(); rec.Code != 429 || rec.Header().Get("Retry-After") == "" || rec.Header().Get("X-Rate-Limit") == "" {
		t.Fatalf("rate limited: %d", rec.Code)
	}
	if rec := get(); rec.Code != 200 {
		t.Fatalf("after 429: %d", rec.Code)
	}
	e.srv.Inject(u.ID(), FaultTruncated)
	rec := get()
	zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
	if err == nil {
		_, err = io.ReadAll(zr)
	}
	if rec.Code != 200 || err == nil {
		t.Fatalf("truncated: %d, err %v", rec.Code, err)
	}
	e.srv.Inject(u.ID(), FaultBadValue)
	ls := lines(t, get().Body.Bytes())
	if !strings.HasSuffix(ls[1][7], "x") {
		t.Fatalf("bad value: %q", ls[1][7])
	}
	e.srv.Inject(u.ID(), FaultExtraColumn)
	ls = lines(t, get().Body.Bytes())
	if ls[0][len(ls[0])-1] != SurpriseColumn || len(ls[1]) != len(ls[0]) {
		t.Fatalf("extra column: %q", ls[0])
	}
	e.srv.Clear()
	ls = lines(t, get().Body.Bytes())
	if len(ls[0]) != 28 || strings.HasSuffix(ls[1][7], "x") {
		t.Fatal("Clear did not clear")
	}
}

func TestLatencyRespectsContext(t *testing.T) {
	e := newEnv(t, Options{Latency: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest(http.MethodGet, "/v1/salesReports", nil).WithContext(ctx)
	start := time.Now()
	e.srv.ServeHTTP(httptest.NewRecorder(), req)
	if time.Since(start) > time.Second {
		t.Fatal("latency ignored cancellation")
	}
}

func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(t)
	done := make(chan int, 16)
	for i := range 16 {
		go func() {
			d := time.Date(2026, 11, 1+i%4, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
			req := httptest.NewRequest(http.MethodGet, "/v1/salesReports?"+salesQuery("SALES", "SUMMARY", "DAILY", d, "").Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			e.srv.ServeHTTP(rec, req)
			done <- rec.Code
		}()
	}
	for range 16 {
		if c := <-done; c != 200 && c != 404 {
			t.Errorf("status %d", c)
		}
	}
	if st := e.srv.Stats(); st.Requests != 16 {
		t.Fatalf("stats %+v", st)
	}
}
