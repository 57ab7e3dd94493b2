package simulator

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/report"
)

// expectedHeaders holds independent facts about each layout: column count and a few
// columns at fixed positions (REFERENCE.md §A.6 and the lead's provisional layouts).
var expectedHeaders = map[string]struct {
	n     int
	spots map[int]string
}{
	"SALES":                              {28, map[int]string{0: "Provider", 7: "Units", 8: "Developer Proceeds", 13: "Currency of Proceeds", 27: "Order Type"}},
	"PRE_ORDER":                          {17, map[int]string{4: "Ordered", 16: "Provider Country"}},
	"NEWSSTAND":                          {20, map[int]string{7: "Units", 19: "Supported Platforms"}},
	"SUBSCRIPTION":                       {35, map[int]string{6: "Subscription Offer Name", 18: "Active Standard Price Subscriptions", 31: "Subscribers", 34: "Pay As You Go Win-back Offers"}},
	"SUBSCRIPTION_EVENT":                 {29, map[int]string{0: "Event Date", 8: "Subscription Offer Type", 27: "Quantity", 28: "Paid Service Days Recovered"}},
	"SUBSCRIBER":                         {26, map[int]string{7: "Subscription Offer Name", 25: "Units"}},
	"SUBSCRIPTION_OFFER_CODE_REDEMPTION": {9, map[int]string{0: "Date", 8: "Redemptions"}},
	"WIN_BACK_ELIGIBILITY":               {12, map[int]string{11: "Churned Subscription Count"}},
	"INSTALLS":                           {12, map[int]string{6: "First Annual Installs", 11: "Fee Currency"}},
	"FIRST_ANNUAL":                       {5, map[int]string{4: "First Annual Installs"}},
}

var dateRE = map[string]*regexp.Regexp{
	"mdy": regexp.MustCompile(`^(0[1-9]|1[0-2])/(0[1-9]|[12][0-9]|3[01])/20[0-9]{2}$`),
	"iso": regexp.MustCompile(`^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`),
}

var dateCols = map[string]string{
	"Begin Date": "mdy", "End Date": "mdy", "Start Date": "mdy", "Pre-Order Start Date": "mdy",
	"Pre-Order End Date": "mdy", "Event Date": "iso", "Date": "iso", "Original Start Date": "iso",
	"Purchase Date": "iso",
}

func fixtureHeader(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strings.Split(strings.TrimRight(first, "\r"), "\t")
}

// findServed walks back from the latest available period until one has data.
func findServed(t *testing.T, e *env, c report.Combo, version string) (report.Unit, []byte) {
	t.Helper()
	u := report.Unit{Family: report.Sales, Type: c.Type, SubType: c.SubType, Frequency: c.Frequency, Vendor: DefaultVendor}
	p := lastPublished(u, e.srv.latestPeriod(u))
	for range 40 {
		rec := e.do(t, "/v1/salesReports", salesQuery(c.Type, c.SubType, c.Frequency, p, version), nil)
		if rec.Code == 200 {
			u.Period = p
			return u, rec.Body.Bytes()
		}
		if !isNoData(t, rec) {
			t.Fatalf("%s %s: %d %s", c.Type, p, rec.Code, rec.Body)
		}
		start, _, _ := report.PeriodBounds(c.Frequency, p)
		p = report.PeriodFor(c.Frequency, start.AddDate(0, 0, -1))
	}
	t.Fatalf("%v: no period with data", c)
	return u, nil
}

