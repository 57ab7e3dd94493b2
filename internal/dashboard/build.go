package dashboard

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// maxApps is how many apps a per-app chart names; the rest are added up as "Other apps".
const maxApps = 6

// maxCountries is how many countries the units chart names; the rest are "Other".
const maxCountries = 12

// Build turns the data into the page: headline tiles, then one panel per chart.
func Build(d *Data) *Report {
	cur := d.Currency
	if cur == "" {
		cur = "USD"
	}
	r := &Report{Title: "App Store Connect dashboard"}
	built := "views not built yet"
	if !d.BuiltAt.IsZero() {
		built = "views built " + d.BuiltAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	r.Subtitle = fmt.Sprintf("%s · reporting currency %s · daily charts: the last %d days of each mart", built, cur, d.Days)
	r.Footer = "Drawn by etl dashboard from the marts (README \"Marts\"). Hover a mark for its value; each chart's numbers are in its data table."
	ids := make([]string, 0, len(d.Errors))
	for id := range d.Errors {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r.Warnings = append(r.Warnings, id+": "+d.Errors[id])
	}
	r.Tiles = tiles(d, cur)
	charts := []*Chart{revenueDaily(d, cur), revenueMonthly(d, cur), unitsByCountry(d), subscriptions(d),
		downloadsBySource(d), ratings(d), crashRate(d), freshness(d), ledger(d)}
	for _, c := range charts {
		if msg, ok := d.Errors[c.ID]; ok {
			c.Empty = "query failed: " + msg
		}
		p := Panel{Chart: c}
		if c.ID == IDFreshness && c.Empty == "" {
			p.Table = freshnessTable(d) // in place of the chart's own table
		}
		r.Panels = append(r.Panels, p)
	}
	if p, ok := reconcilePanel(d); ok {
		r.Panels = append(r.Panels, p)
	}
	return r
}

// emptyUnless returns why the chart is empty when the mart gave no rows.
func emptyUnless(rows int, mart, why string) string {
	if rows > 0 {
		return ""
	}
	return mart + " has no rows" + why
}

// appSeries turns per-period, per-app values into one series per app (the largest
// maxApps apps by total; the others added up), over the given periods. A period without
// any row is NaN (a gap); an app without a row in a period that has rows is zero.
func appSeries(vals []AppValue, periods []string, mark Mark) []Series {
	total := map[string]float64{}
	for _, v := range vals {
		total[v.App] += 0 // an app without any converted value is still a series
		if !math.IsNaN(v.Value) {
			total[v.App] += v.Value
		}
	}
	apps := make([]string, 0, len(total))
	for a := range total {
		apps = append(apps, a)
	}
	sort.Slice(apps, func(i, j int) bool {
		if total[apps[i]] != total[apps[j]] {
			return total[apps[i]] > total[apps[j]]
		}
		return apps[i] < apps[j]
	})
	named := len(apps)
	if named > maxApps+1 {
		named = maxApps // the rest are added up as one series
	}
	index := map[string]int{}
	for i, a := range apps {
		index[a] = min(i, named)
	}
	series := make([]Series, min(len(apps), named+1))
	for i := range series {
		series[i] = Series{Name: "Other apps", Values: nan(len(periods)), Mark: mark}
		if i < named {
			series[i].Name = apps[i]
		}
	}
	at := map[string]int{}
	for i, p := range periods {
		at[p] = i
	}
	seen := map[int]bool{}
	for _, v := range vals {
		i, ok := at[v.Period]
		if !ok {
			continue
		}
		seen[i] = true
		s := &series[index[v.App]]
		if math.IsNaN(s.Values[i]) {
			s.Values[i] = 0
		}
		if !math.IsNaN(v.Value) {
			s.Values[i] += v.Value
		}
	}
	for i := range periods {
		if !seen[i] {
			continue
		}
		for k := range series {
			if math.IsNaN(series[k].Values[i]) {
				series[k].Values[i] = 0
			}
		}
	}
	return series
}

// missingNote says how many sales lines had no rate (and are not in the figures).
func missingNote(vals []AppValue, cur string) string {
	var n int64
	for _, v := range vals {
		n += v.MissingRate
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" %s sales lines without a rate into %s are left out (mart_fx_coverage).", exact(float64(n), 0), cur)
}

func revenueDaily(d *Data, cur string) *Chart {
	c := &Chart{ID: IDRevenueDaily, Title: "Revenue per day by app", Unit: cur, Decimals: 2, Wide: true,
		Note:  "Proceeds in " + cur + " (units × per-unit proceeds, refunds netted), each day at its own rate." + missingNote(d.RevenueDaily, cur),
		Empty: emptyUnless(len(d.RevenueDaily), "mart_revenue_daily", " (no sales report loaded)")}
	if c.Empty != "" {
		return c
	}
	c.Categories = dayRange(d.RevenueDaily[0].Period, d.RevenueDaily[len(d.RevenueDaily)-1].Period)
	c.Labels = dayLabels(c.Categories)
	c.Series = appSeries(d.RevenueDaily, c.Categories, Line)
	return c
}

func revenueMonthly(d *Data, cur string) *Chart {
	c := &Chart{ID: IDRevenueMonthly, Title: "Revenue per month by app", Unit: cur, Decimals: 2,
		Note:  "Calendar months in " + cur + "; the newest month may be partial." + missingNote(d.RevenueMonthly, cur),
		Empty: emptyUnless(len(d.RevenueMonthly), "mart_revenue_monthly", " (no sales report loaded)")}
	if c.Empty != "" {
		return c
	}
	seen := map[string]bool{}
	for _, v := range d.RevenueMonthly {
		if !seen[v.Period] {
			seen[v.Period] = true
			c.Categories = append(c.Categories, v.Period)
		}
	}
	sort.Strings(c.Categories)
	for _, m := range c.Categories {
		c.Labels = append(c.Labels, monthLabel(m))
	}
	c.Series = appSeries(d.RevenueMonthly, c.Categories, Bar)
	return c
}

func unitsByCountry(d *Data) *Chart {
	c := &Chart{ID: IDUnits, Title: "Units by country", Layout: Rows, Unit: "units",
		Note:  fmt.Sprintf("The last %d days, by kind; the %d countries with most units, the rest added up.", d.Days, maxCountries),
		Empty: emptyUnless(len(d.Units), "mart_units_daily", " (no sales report loaded)")}
	if c.Empty != "" {
		return c
	}
	us := append([]CountryUnits(nil), d.Units...)
	sort.SliceStable(us, func(i, j int) bool { return us[i].Total() > us[j].Total() })
	if len(us) > maxCountries+1 {
		other := CountryUnits{Country: fmt.Sprintf("Other (%d)", len(us)-maxCountries)}
		for _, u := range us[maxCountries:] {
			other.Downloads += u.Downloads
			other.Redownloads += u.Redownloads
			other.Updates += u.Updates
			other.InAppPurchases += u.InAppPurchases
			other.Subscriptions += u.Subscriptions
		}
		us = append(us[:maxCountries], other)
	}
	kinds := []struct {
		name  string
		color string
		get   func(CountryUnits) float64
	}{
		{"Downloads", "#4e79a7", func(u CountryUnits) float64 { return u.Downloads }},
		{"In-app purchases", "#f28e2b", func(u CountryUnits) float64 { return u.InAppPurchases }},
		{"Subscriptions", "#59a14f", func(u CountryUnits) float64 { return u.Subscriptions }},
		{"Redownloads", "#a0cbe8", func(u CountryUnits) float64 { return u.Redownloads }},
		{"Updates", "#d4d9de", func(u CountryUnits) float64 { return u.Updates }},
	}
	for _, k := range kinds {
		s := Series{Name: k.name, Color: k.color}
		for _, u := range us {
			s.Values = append(s.Values, k.get(u))
		}
		c.Series = append(c.Series, s)
	}
	for _, u := range us {
		c.Categories = append(c.Categories, u.Country)
	}
	return c
}

func subscriptions(d *Data) *Chart {
	c := &Chart{ID: IDSubscriptions, Title: "Active subscriptions and churn", Unit: "per day", RightUnit: "active",
		Note:  "Active subscriptions (line, right axis) from the Subscription report; new (up) and churned (down) per day from the Subscription Event report.",
		Empty: emptyUnless(len(d.Subscriptions), "mart_subscriptions_daily", " (no subscription reports loaded)")}
	if c.Empty != "" {
		return c
	}
	c.Categories = dayRange(d.Subscriptions[0].Day, d.Subscriptions[len(d.Subscriptions)-1].Day)
	c.Labels = dayLabels(c.Categories)
	at := index(c.Categories)
	n := len(c.Categories)
	newS := Series{Name: "New", Values: nan(n), Color: "#59a14f"}
	churn := Series{Name: "Churned", Values: nan(n), Color: "#e15759"}
	active := Series{Name: "Active", Values: nan(n), Mark: Line, Right: true, Color: "#4e79a7"}
	for _, s := range d.Subscriptions {
		i, ok := at[s.Day]
		if !ok {
			continue
		}
		newS.Values[i], churn.Values[i], active.Values[i] = s.New, -s.Churned, s.Active
	}
	c.Series = []Series{newS, churn, active}
	return c
}

func downloadsBySource(d *Data) *Chart {
	c := &Chart{ID: IDDownloads, Title: "Downloads by source", Unit: "downloads",
		Note:  "App Store downloads per day by source type (Analytics Reports, each day's latest restatement).",
		Empty: emptyUnless(len(d.Downloads), "mart_downloads_by_source_daily", " (analytics off, or its reports not published yet)")}
	if c.Empty != "" {
		return c
	}
	c.Categories = dayRange(d.Downloads[0].Day, d.Downloads[len(d.Downloads)-1].Day)
	c.Labels = dayLabels(c.Categories)
	at := index(c.Categories)
	total := map[string]float64{}
	for _, s := range d.Downloads {
		total[s.Source] += s.Downloads
	}
	sources := make([]string, 0, len(total))
	for s := range total {
		sources = append(sources, s)
	}
	sort.Slice(sources, func(i, j int) bool {
		if total[sources[i]] != total[sources[j]] {
			return total[sources[i]] > total[sources[j]]
		}
		return sources[i] < sources[j]
	})
	si := index(sources)
	for _, s := range sources {
		c.Series = append(c.Series, Series{Name: s, Values: nan(len(c.Categories))})
	}
	for _, s := range d.Downloads {
		i, ok := at[s.Day]
		if !ok {
			continue
		}
		v := &c.Series[si[s.Source]].Values[i]
		if math.IsNaN(*v) {
			*v = 0
		}
		*v += s.Downloads
	}
	return c
}

// starColors run from red (1 star) to green (5 stars).
var starColors = [5]string{"#d73027", "#fc8d59", "#f6c948", "#91cf60", "#1a9850"}

func ratings(d *Data) *Chart {
	c := &Chart{ID: IDRatings, Title: "Ratings per week", Unit: "reviews", RightUnit: "avg ★", RightDec: 2,
		RightMin: 1, RightMax: 5,
		Note:  "Customer reviews per week (Monday, UTC) by stars; the line is the average rating (right axis).",
		Empty: emptyUnless(len(d.Ratings), "mart_ratings_weekly", " (reviews off, or no review yet)")}
	if c.Empty != "" {
		return c
	}
	for i := range 5 {
		c.Series = append(c.Series, Series{Name: strings.Repeat("★", i+1), Color: starColors[i]})
	}
	avg := Series{Name: "Average", Mark: Line, Right: true, Color: "#323f4b"}
	for _, w := range d.Ratings {
		c.Categories = append(c.Categories, "week of "+w.Week)
		c.Labels = append(c.Labels, dayLabel(w.Week))
		for i := range 5 {
			c.Series[i].Values = append(c.Series[i].Values, w.Stars[i])
		}
		avg.Values = append(avg.Values, w.Average)
	}
	c.Series = append(c.Series, avg)
	return c
}

func crashRate(d *Data) *Chart {
	c := &Chart{ID: IDCrashes, Title: "Crash rate per version", Layout: Rows, Unit: "crashes per 1,000 sessions", Decimals: 1,
		Note:  "Crashes per 1,000 sessions of each app version over every day loaded (Analytics Reports); the newest versions.",
		Empty: emptyUnless(len(d.Crashes), "mart_crash_rate_by_version", " (analytics off, or its reports not published yet)")}
	if c.Empty != "" {
		return c
	}
	cs := append([]CrashVersion(nil), d.Crashes...)
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].App != cs[j].App {
			return cs[i].App < cs[j].App
		}
		return versionLess(cs[j].Version, cs[i].Version)
	})
	apps := map[string]int{}
	for _, v := range cs {
		if _, ok := apps[v.App]; !ok {
			apps[v.App] = len(c.Series)
			c.Series = append(c.Series, Series{Name: v.App})
		}
	}
	for i := range c.Series {
		c.Series[i].Values = nan(len(cs))
	}
	for i, v := range cs {
		c.Categories = append(c.Categories, isolate(v.App)+" "+v.Version)
		c.Series[apps[v.App]].Values[i] = v.Rate
	}
	return c
}

