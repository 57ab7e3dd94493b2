package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// ReviewsType is the unit type of a crawl of one app's customer reviews.
const ReviewsType = "CUSTOMER_REVIEWS"

// Reviews is the customer reviews family (customer_reviews, with review_responses as its
// side table). A unit is one crawl of one app on one UTC day (report.Unit.Period
// YYYY-MM-DD): GET /v1/apps/{id}/customerReviews newest first with include=response, each
// page archived as page-00001.json, …. Every run crawls again (units are never final);
// the crawl stops after the page that reaches overlap_days behind the watermark, the
// newest createdDate loaded, which the unit's ledger entry keeps as its cursor. The
// overlap re-reads, and so refreshes, the responses of recent reviews. A crawl that
// brings nothing new is neither archived nor loaded (engine.Fetched.Incremental).
//
// Parse groups a crawl's reviews by the month of their createdDate (UTC) and merges each
// month into the partition app_id=<id>/month=<YYYY-MM> of both tables, by review_id, for
// the review ids the crawl read in that month: a response deleted at Apple is removed,
// and a review the crawl did not reach stays as it is.
type Reviews struct {
	Cfg  *config.Config
	Apps *Apps

	mu      sync.Mutex
	planned map[string]bool // unit ids planned by this pass
}

func (s *Reviews) Family() report.Family { return report.Reviews }

func (s *Reviews) Tables() []*schemas.Table { return tablesOf(report.Reviews) }

// Plan is one unit per app for today (UTC), starting from the app's watermark. A
// backfill ignores the watermark and crawls the whole history: Apple keeps every review
// (there is no retention horizon), so the window's days do not narrow it. Month units
// of earlier versions (legacy ledger entries) are never planned.
func (s *Reviews) Plan(ctx context.Context, env *engine.PlanEnv) (engine.Plan, error) {
	var plan engine.Plan
	planned := map[string]bool{}
	defer func() {
		s.mu.Lock()
		s.planned = planned
		s.mu.Unlock()
	}()
	apps, fail := s.Apps.List(ctx, env, s.Cfg.Reviews.Apps)
	if fail != nil {
		plan.Failures = append(plan.Failures, *fail)
		return plan, nil
	}
	today := env.Now.UTC().Format("2006-01-02")
	for _, app := range apps {
		u := report.Unit{Family: report.Reviews, Type: ReviewsType, Vendor: app, Period: today}
		if err := u.Validate(); err != nil {
			return plan, err
		}
		p := engine.Planned{Unit: u}
		if !env.Window.Backfill() {
			p.Cursor = reviewsWatermark(env.Entries, app)
		}
		planned[u.ID()] = true
		plan.Units = append(plan.Units, p)
	}
	return plan, nil
}

// reviewsWatermark is the cursor of the app's newest loaded daily crawl ("" when none).
func reviewsWatermark(entries map[string]load.Entry, app string) string {
	newest, cursor := "", ""
	for _, e := range entries {
		u := e.Unit
		if u.Family != report.Reviews || u.Type != ReviewsType || u.Vendor != app || len(u.Period) != len("2006-01-02") {
			continue
		}
		if e.State == load.Loaded && e.Cursor != "" && u.Period > newest {
			newest, cursor = u.Period, e.Cursor
		}
	}
	return cursor
}

// current reports whether u is a crawl this pass may take: one it planned (even when the
// day turned since), or today's (a re-poll of a crawl interrupted earlier today, when the
// app listing failed this pass).
func (s *Reviews) current(u report.Unit, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.planned[u.ID()] || u.Period == now.UTC().Format("2006-01-02")
}

// errStopCrawl ends a crawl early (the watermark is reached, or a page does not decode).
var errStopCrawl = errors.New("stop crawl")

