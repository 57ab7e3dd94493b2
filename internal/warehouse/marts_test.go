package warehouse

import (
	"context"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/report"
)

// TestMartsMatchSimulatorTruth checks every mart against what the simulator served (its
// truth functions, or the archived payloads read independently of transform and SQL), and
// the marts' Parquet against the views.
func TestMartsMatchSimulatorTruth(t *testing.T) {
	f := newMartsFixture(t, "zstd")
	t.Run("revenue_daily", f.checkRevenue)
	t.Run("revenue_monthly", f.checkRevenueMonthly)
	t.Run("fx_rates", f.checkRates)
	t.Run("units_daily", f.checkUnits)
	t.Run("refunds_by_country_monthly", f.checkRefunds)
	t.Run("subscriptions_daily", f.checkSubscriptions)
	t.Run("subscription_trials_monthly", f.checkTrials)
	t.Run("downloads_by_source_daily", f.checkDownloads)
	t.Run("crash_rate_and_version_adoption", f.checkVersions)
	t.Run("ratings_weekly", f.checkRatings)
	t.Run("finance_proceeds_monthly", f.checkFinance)
	t.Run("freshness", f.checkFreshness)
	t.Run("fx_coverage", f.checkCoverage)
	t.Run("headline", f.checkHeadline)
	t.Run("parquet_equals_views", f.checkParquet)
}

func (f *martsFixture) checkRevenue(t *testing.T) {
	type key struct{ day, cur string }
	type want struct {
		local, reporting *big.Rat
		lines, paid      int64
		source           string
	}
	exp := map[key]*want{}
	for _, l := range f.rawSales(t) {
		if l.currency == "" {
			continue // free lines of minor storefronts: no proceeds, no currency
		}
		k := key{l.day, l.currency}
		w := exp[k]
		if w == nil {
			day, _ := time.Parse(time.DateOnly, l.day)
			rate, src := f.expectRate(day, l.currency)
			w = &want{local: new(big.Rat), source: src}
			if rate != nil {
				w.reporting = new(big.Rat)
			}
			exp[k] = w
		}
		amt := new(big.Rat).Mul(big.NewRat(l.units, 1), l.proceeds)
		w.local.Add(w.local, amt)
		w.lines++
		if amt.Sign() != 0 {
			w.paid++
		}
		if w.reporting != nil {
			day, _ := time.Parse(time.DateOnly, l.day)
			rate, _ := f.expectRate(day, l.currency)
			w.reporting.Add(w.reporting, new(big.Rat).Mul(amt, rate))
		}
	}
	res := query(t, f.db, `SELECT strftime(date, '%Y-%m-%d'), currency, sum(proceeds),
    CASE WHEN sum(missing_rate) > 0 THEN NULL ELSE sum(proceeds_reporting) END, max(fx_source), sum(missing_rate)
FROM mart_revenue_daily WHERE currency IS NOT NULL GROUP BY ALL`)
	seen, sources := 0, map[string]int{}
	for _, row := range res.Rows {
		k := key{row[0].(string), row[1].(string)}
		w := exp[k]
		if w == nil {
			t.Errorf("%v: in the mart, not served", k)
			continue
		}
		seen++
		if got := rat(t, row[2], res.Types[2]); got.Cmp(w.local) != 0 {
			t.Errorf("%v: proceeds %s, served %s", k, ratString(got), ratString(w.local))
		}
		got, src, missing := rat(t, row[3], res.Types[3]), "", atoi(t, text(row[5], res.Types[5]))
		if row[4] != nil {
			src = row[4].(string)
		}
		switch {
		case w.paid == 0: // only free lines: nothing to convert, no rate needed
			if got == nil || got.Sign() != 0 || missing != 0 {
				t.Errorf("%v: free lines: proceeds_reporting %s, missing_rate %d", k, ratString(got), missing)
			}
		case w.reporting != nil:
			sources[w.source]++
			tol := big.NewRat(w.lines, 1_000_000) // each line is rounded to 6 places
			if got == nil || src != w.source || new(big.Rat).Abs(new(big.Rat).Sub(got, w.reporting)).Cmp(tol) > 0 {
				t.Errorf("%v: proceeds_reporting %s from %q, want %s from %q", k, ratString(got), src, ratString(w.reporting), w.source)
			}
		case src == "implied_analytics" && missing == 0:
			sources[src]++
			if got == nil {
				t.Errorf("%v: implied rate but no proceeds_reporting", k)
			}
		default:
			sources["missing"]++
			if got != nil || missing != w.paid {
				t.Errorf("%v: no rate expected: proceeds_reporting %s, missing_rate %d, want NULL and %d", k, ratString(got), missing, w.paid)
			}
		}
	}
	if seen != len(exp) {
		t.Errorf("%d day-currency groups in the mart, %d served", seen, len(exp))
	}
	// "missing" (no rate at all) is checked above wherever it occurs; with App Store
	// Purchases built from the sales lines, implied rates now cover every currency the
	// fixture sells in app, so it may not occur here.
	for _, s := range []string{"identity", "payments", "rates_file", "implied_analytics"} {
		if sources[s] == 0 {
			t.Errorf("no day-currency group converted by %s: %v", s, sources)
		}
	}
	t.Logf("%d day-currency groups; by rate source: %v", seen, sources)
	// The simulator's own truth of the proceeds per currency and day.
	for _, d := range f.days {
		u := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Daily,
			Vendor: f.h.Cfg.VendorNumber, Period: d.Format(time.DateOnly)}
		tr, err := f.h.Sim.Truth(u, "")
		if err != nil {
			t.Fatal(err)
		}
		for cur, micro := range tr.Proceeds {
			w := exp[key{u.Period, cur}]
			if w == nil || w.local.Cmp(big.NewRat(micro, 1_000_000)) != 0 {
				t.Errorf("%s %s: simulator truth %d micro, raw payload %v", u.Period, cur, micro, w)
			}
		}
	}
}

