package transform

// Power and performance metrics (REFERENCE.md §D.1) come as one xcodeMetrics JSON document
// (media type application/vnd.apple.xcode-metrics+json) per app or build. FlattenMetrics
// turns it into four tidy tables (schemas/metrics.go):
//
//   - perf_metrics: one row per productData[].metricCategories[].metrics[].datasets[].points[]
//     element; point_index is the position of the point in its dataset (0-based). The
//     dataset's filterCriteria and recommendedMetricGoal are repeated on each of its
//     points. A dataset with no points produces no rows.
//   - perf_metric_breakdowns: one row per percentageBreakdown of a point. Apple's spec
//     types percentageBreakdown as one object, but it is a list of sub-system shares in
//     practice, so both are accepted: an object gives one row (breakdown_index 0), an array
//     of objects one row per element (breakdown_index = position). Absent, null or []
//     gives none.
//   - perf_metric_goals: one row per metrics[].goalKeys[] element; a missing upperBound
//     (the open-ended "poor" band) or lowerBound is null.
//   - perf_insights: one row per population of each insights.regressions[] and
//     insights.trendingUp[] element (insight_kind "regressions" or "trendingUp",
//     insight_index its position in that list), or one row with null population columns
//     (population_index null) when populations is absent, null or empty.
//     referenceVersions is typed as a string by the spec but Apple's example sends an
//     array of strings: a string is kept as is, an array is joined with "," ([] gives "").
//
// Null rules: a member that is absent or JSON null gives a null column; "" stays "".
// Numbers may be integers or decimals and are stored as float64 exactly as
// strconv.ParseFloat reads their JSON text. metricCategories[].identifier and
// metrics[].identifier are required (non-empty strings), and productData must be
// present (an array, possibly empty); everything else is optional. A value of the wrong
// JSON type is an error naming the key and JSON path; unknown members are ignored.
//
// Drift: a category, metric or unit identifier outside the vocabulary of
// report/metricnames (an Apple addition, or a rename; the simulator serves only names of
// that vocabulary, so it causes no drift) is loaded like any other and reported in MetricsRecords.Drift
// ("unknown category GPU", "unknown metric LAUNCH/prewarmTime",
// "unknown unit microfortnights for LAUNCH/prewarmTime", "unknown version 2.0.0"), never
// dropped. Metrics are known per category: a known metric under another category is
// drift. Insights' metricCategory/metric are checked the same way. Only unit.identifier
// is checked; displayName is free text.
//
// Lineage: _source_key is MetricsSource.Key; _report_version is the document's "version"
// ("" when absent); _source_line is the 1-based ordinal of the row within its table for
// this document, in document order (productData, metricCategories, metrics, datasets,
// points, breakdowns; goals in goalKeys order; insights regressions before trendingUp, then
// populations), so the same document always gives the same numbers.

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/report/metricnames"
	"github.com/ascetl/etl/schemas"
)

// Metrics endpoints (MetricsSource.Source).
const (
	MetricsSourceApp   = "app"   // GET /v1/apps/{id}/perfPowerMetrics
	MetricsSourceBuild = "build" // GET /v1/builds/{id}/perfPowerMetrics
)

// MetricsSource says where a metrics document came from.
type MetricsSource struct {
	Source  string // MetricsSourceApp or MetricsSourceBuild
	BuildID string // builds/{id}; "" for the app endpoint
	Key     string // raw object key, for lineage and errors
}

// MetricsRecords are the four tables of one metrics document. Batches may have zero
// rows but are never nil after a successful FlattenMetrics.
type MetricsRecords struct {
	Metrics    arrow.RecordBatch // perf_metrics
	Breakdowns arrow.RecordBatch // perf_metric_breakdowns
	Goals      arrow.RecordBatch // perf_metric_goals
	Insights   arrow.RecordBatch // perf_insights
	Drift      []string          // unknown categories, metrics, units, versions (loaded anyway)
}

// Release releases the batches; it is safe to call on nil and more than once.
func (m *MetricsRecords) Release() {
	if m == nil {
		return
	}
	for _, r := range []*arrow.RecordBatch{&m.Metrics, &m.Breakdowns, &m.Goals, &m.Insights} {
		if *r != nil {
			(*r).Release()
			*r = nil
		}
	}
}