// Fetch crawls one app. A pending or failed crawl of an earlier day, or a legacy month
// unit, is Gone: today's crawl, which starts from the newest loaded watermark, covers it. A page that does not decode ends the crawl; it is archived
// as received, and Parse reports it with its key and field.
func (s *Reviews) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	env = patientFetch(env) // a document that fails is asked for again, not the whole unit
	if !s.current(p.Unit, env.Now) {
		return engine.Fetched{Outcome: engine.Gone, Detail: "a crawl of a past day cannot be taken: today's crawl covers it"}, nil
	}
	app := p.Unit.Vendor
	var newest, stop time.Time
	if p.Cursor != "" {
		w, err := time.Parse(time.RFC3339, p.Cursor)
		if err != nil {
			return engine.Fetched{}, fmt.Errorf("reviews of app %s: cursor %q is not an RFC 3339 time: %w", app, p.Cursor, err)
		}
		newest = w
		stop = w.Add(-time.Duration(s.Cfg.Reviews.OverlapDays) * 24 * time.Hour)
	}
	q := url.Values{"sort": {"-createdDate"}, "include": {"response"}, "limit": {strconv.Itoa(s.Cfg.Reviews.PageSize)}}
	reviews, bad := 0, false
	err := extract.EachPage(ctx, env.API, "/v1/apps/"+app+"/customerReviews", q, func(page int, body []byte) error {
		name := fmt.Sprintf("page-%05d.json", page)
		if err := env.Put(name, bytes.NewReader(body)); err != nil {
			return err
		}
		pg, err := transform.DecodeReviewPage(name, body)
		if err != nil {
			bad = true
			return errStopCrawl
		}
		reviews += len(pg.Reviews)
		for _, r := range pg.Reviews {
			if r.CreatedAt.After(newest) {
				newest = r.CreatedAt
			}
		}
		// Newest first: the page whose last review is older than the stop time reaches it.
		if n := len(pg.Reviews); !stop.IsZero() && n > 0 && pg.Reviews[n-1].CreatedAt.Before(stop) {
			return errStopCrawl
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopCrawl) {
		return engine.Fetched{}, fmt.Errorf("reviews of app %s: %w", app, err)
	}
	if reviews == 0 && !bad {
		return engine.Fetched{Outcome: engine.Empty, Detail: "the app has no customer reviews"}, nil
	}
	f := engine.Fetched{Outcome: engine.Data, Incremental: true}
	if !newest.IsZero() {
		f.Cursor = newest.UTC().Format(time.RFC3339)
	}
	return f, nil
}

// Parse decodes every page of a crawl and merges it by month (see Reviews). Rows carry
// the version's fetch time as _extracted_at and their page's archived key as _source_key.
func (s *Reviews) Parse(ctx context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	var all []transform.Review
	for _, p := range in.Version.Payloads {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := readPayload(in, p)
		if err != nil {
			return nil, err
		}
		pg, err := transform.DecodeReviewPage(p.Key, data)
		if err != nil {
			return nil, err
		}
		all = append(all, pg.Reviews...)
	}
	if len(in.Unit.Period) != len("2006-01-02") {
		in.Note(engine.Note{Kind: "legacy", Table: schemas.ReviewsTable, Subject: "month units",
			Detail: "month units of an earlier version replayed from the one page each names; the daily crawls hold the rest"})
	}
	return reviewOutputs(in, transform.DedupeReviews(all))
}

// reviewOutputs builds one output per (month, table).
func reviewOutputs(in *engine.ParseInput, reviews []transform.Review) (*engine.Parsed, error) {
	rt, ok1 := schemas.Lookup(schemas.ReviewsTable)
	st, ok2 := schemas.Lookup(schemas.ResponsesTable)
	if !ok1 || !ok2 {
		return nil, errors.New("reviews: tables not registered in schemas")
	}
	byMonth := map[string][]transform.Review{}
	for _, r := range reviews {
		byMonth[r.Month()] = append(byMonth[r.Month()], r)
	}
	months := make([]string, 0, len(byMonth))
	for m := range byMonth {
		months = append(months, m)
	}
	slices.Sort(months)
	var recs []arrow.RecordBatch
	release := func() { releaseAll(recs) }
	var outs []engine.Output
	for _, m := range months {
		rs := byMonth[m]
		part, err := rt.PartitionPath(in.Unit.Vendor, m)
		if err != nil {
			release()
			return nil, err
		}
		recR, recS, err := transform.ReviewRecords(in.Alloc, rs, in.Version.FetchedAt)
		if err != nil {
			release()
			return nil, err
		}
		recs = append(recs, recR, recS)
		ids := transform.ReviewIDs(rs)
		outs = append(outs,
			engine.Output{Table: rt, Partition: part, Input: load.Input{Records: []arrow.RecordBatch{recR}, Keys: ids}, Primary: true},
			engine.Output{Table: st, Partition: part, Input: load.Input{Records: []arrow.RecordBatch{recS}, Keys: ids}})
	}
	return &engine.Parsed{Outputs: outs, Release: release}, nil
}
