package extract

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ascetl/etl/report"
)

func TestInvalidVendorNumber(t *testing.T) {
	invalid := func(w http.ResponseWriter, r *http.Request) {
		writeAppleError(w, 400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value", "Invalid vendor number.", "filter[vendorNumber]")
	}
	unit := func(typ, sub string) report.Unit {
		return report.Unit{Family: report.Sales, Type: typ, SubType: sub, Frequency: report.Daily, Vendor: "85012345", Period: "2026-11-20"}
	}
	tests := []struct {
		name    string
		u       report.Unit
		handler http.HandlerFunc
		want    Outcome
		wantErr string
	}{
		{"subscription day without data", unit("SUBSCRIPTION", "SUMMARY"), invalid, Empty, ""},
		{"subscription event", unit("SUBSCRIPTION_EVENT", "SUMMARY"), invalid, Empty, ""},
		{"subscriber", unit("SUBSCRIBER", "DETAILED"), invalid, Empty, ""},
		{"sales: a wrong vendor number fails", unit("SALES", "SUMMARY"), invalid, 0, "400 PARAMETER_ERROR.INVALID: Invalid vendor number. (filter[vendorNumber])"},
		{"offer codes: an error too", unit("SUBSCRIPTION_OFFER_CODE_REDEMPTION", "SUMMARY"), invalid, 0, "Invalid vendor number"},
		{"subscription: another 400 is an error", unit("SUBSCRIPTION", "SUMMARY"), func(w http.ResponseWriter, r *http.Request) {
			writeAppleError(w, 400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value", "'X' is not a valid value for the parameter 'filter[frequency]'", "filter[frequency]")
		}, 0, "filter[frequency]"},
		{"subscription: a 500 is an error", unit("SUBSCRIPTION", "SUMMARY"), func(w http.ResponseWriter, r *http.Request) {
			writeAppleError(w, 500, "UNEXPECTED_ERROR", "An unexpected error occurred.", "Invalid vendor number.", "")
		}, 0, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, tt.handler)
			rep, err := env.client.SalesReport(context.Background(), tt.u, "1_3")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || rep.Outcome != tt.want || rep.Detail != "Invalid vendor number." || rep.Body != nil || rep.Version != "1_3" {
				t.Fatalf("report %+v, err %v", rep, err)
			}
		})
	}
}
