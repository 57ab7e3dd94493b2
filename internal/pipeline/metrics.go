package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// metricsTables in the order they are written; the first is the unit recorded in the ledger.
var metricsTables = []string{
	schemas.MetricsTable, schemas.BreakdownsTable, schemas.GoalsTable,
	schemas.InsightsTable, schemas.SignaturesTable, schemas.LogFramesTable,
}

// metricsApps is metrics.apps, else reviews.apps, else the apps discovered (appIDs).
func (p *Pipeline) metricsApps(ctx context.Context, sum *Summary) ([]string, error) {
	if len(p.Cfg.Metrics.Apps) > 0 {
		return p.Cfg.Metrics.Apps, nil
	}
	return p.appIDs(ctx, sum, p.Cfg.Reviews.Apps)
}

// runMetrics takes today's snapshot (UTC date) of each app's power and performance metrics,
// its recent builds' metrics and their diagnostics. A snapshot already loaded today is not
// fetched again; a failed or interrupted one is redone whole, replacing its partitions.
func (p *Pipeline) runMetrics(ctx context.Context, sum *Summary) error {
	day := p.now().UTC().Format("2006-01-02")
	apps, err := p.metricsApps(ctx, sum)
	if err != nil {
		return nil // recorded in the summary
	}
	for _, app := range apps {
		if err := ctx.Err(); err != nil {
			return err
		}
		u := report.Unit{Family: report.Metrics, Type: "PERF_METRICS", Vendor: app, Period: day}
		sum.Planned++
		prior, known, err := p.Store.Ledger().Get(ctx, u)
		if err != nil {
			return err
		}
		if known && prior.State == load.Loaded {
			sum.add(outcome{Unit: u, State: load.Loaded, Unchanged: true})
			continue
		}
		t0 := time.Now()
		o := p.metricsSnapshot(ctx, u, prior, known)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		o.Unit, o.Dur = u, time.Since(t0)
		sum.add(o)
		p.log().Info("unit", "family", u.Family, "report", u.Table(), "period", day, "app", app,
			"state", o.State, "rows", o.Rows, "drift", o.Drift, "dur", o.Dur.Round(time.Millisecond).String())
	}
	return nil
}

// snapshotDocs collects every document of one snapshot, already flattened.
type snapshotDocs struct {
	recs  map[string][]arrow.RecordBatch
	drift []string
	first string // first raw key, for the ledger
}

func (s *snapshotDocs) add(table string, r arrow.RecordBatch) {
	if r != nil {
		s.recs[table] = append(s.recs[table], r)
	}
}

func (s *snapshotDocs) release() {
	for _, rs := range s.recs {
		for _, r := range rs {
			r.Release()
		}
	}
}

func (p *Pipeline) metricsSnapshot(ctx context.Context, u report.Unit, prior load.Entry, known bool) outcome {
	docs := &snapshotDocs{recs: map[string][]arrow.RecordBatch{}}
	defer docs.release()
	at := p.now().UTC()
	fail := func(err error) outcome {
		e := prior
		if !known {
			e = load.Entry{Unit: u, FirstSeen: at}
		}
		e.State, e.Error, e.Attempts, e.UpdatedAt = load.Failed, err.Error(), e.Attempts+1, at
		return p.record(ctx, e, outcome{State: load.Failed, Err: err})
	}
	if err := p.collectMetrics(ctx, u, docs, at); err != nil {
		return fail(err)
	}
	var rows, bytes int64
	var objects []string
	for _, table := range metricsTables {
		part, _ := u.Partition()
		key := load.ParquetKey(table, part)
		t, _ := schemas.Lookup(table)
		info, err := p.Store.WriteParquet(ctx, key, &sliceReader{schema: t.ArrowSchema(nil), recs: docs.recs[table]},
			load.ParquetOptions{Alloc: p.alloc()})
		if err != nil {
			return fail(err)
		}
		if table == schemas.MetricsTable {
			rows = info.Rows
		}
		bytes += info.Bytes
		objects = append(objects, key)
	}
	e := prior
	if !known {
		e = load.Entry{Unit: u, FirstSeen: at}
	}
	e.State, e.Error, e.Rows, e.Bytes, e.Objects, e.RawKey = load.Loaded, "", rows, bytes, objects, docs.first
	e.Drift, e.Attempts, e.UpdatedAt, e.LoadedAt = docs.drift, e.Attempts+1, at, at
	return p.record(ctx, e, outcome{State: load.Loaded, Rows: rows, Bytes: bytes, Drift: docs.drift})
}

