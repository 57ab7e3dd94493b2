package sources_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/territory"
	"github.com/ascetl/etl/simulator"
)

// loadedReview is one row of customer_reviews joined with its response row.
type loadedReview struct {
	app, month                      string
	rating                          int64
	title, body, nickname           string
	created                         time.Time
	offset, territory, territory2   string
	responseID, responseBody, state string
	modified                        time.Time
}

// readReviews reads every customer_reviews and review_responses partition back.
func readReviews(t *testing.T, h *enginetest.Harness) map[string]*loadedReview {
	t.Helper()
	out := map[string]*loadedReview{}
	ctx := context.Background()
	get := func(id string) *loadedReview {
		if out[id] == nil {
			out[id] = &loadedReview{}
		}
		return out[id]
	}
	for _, table := range []string{"customer_reviews", "review_responses"} {
		keys, err := h.Store.List(ctx, "parquet/"+table+"/")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			parts := strings.Split(k, "/") // parquet/<table>/app_id=<a>/month=<m>/data.parquet
			app, month := strings.TrimPrefix(parts[2], "app_id="), strings.TrimPrefix(parts[3], "month=")
			tbl, err := h.Store.ReadTable(ctx, k, h.Alloc)
			if err != nil {
				t.Fatal(err)
			}
			tr := array.NewTableReader(tbl, 1024)
			for tr.Next() {
				rec := tr.RecordBatch()
				col := func(name string) arrow.Array { return rec.Column(rec.Schema().FieldIndices(name)[0]) }
				str := func(name string, i int) string { return col(name).(*array.String).Value(i) }
				ts := func(name string, i int) time.Time {
					return time.UnixMicro(int64(col(name).(*array.Timestamp).Value(i))).UTC()
				}
				for i := 0; i < int(rec.NumRows()); i++ {
					r := get(str("review_id", i))
					if table == "customer_reviews" {
						if r.app != "" {
							t.Errorf("review %s loaded twice (%s)", str("review_id", i), k)
						}
						r.app, r.month = app, month
						r.rating = col("rating").(*array.Int64).Value(i)
						r.title, r.body, r.nickname = str("title", i), str("body", i), str("reviewer_nickname", i)
						r.created, r.offset = ts("created_at", i), str("created_at_offset", i)
						r.territory, r.territory2 = str("territory", i), str("territory_alpha2", i)
						continue
					}
					if r.responseID != "" {
						t.Errorf("response of review %s loaded twice", str("review_id", i))
					}
					r.responseID, r.responseBody, r.state = str("response_id", i), str("response_body", i), str("state", i)
					r.modified = ts("last_modified_at", i)
				}
			}
			tr.Release()
			tbl.Release()
		}
	}
	return out
}

// checkReviews compares the loaded reviews with the simulator's, byte for byte, and
// returns how many reviews the simulator serves.
func checkReviews(t *testing.T, h *enginetest.Harness) int {
	t.Helper()
	got := readReviews(t, h)
	n := 0
	for _, app := range h.Cfg.Reviews.Apps {
		truth, err := h.Sim.TruthReviews(app)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range truth {
			n++
			g := got[tr.ID]
			if g == nil || g.app == "" {
				t.Errorf("review %s of app %s not loaded", tr.ID, app)
				continue
			}
			delete(got, tr.ID)
			a2, _ := territory.Alpha2(tr.Territory)
			if g.app != app || g.rating != int64(tr.Rating) || g.title != tr.Title || g.body != tr.Body ||
				g.nickname != tr.Nickname || !g.created.Equal(tr.Created) || g.territory != tr.Territory ||
				g.territory2 != a2 || g.month != tr.Created.UTC().Format("2006-01") || !strings.HasSuffix(tr.CreatedRaw, g.offset) {
				t.Errorf("review %s differs:\n got %+v\ntruth %+v", tr.ID, *g, tr)
			}
			switch {
			case tr.Response == nil && g.responseID != "":
				t.Errorf("review %s: response %s loaded, none served", tr.ID, g.responseID)
			case tr.Response != nil && (g.responseID != tr.Response.ID || g.responseBody != tr.Response.Body ||
				g.state != tr.Response.State || !g.modified.Equal(tr.Response.LastModified)):
				t.Errorf("review %s response differs: got %q %q %s, truth %+v", tr.ID, g.responseBody, g.state, g.modified, *tr.Response)
			}
		}
	}
	for id := range got {
		t.Errorf("review %s loaded but not served", id)
	}
	return n
}

