package dashboard

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Querier runs one SQL statement against the views database and returns its rows keyed by
// column name, with plain Go values (warehouse.DB.PlainRows).
type Querier func(ctx context.Context, query string) ([]map[string]any, error)

// Chart ids: the element ids of the charts, and the keys of Data.Errors.
const (
	IDRevenueDaily   = "revenue-daily"
	IDRevenueMonthly = "revenue-monthly"
	IDUnits          = "units-by-country"
	IDSubscriptions  = "subscriptions"
	IDDownloads      = "downloads-by-source"
	IDRatings        = "ratings"
	IDCrashes        = "crash-rate"
	IDFreshness      = "freshness"
	IDLedger         = "ledger"
	IDReconcile      = "reconcile"
	idSettings       = "settings"
)

// DefaultDays is the window of the daily charts.
const DefaultDays = 90

// query is one read of the marts: its SQL and what it fills in.
type query struct {
	id   string
	sql  string
	fill func(d *Data, rows []row)
}

// queries are the dashboard's reads. Each daily chart covers the days days up to its
// mart's newest day (so a mart that lags still shows its last days).
func queries(days int) []query {
	return []query{
		{idSettings, `SELECT reporting_currency, built_at FROM etl_settings`, func(d *Data, rs []row) {
			if len(rs) > 0 {
				d.Currency, d.BuiltAt = rs[0].str("reporting_currency"), rs[0].time("built_at")
			}
		}},
		{IDRevenueDaily, fmt.Sprintf(`SELECT date, coalesce(app_name, app_sku, CAST(app_apple_id AS VARCHAR)) AS app,
    sum(proceeds_reporting) AS proceeds, sum(missing_rate) AS missing_rate, sum(units) AS units
FROM mart_revenue_daily
WHERE date > (SELECT max(date) FROM mart_revenue_daily) - %d
GROUP BY ALL ORDER BY date, app`, days), func(d *Data, rs []row) {
			for _, r := range rs {
				d.RevenueDaily = append(d.RevenueDaily, AppValue{Period: r.str("date"), App: r.str("app"),
					Value: r.num("proceeds"), MissingRate: r.int("missing_rate"), Units: r.num("units")})
			}
		}},
		{IDRevenueMonthly, `SELECT strftime(month, '%Y-%m') AS month, coalesce(app_name, app_sku, CAST(app_apple_id AS VARCHAR)) AS app,
    sum(proceeds_reporting) AS proceeds, sum(missing_rate) AS missing_rate, sum(units) AS units
FROM mart_revenue_monthly
WHERE month > (SELECT max(month) FROM mart_revenue_monthly) - INTERVAL 12 MONTH
GROUP BY ALL ORDER BY month, app`, func(d *Data, rs []row) {
			for _, r := range rs {
				d.RevenueMonthly = append(d.RevenueMonthly, AppValue{Period: r.str("month"), App: r.str("app"),
					Value: r.num("proceeds"), MissingRate: r.int("missing_rate"), Units: r.num("units")})
			}
		}},
		{IDUnits, fmt.Sprintf(`SELECT coalesce(country_code, '?') AS country, sum(downloads) AS downloads,
    sum(redownloads) AS redownloads, sum(updates) AS updates, sum(in_app_purchases) AS iap,
    sum(subscriptions) AS subscriptions
FROM mart_units_daily
WHERE date > (SELECT max(date) FROM mart_units_daily) - %d
GROUP BY ALL ORDER BY sum(all_units) DESC, country`, days), func(d *Data, rs []row) {
			for _, r := range rs {
				d.Units = append(d.Units, CountryUnits{Country: r.str("country"), Downloads: r.num("downloads"),
					Redownloads: r.num("redownloads"), Updates: r.num("updates"), InAppPurchases: r.num("iap"),
					Subscriptions: r.num("subscriptions")})
			}
		}},
		// A day without a Subscription report (only events or refunds yet) has no active count:
		// NULL, not zero, so the line does not drop to nothing on the newest day.
		{IDSubscriptions, fmt.Sprintf(`SELECT date,
    CASE WHEN count(*) FILTER (WHERE active_total <> 0) > 0 THEN sum(active_total) END AS active,
    sum(new_subscriptions) AS new, sum(churned) AS churned
FROM mart_subscriptions_daily
WHERE date > (SELECT max(date) FROM mart_subscriptions_daily) - %d
GROUP BY ALL ORDER BY date`, days), func(d *Data, rs []row) {
			for _, r := range rs {
				d.Subscriptions = append(d.Subscriptions, SubscriptionDay{Day: r.str("date"), Active: r.num("active"),
					New: r.num("new"), Churned: r.num("churned")})
			}
		}},
		{IDDownloads, fmt.Sprintf(`SELECT date, coalesce(source_type, 'Unknown') AS source, sum(total_downloads) AS downloads
FROM mart_downloads_by_source_daily
WHERE date > (SELECT max(date) FROM mart_downloads_by_source_daily) - %d
GROUP BY ALL ORDER BY date, source`, days), func(d *Data, rs []row) {
			for _, r := range rs {
				d.Downloads = append(d.Downloads, SourceDay{Day: r.str("date"), Source: r.str("source"), Downloads: r.num("downloads")})
			}
		}},
		{IDRatings, `SELECT week, sum(reviews) AS reviews, sum(stars_1) AS s1, sum(stars_2) AS s2, sum(stars_3) AS s3,
    sum(stars_4) AS s4, sum(stars_5) AS s5, sum(avg_rating * reviews) / nullif(sum(reviews), 0) AS average
FROM mart_ratings_weekly
WHERE week > (SELECT max(week) FROM mart_ratings_weekly) - 7 * 26
GROUP BY ALL ORDER BY week`, func(d *Data, rs []row) {
			for _, r := range rs {
				w := RatingWeek{Week: r.str("week"), Reviews: r.num("reviews"), Average: r.num("average")}
				for i := range w.Stars {
					w.Stars[i] = r.num(fmt.Sprintf("s%d", i+1))
				}
				d.Ratings = append(d.Ratings, w)
			}
		}},
		{IDCrashes, `SELECT coalesce(app_name, CAST(app_id AS VARCHAR)) AS app, app_version, crashes, sessions,
    crashes_per_1000_sessions AS rate, last_date
FROM mart_crash_rate_by_version
ORDER BY last_date DESC NULLS LAST, app, app_version DESC LIMIT 24`, func(d *Data, rs []row) {
			for _, r := range rs {
				d.Crashes = append(d.Crashes, CrashVersion{App: r.str("app"), Version: r.str("app_version"),
					Crashes: r.num("crashes"), Sessions: r.num("sessions"), Rate: r.num("rate"), LastDate: r.str("last_date")})
			}
		}},
		{IDFreshness, `SELECT * FROM mart_freshness ORDER BY family, dataset`, func(d *Data, rs []row) {
			for _, r := range rs {
				d.Freshness = append(d.Freshness, Freshness{Dataset: r.str("dataset"), Family: r.str("family"),
					DataThrough: r.str("data_through"), NewestPeriod: r.str("newest_period"), LastLoaded: r.str("last_loaded_at"),
					OldestWaiting: r.str("oldest_waiting_period"), Loaded: r.int("units_loaded"), Empty: r.int("units_empty"),
					Pending: r.int("units_pending"), Failed: r.int("units_failed"), Expired: r.int("units_expired"), Late: r.int("late")})
			}
		}},
		{IDLedger, `SELECT family, state, count(*) AS units FROM etl_ledger GROUP BY ALL ORDER BY family, state`, func(d *Data, rs []row) {
			for _, r := range rs {
				d.Ledger = append(d.Ledger, LedgerCount{Family: r.str("family"), State: r.str("state"), Units: r.int("units")})
			}
		}},
	}
}

