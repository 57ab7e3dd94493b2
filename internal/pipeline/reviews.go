package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// reviewState is what the reviews family remembers per app between runs.
type reviewState struct {
	App       string    `json:"app"`
	Watermark time.Time `json:"watermark"` // newest createdDate loaded (UTC)
	Runs      int       `json:"runs"`
	Pages     int       `json:"pages_last_run"`
	UpdatedAt time.Time `json:"updated_at"`
}

func reviewStateKey(app string) string { return "_etl/state/reviews/" + app + ".json" }

// runReviews loads customer reviews and developer responses for every configured app.
// Reviews come newest first; the first run reads the whole history, later runs stop once
// they pass the watermark minus the overlap, which also re-reads (and so refreshes) the
// responses of the reviews in the overlap. Each month partition is merged by review id and
// rewritten atomically, then the watermark moves: a crash before that only means the next
// run reads the same pages again, and the merge keeps every review exactly once.
func (p *Pipeline) runReviews(ctx context.Context, sum *Summary) error {
	apps, err := p.appIDs(ctx, sum, p.Cfg.Reviews.Apps)
	if err != nil {
		return nil // recorded in the summary
	}
	for _, app := range apps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.reviewsForApp(ctx, app, sum); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			u := report.Unit{Family: report.Reviews, Type: "CUSTOMER_REVIEWS", Vendor: app, Period: "0000-01"}
			sum.add(outcome{Unit: u, State: load.Failed, Err: err})
			p.log().Warn("reviews", "app", app, "err", err.Error())
		}
	}
	return nil
}

func (p *Pipeline) reviewsForApp(ctx context.Context, app string, sum *Summary) error {
	var st reviewState
	if err := p.readJSON(ctx, reviewStateKey(app), &st); err != nil {
		return err
	}
	var stopBefore time.Time
	if !st.Watermark.IsZero() {
		stopBefore = st.Watermark.Add(-time.Duration(p.Cfg.Reviews.OverlapDays) * 24 * time.Hour)
	}
	runID := p.now().UTC().Format("20060102T150405Z")
	extractedAt := p.now().UTC()
	target := "/v1/apps/" + app + "/customerReviews"
	q := url.Values{
		"sort":    {"-createdDate"},
		"include": {"response"},
		"limit":   {strconv.Itoa(p.Cfg.Reviews.PageSize)},
	}
	newest := st.Watermark
	var month string
	var batch []transform.Review
	var firstKey string
	pages := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		o := p.mergeReviews(ctx, app, month, batch, firstKey, extractedAt)
		sum.Planned++ // each app-month partition is a unit
		sum.add(o)
		batch, firstKey = nil, ""
		return o.Err
	}
	for {
		data, err := p.API.GetJSON(ctx, target, q)
		if err != nil {
			return fmt.Errorf("reviews of app %s, page %d: %w", app, pages+1, err)
		}
		pages++
		key := fmt.Sprintf("raw/reviews/customer_reviews/app_id=%s/%s/page-%05d.json.gz", app, runID, pages)
		if err := p.putRawBytes(ctx, key, data); err != nil {
			return err
		}
		page, err := transform.DecodeReviewPage(key, data)
		if err != nil {
			return err
		}
		past := false
		for _, r := range page.Reviews {
			if !stopBefore.IsZero() && r.CreatedAt.Before(stopBefore) {
				past = true
				break
			}
			m := r.CreatedAt.UTC().Format("2006-01")
			if m != month {
				if err := flush(); err != nil {
					return err
				}
				month = m
			}
			if firstKey == "" {
				firstKey = key
			}
			batch = append(batch, r)
			if r.CreatedAt.After(newest) {
				newest = r.CreatedAt
			}
		}
		if past || page.Next == "" {
			break
		}
		target, q = page.Next, nil
	}
	if err := flush(); err != nil {
		return err
	}
	st.App, st.Watermark, st.Pages, st.UpdatedAt = app, newest.UTC(), pages, p.now().UTC()
	st.Runs++
	p.log().Info("reviews", "app", app, "pages", pages, "watermark", st.Watermark.Format(time.RFC3339))
	return p.writeJSON(ctx, reviewStateKey(app), st)
}

// mergeReviews merges one month of one app's reviews (and their responses) into its
// partitions and records the ledger entry.
func (p *Pipeline) mergeReviews(ctx context.Context, app, month string, rs []transform.Review, rawKey string, at time.Time) outcome {
	u := report.Unit{Family: report.Reviews, Type: "CUSTOMER_REVIEWS", Vendor: app, Period: month}
	o := outcome{Unit: u}
	part, err := u.Partition()
	if err != nil {
		o.State, o.Err = load.Failed, err
		return o
	}
	recR, recResp, err := transform.ReviewRecords(p.alloc(), rs, at)
	if err != nil {
		o.State, o.Err = load.Failed, err
		return o
	}
	defer recR.Release()
	defer recResp.Release()
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	opt := load.ParquetOptions{Alloc: p.alloc()}
	mr, err := p.Store.MergeParquet(ctx, load.ParquetKey(schemas.ReviewsTable, part), "review_id", ids, recR, opt)
	if err != nil {
		o.State, o.Err = load.Failed, err
		return o
	}
	mp, err := p.Store.MergeParquet(ctx, load.ParquetKey(schemas.ResponsesTable, part), "review_id", ids, recResp, opt)
	if err != nil {
		o.State, o.Err = load.Failed, err
		return o
	}
	o.State, o.Rows, o.Unchanged = load.Loaded, int64(len(rs)), mr.Unchanged && mp.Unchanged
	if o.Unchanged {
		return o
	}
	o.Bytes = mr.Bytes + mp.Bytes
	prior, known, err := p.Store.Ledger().Get(ctx, u)
	if err != nil {
		o.State, o.Err = load.Failed, err
		return o
	}
	e := prior
	if !known {
		e = load.Entry{Unit: u, FirstSeen: at}
	}
	e.State, e.Rows, e.Bytes, e.Objects, e.RawKey = load.Loaded, mr.Rows, mr.Bytes+mp.Bytes, []string{mr.Key, mp.Key}, rawKey
	e.Attempts++
	e.UpdatedAt, e.LoadedAt, e.Error = at, at, ""
	return p.record(ctx, e, o)
}

// putRawBytes archives a JSON document gzip-compressed, like every raw payload.
func (p *Pipeline) putRawBytes(ctx context.Context, key string, data []byte) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return err
	}
	_, err := p.Store.PutRaw(ctx, key, &buf)
	return err
}

// readJSON reads a small state object; a missing object leaves v untouched.
func (p *Pipeline) readJSON(ctx context.Context, key string, v any) error {
	r, err := p.Store.Bucket().NewReader(ctx, key, nil)
	if load.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: corrupt state: %w", key, err)
	}
	return nil
}

func (p *Pipeline) writeJSON(ctx context.Context, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return p.Store.PutBytes(ctx, key, b, "application/json")
}
