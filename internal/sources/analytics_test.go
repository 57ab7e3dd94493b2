package sources_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

func TestConformanceAnalytics(t *testing.T) {
	enginetest.RunConformanceTests(t, enginetest.Case{
		Family: report.Analytics,
		Options: enginetest.Options{
			// A long-standing account: the ONGOING requests exist, so a first run loads data.
			Sim: simulator.Options{AnalyticsSince: 10 * 24 * time.Hour},
			Config: enginetest.Family(report.Analytics, func(c *config.Config) {
				c.Analytics.Reports = []string{"App Downloads Standard", "App Crashes Expanded"} // tab and comma files
			}),
			Sources: sourcesNew,
		},
		Corrupt:  enginetest.CorruptDownloads, // listings intact, segments garbled
		MinUnits: 10,
	})
}

func TestAnalyticsRestatementsMatchTruth(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{}, nil)
	sum := h.runOK() // creates the ONGOING requests; no instance for 24–48 h
	for _, app := range h.Cfg.AnalyticsApps() {
		reqs := h.Sim.AnalyticsRequests(app)
		if len(reqs) != 1 || reqs[0].AccessType != "ONGOING" {
			t.Fatalf("app %s: requests %+v", app, reqs)
		}
		if !hasNote(sum, "created "+app) {
			t.Errorf("no note of the request created for app %s: %v", app, sum.Notes)
		}
	}
	for _, n := range sum.Notes {
		if n.First != "" { // a plan's note is about an app, not a unit
			t.Errorf("note %q names unit %q", n.String(), n.First)
		}
	}
	h.runDays(9)
	if n := h.checkTruth(); n < 2*10 {
		t.Fatalf("only %d dates compared", n)
	}
	// A second run the same day downloads nothing and writes nothing.
	before, snap := h.Sim.SegmentStats(), h.Snapshot("")
	sum = h.runOK()
	if after := h.Sim.SegmentStats(); after.Downloads != before.Downloads {
		t.Errorf("second run downloaded %d segments", after.Downloads-before.Downloads)
	}
	if tot := sum.Totals(); tot.Loaded+tot.Failed+tot.Unchanged != 0 {
		t.Errorf("second run loaded %+v", tot)
	}
	if d := enginetest.Diff(snap, h.Snapshot("")); len(d) > 0 {
		t.Errorf("a steady-state run wrote %v", d)
	}
	// The next day downloads exactly the segments of the new instances (one each).
	e0, d0 := len(h.Entries("analytics/")), h.Sim.SegmentStats().Downloads
	h.runDays(1)
	if newInst, dl := len(h.Entries("analytics/"))-e0, h.Sim.SegmentStats().Downloads-d0; newInst == 0 || dl != newInst {
		t.Errorf("next day: %d new instances, %d downloads", newInst, dl)
	}
	if s := h.Sim.SegmentStats(); s.WithAuthorization != 0 || s.Expired != 0 || s.BadSignature != 0 {
		t.Errorf("segment stats %+v", s)
	}
	h.checkTruth()
	for _, e := range h.Entries("analytics/") {
		if e.State != load.Loaded && e.State != load.Empty {
			t.Errorf("%s: %s %s", e.Unit.ID(), e.State, e.Error)
		}
		if e.Ref == "" {
			t.Errorf("%s: no instance id in the ledger", e.Unit.ID())
		}
	}
}

func hasNote(sum *engine.Summary, subject string) bool {
	for _, n := range sum.Notes {
		if n.Subject == subject {
			return true
		}
	}
	return false
}

// expiring lets the first segment URL of a pass expire: the clock moves past its 5
// minutes between the listing and the download.
type expiring struct {
	engine.API
	clock *enginetest.Clock
	once  sync.Once
}

func (f *expiring) Download(ctx context.Context, rawURL string) ([]byte, error) {
	f.once.Do(func() { f.clock.Add(6 * time.Minute) })
	return f.API.Download(ctx, rawURL)
}

func TestAnalyticsExpiredURLRecovered(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{}, func(c *config.Config) { c.Analytics.Reports = []string{"App Downloads Standard"} })
	h.runOK()
	h.Clock.Add(48 * time.Hour)
	h.API = func(api engine.API) engine.API { return &expiring{API: api, clock: h.Clock} }
	sum := h.runOK()
	// Every download under way when the clock jumped expires (one per worker at most); each
	// is recovered with a fresh URL, and every instance is served once.
	tot := sum.Totals()
	if s := h.Sim.SegmentStats(); s.Expired == 0 || s.Served != tot.Loaded || s.Downloads != s.Served+s.Expired {
		t.Errorf("segment stats %+v for %d instances loaded: want expired downloads, each recovered", s, tot.Loaded)
	}
	if tot.Loaded == 0 {
		t.Errorf("nothing loaded: %+v", tot)
	}
	h.checkTruth()
}

