package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

func TestDataThrough(t *testing.T) {
	sales := func(period string, st load.State) load.Entry {
		return load.Entry{State: st, Unit: report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY",
			Frequency: report.Daily, Vendor: "1", Period: period}}
	}
	fin := func(period string, st load.State) load.Entry {
		return load.Entry{State: st, Unit: report.Unit{Family: report.Finance, Type: report.Financial, Region: "ZZ",
			Vendor: "1", Period: period}}
	}
	entries := []load.Entry{
		sales("2026-11-18", load.Loaded), sales("2026-11-20", load.Empty), sales("2026-11-19", load.Loaded),
		sales("2026-11-21", load.Pending), sales("2026-11-17", load.Failed),
		fin("2026-01", load.Loaded), fin("2026-02", load.Expired),
		{State: load.Pending, Unit: report.Unit{Family: report.Sales, Type: "SUBSCRIPTION", SubType: "SUMMARY",
			Frequency: report.Daily, Vendor: "1", Period: "2026-11-21"}},
	}
	got := DataThrough(entries)
	want := []DatasetThrough{
		{Table: "finance_financial", Family: report.Finance, Period: "2026-01", Through: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)}, // fiscal 2026-01 ends Saturday 2025-11-01,
		{Table: "sales_summary_daily", Family: report.Sales, Period: "2026-11-20", Through: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
			Pending: 1, Failed: 1},
		{Table: "subscription_summary_daily", Family: report.Sales, Pending: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Table != want[i].Table || got[i].Period != want[i].Period || !got[i].Through.Equal(want[i].Through) ||
			got[i].Pending != want[i].Pending || got[i].Failed != want[i].Failed {
			t.Errorf("%d: got %+v, want %+v", i, got[i], want[i])
		}
	}

	sum := newSummary(time.Now())
	sum.Tables["sales_summary_daily"] = &TableSummary{Loaded: 3}
	sum.Tables["finance_financial"] = &TableSummary{Loaded: 1}
	sum.DataThrough = got
	var b strings.Builder
	sum.Print(&b)
	out := b.String()
	for _, w := range []string{"data through:\n", "  finance_financial    2026-01 (to 2025-11-01)\n",
		"  sales_summary_daily  2026-11-20  1 pending, 1 failed\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("summary lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "subscription_summary_daily") {
		t.Errorf("a table the run did not touch is printed:\n%s", out)
	}
}
