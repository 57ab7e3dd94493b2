package report

import (
	"testing"
	"time"
)

func TestUnitKeys(t *testing.T) {
	tests := []struct {
		u         Unit
		id, table string
		part      string
	}{
		{Unit{Family: Sales, Type: "SALES", SubType: "SUMMARY", Frequency: Daily, Vendor: "85012345", Period: "2026-11-20"},
			"sales/SALES/SUMMARY/DAILY/85012345/2026-11-20", "sales_summary_daily", "vendor=85012345/month=2026-11"},
		{Unit{Family: Sales, Type: "SALES", SubType: "SUMMARY", Frequency: Weekly, Vendor: "1", Period: "2026-11-22"},
			"sales/SALES/SUMMARY/WEEKLY/1/2026-11-22", "sales_summary_weekly", "vendor=1/month=2026-11"},
		{Unit{Family: Sales, Type: "INSTALLS", SubType: "SUMMARY_TERRITORY", Frequency: Yearly, Vendor: "1", Period: "2025"},
			"sales/INSTALLS/SUMMARY_TERRITORY/YEARLY/1/2025", "installs_summary_territory_yearly", "vendor=1/month=2025-01"},
		{Unit{Family: Finance, Type: Financial, Region: "US", Vendor: "1", Period: "2026-02"},
			"finance/FINANCIAL/US/1/2026-02", "finance_financial", "vendor=1/region=US/fiscal_period=2026-02"},
		{Unit{Family: Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "1234567890", Period: "2026-11-21"},
			"reviews/CUSTOMER_REVIEWS/1234567890/2026-11-21", "customer_reviews", "app_id=1234567890/month=2026-11"},
		// A legacy month unit (ledger entries of earlier versions) stays valid.
		{Unit{Family: Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "1234567890", Period: "2026-02"},
			"reviews/CUSTOMER_REVIEWS/1234567890/2026-02", "customer_reviews", "app_id=1234567890/month=2026-02"},
		{Unit{Family: Metrics, Type: "PERF_METRICS", Vendor: "1234567890", Period: "2026-11-21"},
			"metrics/PERF_METRICS/1234567890/2026-11-21", "perf_metrics", "app_id=1234567890/snapshot_date=2026-11-21"},
		{Unit{Family: Finance, Type: FinanceDetail, Region: "Z1", Vendor: "1", Period: "2026-02"},
			"finance/FINANCE_DETAIL/Z1/1/2026-02", "finance_detail", "vendor=1/fiscal_period=2026-02"},
	}
	for _, tc := range tests {
		if got := tc.u.ID(); got != tc.id {
			t.Errorf("ID = %q, want %q", got, tc.id)
		}
		if got := tc.u.Table(); got != tc.table {
			t.Errorf("Table = %q, want %q", got, tc.table)
		}
		got, err := tc.u.Partition()
		if err != nil || got != tc.part {
			t.Errorf("Partition = %q, %v; want %q", got, err, tc.part)
		}
	}
}

