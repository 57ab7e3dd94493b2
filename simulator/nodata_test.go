package simulator

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ascetl/etl/report"
)

// isNoData reports whether rec is the simulator's answer for a period without data: the
// 404 "no sales", or the subscription family's 400 "Invalid vendor number." (nodata.go).
func isNoData(t *testing.T, rec *httptest.ResponseRecorder) bool {
	t.Helper()
	if rec.Code != 404 && rec.Code != 400 {
		return false
	}
	x := decodeErr(t, rec).Errors[0]
	return rec.Code == 404 && x.Detail == detailNoSales ||
		rec.Code == 400 && x.Detail == "Invalid vendor number." && x.Code == "PARAMETER_ERROR.INVALID"
}

func TestSubscriptionDaysWithoutDataAnswerInvalidVendor(t *testing.T) {
	e := newEnv(t, Options{})
	for _, typ := range [][2]string{{"SUBSCRIPTION", "SUMMARY"}, {"SUBSCRIPTION_EVENT", "SUMMARY"}, {"SUBSCRIBER", "DETAILED"}} {
		found := false
		for i := range 200 {
			d := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("2006-01-02")
			u := report.Unit{Family: report.Sales, Type: typ[0], SubType: typ[1], Frequency: "DAILY", Vendor: DefaultVendor, Period: d}
			tr, err := e.srv.Truth(u, "")
			if err != nil {
				t.Fatal(err)
			}
			if tr.Status != 400 {
				continue
			}
			rec := e.do(t, "/v1/salesReports", salesQuery(typ[0], typ[1], "DAILY", d, ""), nil)
			x := decodeErr(t, rec).Errors[0]
			if rec.Code != 400 || x.Detail != "Invalid vendor number." || x.Source == nil || x.Source.Parameter != "filter[vendorNumber]" || tr.Rows != 0 {
				t.Fatalf("%s %s: %d %s", typ[0], d, rec.Code, rec.Body)
			}
			found = true
			break
		}
		if !found {
			t.Errorf("%s: no day without data in 200", typ[0])
		}
	}
	// SALES keeps Apple's 404 "no sales"; a wrong vendor number is the same 400 for every type.
	if got := noDataError(report.Unit{Family: report.Sales, Type: "SALES"}); got.status != 404 || got.detail != detailNoSales {
		t.Errorf("SALES no data: %+v", got)
	}
	q := salesQuery("SALES", "SUMMARY", "DAILY", "2026-11-01", "")
	q.Set("filter[vendorNumber]", "999")
	if rec := e.do(t, "/v1/salesReports", q, nil); rec.Code != 400 || decodeErr(t, rec).Errors[0].Detail != "Invalid vendor number." {
		t.Errorf("wrong vendor: %d %s", rec.Code, rec.Body)
	}
}