func (f *martsFixture) checkRevenueMonthly(t *testing.T) {
	daily := `SELECT CAST(date_trunc('month', date) AS DATE) AS month, vendor, app_sku, product_type, country_code, currency,
    CAST(sum(units) AS BIGINT) AS units, CAST(sum(proceeds) AS DECIMAL(38, 6)) AS p,
    CAST(CASE WHEN sum(missing_rate) > 0 THEN NULL ELSE sum(proceeds_reporting) END AS DECIMAL(38, 6)) AS r,
    CAST(sum(missing_rate) AS BIGINT) AS missing
FROM mart_revenue_daily GROUP BY ALL`
	monthly := `SELECT month, vendor, app_sku, product_type, country_code, currency, units, proceeds, proceeds_reporting, missing_rate
FROM mart_revenue_monthly`
	for _, q := range []string{daily + " EXCEPT ALL " + monthly, monthly + " EXCEPT ALL " + daily} {
		for _, row := range rowStrings(query(t, f.db, q)) {
			t.Errorf("month and days differ: %v", row)
		}
	}
	n := query(t, f.db, "SELECT count(*) FROM mart_revenue_monthly").Rows[0][0].(int64)
	if n == 0 {
		t.Fatal("no monthly rows")
	}
}

func (f *martsFixture) checkRates(t *testing.T) {
	// Implied rates are estimates from analytics; they must be near Apple's rates.
	oct := f.payRate["2027-01"]
	res := query(t, f.db, "SELECT currency, rate FROM fx_rates WHERE source = 'implied_analytics'")
	if len(res.Rows) == 0 {
		t.Fatal("no implied rate")
	}
	for _, row := range res.Rows {
		cur := row[0].(string)
		got := rat(t, row[1], res.Types[1])
		want := new(big.Rat).Quo(oct[cur], oct["USD"])
		ratio, _ := new(big.Rat).Quo(got, want).Float64()
		if ratio < 0.75 || ratio > 1.25 {
			t.Errorf("implied %s rate %s, Apple's %s (ratio %.2f)", cur, ratString(got), ratString(want), ratio)
		}
	}
	// Every currency of a Payments report gets a rate for each of its fiscal month's days.
	res = query(t, f.db, `SELECT count(*) FROM fx_daily WHERE source = 'payments'`)
	if res.Rows[0][0].(int64) == 0 {
		t.Error("no day converted at a Payments rate")
	}
}