// liveRequests are the app's requests neither deleted nor stopped, and whether old is deleted.
func liveRequests(h *anaHarness, app, old string) (live []simulator.AnalyticsRequestInfo, oldDeleted bool) {
	for _, r := range h.Sim.AnalyticsRequests(app) {
		switch {
		case r.ID == old:
			oldDeleted = r.Deleted
		case !r.Deleted && !r.Stopped:
			live = append(live, r)
		}
	}
	return live, oldDeleted
}

func TestAnalyticsStoppedRequestRecreated(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{}, func(c *config.Config) {
		c.Analytics.Reports = []string{"App Sessions Standard", "App Crashes Expanded"}
	})
	h.runOK()
	h.runDays(4)
	app := h.Cfg.AnalyticsApps()[0]
	old := h.Sim.AnalyticsRequests(app)[0]
	if err := h.Sim.StopAnalyticsRequest(app, "ONGOING"); err != nil {
		t.Fatal(err)
	}
	// Every instance it lists is loaded already: deleted and created again in this pass.
	sum := h.runOK()
	live, deleted := liveRequests(h, app, old.ID)
	if !deleted || len(live) != 1 || live[0].AccessType != "ONGOING" {
		t.Fatalf("after the run (old deleted %v): %+v", deleted, h.Sim.AnalyticsRequests(app))
	}
	if !hasNote(sum, "re-created "+app) {
		t.Errorf("no note of the re-creation: %v", sum.Notes)
	}
	h.runDays(6) // the new request publishes from c+2 on
	loadedFromNew := false
	for _, e := range h.Entries("analytics/") {
		if e.Unit.Vendor == app && e.Unit.Period > h.Clock.Now().AddDate(0, 0, -4).UTC().Format("2006-01-02") && e.State == load.Loaded {
			loadedFromNew = true
		}
	}
	if !loadedFromNew {
		t.Error("nothing loaded from the new request")
	}
	h.checkTruth()
}

// A stopped request with instances not loaded yet is kept for one more pass: deleting it
// would lose them.
func TestAnalyticsStoppedRequestDrainedFirst(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{}, func(c *config.Config) { c.Analytics.Reports = []string{"App Downloads Standard"} })
	h.runOK()
	h.runDays(3)
	app := h.Cfg.AnalyticsApps()[0]
	old := h.Sim.AnalyticsRequests(app)[0]
	h.Clock.Add(24 * time.Hour) // a new instance is out
	if err := h.Sim.StopAnalyticsRequest(app, "ONGOING"); err != nil {
		t.Fatal(err)
	}
	d0 := h.Sim.SegmentStats().Downloads
	sum := h.runOK()
	if live, deleted := liveRequests(h, app, old.ID); deleted || len(live) != 0 {
		t.Fatalf("stopped request deleted before its instances loaded: %+v", h.Sim.AnalyticsRequests(app))
	}
	if h.Sim.SegmentStats().Downloads == d0 || sum.Totals().Loaded == 0 {
		t.Errorf("the stopped request's new instance was not loaded: %+v", sum.Totals())
	}
	if !hasNote(sum, "stopped "+app) {
		t.Errorf("no note of the stopped request: %v", sum.Notes)
	}
	sum = h.runOK() // everything it lists is settled now
	if live, deleted := liveRequests(h, app, old.ID); !deleted || len(live) != 1 {
		t.Fatalf("second pass: old deleted %v, requests %+v", deleted, h.Sim.AnalyticsRequests(app))
	}
	if !hasNote(sum, "re-created "+app) {
		t.Errorf("no note of the re-creation: %v", sum.Notes)
	}
	h.runDays(3)
	h.checkTruth()
}

