package warehouse

import (
	"testing"
	"time"
)

// The analytics and reviews marts against the simulator's truth (TestMartsMatchSimulatorTruth).

func (f *martsFixture) checkDownloads(t *testing.T) {
	got := queryMap(t, f.db, `SELECT app_id, strftime(date, '%Y-%m-%d'), sum(total_downloads)
FROM mart_downloads_by_source_daily GROUP BY ALL`, 2)
	var mart, truth int64
	for _, app := range f.h.Sim.AppIDs() {
		for _, d := range f.h.Sim.TruthAnalytics(app, "App Downloads Standard", "DAILY") {
			g := got[app+"|"+d.Date]
			if g == nil || g[0] != d.Measures["Counts"] {
				t.Errorf("app %s %s: downloads %v, truth %s", app, d.Date, g, d.Measures["Counts"])
				continue
			}
			mart += atoi(t, g[0])
			truth++
		}
	}
	if truth == 0 {
		t.Fatal("no analytics day compared")
	}
	raw := query(t, f.db, "SELECT CAST(sum(counts) AS BIGINT) FROM analytics_app_downloads_standard WHERE granularity = 'DAILY'").Rows[0][0].(int64)
	if raw <= mart {
		t.Errorf("the table without _latest sums %d, the mart %d: no restatement to remove?", raw, mart)
	}
	t.Logf("%d app-days: %d downloads; reading the table's Parquet directly gives %d (%.1f×)", truth, mart, raw, float64(raw)/float64(mart))
}

// latestRows are the analytics rows of every date at its latest processing date (truth).
func (f *martsFixture) latestRows(t *testing.T, app, reportName string) (map[string]int, [][]string) {
	t.Helper()
	var header []string
	var rows [][]string
	for _, d := range f.h.Sim.TruthAnalytics(app, reportName, "DAILY") {
		h, rs, err := f.h.Sim.AnalyticsRows(app, reportName, "DAILY", d.ProcessingDate, d.Date)
		if err != nil {
			t.Fatal(err)
		}
		header, rows = h, append(rows, rs...)
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[h] = i
	}
	return idx, rows
}

func (f *martsFixture) checkVersions(t *testing.T) {
	crashes, sessions, daySessions := map[string]int64{}, map[string]int64{}, map[string]int64{}
	for _, app := range f.h.Sim.AppIDs() {
		idx, rows := f.latestRows(t, app, "App Crashes")
		for _, r := range rows {
			crashes[app+"|"+r[idx["App Version"]]] += atoi(t, r[idx["Crashes"]])
		}
		idx, rows = f.latestRows(t, app, "App Sessions Standard")
		for _, r := range rows {
			sessions[app+"|"+r[idx["App Version"]]] += atoi(t, r[idx["Sessions"]])
			daySessions[r[idx["Date"]]+"|"+app+"|"+r[idx["App Version"]]] += atoi(t, r[idx["Sessions"]])
		}
	}
	got := queryMap(t, f.db, "SELECT app_id, app_version, crashes, sessions, crashes_per_1000_sessions FROM mart_crash_rate_by_version", 2)
	if len(got) == 0 || len(got) != len(sessions) {
		t.Errorf("%d versions in the mart, %d with sessions served", len(got), len(sessions))
	}
	for k, s := range sessions {
		g := got[k]
		if g == nil || atoi(t, g[0]) != crashes[k] || atoi(t, g[1]) != s {
			t.Errorf("%s: crashes, sessions %v, served %d, %d", k, g, crashes[k], s)
		}
	}
	adoption := queryMap(t, f.db, `SELECT strftime(date, '%Y-%m-%d'), app_id, app_version, sessions, session_share
FROM mart_version_adoption_daily`, 3)
	for k, s := range daySessions {
		if g := adoption[k]; g == nil || atoi(t, g[0]) != s {
			t.Errorf("%s: adoption sessions %v, served %d", k, g, s)
		}
	}
	res := query(t, f.db, `SELECT count(*) FROM (SELECT date, app_id, sum(session_share) AS s FROM mart_version_adoption_daily
GROUP BY ALL HAVING abs(s - 1) > 0.001)`)
	if n := res.Rows[0][0].(int64); n != 0 {
		t.Errorf("%d app-days whose version shares do not add up to 1", n)
	}
}

func (f *martsFixture) checkRatings(t *testing.T) {
	type w struct{ n, sum int64 }
	exp := map[string]*w{}
	for _, app := range f.h.Sim.AppIDs() {
		rs, err := f.h.Sim.TruthReviews(app)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			day := r.Created.UTC()
			monday := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
			k := monday.Format(time.DateOnly) + "|" + app
			if exp[k] == nil {
				exp[k] = &w{}
			}
			exp[k].n++
			exp[k].sum += int64(r.Rating)
		}
	}
	got := queryMap(t, f.db, `SELECT strftime(week, '%Y-%m-%d'), app_id, sum(reviews), sum(avg_rating * reviews)
FROM mart_ratings_weekly GROUP BY ALL`, 2)
	if len(exp) == 0 || len(got) != len(exp) {
		t.Errorf("%d app-weeks in the mart, %d served", len(got), len(exp))
	}
	for k, e := range exp {
		g := got[k]
		if g == nil || atoi(t, g[0]) != e.n {
			t.Errorf("%s: reviews %v, served %d", k, g, e.n)
		}
	}
}
