package simulator

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/report"
)

// TestAnalyticsPurchasesMatchSalesInAppUnits: a final DAILY App Store Purchases instance
// carries, per app and Date, exactly the net in-app units of that day's SALES report (the
// rows whose Parent Identifier is the app's SKU); a young instance carries fewer.
func TestAnalyticsPurchasesMatchSalesInAppUnits(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	s := New(Options{Seed: 7, Now: func() time.Time { return now }})
	for _, day := range []string{"2026-11-10", "2026-11-11", "2026-11-12"} {
		d, _ := time.Parse(time.DateOnly, day)
		u := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: s.opt.Vendor, Period: day}
		doc := s.report(u, "").doc
		col := func(name string) int { return slices.Index(doc.header, name) }
		sales := map[string]int64{}
		for _, r := range doc.rows {
			if typ := r[col("Product Type Identifier")]; strings.HasPrefix(typ, "IA") || strings.HasPrefix(typ, "FI") {
				n, _ := strconv.ParseInt(r[col("Units")], 10, 64)
				sales[r[col("Parent Identifier")]] += n
			}
		}
		checked := 0
		for _, a := range s.cat.apps {
			sum := func(proc time.Time) int64 {
				h, rows, err := s.AnalyticsRows(appIDOf(a), "App Store Purchases Standard", "DAILY", iso(proc), day)
				if err != nil {
					t.Fatal(err)
				}
				var n int64
				for _, r := range rows {
					v, _ := strconv.ParseInt(r[slices.Index(h, "Purchases")], 10, 64)
					n += v
				}
				return n
			}
			final, young := sum(d.AddDate(0, 0, 5)), sum(d.AddDate(0, 0, 1))
			if final != sales[a.sku] {
				t.Errorf("%s %s: analytics purchases %d, sales in-app units %d", day, a.sku, final, sales[a.sku])
			}
			if final > 10 && young >= final {
				t.Errorf("%s %s: a one-day-old instance carries %d purchases, the final one %d (no restatement)", day, a.sku, young, final)
			}
			if final != 0 {
				checked++
			}
		}
		if checked == 0 {
			t.Errorf("%s: no app has in-app units", day)
		}
		t.Logf("%s: sales in-app units per app SKU %v", day, sales)
	}
}