// Load reads the marts through q. A query that fails leaves its chart empty and its error
// in Data.Errors; only a cancelled ctx fails Load.
func Load(ctx context.Context, q Querier, days int) (*Data, error) {
	if days <= 0 {
		days = DefaultDays
	}
	d := &Data{Days: days}
	for _, x := range queries(days) {
		rs, err := q(ctx, x.sql)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			d.fail(x.id, err)
			continue
		}
		x.fill(d, asRows(rs))
	}
	if err := loadReconcile(ctx, q, d); err != nil {
		return nil, err
	}
	return d, nil
}

func asRows(ms []map[string]any) []row {
	out := make([]row, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// loadReconcile reads reconcile_results when it exists (etl reconcile writes it). A check
// failed when a boolean column passed/ok is false, or a column result/status/outcome says
// fail, failed or error.
func loadReconcile(ctx context.Context, q Querier, d *Data) error {
	cols, err := q(ctx, `SELECT column_name FROM information_schema.columns WHERE table_name = 'reconcile_results' ORDER BY ordinal_position`)
	if err != nil || len(cols) == 0 {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return nil // no table: the panel is left out
	}
	rec := &Reconcile{}
	for _, c := range asRows(cols) {
		rec.Columns = append(rec.Columns, c.str("column_name"))
	}
	rs, err := q(ctx, `SELECT * FROM reconcile_results`)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		d.fail(IDReconcile, err)
		d.Reconcile = rec
		return nil
	}
	rec.Checks = len(rs)
	for _, r := range asRows(rs) {
		if !checkFailed(r) {
			continue
		}
		line := make([]string, len(rec.Columns))
		for i, c := range rec.Columns {
			line[i] = r.str(c)
		}
		rec.Failed = append(rec.Failed, line)
	}
	d.Reconcile = rec
	return nil
}

func checkFailed(r row) bool {
	for k, v := range r {
		switch strings.ToLower(k) {
		case "passed", "ok", "pass":
			if b, isBool := v.(bool); isBool {
				return !b
			}
		case "result", "status", "outcome":
			if s, isStr := v.(string); isStr && slices.Contains([]string{"fail", "failed", "error", "failure"}, strings.ToLower(s)) {
				return true
			}
		}
	}
	return false
}

// dayRange lists every day from first to last ("YYYY-MM-DD"), so gaps in the data show as
// gaps on the axis.
func dayRange(first, last string) []string {
	a, err1 := time.Parse(time.DateOnly, first)
	b, err2 := time.Parse(time.DateOnly, last)
	if err1 != nil || err2 != nil || b.Before(a) || b.Sub(a) > 4000*24*time.Hour {
		return nil
	}
	var out []string
	for t := a; !t.After(b); t = t.AddDate(0, 0, 1) {
		out = append(out, t.Format(time.DateOnly))
	}
	return out
}

// nan returns n NaNs.
func nan(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	return out
}