func TestAnalyticsSnapshotNoDuplicates(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{}, func(c *config.Config) {
		c.Analytics.Reports = []string{"App Downloads Standard", "App Store Subscription Event Report Standard"}
		c.Analytics.Granularities = []string{"DAILY", "WEEKLY", "MONTHLY"}
		c.Analytics.Snapshot = true
	})
	h.runOK()
	for _, app := range h.Cfg.AnalyticsApps() {
		if reqs := h.Sim.AnalyticsRequests(app); len(reqs) != 2 {
			t.Fatalf("app %s: requests %+v", app, reqs)
		}
	}
	h.runDays(6)
	// Requested once: later runs neither ask again nor fail on Apple's one-a-month rule.
	for _, app := range h.Cfg.AnalyticsApps() {
		if reqs := h.Sim.AnalyticsRequests(app); len(reqs) != 2 {
			t.Errorf("app %s: requests %+v", app, reqs)
		}
	}
	snapshotDates := 0
	for _, app := range h.Cfg.AnalyticsApps() {
		for _, r := range h.Cfg.AnalyticsReports() {
			for gd, insts := range h.loadedDates(r.Table, app) {
				procs := map[string]int{}
				for _, ir := range insts {
					procs[ir.processing]++
					if ir.access == "ONE_TIME_SNAPSHOT" && len(insts) == 1 {
						snapshotDates++
					}
				}
				for p, n := range procs {
					if n > 1 && !(n == 2 && strings.HasPrefix(gd, "DAILY/")) {
						t.Errorf("%s %s %s: %d instances of processing date %s", app, r.Table, gd, n, p)
					}
				}
			}
		}
	}
	if snapshotDates < 30 {
		t.Errorf("only %d dates come from the snapshot alone (history)", snapshotDates)
	}
	if n := h.checkTruth(); n < 60 {
		t.Errorf("only %d dates compared", n)
	}
}

// Apple allows one snapshot a month: a refusal is noted, the run goes on, and the next
// month's run asks again.
func TestAnalyticsSnapshotRefusedRetried(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{}, func(c *config.Config) {
		c.Analytics.Reports = []string{"App Downloads Standard"}
		c.Analytics.Snapshot = true
	})
	ctx := context.Background()
	app := h.Cfg.AnalyticsApps()[0]
	// Someone asked for (and deleted) this month's snapshot already.
	body := `{"data":{"type":"analyticsReportRequests","attributes":{"accessType":"ONE_TIME_SNAPSHOT"},` +
		`"relationships":{"app":{"data":{"type":"apps","id":"` + app + `"}}}}}`
	if _, err := h.Client.PostJSON(ctx, "/v1/analyticsReportRequests", []byte(body)); err != nil {
		t.Fatal(err)
	}
	id := h.Sim.AnalyticsRequests(app)[0].ID
	if err := h.Client.Delete(ctx, "/v1/analyticsReportRequests/"+url.PathEscape(id)); err != nil {
		t.Fatal(err)
	}
	sum := h.runOK()
	if !hasNote(sum, "snapshot refused "+app) {
		t.Errorf("no note of the refusal: %v", sum.Notes)
	}
	snapshots := func() int {
		n := 0
		for _, r := range h.Sim.AnalyticsRequests(app) {
			if r.AccessType == "ONE_TIME_SNAPSHOT" && !r.Deleted {
				n++
			}
		}
		return n
	}
	if n := snapshots(); n != 0 {
		t.Fatalf("%d snapshot requests after a refusal", n)
	}
	h.Clock.Add(11 * 24 * time.Hour) // 2 December
	h.runOK()
	if n := snapshots(); n != 1 {
		t.Errorf("next month: %d snapshot requests, want 1", n)
	}
}

// failApp fails every listing of one app's report requests.
type failApp struct {
	engine.API
	app string
}

func (f *failApp) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	if strings.Contains(target, "/v1/apps/"+f.app+"/analyticsReportRequests") {
		return nil, &extract.APIError{Method: "GET", Path: target, Status: 500}
	}
	return f.API.GetJSON(ctx, target, q)
}

func TestAnalyticsFailingAppIsOneFailure(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 3 * 24 * time.Hour},
		func(c *config.Config) { c.Analytics.Reports = []string{"App Downloads Standard"} })
	bad, good := h.Cfg.AnalyticsApps()[0], h.Cfg.AnalyticsApps()[1]
	h.API = func(api engine.API) engine.API { return &failApp{API: api, app: bad} }
	sum := h.Run(context.Background())
	if code := sum.ExitCode(); code != engine.ExitPartial {
		t.Errorf("exit %d, want 3", code)
	}
	want := "analytics/REPORT_REQUESTS/ONGOING/DAILY/" + bad + "/"
	if len(sum.Failures) != 1 || !strings.HasPrefix(sum.Failures[0], want) {
		t.Errorf("failures %v, want one for %s", sum.Failures, want)
	}
	loaded := map[string]int{}
	for _, e := range h.Entries("analytics/") {
		if e.State == load.Loaded {
			loaded[e.Unit.Vendor]++
		}
	}
	if loaded[good] == 0 || loaded[bad] != 0 {
		t.Errorf("instances loaded per app: %v (failing app %s)", loaded, bad)
	}
}