// reviewsHarness is a harness with only the reviews family, for every live app.
func reviewsHarness(t *testing.T, sim simulator.Options, more func(*config.Config)) *enginetest.Harness {
	h := enginetest.New(t, enginetest.Options{Sim: sim, Config: enginetest.Family(report.Reviews, more), Sources: sourcesNew})
	h.Cfg.Reviews.Apps = h.Sim.AppIDs()
	return h
}

func TestReviewsFullThenIncremental(t *testing.T) {
	h := reviewsHarness(t, simulator.Options{}, nil)
	ctx := context.Background()

	h.RunOK(ctx)
	total := checkReviews(t, h)
	if total < 1000 {
		t.Fatalf("only %d reviews served: not a multi-page test", total)
	}
	t.Logf("first run: %d reviews of %d apps in %d requests", total, len(h.Cfg.Reviews.Apps), h.Sim.Stats().Requests)
	if min := total / h.Cfg.Reviews.PageSize; h.Sim.Stats().Requests < min {
		t.Fatalf("%d requests for %d reviews", h.Sim.Stats().Requests, total)
	}
	for _, e := range h.Entries("reviews/") {
		if e.State != load.Loaded || e.Cursor == "" || e.Unit.Period != "2026-11-21" {
			t.Errorf("%s: state %s, cursor %q", e.Unit.ID(), e.State, e.Cursor)
		}
	}

	// Same data again: nothing is written or archived, and only the overlap is read.
	before := h.Snapshot("")
	h.Sim.ResetStats()
	sum := h.RunOK(ctx)
	if d := enginetest.Diff(before, h.Snapshot("")); len(d) > 0 {
		t.Errorf("re-run changed %v", d)
	}
	if w := sum.Totals().Written; w != 0 {
		t.Errorf("re-run wrote %d Parquet objects", w)
	}
	t.Logf("re-run: %d requests, %d objects changed", h.Sim.Stats().Requests, len(enginetest.Diff(before, h.Snapshot(""))))
	if n := h.Sim.Stats().Requests; n > 2*len(h.Cfg.Reviews.Apps) {
		t.Errorf("incremental run made %d requests for %d apps", n, len(h.Cfg.Reviews.Apps))
	}

	// Three days later: new reviews, and a response edited on a recent review.
	h.Clock.Add(72 * time.Hour)
	app := h.Cfg.Reviews.Apps[0]
	truth, _ := h.Sim.TruthReviews(app)
	edited := truth[2].ID
	body := "Thanks — fixed in 2.1 🙏\n\"quoted\"\tand tabbed"
	if err := h.Sim.EditResponse(edited, body, h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.Sim.ResetStats()
	sum = h.RunOK(ctx)
	t.Logf("three days later: %d requests, %d Parquet objects written", h.Sim.Stats().Requests, sum.Totals().Written)
	if n := h.Sim.Stats().Requests; n > 2*len(h.Cfg.Reviews.Apps) {
		t.Errorf("incremental run after 3 days made %d requests", n)
	}
	if total2 := checkReviews(t, h); total2 <= total {
		t.Errorf("no new reviews after three days (%d, before %d)", total2, total)
	}
	if got := readReviews(t, h)[edited]; got == nil || !strings.HasPrefix(got.responseBody, body) {
		t.Errorf("edited response not picked up: %+v", got)
	}
	if n := len(h.Entries("reviews/")); n != 2*len(h.Cfg.Reviews.Apps) {
		t.Errorf("%d ledger entries, want one per app and day", n)
	}
}

// A response deleted at Apple on a review the crawl reads again is removed.
func TestReviewsDeletedResponseRemoved(t *testing.T) {
	h := reviewsHarness(t, simulator.Options{ReviewsPerApp: 300}, nil)
	h.Cfg.Reviews.Apps = h.Cfg.Reviews.Apps[:1]
	ctx := context.Background()
	h.RunOK(ctx)
	truth, _ := h.Sim.TruthReviews(h.Cfg.Reviews.Apps[0])
	var id string
	for _, tr := range truth {
		if tr.Response != nil {
			id = tr.ID
			break
		}
	}
	if id == "" || readReviews(t, h)[id].responseID == "" {
		t.Fatalf("no loaded response to delete")
	}
	if err := h.Sim.DeleteResponse(id); err != nil {
		t.Fatal(err)
	}
	h.Clock.Add(time.Hour)
	h.RunOK(ctx)
	if got := readReviews(t, h)[id]; got.responseID != "" {
		t.Errorf("deleted response still loaded: %+v", got)
	}
	checkReviews(t, h)
}

func TestReviewsInterruptedRunCompletesWithoutDuplicates(t *testing.T) {
	h := reviewsHarness(t, simulator.Options{}, nil)
	h.Cfg.Reviews.Apps = h.Cfg.Reviews.Apps[:1]
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel after a few pages, midway through the history.
	h.API = func(api engine.API) engine.API { return enginetest.CancelAfter(api, 3, cancel) }
	if _, err := h.Runner().Run(ctx, engine.Window{}); err == nil {
		t.Fatal("interrupted run returned no error")
	}
	h.API = nil
	h.RunOK(context.Background())
	checkReviews(t, h)
}

// After a run, days of crawls and a deleted data/parquet, reparse replays every crawl in
// fetch order: the tables come back complete and byte for byte, with no failed unit.
func TestReviewsReparseReplaysEveryCrawl(t *testing.T) {
	h := reviewsHarness(t, simulator.Options{ReviewsPerApp: 600}, nil)
	ctx := context.Background()
	h.RunOK(ctx)
	for day := 0; day < 3; day++ {
		h.Clock.Add(24 * time.Hour)
		truth, _ := h.Sim.TruthReviews(h.Cfg.Reviews.Apps[day%len(h.Cfg.Reviews.Apps)])
		if err := h.Sim.EditResponse(truth[1].ID, "edited on day "+string(rune('1'+day)), h.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		h.RunOK(ctx)
	}
	total := checkReviews(t, h)
	want := h.Snapshot("parquet/")
	h.DeletePrefix("parquet/")
	sum, err := h.Runner().Reparse(ctx, "")
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("reparse: %v\n%s", err, enginetest.Printed(sum))
	}
	if d := enginetest.Diff(want, h.Snapshot("parquet/")); len(d) > 0 {
		t.Errorf("reparse differs: %v", d)
	}
	if n := checkReviews(t, h); n != total {
		t.Errorf("reparse: %d reviews, want %d", n, total)
	}
	for _, e := range h.Entries("") {
		if e.State == load.Failed {
			t.Errorf("after reparse: %s failed: %s", e.Unit.ID(), e.Error)
		}
	}
}

// A crawl that failed on an earlier day is not crawled again: today's crawl covers it.
func TestReviewsPastDayExpires(t *testing.T) {
	h := reviewsHarness(t, simulator.Options{ReviewsPerApp: 200}, nil)
	h.Cfg.Reviews.Apps = h.Cfg.Reviews.Apps[:1]
	ctx := context.Background()
	h.API = corruptReviewPages
	h.Run(ctx)
	h.API = nil
	h.Clock.Add(24 * time.Hour)
	h.RunOK(ctx)
	states := map[string]load.State{}
	for _, e := range h.Entries("reviews/") {
		states[e.Unit.Period] = e.State
	}
	if states["2026-11-21"] != load.Expired || states["2026-11-22"] != load.Loaded {
		t.Errorf("states %v, want the failed day expired and today loaded", states)
	}
	checkReviews(t, h)
}

func TestConformanceReviews(t *testing.T) {
	enginetest.RunConformanceTests(t, enginetest.Case{
		Family: report.Reviews,
		Options: enginetest.Options{Sim: simulator.Options{ReviewsPerApp: 300},
			Config: enginetest.Family(report.Reviews, func(c *config.Config) { c.Reviews.PageSize = 50 }), Sources: sourcesNew},
		MinUnits: 2,
		Corrupt:  corruptReviewPages,
	})
}

// corruptReviewPages garbles the review pages (enginetest.Garble) while the app listing
// still works.
func corruptReviewPages(api engine.API) engine.API { return &garbledPages{API: api} }

type garbledPages struct{ engine.API }

func (g *garbledPages) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	b, err := g.API.GetJSON(ctx, target, q)
	if err != nil || !strings.Contains(target, "/customerReviews") {
		return b, err
	}
	return enginetest.Garble(b), nil
}