// unitKind is the test's own reading of Apple's Product Type Identifiers (REFERENCE.md A.6).
func unitKind(pti string) string {
	switch pti {
	case "1", "1F", "1T", "F1":
		return "download"
	case "3", "3F", "3T", "F3":
		return "redownload"
	case "7", "7F", "7T", "F7":
		return "update"
	case "IAY", "IAC":
		return "subscription"
	case "IA1", "IA9", "FI1":
		return "iap"
	}
	return "other"
}

func (f *martsFixture) checkUnits(t *testing.T) {
	exp := map[string]map[string]int64{}
	for _, l := range f.rawSales(t) {
		if exp[l.day] == nil {
			exp[l.day] = map[string]int64{}
		}
		exp[l.day][unitKind(l.pti)] += l.units
		exp[l.day]["all"] += l.units
	}
	got := queryMap(t, f.db, `SELECT strftime(date, '%Y-%m-%d'), sum(downloads), sum(redownloads), sum(updates),
    sum(in_app_purchases), sum(subscriptions), sum(other_units), sum(all_units) FROM mart_units_daily GROUP BY 1`, 1)
	var all, upd int64
	for day, w := range exp {
		g := got[day]
		want := []int64{w["download"], w["redownload"], w["update"], w["iap"], w["subscription"], w["other"], w["all"]}
		for i, v := range want {
			if g == nil || atoi(t, g[i]) != v {
				t.Errorf("%s: units %v, served %v (downloads, redownloads, updates, iap, subscriptions, other, all)", day, g, want)
				break
			}
		}
		all += w["all"]
		upd += w["update"] + w["redownload"]
	}
	if len(got) != len(exp) {
		t.Errorf("%d days in the mart, %d served", len(got), len(exp))
	}
	t.Logf("%d days: updates and redownloads are %.0f %% of Apple's units", len(exp), 100*float64(upd)/float64(all))
}

func (f *martsFixture) checkRefunds(t *testing.T) {
	type k struct{ month, country string }
	sold, refunded := map[k]int64{}, map[k]int64{}
	for _, l := range f.rawSales(t) {
		kk := k{l.day[:7] + "-01", l.country}
		switch kind := unitKind(l.pti); {
		case l.units < 0:
			refunded[kk] -= l.units
		case l.units > 0 && l.price != nil && l.price.Sign() > 0 && kind != "update" && kind != "redownload":
			sold[kk] += l.units
		}
	}
	got := queryMap(t, f.db, `SELECT strftime(month, '%Y-%m-%d'), country_code, sum(sold_units), sum(refunded_units)
FROM mart_refunds_by_country_monthly GROUP BY ALL`, 2)
	n := 0
	for kk, s := range sold {
		g := got[kk.month+"|"+kk.country]
		if g == nil || atoi(t, g[0]) != s || atoi(t, g[1]) != refunded[kk] {
			t.Errorf("%v: sold, refunded %v, served %d, %d", kk, g, s, refunded[kk])
		}
		if refunded[kk] > 0 {
			n++
		}
	}
	if n == 0 {
		t.Error("no refunds served")
	}
}

func (f *martsFixture) checkSubscriptions(t *testing.T) {
	got := queryMap(t, f.db, `SELECT strftime(date, '%Y-%m-%d'), sum(active_paid), sum(new_subscriptions), sum(trial_starts),
    sum(conversions), sum(trial_conversions), sum(renewals), sum(churned), sum(refunds)
FROM mart_subscriptions_daily GROUP BY 1`, 1)
	days := 0
	for _, d := range f.days {
		ev := f.h.Sim.TruthSubscriptionEvents(d)
		u := report.Unit{Family: report.Sales, Type: "SUBSCRIPTION", SubType: "SUMMARY", Frequency: report.Daily,
			Vendor: f.h.Cfg.VendorNumber, Period: d.Format(time.DateOnly)}
		tr, err := f.h.Sim.Truth(u, "")
		if err != nil {
			t.Fatal(err)
		}
		if ev == nil || tr.Status != 200 {
			continue
		}
		days++
		conv := ev["Paid Subscription from Introductory Offer"] + ev["Upgrade From Introductory Offer"]
		want := []int64{tr.Units, ev["Subscribe"] + ev["Start Introductory Offer"], ev["Start Introductory Offer"], conv, conv,
			ev["Renew"] + ev["Renewal from Billing Retry"], ev["Cancel"], ev["Refund"]}
		g := got[u.Period]
		for i, v := range want {
			if g == nil || atoi(t, g[i]) != v {
				t.Errorf("%s: %v, served %v (active_paid, new, trial_starts, conversions, trial_conversions, renewals, churned, refunds)",
					u.Period, g, want)
				break
			}
		}
	}
	if days < fixtureDays/2 {
		t.Fatalf("only %d days compared", days)
	}
}

