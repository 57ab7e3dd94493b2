package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

var salesUnit = report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY",
	Frequency: report.Daily, Vendor: "85012345", Period: "2026-11-20"}

// recorder keeps the query of every request the server saw.
type recorder struct {
	mu      sync.Mutex
	queries []url.Values
}

func (r *recorder) add(q url.Values) { r.mu.Lock(); r.queries = append(r.queries, q); r.mu.Unlock() }
func (r *recorder) all() []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]url.Values(nil), r.queries...)
}

func TestSalesReportOutcomes(t *testing.T) {
	payload := gzipBytes(t, "Provider\tProvider Country\tSKU\nAPPLE\tUS\tsku1\n")
	tests := []struct {
		name        string
		handler     func(w http.ResponseWriter, r *http.Request)
		version     string
		want        Outcome
		wantVersion string
		wantDetail  string
		wantName    string
		wantErr     string // non-empty: an error containing this
		wantHits    int
	}{
		{
			name: "200 ok",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/a-gzip")
				w.Header().Set("Content-Disposition", `attachment; filename="S_D_85012345_20261120.txt.gz"`)
				w.Write(payload)
			},
			version: "1_0", want: OK, wantVersion: "1_0", wantName: "S_D_85012345_20261120.txt.gz", wantHits: 1,
		},
		{
			name: "200 without disposition synthesises the name",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Write(payload)
			},
			version: "1_0", want: OK, wantVersion: "1_0", wantName: "S_D_85012345_20261120.txt.gz", wantHits: 1,
		},
		{
			name: "404 no sales",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeAppleError(w, 404, "NOT_FOUND", "The specified resource does not exist", "There were no sales for the date specified.", "")
			},
			version: "1_0", want: Empty, wantVersion: "1_0", wantDetail: "There were no sales for the date specified.", wantHits: 1,
		},
		{
			name: "404 not yet",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeAppleError(w, 404, "NOT_FOUND", "The specified resource does not exist", "Report is not available yet. Try again later.", "")
			},
			version: "1_0", want: NotYet, wantVersion: "1_0", wantDetail: "Report is not available yet. Try again later.", wantHits: 1,
		},
		{
			name: "404 plain text is not yet",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "not here", 404)
			},
			version: "1_0", want: NotYet, wantVersion: "1_0", wantDetail: "not here", wantHits: 1,
		},
		{
			name: "410 gone",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeAppleError(w, 410, "GONE", "Gone", "Report is no longer available.", "")
			},
			version: "1_0", want: Gone, wantVersion: "1_0", wantDetail: "Report is no longer available.", wantHits: 1,
		},
		{
			name: "410 discontinued",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeAppleError(w, 410, "NOT_FOUND", "The requested resource is no longer available",
					"The INSTALLS report is no longer generated. The last period available is 2025-12.", "")
			},
			version: "1_2", want: Discontinued, wantVersion: "1_2", wantDetail: "The INSTALLS report is no longer generated. The last period available is 2025-12.", wantHits: 1,
		},
		{
			name: "404 discontinued without a period",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeAppleError(w, 404, "NOT_FOUND", "x", "This report has been discontinued.", "")
			},
			version: "1_2", want: Discontinued, wantVersion: "1_2", wantDetail: "This report has been discontinued.", wantHits: 1,
		},
		{
			name: "400 version adopts the latest",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("filter[version]") != "1_3" {
					writeAppleError(w, 400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value",
						"The version parameter you have specified is invalid. The latest version for this report is 1_3.", "filter[version]")
					return
				}
				w.Header().Set("Content-Type", "application/a-gzip")
				w.Write(payload)
			},
			version: "1_4", want: OK, wantVersion: "1_3", wantName: "S_D_85012345_20261120.txt.gz", wantHits: 2,
		},
		{
			name: "400 version phrase without source",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("filter[version]") != "1_0" {
					writeAppleError(w, 400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value",
						"The version parameter you have specified is invalid. The latest version for this report is 1_0.", "")
					return
				}
				writeAppleError(w, 404, "NOT_FOUND", "x", "There were no sales for the date specified.", "")
			},
			version: "1_1", want: Empty, wantVersion: "1_0", wantDetail: "There were no sales for the date specified.", wantHits: 2,
		},
		{
			name: "400 version adopted only once",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeAppleError(w, 400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value",
					"The latest version for this report is 9_"+r.URL.Query().Get("filter[version]")+".", "filter[version]")
			},
			version: "1", wantErr: "400 PARAMETER_ERROR.INVALID", wantHits: 2,
		},
		{
			name: "400 other parameter is not a version problem",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeAppleError(w, 400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value",
					"The latest version for this report is 1_0.", "filter[reportType]")
			},
			version: "1_0", wantErr: "(filter[reportType])", wantHits: 1,
		},
		{
			name: "406 is an error",
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeAppleError(w, 406, "NOT_ACCEPTABLE", "The specified accept header is not supported",
					"Allowed types: application/a-gzip", "")
			},
			version: "1_0", wantErr: "GET /v1/salesReports: 406 NOT_ACCEPTABLE: Allowed types: application/a-gzip", wantHits: 1,
		},
		{
			name: "200 json is refused",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"data":[]}`)
			},
			version: "1_0", wantErr: `unexpected content type "application/json"`, wantHits: 1,
		},
		{
			name: "200 octet-stream that is not gzip is refused",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				fmt.Fprint(w, "Provider\tSKU\n")
			},
			version: "1_0", wantErr: "not gzip data", wantHits: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/salesReports" || r.Header.Get("Accept") != "application/a-gzip" {
					t.Errorf("request %s Accept %q", r.URL.Path, r.Header.Get("Accept"))
				}
				rec.add(r.URL.Query())
				tt.handler(w, r)
			}))
			rep, err := env.client.SalesReport(context.Background(), salesUnit, tt.version)
			if n := len(rec.all()); n != tt.wantHits {
				t.Errorf("server hits = %d, want %d", n, tt.wantHits)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if rep.Outcome != tt.want || rep.Version != tt.wantVersion || rep.RequestedVersion != tt.version || rep.Detail != tt.wantDetail {
				t.Fatalf("report = %+v, want outcome %s version %s detail %q", rep, tt.want, tt.wantVersion, tt.wantDetail)
			}
			if tt.wantName != "" && rep.FileName != tt.wantName {
				t.Errorf("FileName = %q, want %q", rep.FileName, tt.wantName)
			}
			if rep.Outcome != OK {
				if rep.Body != nil {
					t.Fatal("non-OK report has a body")
				}
				return
			}
			got, err := io.ReadAll(rep.Body)
			rep.Body.Close()
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("body differs from the gzip bytes served (err %v)", err)
			}
		})
	}
}

func TestSalesReportQuery(t *testing.T) {
	rec := &recorder{}
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r.URL.Query())
		writeAppleError(w, 404, "NOT_FOUND", "x", "There were no sales for the date specified.", "")
	}))
	ctx := context.Background()
	if _, err := env.client.SalesReport(ctx, salesUnit, "1_0"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.client.SalesReport(ctx, salesUnit, ""); err != nil {
		t.Fatal(err)
	}
	q := rec.all()
	want := url.Values{
		"filter[frequency]": {"DAILY"}, "filter[reportDate]": {"2026-11-20"}, "filter[reportSubType]": {"SUMMARY"},
		"filter[reportType]": {"SALES"}, "filter[vendorNumber]": {"85012345"}, "filter[version]": {"1_0"},
	}
	if q[0].Encode() != want.Encode() {
		t.Errorf("query = %s\nwant    %s", q[0].Encode(), want.Encode())
	}
	want.Del("filter[version]")
	if q[1].Encode() != want.Encode() {
		t.Errorf("query without version = %s", q[1].Encode())
	}
	if _, err := env.client.SalesReport(ctx, report.Unit{Family: report.Finance}, ""); err == nil {
		t.Error("finance unit accepted by SalesReport")
	}
}

func TestFinanceReport(t *testing.T) {
	payload := gzipBytes(t, "Start Date\tEnd Date\n")
	unit := report.Unit{Family: report.Finance, Type: report.Financial, Region: "US", Vendor: "85012345", Period: "2026-02"}
	var status int
	rec := &recorder{}
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/financeReports" {
			t.Errorf("path %s", r.URL.Path)
		}
		rec.add(r.URL.Query())
		if status == 404 {
			writeAppleError(w, 404, "NOT_FOUND", "x", "There were no sales for the date specified.", "")
			return
		}
		w.Header().Set("Content-Type", "application/a-gzip")
		// Even when a server marks the payload as gzip-encoded, the client must not decode it.
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(payload)
	}))
	ctx := context.Background()
	rep, err := env.client.FinanceReport(ctx, unit)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rep.Body)
	rep.Body.Close()
	if rep.Outcome != OK || !bytes.Equal(got, payload) || rep.FileName != "85012345_202602_US.txt.gz" {
		t.Fatalf("report %+v, raw body equal %v", rep, bytes.Equal(got, payload))
	}
	want := url.Values{"filter[regionCode]": {"US"}, "filter[reportDate]": {"2026-02"},
		"filter[reportType]": {"FINANCIAL"}, "filter[vendorNumber]": {"85012345"}}
	if q := rec.all()[0]; q.Encode() != want.Encode() {
		t.Errorf("query = %s", q.Encode())
	}
	status = 404
	rep, err = env.client.FinanceReport(ctx, unit)
	if err != nil || rep.Outcome != Empty {
		t.Fatalf("404 no sales: %+v %v, want Empty", rep, err)
	}
	if env.client.Stats().BytesDownloaded != int64(len(payload)) {
		t.Errorf("BytesDownloaded = %d, want %d", env.client.Stats().BytesDownloaded, len(payload))
	}
}

func TestFileNames(t *testing.T) {
	tests := []struct {
		u    report.Unit
		want string
	}{
		{salesUnit, "S_D_85012345_20261120.txt.gz"},
		{report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Weekly, Vendor: "1", Period: "2026-11-22"}, "S_W_1_20261122.txt.gz"},
		{report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Monthly, Vendor: "1", Period: "2026-11"}, "S_M_1_202611.txt.gz"},
		{report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Yearly, Vendor: "1", Period: "2026"}, "S_Y_1_2026.txt.gz"},
		{report.Unit{Family: report.Sales, Type: "SUBSCRIPTION", SubType: "SUMMARY", Frequency: report.Daily, Vendor: "1", Period: "2026-11-20"}, "Subscription_1_20261120.txt.gz"},
		{report.Unit{Family: report.Sales, Type: "SUBSCRIPTION_EVENT", SubType: "SUMMARY", Frequency: report.Daily, Vendor: "1", Period: "2026-11-20"}, "Subscription_Event_1_20261120.txt.gz"},
		{report.Unit{Family: report.Sales, Type: "SUBSCRIBER", SubType: "DETAILED", Frequency: report.Daily, Vendor: "1", Period: "2026-11-20"}, "Subscriber_1_20261120.txt.gz"},
		{report.Unit{Family: report.Sales, Type: "PRE_ORDER", SubType: "SUMMARY", Frequency: report.Daily, Vendor: "1", Period: "2026-11-20"}, "PRE_ORDER_SUMMARY_D_1_20261120.txt.gz"},
		{report.Unit{Family: report.Finance, Type: report.FinanceDetail, Region: "Z1", Vendor: "1", Period: "2026-12"}, "1_202612_Z1.txt.gz"},
	}
	for _, tt := range tests {
		got := salesFileName(tt.u)
		if tt.u.Family == report.Finance {
			got = financeFileName(tt.u)
		}
		if got != tt.want {
			t.Errorf("%s: name = %q, want %q", tt.u, got, tt.want)
		}
	}
	for h, want := range map[string]string{
		`attachment; filename="S_D_1_20261120.txt.gz"`: "S_D_1_20261120.txt.gz",
		`attachment; filename="../../etc/passwd"`:      "passwd",
		`attachment; filename=../../etc/passwd`:        "",
		`attachment; filename="a b.gz"`:                "",
		`attachment; filename=".."`:                    "",
		`inline`:                                       "",
		`garbage;;=`:                                   "",
	} {
		if got := dispositionName(h); got != want {
			t.Errorf("dispositionName(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestAPIErrorFormat(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"apple version error", 400,
			`{"errors":[{"id":"foo","status":"400","code":"PARAMETER_ERROR.INVALID","title":"A parameter has an invalid value","detail":"The version parameter you have specified is invalid. The latest version for this report is 1_0.","source":{"parameter":"filter[version]"}}]}`,
			"GET /v1/salesReports: 400 PARAMETER_ERROR.INVALID: The version parameter you have specified is invalid. The latest version for this report is 1_0. (filter[version])"},
		{"title when no detail, pointer", 409,
			`{"errors":[{"status":"409","code":"ENTITY_ERROR","title":"Conflict","source":{"pointer":"/data/attributes/x"}}]}`,
			"GET /v1/salesReports: 409 ENTITY_ERROR: Conflict (/data/attributes/x)"},
		{"two errors", 403,
			`{"errors":[{"status":"403","code":"FORBIDDEN_ERROR","title":"forbidden"},{"status":"403","code":"FORBIDDEN_ERROR.ROLE_NOT_VALID","detail":"no role"}]}`,
			"GET /v1/salesReports: 403 FORBIDDEN_ERROR: forbidden; FORBIDDEN_ERROR.ROLE_NOT_VALID: no role"},
		{"html body", 502, "<html>\n  Bad   Gateway\n</html>", "GET /v1/salesReports: 502 Bad Gateway: <html> Bad Gateway </html>"},
		{"empty body", 503, "", "GET /v1/salesReports: 503 Service Unavailable"},
		{"long body cut", 500, strings.Repeat("x", 2000), "GET /v1/salesReports: 500 Internal Server Error: " + strings.Repeat("x", 512)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAPIError("GET", "/v1/salesReports", tt.status, []byte(tt.body))
			if got := e.Error(); got != tt.want {
				t.Fatalf("Error() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	e := newAPIError("GET", "/v1/x", 403, []byte(`{"errors":[{"status":"403","code":"FORBIDDEN_ERROR.ROLE_NOT_VALID"}]}`))
	if !e.HasCode("FORBIDDEN_ERROR") || e.HasCode("FORBIDDEN") || !errors.As(error(e), new(*APIError)) {
		t.Error("HasCode hierarchy")
	}
}

// The simulator's answer for an INSTALLS period after Apple stopped the report is
// Discontinued with the last period; the last period itself is still served (or empty).
func TestSalesReportDiscontinued(t *testing.T) {
	env, _ := simEnv(t)
	ctx := context.Background()
	u := report.Unit{Family: report.Sales, Type: "INSTALLS", SubType: "SUMMARY", Frequency: report.Monthly,
		Vendor: simulator.DefaultVendor, Period: "2026-03"}
	rep, err := env.client.SalesReport(ctx, u, "1_2")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome != Discontinued || rep.Until != "2025-12" || !strings.Contains(rep.Detail, "no longer generated") || rep.Body != nil {
		t.Fatalf("got %v until %q detail %q", rep.Outcome, rep.Until, rep.Detail)
	}
	u.Period = "2025-12"
	rep, err = env.client.SalesReport(ctx, u, "1_2")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome != OK && rep.Outcome != Empty {
		t.Fatalf("last period: %v %q", rep.Outcome, rep.Detail)
	}
	if rep.Body != nil {
		rep.Body.Close()
	}
	for _, d := range []struct{ detail, until string }{
		{"The INSTALLS report is no longer generated. The last period available is 2025.", "2025"},
		{"Report discontinued; last report was for 2025-12-31", "2025-12-31"},
		{"no longer being generated", ""},
	} {
		m := discontinuedRE.FindStringSubmatch(d.detail)
		if m == nil || m[1] != d.until {
			t.Errorf("%q: %q", d.detail, m)
		}
	}
	if discontinuedRE.MatchString("Report is no longer available.") {
		t.Error("retention 410 taken for discontinued")
	}
}