func ledger(d *Data) *Chart {
	c := &Chart{ID: IDLedger, Title: "Ledger status", Layout: Rows, Unit: "units",
		Note:  "Units of each family by state (etl_ledger, as of the last run).",
		Empty: emptyUnless(len(d.Ledger), "etl_ledger", " (no run yet)")}
	if c.Empty != "" {
		return c
	}
	states := []struct{ name, color string }{{"loaded", "#59a14f"}, {"empty", "#bab0ac"}, {"pending", "#edc948"},
		{"failed", "#e15759"}, {"expired", "#9c755f"}}
	fams := []string{}
	at := map[string]int{}
	for _, l := range d.Ledger {
		if _, ok := at[l.Family]; !ok {
			at[l.Family] = len(fams)
			fams = append(fams, l.Family)
		}
	}
	si := map[string]int{}
	for i, s := range states {
		si[s.name] = i
		c.Series = append(c.Series, Series{Name: s.name, Color: s.color, Values: make([]float64, len(fams))})
	}
	for _, l := range d.Ledger {
		i, ok := si[l.State]
		if !ok {
			i = len(c.Series)
			si[l.State] = i
			c.Series = append(c.Series, Series{Name: l.State, Values: make([]float64, len(fams))})
		}
		c.Series[i].Values[at[l.Family]] += float64(l.Units)
	}
	c.Categories = fams
	return c
}

func index(xs []string) map[string]int {
	m := make(map[string]int, len(xs))
	for i, x := range xs {
		m[x] = i
	}
	return m
}

// dayLabel is "Nov 3" for 2026-11-03.
func dayLabel(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.Format("Jan 2")
}

func dayLabels(days []string) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = dayLabel(d)
	}
	return out
}

// monthLabel is "Nov 2026" for 2026-11.
func monthLabel(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.Format("Jan 2006")
}