// The snapshot families: one unit per vendor or app and UTC day.
func TestSnapshotUnits(t *testing.T) {
	tests := []struct {
		u         Unit
		id, table string
	}{
		{Unit{Family: Catalog, Type: "DIMENSIONS", Vendor: "85012345", Period: "2026-11-21"}, "catalog/DIMENSIONS/85012345/2026-11-21", "dimensions"},
		{Unit{Family: TestFlight, Type: "TESTFLIGHT_USAGE", Vendor: "1234567890", Period: "2026-11-21"},
			"testflight/TESTFLIGHT_USAGE/1234567890/2026-11-21", "testflight_usage"},
		{Unit{Family: XcodeCloud, Type: "XCODE_CLOUD_RUNS", Vendor: "85012345", Period: "2026-11-21"},
			"xcode_cloud/XCODE_CLOUD_RUNS/85012345/2026-11-21", "xcode_cloud_runs"},
	}
	for _, tc := range tests {
		if err := tc.u.Validate(); err != nil {
			t.Errorf("Validate(%+v): %v", tc.u, err)
		}
		if got := tc.u.ID(); got != tc.id {
			t.Errorf("ID = %q, want %q", got, tc.id)
		}
		if got := tc.u.Table(); got != tc.table {
			t.Errorf("Table = %q, want %q", got, tc.table)
		}
	}
	for _, u := range []Unit{
		{Family: Catalog, Type: "DIM_APPS", Vendor: "1", Period: "2026-11-21"},
		{Family: TestFlight, Type: "TESTFLIGHT_USAGE", Vendor: "1", Period: "2026-11"},
		{Family: XcodeCloud, Type: "XCODE_CLOUD_RUNS", Vendor: "x1", Period: "2026-11-21"},
	} {
		if err := u.Validate(); err == nil {
			t.Errorf("Validate(%+v): want error", u)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	bad := []Unit{
		{Family: Sales, Type: "SALES", SubType: "SUMMARY", Frequency: Daily, Vendor: "85a", Period: "2026-11-20"},
		{Family: Sales, Type: "SALES", SubType: "DETAILED", Frequency: Daily, Vendor: "1", Period: "2026-11-20"},
		{Family: Sales, Type: "SALES", SubType: "SUMMARY", Frequency: Weekly, Vendor: "1", Period: "2026-11-20"}, // not a Sunday
		{Family: Sales, Type: "SALES", SubType: "SUMMARY", Frequency: Daily, Vendor: "1", Period: "../../etc"},
		{Family: Finance, Type: FinanceDetail, Region: "US", Vendor: "1", Period: "2026-02"},
		{Family: Finance, Type: Financial, Region: "XX", Vendor: "1", Period: "2026-02"},
		{Family: Finance, Type: Financial, Region: "US", Vendor: "1", Period: "2026-13"},
		{Family: Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "1", Period: "2026-11-31"},
		{Family: Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "1", Period: "2026"},
		{Family: Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "1", Period: "2026-11-2"},
	}
	for _, u := range bad {
		if err := u.Validate(); err == nil {
			t.Errorf("Validate(%+v): want error", u)
		}
	}
}

func TestPeriods(t *testing.T) {
	d := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC) // a Wednesday
	if got := PeriodFor(Weekly, d); got != "2026-11-22" {
		t.Errorf("weekly = %s", got)
	}
	if got, _ := NextPeriod(Monthly, "2026-12"); got != "2027-01" {
		t.Errorf("next month = %s", got)
	}
	if got, _ := NextPeriod(Daily, "2026-12-31"); got != "2027-01-01" {
		t.Errorf("next day = %s", got)
	}
	u := Unit{Family: Sales, Type: "SUBSCRIPTION_EVENT", SubType: "SUMMARY", Frequency: Daily, Vendor: "1", Period: "2026-11-18"}
	at, _ := ExpectedAvailable(u)
	if want := time.Date(2026, 11, 20, 8, 0, 0, 0, Pacific); !at.Equal(want) {
		t.Errorf("available = %v, want %v", at, want)
	}
}

func TestComboUntil(t *testing.T) {
	tests := []struct {
		typ, sub, freq, period string
		want                   bool
	}{
		{"INSTALLS", "SUMMARY", Monthly, "2025-12", false},
		{"INSTALLS", "SUMMARY", Monthly, "2026-01", true},
		{"INSTALLS", "DETAILED", Monthly, "2026-11", true},
		{"INSTALLS", "SUMMARY_TERRITORY", Yearly, "2025", false},
		{"INSTALLS", "SUMMARY_TERRITORY", Yearly, "2026", true},
		{"SALES", "SUMMARY", Daily, "2030-01-01", false},
		{"INSTALLS", "SUMMARY", Monthly, "bad", false},
	}
	for _, tt := range tests {
		c, ok := LookupCombo(tt.typ, tt.sub, tt.freq)
		if !ok {
			t.Fatalf("no combo %s/%s/%s", tt.typ, tt.sub, tt.freq)
		}
		if got := c.Discontinued(tt.period); got != tt.want {
			t.Errorf("%s/%s/%s Discontinued(%s) = %v, want %v", tt.typ, tt.sub, tt.freq, tt.period, got, tt.want)
		}
	}
	for _, c := range SalesCombos {
		if c.Until == "" {
			continue
		}
		if _, _, err := PeriodBounds(c.Frequency, c.Until); err != nil {
			t.Errorf("%s/%s/%s: Until %q: %v", c.Type, c.SubType, c.Frequency, c.Until, err)
		}
	}
	if (Combo{}).Latest() != "" {
		t.Error("Latest of a combo without versions must be empty")
	}
}