// metricsColumns are the data columns FlattenMetrics fills, per table, with their kinds.
var metricsColumns = func() map[string]map[string]schemas.Kind {
	S, I, F, B := schemas.String, schemas.Int64, schemas.Float64, schemas.Bool
	with := func(base map[string]schemas.Kind, more map[string]schemas.Kind) map[string]schemas.Kind {
		m := map[string]schemas.Kind{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	key := map[string]schemas.Kind{
		"source": S, "build_id": S, "platform": S, "metric_category": S, "metric": S,
		"unit": S, "unit_display": S,
	}
	point := with(key, map[string]schemas.Kind{
		"device": S, "device_marketing_name": S, "percentile": S, "version": S, "point_index": I,
	})
	return map[string]map[string]schemas.Kind{
		schemas.MetricsTable: with(point, map[string]schemas.Kind{
			"value": F, "error_margin": F, "goal": S, "recommended_goal_value": F, "recommended_goal_detail": S,
		}),
		schemas.BreakdownsTable: with(point, map[string]schemas.Kind{
			"breakdown_index": I, "sub_system_label": S, "percentage": F,
		}),
		schemas.GoalsTable: with(key, map[string]schemas.Kind{
			"goal_key": S, "lower_bound": F, "upper_bound": F,
		}),
		schemas.InsightsTable: {
			"source": S, "build_id": S, "insight_kind": S, "insight_index": I,
			"metric_category": S, "metric": S, "latest_version": S, "reference_versions": S,
			"max_latest_version_value": F, "sub_system_label": S, "high_impact": B, "summary": S,
			"population_index": I, "device": S, "percentile": S, "delta_percentage": F,
			"reference_average_value": F, "latest_version_value": F, "population_summary": S,
		},
	}
}()

// jmDoc is the xcodeMetrics document; every member is raw so that it is decoded with its
// path.
type jmDoc struct {
	Version     json.RawMessage `json:"version"`
	Insights    json.RawMessage `json:"insights"`
	ProductData json.RawMessage `json:"productData"`
	Errors      json.RawMessage `json:"errors"`
}

// metricKey is what identifies a metric: the columns every metrics table repeats.
type metricKey struct {
	platform, unit, unitDisplay *string
	category, metric            string
}

// datasetKey is a dataset's filterCriteria and recommendedMetricGoal.
type datasetKey struct {
	device, marketingName, percentile *string
	recValue                          *float64
	recDetail                         *string
}

type metricsFlattener struct {
	d                   jdec
	src                 MetricsSource
	buildID             *string
	metrics, breakdowns *tableBuilder
	goals, insights     *tableBuilder
	drift               driftList
}

// FlattenMetrics flattens one xcodeMetrics document (GET /v1/apps/{id}/perfPowerMetrics
// or GET /v1/builds/{id}/perfPowerMetrics) into the perf_metrics, perf_metric_breakdowns,
// perf_metric_goals and perf_insights batches, with exactly the schemas'
// ArrowSchema(nil). See the top of metrics.go for the rules. Errors in the document are
// *JSONError naming src.Key and the JSON path; an ErrorResponse document ("errors") is an
// error. The caller releases the records; on error nothing needs releasing.
func FlattenMetrics(alloc memory.Allocator, data []byte, src MetricsSource, extractedAt time.Time) (*MetricsRecords, error) {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	if err := src.check(); err != nil {
		return nil, err
	}
	f := &metricsFlattener{d: jdec{key: src.Key}, src: src}
	if src.BuildID != "" {
		f.buildID = &src.BuildID
	}
	var doc jmDoc
	if err := f.d.document(data, &doc); err != nil {
		return nil, err
	}
	if err := apiError(src.Key, doc.Errors); err != nil {
		return nil, err
	}
	version, err := f.d.str(doc.Version, nil, "version")
	if err != nil {
		return nil, err
	}
	var ver string
	if version != nil {
		ver = *version
		if !metricnames.KnownVersion(ver) {
			f.drift.add("unknown version " + ver)
		}
	}
	if isJSONNull(doc.ProductData) {
		return nil, &JSONError{Key: src.Key, Path: "productData", Err: ErrMissingField}
	}

	defer f.release()
	if err := f.newBuilders(alloc, ver, extractedAt); err != nil {
		return nil, err
	}
	if err := f.productData(doc.ProductData); err != nil {
		return nil, err
	}
	if err := f.allInsights(doc.Insights); err != nil {
		return nil, err
	}
	return f.finish()
}

// check rejects a source that is neither the app nor a build endpoint.
func (src MetricsSource) check() error {
	switch {
	case src.Source == MetricsSourceApp && src.BuildID != "":
		return fmt.Errorf("transform: %s: metrics source app with build id %q", src.Key, src.BuildID)
	case src.Source == MetricsSourceBuild && src.BuildID == "":
		return fmt.Errorf("transform: %s: metrics source build without a build id", src.Key)
	case src.Source != MetricsSourceApp && src.Source != MetricsSourceBuild:
		return fmt.Errorf("transform: %s: metrics source %q, want %q or %q", src.Key, src.Source, MetricsSourceApp, MetricsSourceBuild)
	}
	return nil
}

// builders are the four table builders in MetricsRecords order.
func (f *metricsFlattener) builders() []**tableBuilder {
	return []**tableBuilder{&f.metrics, &f.breakdowns, &f.goals, &f.insights}
}

var metricsTables = []string{schemas.MetricsTable, schemas.BreakdownsTable, schemas.GoalsTable, schemas.InsightsTable}

func (f *metricsFlattener) newBuilders(alloc memory.Allocator, version string, extractedAt time.Time) error {
	for i, b := range f.builders() {
		table := metricsTables[i]
		nb, err := newTableBuilder(alloc, table, metricsColumns[table], f.src.Key, version, extractedAt)
		if err != nil {
			return err
		}
		*b = nb
	}
	return nil
}

// release releases the builders (nil ones are skipped).
func (f *metricsFlattener) release() {
	for _, b := range f.builders() {
		(*b).release()
	}
}

// finish returns the four batches and the drift.
func (f *metricsFlattener) finish() (*MetricsRecords, error) {
	out := &MetricsRecords{}
	for i, dst := range []*arrow.RecordBatch{&out.Metrics, &out.Breakdowns, &out.Goals, &out.Insights} {
		rec, err := (*f.builders()[i]).finish()
		if err != nil {
			out.Release()
			return nil, err
		}
		*dst = rec
	}
	out.Drift = f.drift.list
	return out, nil
}

func (f *metricsFlattener) checkCategory(category string) {
	if !metricnames.KnownCategory(category) {
		f.drift.add("unknown category " + category)
	}
}

func (f *metricsFlattener) checkMetric(category, metric string) {
	f.checkCategory(category)
	if !metricnames.KnownMetric(category, metric) {
		f.drift.add("unknown metric " + category + "/" + metric)
	}
}

func (f *metricsFlattener) checkUnit(unit *string, category, metric string) {
	if unit != nil && !metricnames.KnownUnit(*unit) {
		f.drift.add(fmt.Sprintf("unknown unit %s for %s/%s", *unit, category, metric))
	}
}