// Month units of an earlier version (ledger entries keyed by a review month, each naming
// the first page of its month in the old raw layout) break neither run nor reparse: a
// failed one expires, a loaded one stays, and reparse replays their pages before the
// daily crawls.
func TestReviewsLegacyMonthUnits(t *testing.T) {
	h := reviewsHarness(t, simulator.Options{ReviewsPerApp: 300}, nil)
	app := h.Cfg.Reviews.Apps[0]
	h.Cfg.Reviews.Apps = h.Cfg.Reviews.Apps[:1]
	ctx := context.Background()
	page, err := h.Client.GetJSON(ctx, "/v1/apps/"+app+"/customerReviews", url.Values{"include": {"response"}, "limit": {"200"}})
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(page)
	zw.Close()
	oldKey := "raw/reviews/customer_reviews/app_id=" + app + "/20261101T000000Z/page-00001.json.gz"
	if err := h.Bucket.WriteAll(ctx, oldKey, gz.Bytes(), nil); err != nil {
		t.Fatal(err)
	}
	at := enginetest.Start.AddDate(0, 0, -20).UTC()
	for per, state := range map[string]load.State{"2026-11": load.Loaded, "2026-10": load.Failed} {
		u := report.Unit{Family: report.Reviews, Type: sources.ReviewsType, Vendor: app, Period: per}
		e := load.Entry{Unit: u, State: state, RawKey: oldKey, FirstSeen: at, UpdatedAt: at, LoadedAt: at}
		if state == load.Failed {
			e.Error = "header does not match table customer_reviews"
		}
		if err := h.Store.Ledger().Put(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	h.RunOK(ctx)
	states := map[string]load.State{}
	for _, e := range h.Entries("reviews/") {
		states[e.Unit.Period] = e.State
	}
	if states["2026-11"] != load.Loaded || states["2026-10"] != load.Expired || states["2026-11-21"] != load.Loaded {
		t.Errorf("after run: states %v", states)
	}
	total := checkReviews(t, h)

	h.DeletePrefix("parquet/")
	sum, err := h.Runner().Reparse(ctx, "")
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("reparse: %v\n%s", err, enginetest.Printed(sum))
	}
	if n := checkReviews(t, h); n != total {
		t.Errorf("reparse: %d reviews, want %d", n, total)
	}
	if !strings.Contains(enginetest.Printed(sum), "month units") {
		t.Errorf("reparse does not tell about the legacy month units:\n%s", enginetest.Printed(sum))
	}
	for _, e := range h.Entries("") {
		if e.State == load.Failed {
			t.Errorf("after reparse: %s failed: %s", e.Unit.ID(), e.Error)
		}
	}
}

// A second run later the same day, with nothing new at Apple, rewrites no Parquet object.
// (The simulator's cursors carry the walk's snapshot time, so the first page's links.next
// differs and the crawl is archived as a new version; its merge changes nothing.)
func TestReviewsRerunLaterSameDayWritesNothing(t *testing.T) {
	h := reviewsHarness(t, simulator.Options{}, nil)
	ctx := context.Background()
	h.RunOK(ctx)
	count := func() (n int) {
		for _, app := range h.Cfg.Reviews.Apps {
			truth, _ := h.Sim.TruthReviews(app)
			n += len(truth)
		}
		return n
	}
	before, served := h.Snapshot("parquet/"), count()
	h.Clock.Add(time.Minute)
	if count() != served {
		t.Fatal("the simulator published reviews within the minute: pick another step")
	}
	sum := h.RunOK(ctx)
	if d := enginetest.Diff(before, h.Snapshot("parquet/")); len(d) > 0 || sum.Totals().Written != 0 {
		t.Errorf("re-run rewrote %v (%d written)", d, sum.Totals().Written)
	}
	checkReviews(t, h)
}

// A crawl interrupted earlier today is taken on the next pass even when that pass cannot
// list the apps.
func TestReviewsRepollTodayWhenListingFails(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{Sim: simulator.Options{ReviewsPerApp: 200},
		Config: enginetest.Family(report.Reviews, nil), Sources: sourcesNew})
	ctx, cancel := context.WithCancel(context.Background())
	h.API = func(api engine.API) engine.API { return enginetest.CancelAfter(api, 2, cancel) }
	h.Runner().Run(ctx, engine.Window{})
	pending := 0
	for _, e := range h.Entries("reviews/") {
		if e.State == load.Pending {
			pending++
		}
	}
	if pending == 0 {
		t.Fatal("the interrupted pass left no crawl pending")
	}
	h.API = func(api engine.API) engine.API { return &failListing{API: api} }
	sum := h.Run(context.Background())
	if code := sum.ExitCode(); code != engine.ExitPartial {
		t.Errorf("exit %d, want 3 (the listing failed)", code)
	}
	for _, e := range h.Entries("reviews/") {
		if e.State != load.Loaded {
			t.Errorf("%s: %s, want loaded", e.Unit.ID(), e.State)
		}
	}
	h.Cfg.Reviews.Apps = h.Sim.AppIDs()
	checkReviews(t, h)
}

// failListing fails GET /v1/apps.
type failListing struct{ engine.API }

func (f *failListing) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	if target == "/v1/apps" {
		return nil, errors.New("GET /v1/apps: 500 UNEXPECTED_ERROR")
	}
	return f.API.GetJSON(ctx, target, q)
}