func TestEveryComboServes(t *testing.T) {
	e := newEnv(t, Options{})
	salesFixture := fixtureHeader(t, "testdata/sales_summary_kachit-stub.tsv")
	preFixture := fixtureHeader(t, "testdata/pre_order_summary_kachit-stub.tsv")
	for _, c := range report.SalesCombos {
		t.Run(c.Type+"/"+c.SubType+"/"+c.Frequency, func(t *testing.T) {
			u, body := findServed(t, e, c, c.Latest())
			rec := e.do(t, "/v1/salesReports", salesQuery(c.Type, c.SubType, c.Frequency, u.Period, c.Latest()), nil)
			if ct := rec.Header().Get("Content-Type"); ct != "application/a-gzip" {
				t.Fatalf("Content-Type %q", ct)
			}
			if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.HasSuffix(cd, ".txt.gz") {
				t.Fatalf("Content-Disposition %q", cd)
			}
			if !bytes.Equal(body, rec.Body.Bytes()) {
				t.Fatal("same request returned different bytes")
			}
			ls := lines(t, body)
			header, rows := ls[0], ls[1:]
			want := expectedHeaders[c.Type]
			if len(header) != want.n {
				t.Fatalf("header has %d columns, want %d: %q", len(header), want.n, header)
			}
			for i, name := range want.spots {
				if header[i] != name {
					t.Errorf("column %d = %q, want %q", i, header[i], name)
				}
			}
			switch c.Type {
			case "SALES":
				if strings.Join(header, "\t") != strings.Join(salesFixture, "\t") {
					t.Errorf("SALES header differs from fixture")
				}
			case "PRE_ORDER":
				if strings.Join(header, "\t") != strings.Join(preFixture, "\t") {
					t.Errorf("PRE_ORDER header differs from fixture")
				}
			}
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
			for _, r := range rows {
				if len(r) != len(header) {
					t.Fatalf("row width %d != %d", len(r), len(header))
				}
				if strings.HasPrefix(r[0], "Total") {
					t.Fatal("sales report has a footer line")
				}
				for i, h := range header {
					if kind, ok := dateCols[h]; ok && strings.TrimSpace(r[i]) != "" && !dateRE[kind].MatchString(r[i]) {
						t.Fatalf("%s = %q is not %s", h, r[i], kind)
					}
				}
			}
			spec := truthSpecs[c.Type]
			got := sumTable(t, header, rows, spec.units, spec.proceeds, spec.currency, !spec.extended)
			tr, err := e.srv.Truth(u, "")
			if err != nil {
				t.Fatal(err)
			}
			got.Status = 200
			if !truthEqual(got, tr) {
				t.Fatalf("truth %+v, parsed %+v", tr, got)
			}
			t.Logf("%s: %d rows, %d bytes gz", u.ID(), len(rows), len(body))
		})
	}
}

func truthEqual(a, b Truth) bool {
	if a.Rows != b.Rows || a.Units != b.Units || a.Status != b.Status || (a.Proceeds == nil) != (b.Proceeds == nil) || len(a.Proceeds) != len(b.Proceeds) {
		return false
	}
	for k, v := range a.Proceeds {
		if b.Proceeds[k] != v {
			return false
		}
	}
	return true
}

func TestSalesDailyVolumeAndContent(t *testing.T) {
	e := newEnv(t, Options{})
	empty, days := 0, 60
	var sawRefund, sawJPY, sawBlank, sawNonASCII bool
	for i := range days {
		d := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
		rec := e.do(t, "/v1/salesReports", salesQuery("SALES", "SUMMARY", "DAILY", d.Format("2006-01-02"), "1_0"), nil)
		if rec.Code == 404 {
			empty++
			continue
		}
		ls := lines(t, rec.Body.Bytes())
		if n := len(ls) - 1; n < 100 || n > 800 {
			t.Errorf("%s: %d rows", d.Format("2006-01-02"), n)
		}
		for _, r := range ls[1:] {
			sawRefund = sawRefund || strings.HasPrefix(r[7], "-") && strings.HasPrefix(r[15], "-")
			sawJPY = sawJPY || r[11] == "JPY" && !strings.Contains(r[8], ".")
			sawBlank = sawBlank || r[3] == " "
			sawNonASCII = sawNonASCII || r[4] == "Café Übung" || r[4] == "旅行日記"
		}
	}
	if empty == 0 || empty*10 > days {
		t.Errorf("%d of %d days empty", empty, days)
	}
	if !sawRefund || !sawJPY || !sawBlank || !sawNonASCII {
		t.Errorf("refund %v, JPY %v, blank %v, non-ASCII %v", sawRefund, sawJPY, sawBlank, sawNonASCII)
	}
}