// collectMetrics fetches, archives and flattens the app's metrics, its recent builds'
// metrics and, when enabled, their diagnostic signatures and logs.
func (p *Pipeline) collectMetrics(ctx context.Context, u report.Unit, docs *snapshotDocs, at time.Time) error {
	app := u.Vendor
	rawDir := fmt.Sprintf("raw/metrics/perf_metrics/app_id=%s/%s/", app, u.Period)
	fetch := func(name, target string, q url.Values) ([]byte, string, error) {
		data, err := p.API.GetJSON(ctx, target, q)
		if err != nil {
			return nil, "", err
		}
		key := rawDir + name + ".json.gz"
		if err := p.putRawBytes(ctx, key, data); err != nil {
			return nil, "", err
		}
		if docs.first == "" {
			docs.first = key
		}
		return data, key, nil
	}
	metrics := func(name, target string, src transform.MetricsSource) error {
		data, key, err := fetch(name, target, nil)
		if err != nil {
			return err
		}
		src.Key = key
		mr, err := transform.FlattenMetrics(p.alloc(), data, src, at)
		if err != nil {
			return err
		}
		docs.add(schemas.MetricsTable, retain(mr.Metrics))
		docs.add(schemas.BreakdownsTable, retain(mr.Breakdowns))
		docs.add(schemas.GoalsTable, retain(mr.Goals))
		docs.add(schemas.InsightsTable, retain(mr.Insights))
		docs.drift = append(docs.drift, mr.Drift...)
		mr.Release()
		return nil
	}
	if err := metrics("app", "/v1/apps/"+app+"/perfPowerMetrics", transform.MetricsSource{Source: "app"}); err != nil {
		return err
	}
	builds, err := p.recentBuilds(ctx, app)
	if err != nil {
		return err
	}
	for _, b := range builds {
		name := "build-" + safeName(b)
		if err := metrics(name, "/v1/builds/"+b+"/perfPowerMetrics", transform.MetricsSource{Source: "build", BuildID: b}); err != nil {
			return err
		}
		if !p.Cfg.Metrics.Diagnostics {
			continue
		}
		if err := p.diagnostics(ctx, b, name, fetch, docs, at); err != nil {
			return err
		}
	}
	return nil
}

type fetchFunc func(name, target string, q url.Values) ([]byte, string, error)

// diagnostics loads a build's signatures (all pages) and each signature's logs. A build
// Apple has no diagnostics for answers 404, which is not an error.
func (p *Pipeline) diagnostics(ctx context.Context, build, name string, fetch fetchFunc, docs *snapshotDocs, at time.Time) error {
	target, q := "/v1/builds/"+build+"/diagnosticSignatures", url.Values{"limit": {"200"}}
	var ids []string
	for page := 1; target != ""; page++ {
		data, key, err := fetch(fmt.Sprintf("%s-signatures-%03d", name, page), target, q)
		var ae *extract.APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound && page == 1 {
			return nil
		}
		if err != nil {
			return err
		}
		rec, next, err := transform.FlattenDiagnosticSignatures(p.alloc(), data, build, key, at)
		if err != nil {
			return err
		}
		docs.add(schemas.SignaturesTable, rec)
		ids = append(ids, columnStrings(rec, "signature_id")...)
		target, q = next, nil
	}
	for i, id := range ids {
		data, key, err := fetch(fmt.Sprintf("%s-logs-%03d", name, i+1), "/v1/diagnosticSignatures/"+id+"/logs", nil)
		if err != nil {
			return err
		}
		rec, err := transform.FlattenDiagnosticLogs(p.alloc(), data, build, key, at)
		if err != nil {
			return err
		}
		docs.add(schemas.LogFramesTable, rec)
	}
	return nil
}

// recentBuilds lists the ids of the app's newest builds (metrics.builds of them).
func (p *Pipeline) recentBuilds(ctx context.Context, app string) ([]string, error) {
	n := p.Cfg.Metrics.Builds
	if n == 0 {
		return nil, nil
	}
	data, err := p.API.GetJSON(ctx, "/v1/apps/"+app+"/builds",
		url.Values{"sort": {"-uploadedDate"}, "limit": {strconv.Itoa(min(n, 200))}})
	if err != nil {
		return nil, fmt.Errorf("builds of app %s: %w", app, err)
	}
	var doc struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("builds of app %s: %w", app, err)
	}
	var ids []string
	for _, d := range doc.Data {
		if d.ID != "" && len(ids) < n {
			ids = append(ids, d.ID)
		}
	}
	return ids, nil
}

func retain(r arrow.RecordBatch) arrow.RecordBatch {
	if r != nil {
		r.Retain()
	}
	return r
}

// safeName keeps an id usable inside an object key.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// sliceReader serves record batches already in memory to WriteParquet.
type sliceReader struct {
	schema *arrow.Schema
	recs   []arrow.RecordBatch
	i      int
}

func (s *sliceReader) Schema() *arrow.Schema { return s.schema }
func (s *sliceReader) Next() bool            { s.i++; return s.i <= len(s.recs) }
func (s *sliceReader) RecordBatch() arrow.RecordBatch {
	return s.recs[s.i-1]
}
func (s *sliceReader) Err() error { return nil }

// columnStrings returns the non-null values of a string column.
func columnStrings(r arrow.RecordBatch, name string) []string {
	if r == nil {
		return nil
	}
	is := r.Schema().FieldIndices(name)
	if len(is) == 0 {
		return nil
	}
	c, ok := r.Column(is[0]).(*array.String)
	if !ok {
		return nil
	}
	out := make([]string, 0, c.Len())
	for i := 0; i < c.Len(); i++ {
		if c.IsValid(i) {
			out = append(out, c.Value(i))
		}
	}
	return out
}
