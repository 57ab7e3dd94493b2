package simulator

import (
	"net/http"
	"testing"
)

// INSTALLS periods after the last one Apple generated answer 410 with a detail that says the
// report is discontinued and names the last period, before "not available yet" and data.
func TestInstallsDiscontinued(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		sub, freq, period string
		status            int
		detail            string
	}{
		{"SUMMARY", "MONTHLY", "2026-01", 410, "The INSTALLS report is no longer generated. The last period available is 2025-12."},
		{"DETAILED", "MONTHLY", "2026-10", 410, "The INSTALLS report is no longer generated. The last period available is 2025-12."},
		{"SUMMARY", "MONTHLY", "2027-03", 410, "The INSTALLS report is no longer generated. The last period available is 2025-12."}, // future: not "not yet"
		{"SUMMARY_TERRITORY", "YEARLY", "2026", 410, "The INSTALLS report is no longer generated. The last period available is 2025."},
		{"SUMMARY", "MONTHLY", "2025-12", 200, ""},
		{"SUMMARY_CHANNEL", "YEARLY", "2025", 200, ""},
		{"SUMMARY", "MONTHLY", "", 200, ""}, // omitted reportDate: the last period
	}
	for _, tt := range tests {
		rec := e.do(t, "/v1/salesReports", salesQuery("INSTALLS", tt.sub, tt.freq, tt.period, ""), nil)
		if rec.Code == http.StatusNotFound && tt.status == 200 && decodeErr(t, rec).Errors[0].Detail == detailNoSales {
			continue // a period without installs is a real answer too
		}
		if rec.Code != tt.status {
			t.Errorf("%s %s %q: %d %s", tt.sub, tt.freq, tt.period, rec.Code, rec.Body)
			continue
		}
		if tt.status == 410 {
			er := decodeErr(t, rec).Errors[0]
			if er.Detail != tt.detail || er.Code != "NOT_FOUND" {
				t.Errorf("%s %s %s: %+v", tt.sub, tt.freq, tt.period, er)
			}
		}
	}
	if rec := e.do(t, "/v1/salesReports", salesQuery("SALES", "SUMMARY", "MONTHLY", "2027-03", ""), nil); rec.Code != 404 {
		t.Errorf("a future SALES month: %d, want 404 not yet", rec.Code)
	}
}