// A backfill plans only the instances whose processing date lies in its window.
func TestAnalyticsBackfillWindow(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 10 * 24 * time.Hour},
		func(c *config.Config) { c.Analytics.Reports = []string{"App Downloads Standard"} })
	from := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 2)
	sum, err := h.Runner().Run(context.Background(), engine.Window{From: from, To: to})
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("backfill: %v\n%s", err, enginetest.Printed(sum))
	}
	periods := map[string]bool{}
	for _, e := range h.Entries("analytics/") {
		periods[e.Unit.Period] = true
		if e.Unit.Period < "2026-11-15" || e.Unit.Period > "2026-11-17" || e.State != load.Loaded {
			t.Errorf("%s: %s", e.Unit.ID(), e.State)
		}
	}
	if len(periods) != 3 {
		t.Errorf("processing dates loaded: %v, want the 3 of the window", periods)
	}
}

// An instance whose segments fail their checksum on every download is archived as
// received and not loaded; the next run fetches it again.
func TestAnalyticsCorruptSegmentArchivedNotLoaded(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 3 * 24 * time.Hour},
		func(c *config.Config) { c.Analytics.Reports = []string{"App Downloads Standard"} })
	h.API = enginetest.CorruptDownloads
	sum := h.Run(context.Background())
	if sum.ExitCode() != engine.ExitFailed || len(sum.Failures) == 0 { // nothing loaded: 1
		t.Fatalf("corrupt run: exit %d:\n%s", sum.ExitCode(), enginetest.Printed(sum))
	}
	tries := 1 + h.Cfg.Analytics.MaxURLRetries
	if s := h.Sim.SegmentStats(); s.Downloads != tries*len(sum.Failures) {
		t.Errorf("%d downloads for %d failed instances, want %d each", s.Downloads, len(sum.Failures), tries)
	}
	for _, f := range sum.Failures {
		if !strings.Contains(f, "segment-01.unverified.csv.gz:") || !strings.Contains(f, "column") {
			t.Errorf("failure does not name the archived segment and column: %s", f)
		}
	}
	if keys, _ := h.Store.List(context.Background(), "parquet/"); len(keys) != 0 {
		t.Errorf("corrupt segments loaded: %v", keys)
	}
	h.API = nil
	h.runOK()
	h.checkTruth()
}

// `etl import` of the raw archive into an empty bucket gives the same analytics tables.
func TestAnalyticsImportArchive(t *testing.T) {
	mutate := func(c *config.Config) {
		c.Analytics.Reports = []string{"App Sessions Standard", "App Crashes Expanded"}
	}
	h := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 5 * 24 * time.Hour}, mutate)
	h.runOK()
	h.runDays(2)
	dir := t.TempDir()
	ctx := context.Background()
	keys, err := h.Store.List(ctx, "raw/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		b, err := h.Bucket.ReadAll(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h2 := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 5 * 24 * time.Hour}, mutate)
	r := h2.Runner()
	r.API = nil
	sum, err := r.Import(ctx, []string{filepath.Join(dir, "raw")}, engine.ImportHints{})
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("import: %v\n%s", err, enginetest.Printed(sum))
	}
	if d := enginetest.Diff(h.Snapshot("parquet/"), h2.Snapshot("parquet/")); len(d) > 0 {
		t.Errorf("imported tables differ: %v", d)
	}
}

// headerOnly serves every segment as a file with the header line only (its listing's
// checksum and size match): an instance without data.
type headerOnly struct {
	engine.API
	body []byte
}

func (f *headerOnly) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	b, err := f.API.GetJSON(ctx, target, q)
	if err != nil || !strings.HasSuffix(strings.SplitN(target, "?", 2)[0], "/segments") {
		return b, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	sum := md5.Sum(f.body)
	for _, r := range doc["data"].([]any) {
		a := r.(map[string]any)["attributes"].(map[string]any)
		a["checksum"], a["sizeInBytes"] = hex.EncodeToString(sum[:]), len(f.body)
	}
	return json.Marshal(doc)
}

func (f *headerOnly) Download(ctx context.Context, rawURL string) ([]byte, error) {
	if _, err := f.API.Download(ctx, rawURL); err != nil {
		return nil, err
	}
	return f.body, nil
}

