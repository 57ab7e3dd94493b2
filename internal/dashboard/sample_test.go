package dashboard

import (
	"fmt"
	"math"
	"time"
)

// Tricky names: markup and quotes, an emoji ZWJ sequence, right-to-left text, a control
// character and invalid UTF-8. Each must come out escaped and readable.
var (
	appQuote = `Tom's "Best" <App> & Co`
	appEmoji = "Family 👩‍👩‍👧 Planner 🚀"
	appRTL   = "שלום עולם — مرحبا"
	appCtl   = "Bad\x01Name\xff"
)

// sampleData is a dashboard's worth of data: 60 days, four apps, every chart with values.
func sampleData() *Data {
	built := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	d := &Data{BuiltAt: built, Currency: "EUR", Days: 60}
	apps := []string{appQuote, appEmoji, appRTL, appCtl}
	first := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		day := first.AddDate(0, 0, i).Format(time.DateOnly)
		if i == 20 {
			continue // a day without any report: a gap
		}
		for a, app := range apps {
			v := 200 + 80*math.Sin(float64(i)/5+float64(a)) + float64(a*150)
			d.RevenueDaily = append(d.RevenueDaily, AppValue{Period: day, App: app, Value: v, Units: v / 3})
		}
		d.Subscriptions = append(d.Subscriptions, SubscriptionDay{Day: day, Active: 1200 + float64(i*8), New: float64(20 + i%7), Churned: float64(5 + i%4)})
		for s, src := range []string{"App Store search", "App Store browse", "Web referrer"} {
			d.Downloads = append(d.Downloads, SourceDay{Day: day, Source: src, Downloads: float64(100 + 30*s + i%11)})
		}
	}
	d.RevenueDaily[3].MissingRate = 4
	for m, month := range []string{"2026-10", "2026-11"} {
		for a, app := range apps {
			d.RevenueMonthly = append(d.RevenueMonthly, AppValue{Period: month, App: app, Value: float64(5000 + 1000*a + 500*m)})
		}
	}
	for i, c := range []string{"US", "DE", "JP", "GB", "FR", "IL", "SA"} {
		d.Units = append(d.Units, CountryUnits{Country: c, Downloads: float64(900 - 100*i), Redownloads: 40, Updates: float64(300 - 20*i),
			InAppPurchases: float64(50 + i), Subscriptions: float64(30 + 2*i)})
	}
	for w := range 12 {
		week := time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w).Format(time.DateOnly)
		stars := [5]float64{float64(2 + w%3), 3, 5, float64(10 + w), float64(20 + w%5)}
		n, sum := 0.0, 0.0
		for k, s := range stars {
			n += s
			sum += float64(k+1) * s
		}
		d.Ratings = append(d.Ratings, RatingWeek{Week: week, Reviews: n, Stars: stars, Average: sum / n})
	}
	for a, app := range apps[:3] {
		for v := range 3 {
			d.Crashes = append(d.Crashes, CrashVersion{App: app, Version: fmt.Sprintf("2.%d.%d", v+9, a), Crashes: 100, Sessions: 1000,
				Rate: float64(80 + 10*v + 5*a), LastDate: "2026-11-29"})
		}
	}
	d.Freshness = []Freshness{
		{Dataset: "sales_summary_daily", Family: "sales", DataThrough: "2026-12-01", Loaded: 60},
		{Dataset: "finance_financial", Family: "finance", DataThrough: "2026-10-31", Loaded: 2},
		{Dataset: "customer_reviews", Family: "reviews", DataThrough: "2026-12-03", Loaded: 4},
		{Dataset: "subscription_summary_daily", Family: "sales", DataThrough: "2026-11-28", Pending: 2, Late: 1},
	}
	d.Ledger = []LedgerCount{{"sales", "loaded", 120}, {"sales", "empty", 8}, {"sales", "pending", 2}, {"finance", "loaded", 6},
		{"reviews", "loaded", 4}, {"reviews", "failed", 1}}
	d.Reconcile = &Reconcile{Checks: 3, Columns: []string{"check", "result", "detail"},
		Failed: [][]string{{"finance vs sales", "fail", `off by 12.00 in "EUR" <2026-10>`}}}
	return d
}