func TestSalesErrors(t *testing.T) {
	e := newEnv(t, Options{})
	q := func(mod func(url.Values)) url.Values {
		v := salesQuery("SALES", "SUMMARY", "DAILY", "2026-11-20", "1_0")
		mod(v)
		return v
	}
	tests := []struct {
		name              string
		q                 url.Values
		hdr               map[string]string
		status            int
		code, param, text string
	}{
		{"missing type", q(func(v url.Values) { v.Del("filter[reportType]") }), nil, 400, "PARAMETER_ERROR.REQUIRED", "filter[reportType]", "The parameter 'filter[reportType]' is required"},
		{"missing vendor", q(func(v url.Values) { v.Del("filter[vendorNumber]") }), nil, 400, "PARAMETER_ERROR.REQUIRED", "filter[vendorNumber]", "The parameter 'filter[vendorNumber]' is required"},
		{"bad type", q(func(v url.Values) { v.Set("filter[reportType]", "SALEZ") }), nil, 400, "PARAMETER_ERROR.INVALID", "filter[reportType]", ""},
		{"bad subtype", q(func(v url.Values) { v.Set("filter[reportSubType]", "DETAIL") }), nil, 400, "PARAMETER_ERROR.INVALID", "filter[reportSubType]", ""},
		{"bad frequency", q(func(v url.Values) { v.Set("filter[frequency]", "HOURLY") }), nil, 400, "PARAMETER_ERROR.INVALID", "filter[frequency]", ""},
		{"bad vendor", q(func(v url.Values) { v.Set("filter[vendorNumber]", "99999999") }), nil, 400, "PARAMETER_ERROR.INVALID", "filter[vendorNumber]", "Invalid vendor number."},
		{"unknown param", q(func(v url.Values) { v.Set("filter[foo]", "1") }), nil, 400, "PARAMETER_ERROR.ILLEGAL", "filter[foo]", ""},
		{"combination", q(func(v url.Values) { v.Set("filter[reportType]", "SUBSCRIPTION"); v.Set("filter[frequency]", "WEEKLY") }), nil, 400, "PARAMETER_ERROR.INVALID.INVALID_COMBINATION", "", detailCombination},
		{"date format", q(func(v url.Values) { v.Set("filter[reportDate]", "2026-11") }), nil, 400, "PARAMETER_ERROR.INVALID.INVALID_COMBINATION", "", detailCombination},
		{"monthly date format", q(func(v url.Values) { v.Set("filter[frequency]", "MONTHLY"); v.Set("filter[reportDate]", "2026-10-01") }), nil, 400, "PARAMETER_ERROR.INVALID.INVALID_COMBINATION", "", detailCombination},
		{"impossible date", q(func(v url.Values) { v.Set("filter[reportDate]", "2026-02-30") }), nil, 400, "PARAMETER_ERROR.INVALID.INVALID_COMBINATION", "", detailCombination},
		{"subscription 1_2", url.Values{"filter[vendorNumber]": {DefaultVendor}, "filter[reportType]": {"SUBSCRIPTION"}, "filter[reportSubType]": {"SUMMARY"}, "filter[frequency]": {"DAILY"}, "filter[version]": {"1_2"}}, nil, 400, "PARAMETER_ERROR.INVALID", "filter[version]", "The version parameter you have specified is invalid. The latest version for this report is 1_3."},
		{"subscription 1_4 off", url.Values{"filter[vendorNumber]": {DefaultVendor}, "filter[reportType]": {"SUBSCRIBER"}, "filter[reportSubType]": {"DETAILED"}, "filter[frequency]": {"DAILY"}, "filter[version]": {"1_4"}}, nil, 400, "PARAMETER_ERROR.INVALID", "filter[version]", "The version parameter you have specified is invalid. The latest version for this report is 1_3."},
		{"accept json", q(func(url.Values) {}), map[string]string{"Accept": "application/json"}, 406, "NOT_ACCEPTABLE", "", detailNotAcceptable},
		{"not yet", q(func(v url.Values) { v.Set("filter[reportDate]", "2026-11-25") }), nil, 404, "NOT_FOUND", "", detailNotYet},
		{"future", q(func(v url.Values) { v.Set("filter[reportDate]", "2027-01-01") }), nil, 404, "NOT_FOUND", "", detailNotYet},
		{"gone", q(func(v url.Values) { v.Set("filter[reportDate]", "2025-10-01") }), nil, 410, "NOT_FOUND", "", detailGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(t, "/v1/salesReports", tt.q, tt.hdr)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			x := decodeErr(t, rec).Errors[0]
			if x.Code != tt.code || (tt.text != "" && x.Detail != tt.text) || x.ID == "" || x.Title == "" {
				t.Fatalf("error %+v", x)
			}
			if tt.param != "" && (x.Source == nil || x.Source.Parameter != tt.param) {
				t.Fatalf("source %+v, want %s", x.Source, tt.param)
			}
			if tt.code == "PARAMETER_ERROR.INVALID.INVALID_COMBINATION" && x.Title != titleCombination {
				t.Fatalf("title %q", x.Title)
			}
		})
	}
}

// The wrong-version body must have the fixture's shape: same keys, same values but id.
func TestVersionErrorMatchesFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/error_sales_version_invalid_kachit-stub.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Options{})
	rec := e.do(t, "/v1/salesReports", salesQuery("SALES", "SUMMARY", "DAILY", "2026-11-20", "1_1"), nil)
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	g, w := got["errors"].([]any)[0].(map[string]any), want["errors"].([]any)[0].(map[string]any)
	delete(g, "id")
	delete(w, "id")
	gj, _ := json.Marshal(g)
	wj, _ := json.Marshal(w)
	if rec.Code != 400 || string(gj) != string(wj) {
		t.Fatalf("got %d %s\nwant %s", rec.Code, gj, wj)
	}
}