// An instance whose segments hold no data row is empty in the ledger: nothing is archived
// or loaded, and it is not fetched again.
func TestAnalyticsHeaderOnlyInstanceEmpty(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 3 * 24 * time.Hour},
		func(c *config.Config) { c.Analytics.Reports = []string{"App Downloads Standard"} })
	header, _, err := h.Sim.AnalyticsRows(h.Cfg.AnalyticsApps()[0], "App Downloads Standard", "DAILY", "2026-11-20", "2026-11-19")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(strings.Join(header, "\t") + "\n"))
	zw.Close()
	h.API = func(api engine.API) engine.API { return &headerOnly{API: api, body: b.Bytes()} }
	sum := h.runOK()
	if tot := sum.Totals(); tot.Empty == 0 || tot.Loaded != 0 {
		t.Errorf("totals %+v, want every instance empty", tot)
	}
	for _, e := range h.Entries("analytics/") {
		if e.State != load.Empty {
			t.Errorf("%s: %s", e.Unit.ID(), e.State)
		}
	}
	if keys, _ := h.Store.List(context.Background(), "raw/"); len(keys) != 0 {
		t.Errorf("archived: %v", keys)
	}
	if keys, _ := h.Store.List(context.Background(), "parquet/"); len(keys) != 0 {
		t.Errorf("loaded: %v", keys)
	}
	d0 := h.Sim.SegmentStats().Downloads
	h.runOK()
	if d := h.Sim.SegmentStats().Downloads - d0; d != 0 {
		t.Errorf("empty instances downloaded again: %d", d)
	}
}

// `etl backfill` over days older than Apple keeps ONGOING instances (35 days) loads them
// through the ONE_TIME_SNAPSHOT: its instance holds the history whatever its processing
// date, so a backfill takes it (once: a loaded snapshot is not fetched again).
func TestAnalyticsBackfillTakesSnapshot(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 10 * 24 * time.Hour, AnalyticsSnapshot: true},
		func(c *config.Config) {
			c.Analytics.Reports = []string{"App Downloads Standard"}
			c.Analytics.Snapshot = true
		})
	now := h.Clock.Now().UTC()
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -200)
	to := from.AddDate(0, 0, 30)
	sum, err := h.Runner().Run(context.Background(), engine.Window{From: from, To: to})
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("backfill: %v\n%s", err, enginetest.Printed(sum))
	}
	snapshots := 0
	for _, e := range h.Entries("analytics/") {
		if e.Unit.SubType != "ONE_TIME_SNAPSHOT" {
			t.Errorf("%s: an ONGOING instance outside the window", e.Unit.ID())
		} else if e.State == load.Loaded {
			snapshots++
		}
	}
	if snapshots != len(h.Cfg.AnalyticsApps()) {
		t.Fatalf("%d snapshot instances loaded, want one per app", snapshots)
	}
	inWindow := 0
	for _, app := range h.Cfg.AnalyticsApps() {
		for gd := range h.loadedDates("analytics_app_downloads_standard", app) {
			day := strings.TrimPrefix(gd, "DAILY/")
			if day >= from.Format(time.DateOnly) && day <= to.Format(time.DateOnly) {
				inWindow++
			}
		}
	}
	if inWindow < 2*31 {
		t.Errorf("%d app-days of the window loaded, want all 31 of both apps", inWindow)
	}
	sum, err = h.Runner().Run(context.Background(), engine.Window{From: from, To: to})
	if err != nil || sum.Totals().Loaded != 0 {
		t.Errorf("a second backfill loaded again: %v\n%s", err, enginetest.Printed(sum))
	}
}

// A pass killed while it recorded its plan leaves a few pending instance entries and
// nothing settled: the next pass still lists every report (the daily listing skips
// reports without data only once a whole listing was recorded), so it loads what a clean
// first run loads.
func TestAnalyticsPartialPlanListsEverything(t *testing.T) {
	clean := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 5 * 24 * time.Hour}, nil)
	clean.runOK()
	want := map[string]bool{}
	var first load.Entry
	for _, e := range clean.Entries("analytics/") {
		if e.Unit.Type != "REPORT_REQUESTS" {
			want[e.Unit.ID()] = true
			if first.Unit.Type == "" {
				first = e
			}
		}
	}
	h := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 5 * 24 * time.Hour}, nil)
	pending := load.Entry{Unit: first.Unit, Ref: first.Ref, State: load.Pending, Error: "planned, not fetched yet"}
	if _, err := h.Store.Ledger().Create(context.Background(), pending); err != nil {
		t.Fatal(err)
	}
	h.runOK()
	got := 0
	for _, e := range h.Entries("analytics/") {
		if want[e.Unit.ID()] && e.State == load.Loaded || want[e.Unit.ID()] && e.State == load.Empty {
			got++
		}
	}
	if got != len(want) {
		t.Errorf("after a partial plan: %d of the %d instances a clean run settles", got, len(want))
	}
}