func (f *martsFixture) checkTrials(t *testing.T) {
	starts, convs := map[string]int64{}, map[string]int64{}
	for _, e := range f.entries {
		if e.Unit.Table() != "subscription_event_summary_daily" || e.State != "loaded" {
			continue
		}
		d, _, _ := e.Unit.Bounds()
		ev := f.h.Sim.TruthSubscriptionEvents(d)
		if ev == nil {
			continue
		}
		starts[d.Format("2006-01")] += ev["Start Introductory Offer"]
		convs[d.AddDate(0, 0, -7).Format("2006-01")] += ev["Paid Subscription from Introductory Offer"] + ev["Upgrade From Introductory Offer"]
	}
	got := queryMap(t, f.db, `SELECT strftime(cohort_month, '%Y-%m'), sum(trial_starts), sum(trial_conversions),
    round(sum(trial_conversions) / nullif(sum(trial_starts), 0), 4) FROM mart_subscription_trials_monthly GROUP BY 1`, 1)
	for m := range convs {
		g := got[m]
		if g == nil || atoi(t, g[0]) != starts[m] || atoi(t, g[1]) != convs[m] {
			t.Errorf("cohort %s: starts, conversions %v, served %d, %d", m, g, starts[m], convs[m])
		}
	}
	t.Logf("trial-to-paid by cohort month: %v", got)
}

func (f *martsFixture) checkFinance(t *testing.T) {
	got := queryMap(t, f.db, `SELECT fiscal_period, currency, sum(quantity), sum(proceeds), sum(proceeds_reporting), max(fx_source)
FROM mart_finance_proceeds_monthly GROUP BY ALL`, 2)
	n := 0
	for _, e := range f.entries {
		u := e.Unit
		if u.Type != report.Financial || u.Region != "ZZ" || e.State != "loaded" {
			continue
		}
		tr, err := f.h.Sim.Truth(u, "")
		if err != nil {
			t.Fatal(err)
		}
		_, end, _ := u.Bounds()
		for cur, micro := range tr.Proceeds {
			g := got[u.Period+"|"+cur]
			want := big.NewRat(micro, 1_000_000)
			if g == nil || rat(t, g[1], "DECIMAL") == nil || rat(t, g[1], "DECIMAL").Cmp(want) != 0 {
				t.Errorf("%s %s: finance proceeds %v, served %s", u.Period, cur, g, ratString(want))
				continue
			}
			n++
			rate, src := f.expectRate(end, cur)
			if rate == nil {
				continue
			}
			conv := new(big.Rat).Mul(want, rate)
			if diff := new(big.Rat).Abs(new(big.Rat).Sub(rat(t, g[2], "DECIMAL"), conv)); diff.Cmp(big.NewRat(1, 100_000)) > 0 || g[3] != src {
				t.Errorf("%s %s: proceeds_reporting %s from %s, want %s from %s", u.Period, cur, g[2], g[3], ratString(conv), src)
			}
		}
	}
	if n == 0 {
		t.Fatal("no finance currency compared")
	}
}

