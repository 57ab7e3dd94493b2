package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/internal/config"
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
func (h *harness) readReviews() map[string]*loadedReview {
	h.t.Helper()
	out := map[string]*loadedReview{}
	ctx := context.Background()
	for _, table := range []string{"customer_reviews", "review_responses"} {
		keys, err := h.store.List(ctx, "parquet/"+table+"/")
		if err != nil {
			h.t.Fatal(err)
		}
		for _, k := range keys {
			parts := strings.Split(k, "/") // parquet/<table>/app_id=<a>/month=<m>/data.parquet
			app, month := strings.TrimPrefix(parts[2], "app_id="), strings.TrimPrefix(parts[3], "month=")
			tbl, err := h.store.ReadTable(ctx, k, h.alloc)
			if err != nil {
				h.t.Fatal(err)
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
					id := str("review_id", i)
					if table == "customer_reviews" {
						if out[id] != nil && out[id].app != "" {
							h.t.Errorf("review %s loaded twice (%s)", id, k)
						}
						r := out[id]
						if r == nil {
							r = &loadedReview{}
							out[id] = r
						}
						r.app, r.month = app, month
						r.rating = col("rating").(*array.Int64).Value(i)
						r.title, r.body, r.nickname = str("title", i), str("body", i), str("reviewer_nickname", i)
						r.created, r.offset = ts("created_at", i), str("created_at_offset", i)
						r.territory, r.territory2 = str("territory", i), str("territory_alpha2", i)
						continue
					}
					r := out[id]
					if r == nil {
						r = &loadedReview{}
						out[id] = r
					}
					if r.responseID != "" {
						h.t.Errorf("response of review %s loaded twice", id)
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

// checkReviews compares the loaded reviews with the simulator's, byte for byte.
func (h *harness) checkReviews() int {
	h.t.Helper()
	got := h.readReviews()
	n := 0
	for _, app := range h.cfg.Reviews.Apps {
		truth, err := h.sim.TruthReviews(app)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, tr := range truth {
			n++
			g := got[tr.ID]
			if g == nil || g.app == "" {
				h.t.Errorf("review %s of app %s not loaded", tr.ID, app)
				continue
			}
			delete(got, tr.ID)
			a2, _ := territory.Alpha2(tr.Territory)
			if g.app != app || g.rating != int64(tr.Rating) || g.title != tr.Title || g.body != tr.Body ||
				g.nickname != tr.Nickname || !g.created.Equal(tr.Created) || g.territory != tr.Territory ||
				g.territory2 != a2 || g.month != tr.Created.UTC().Format("2006-01") || !strings.HasSuffix(tr.CreatedRaw, g.offset) {
				h.t.Errorf("review %s differs:\n got %+v\ntruth %+v", tr.ID, *g, tr)
			}
			switch {
			case tr.Response == nil && g.responseID != "":
				h.t.Errorf("review %s: response %s loaded, none served", tr.ID, g.responseID)
			case tr.Response != nil && (g.responseID != tr.Response.ID || g.responseBody != tr.Response.Body ||
				g.state != tr.Response.State || !g.modified.Equal(tr.Response.LastModified)):
				h.t.Errorf("review %s response differs: got %q %q %s, truth %+v", tr.ID, g.responseBody, g.state, g.modified, *tr.Response)
			}
		}
	}
	for id := range got {
		h.t.Errorf("review %s loaded but not served", id)
	}
	return n
}

func reviewsOnly(c *config.Config) {
	c.Sales.Enabled, c.Finance.Enabled, c.Reviews.Enabled, c.Metrics.Enabled = false, false, true, false
}

func TestReviewsFullThenIncremental(t *testing.T) {
	h := newHarness(t, simulator.Options{}, reviewsOnly)
	h.cfg.Reviews.Apps = h.sim.AppIDs()
	ctx := context.Background()

	sum := h.run(ctx)
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d: %v", code, sum.Failures)
	}
	total := h.checkReviews()
	if total < 1000 {
		t.Fatalf("only %d reviews served: not a multi-page test", total)
	}
	fullRequests := h.sim.Stats().Requests
	if min := total / h.cfg.Reviews.PageSize; fullRequests < min {
		t.Fatalf("%d requests for %d reviews", fullRequests, total)
	}

	// Same data again: nothing changes, and only the overlap's pages are read.
	before := h.snapshot()
	h.sim.ResetStats()
	h.run(ctx)
	after := h.snapshot()
	for k, v := range after {
		if strings.HasPrefix(k, "parquet/") && before[k] != v {
			t.Errorf("re-run rewrote %s", k)
		}
	}
	if n := h.sim.Stats().Requests; n > 2*len(h.cfg.Reviews.Apps) {
		t.Errorf("incremental run made %d requests for %d apps", n, len(h.cfg.Reviews.Apps))
	}

	// Three days later: new reviews, and a response edited on a recent review.
	h.clock.Add(72 * time.Hour)
	app := h.cfg.Reviews.Apps[0]
	truth, _ := h.sim.TruthReviews(app)
	edited := truth[2].ID
	if err := h.sim.EditResponse(edited, "Thanks — fixed in 2.1 🙏\n\"quoted\"\tand tabbed", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.sim.ResetStats()
	sum = h.run(ctx)
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d: %v", code, sum.Failures)
	}
	if n := h.sim.Stats().Requests; n > 2*len(h.cfg.Reviews.Apps) {
		t.Errorf("incremental run after 3 days made %d requests", n)
	}
	if total2 := h.checkReviews(); total2 <= total {
		t.Errorf("no new reviews after three days (%d, before %d)", total2, total)
	}
	got := h.readReviews()[edited]
	if got == nil || !strings.HasPrefix(got.responseBody, "Thanks — fixed in 2.1 🙏\n") {
		t.Errorf("edited response not picked up: %+v", got)
	}
}

func TestReviewsInterruptedRunCompletesWithoutDuplicates(t *testing.T) {
	h := newHarness(t, simulator.Options{}, reviewsOnly)
	h.cfg.Reviews.Apps = h.sim.AppIDs()[:1]
	ctx, cancel := context.WithCancel(context.Background())
	p := h.pipeline()
	// Cancel after a few pages, midway through the history.
	h.sim.ResetStats()
	go func() {
		for h.sim.Stats().Requests < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := p.Run(ctx); err == nil {
		t.Fatal("interrupted run returned no error")
	}
	sum := h.run(context.Background())
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d: %v", code, sum.Failures)
	}
	h.checkReviews()
}