func (f *martsFixture) checkFreshness(t *testing.T) {
	got := queryMap(t, f.db, "SELECT dataset, coalesce(strftime(data_through, '%Y-%m-%d'), ''), units_pending, units_failed FROM mart_freshness", 1)
	want := engine.DataThrough(f.entries)
	if len(got) != len(want) {
		t.Errorf("%d datasets in the mart, %d in the ledger", len(got), len(want))
	}
	for _, d := range want {
		through := ""
		if !d.Through.IsZero() {
			through = d.Through.Format(time.DateOnly)
		}
		g := got[d.Table]
		if g == nil || g[0] != through || atoi(t, g[1]) != int64(d.Pending) || atoi(t, g[2]) != int64(d.Failed) {
			t.Errorf("%s: %v, ledger says through %s, %d pending, %d failed", d.Table, g, through, d.Pending, d.Failed)
		}
	}
}

func (f *martsFixture) checkCoverage(t *testing.T) {
	res := query(t, f.db, `SELECT (SELECT sum(missing_rate) FROM mart_revenue_daily),
    (SELECT sum(missing_rate) FROM mart_fx_coverage WHERE mart = 'mart_revenue_daily'),
    (SELECT sum(lines) FROM mart_fx_coverage WHERE mart = 'mart_revenue_daily'),
    (SELECT count(*) FROM sales_summary_daily)`)
	r := rowStrings(res)[0]
	if r[0] != r[1] || r[2] != r[3] {
		t.Errorf("missing rates in revenue %s, in coverage %s; lines %s of %s", r[0], r[1], r[2], r[3])
	}
}

func (f *martsFixture) checkHeadline(t *testing.T) {
	to := f.days[len(f.days)-1]
	for _, d := range f.days {
		if d.After(to) {
			to = d
		}
	}
	from := to.AddDate(0, 0, -6)
	h, err := f.db.HeadlineTotals(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	var downloads, iap, subs int64
	for _, l := range f.rawSales(t) {
		if l.day < from.Format(time.DateOnly) || l.day > to.Format(time.DateOnly) {
			continue
		}
		switch unitKind(l.pti) {
		case "download":
			downloads += l.units
		case "iap":
			iap += l.units
		case "subscription":
			subs += l.units
		}
	}
	var reviews int64
	for _, app := range f.h.Sim.AppIDs() {
		rs, _ := f.h.Sim.TruthReviews(app)
		for _, r := range rs {
			d := r.Created.UTC().Format(time.DateOnly)
			if d >= from.Format(time.DateOnly) && d <= to.Format(time.DateOnly) {
				reviews++
			}
		}
	}
	if h.Downloads != downloads || h.InAppPurchases != iap || h.Subscriptions != subs || h.NewReviews != reviews ||
		h.ReportingCurrency != "USD" || h.Proceeds == "" {
		t.Errorf("headline %+v, served %d downloads, %d in-app, %d subscriptions, %d reviews", h, downloads, iap, subs, reviews)
	}
	t.Logf("headline %s..%s: %+v", from.Format(time.DateOnly), to.Format(time.DateOnly), h)
}

// checkParquet: every mart's Parquet, read by DuckDB without the views, has the view's rows.
func (f *martsFixture) checkParquet(t *testing.T) {
	written := map[string]bool{}
	for _, w := range f.marts {
		written[w.Key] = w.Changed
	}
	var names []string
	for _, m := range MartFiles() {
		if !written[m.Key] {
			t.Errorf("%s: not written", m.Key)
		}
		p := QuoteLiteral(m.Key)
		v := QuoteIdent(m.View)
		res := query(t, f.db, `SELECT (SELECT count(*) FROM read_parquet(`+p+`)), (SELECT count(*) FROM `+v+`),
    (SELECT count(*) FROM (SELECT * FROM read_parquet(`+p+`) EXCEPT ALL SELECT * FROM `+v+`)),
    (SELECT count(*) FROM (SELECT * FROM `+v+` EXCEPT ALL SELECT * FROM read_parquet(`+p+`)))`)
		r := rowStrings(res)[0]
		if r[0] != r[1] || r[2] != "0" || r[3] != "0" || (r[0] == "0" && m.View != "mart_fx_coverage") {
			t.Errorf("%s: Parquet %s rows, view %s, only in Parquet %s, only in view %s", m.View, r[0], r[1], r[2], r[3])
		}
		names = append(names, m.View+"="+r[0])
	}
	sort.Strings(names)
	t.Logf("marts (rows): %s", strings.Join(names, " "))
}
