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
	"strings"
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

// JSON shapes of xcodeMetrics; every member is raw so that it is decoded with its path.
type (
	jmDoc struct {
		Version     json.RawMessage `json:"version"`
		Insights    json.RawMessage `json:"insights"`
		ProductData json.RawMessage `json:"productData"`
		Errors      json.RawMessage `json:"errors"`
	}
	jmInsights struct {
		Regressions json.RawMessage `json:"regressions"`
		TrendingUp  json.RawMessage `json:"trendingUp"`
	}
	jmProduct struct {
		Platform         json.RawMessage `json:"platform"`
		MetricCategories json.RawMessage `json:"metricCategories"`
	}
	jmCategory struct {
		Identifier json.RawMessage `json:"identifier"`
		Metrics    json.RawMessage `json:"metrics"`
	}
	jmMetric struct {
		Identifier json.RawMessage `json:"identifier"`
		Unit       json.RawMessage `json:"unit"`
		GoalKeys   json.RawMessage `json:"goalKeys"`
		Datasets   json.RawMessage `json:"datasets"`
	}
	jmUnit struct {
		Identifier  json.RawMessage `json:"identifier"`
		DisplayName json.RawMessage `json:"displayName"`
	}
	jmGoal struct {
		GoalKey    json.RawMessage `json:"goalKey"`
		LowerBound json.RawMessage `json:"lowerBound"`
		UpperBound json.RawMessage `json:"upperBound"`
	}
	jmDataset struct {
		FilterCriteria        json.RawMessage `json:"filterCriteria"`
		Points                json.RawMessage `json:"points"`
		RecommendedMetricGoal json.RawMessage `json:"recommendedMetricGoal"`
	}
	jmFilter struct {
		Percentile          json.RawMessage `json:"percentile"`
		Device              json.RawMessage `json:"device"`
		DeviceMarketingName json.RawMessage `json:"deviceMarketingName"`
	}
	jmRecommended struct {
		Value  json.RawMessage `json:"value"`
		Detail json.RawMessage `json:"detail"`
	}
	jmPoint struct {
		Version             json.RawMessage `json:"version"`
		Value               json.RawMessage `json:"value"`
		ErrorMargin         json.RawMessage `json:"errorMargin"`
		PercentageBreakdown json.RawMessage `json:"percentageBreakdown"`
		Goal                json.RawMessage `json:"goal"`
	}
	jmBreakdown struct {
		Value          json.RawMessage `json:"value"`
		SubSystemLabel json.RawMessage `json:"subSystemLabel"`
	}
	jmInsight struct {
		MetricCategory        json.RawMessage `json:"metricCategory"`
		LatestVersion         json.RawMessage `json:"latestVersion"`
		Metric                json.RawMessage `json:"metric"`
		SummaryString         json.RawMessage `json:"summaryString"`
		ReferenceVersions     json.RawMessage `json:"referenceVersions"`
		MaxLatestVersionValue json.RawMessage `json:"maxLatestVersionValue"`
		SubSystemLabel        json.RawMessage `json:"subSystemLabel"`
		HighImpact            json.RawMessage `json:"highImpact"`
		Populations           json.RawMessage `json:"populations"`
	}
	jmPopulation struct {
		DeltaPercentage       json.RawMessage `json:"deltaPercentage"`
		Percentile            json.RawMessage `json:"percentile"`
		SummaryString         json.RawMessage `json:"summaryString"`
		ReferenceAverageValue json.RawMessage `json:"referenceAverageValue"`
		LatestVersionValue    json.RawMessage `json:"latestVersionValue"`
		Device                json.RawMessage `json:"device"`
	}
)

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
	switch {
	case src.Source == MetricsSourceApp && src.BuildID != "":
		return nil, fmt.Errorf("transform: %s: metrics source app with build id %q", src.Key, src.BuildID)
	case src.Source == MetricsSourceBuild && src.BuildID == "":
		return nil, fmt.Errorf("transform: %s: metrics source build without a build id", src.Key)
	case src.Source != MetricsSourceApp && src.Source != MetricsSourceBuild:
		return nil, fmt.Errorf("transform: %s: metrics source %q, want %q or %q", src.Key, src.Source, MetricsSourceApp, MetricsSourceBuild)
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

	builders := []**tableBuilder{&f.metrics, &f.breakdowns, &f.goals, &f.insights}
	defer func() {
		for _, b := range builders {
			(*b).release()
		}
	}()
	for i, table := range []string{schemas.MetricsTable, schemas.BreakdownsTable, schemas.GoalsTable, schemas.InsightsTable} {
		b, err := newTableBuilder(alloc, table, metricsColumns[table], src.Key, ver, extractedAt)
		if err != nil {
			return nil, err
		}
		*builders[i] = b
	}

	if err := f.productData(doc.ProductData); err != nil {
		return nil, err
	}
	if err := f.allInsights(doc.Insights); err != nil {
		return nil, err
	}

	out := &MetricsRecords{}
	for i, dst := range []*arrow.RecordBatch{&out.Metrics, &out.Breakdowns, &out.Goals, &out.Insights} {
		rec, err := (*builders[i]).finish()
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

func (f *metricsFlattener) productData(raw json.RawMessage) error {
	p := (*jpath)(nil).field("productData")
	products, err := f.d.array(raw, p)
	if err != nil {
		return err
	}
	for i, praw := range products {
		pp := p.at(i)
		var prod jmProduct
		if _, err := f.d.object(praw, pp, &prod); err != nil {
			return err
		}
		platform, err := f.d.str(prod.Platform, pp, "platform")
		if err != nil {
			return err
		}
		cp := pp.field("metricCategories")
		cats, err := f.d.array(prod.MetricCategories, cp)
		if err != nil {
			return err
		}
		for j, craw := range cats {
			if err := f.category(craw, cp.at(j), platform); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *metricsFlattener) category(raw json.RawMessage, p *jpath, platform *string) error {
	var cat jmCategory
	if ok, err := f.d.object(raw, p, &cat); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	category, err := f.d.required(cat.Identifier, p, "identifier")
	if err != nil {
		return err
	}
	f.checkCategory(category)
	mp := p.field("metrics")
	metrics, err := f.d.array(cat.Metrics, mp)
	if err != nil {
		return err
	}
	for k, mraw := range metrics {
		if err := f.metric(mraw, mp.at(k), platform, category); err != nil {
			return err
		}
	}
	return nil
}

func (f *metricsFlattener) metric(raw json.RawMessage, p *jpath, platform *string, category string) error {
	var m jmMetric
	if ok, err := f.d.object(raw, p, &m); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	name, err := f.d.required(m.Identifier, p, "identifier")
	if err != nil {
		return err
	}
	mk := metricKey{platform: platform, category: category, metric: name}
	var unit jmUnit
	up := p.field("unit")
	if _, err := f.d.object(m.Unit, up, &unit); err != nil {
		return err
	}
	if mk.unit, err = f.d.str(unit.Identifier, up, "identifier"); err != nil {
		return err
	}
	if mk.unitDisplay, err = f.d.str(unit.DisplayName, up, "displayName"); err != nil {
		return err
	}
	f.checkMetric(category, name)
	if mk.unit != nil && !metricnames.KnownUnit(*mk.unit) {
		f.drift.add(fmt.Sprintf("unknown unit %s for %s/%s", *mk.unit, category, name))
	}

	gp := p.field("goalKeys")
	goals, err := f.d.array(m.GoalKeys, gp)
	if err != nil {
		return err
	}
	for i, graw := range goals {
		if err := f.goal(graw, gp.at(i), &mk); err != nil {
			return err
		}
	}

	dp := p.field("datasets")
	datasets, err := f.d.array(m.Datasets, dp)
	if err != nil {
		return err
	}
	for i, draw := range datasets {
		if err := f.dataset(draw, dp.at(i), &mk); err != nil {
			return err
		}
	}
	return nil
}

// key appends the columns every metrics table starts with.
func (f *metricsFlattener) key(b *tableBuilder, mk *metricKey) {
	b.text("source", f.src.Source)
	b.str("build_id", f.buildID)
	b.str("platform", mk.platform)
	b.text("metric_category", mk.category)
	b.text("metric", mk.metric)
	b.str("unit", mk.unit)
	b.str("unit_display", mk.unitDisplay)
}

func (f *metricsFlattener) goal(raw json.RawMessage, p *jpath, mk *metricKey) error {
	var g jmGoal
	if ok, err := f.d.object(raw, p, &g); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	key, err := f.d.str(g.GoalKey, p, "goalKey")
	if err != nil {
		return err
	}
	lower, err := f.d.num(g.LowerBound, p, "lowerBound")
	if err != nil {
		return err
	}
	upper, err := f.d.num(g.UpperBound, p, "upperBound")
	if err != nil {
		return err
	}
	b := f.goals
	f.key(b, mk)
	b.str("goal_key", key)
	b.f64("lower_bound", lower)
	b.f64("upper_bound", upper)
	b.endRow()
	return nil
}

func (f *metricsFlattener) dataset(raw json.RawMessage, p *jpath, mk *metricKey) error {
	var ds jmDataset
	if ok, err := f.d.object(raw, p, &ds); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	var dk datasetKey
	var fc jmFilter
	fp := p.field("filterCriteria")
	if _, err := f.d.object(ds.FilterCriteria, fp, &fc); err != nil {
		return err
	}
	var err error
	if dk.device, err = f.d.str(fc.Device, fp, "device"); err != nil {
		return err
	}
	if dk.marketingName, err = f.d.str(fc.DeviceMarketingName, fp, "deviceMarketingName"); err != nil {
		return err
	}
	if dk.percentile, err = f.d.str(fc.Percentile, fp, "percentile"); err != nil {
		return err
	}
	var rg jmRecommended
	rp := p.field("recommendedMetricGoal")
	if _, err := f.d.object(ds.RecommendedMetricGoal, rp, &rg); err != nil {
		return err
	}
	if dk.recValue, err = f.d.num(rg.Value, rp, "value"); err != nil {
		return err
	}
	if dk.recDetail, err = f.d.str(rg.Detail, rp, "detail"); err != nil {
		return err
	}

	pp := p.field("points")
	points, err := f.d.array(ds.Points, pp)
	if err != nil {
		return err
	}
	for i, praw := range points {
		if err := f.point(praw, pp.at(i), int64(i), mk, &dk); err != nil {
			return err
		}
	}
	return nil
}

// pointKey appends the columns a point row and its breakdown rows share.
func (f *metricsFlattener) pointKey(b *tableBuilder, mk *metricKey, dk *datasetKey, version *string, index int64) {
	f.key(b, mk)
	b.str("device", dk.device)
	b.str("device_marketing_name", dk.marketingName)
	b.str("percentile", dk.percentile)
	b.str("version", version)
	b.i64("point_index", index)
}

func (f *metricsFlattener) point(raw json.RawMessage, p *jpath, index int64, mk *metricKey, dk *datasetKey) error {
	var pt jmPoint
	if ok, err := f.d.object(raw, p, &pt); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	version, err := f.d.str(pt.Version, p, "version")
	if err != nil {
		return err
	}
	value, err := f.d.num(pt.Value, p, "value")
	if err != nil {
		return err
	}
	margin, err := f.d.num(pt.ErrorMargin, p, "errorMargin")
	if err != nil {
		return err
	}
	goal, err := f.d.str(pt.Goal, p, "goal")
	if err != nil {
		return err
	}

	// Breakdowns: one object or an array of objects.
	bp := p.field("percentageBreakdown")
	var parts []json.RawMessage
	var partPath func(i int) *jpath
	switch jsonType(pt.PercentageBreakdown) {
	case "null", "nothing":
	case "object":
		parts = []json.RawMessage{pt.PercentageBreakdown}
		partPath = func(int) *jpath { return bp }
	case "array":
		if parts, err = f.d.array(pt.PercentageBreakdown, bp); err != nil {
			return err
		}
		partPath = bp.at
	default:
		return f.d.wrong(bp, "an object or an array of objects", pt.PercentageBreakdown)
	}
	type part struct {
		label *string
		value *float64
	}
	decoded := make([]part, len(parts))
	for i, braw := range parts {
		var bd jmBreakdown
		ip := partPath(i)
		if ok, err := f.d.object(braw, ip, &bd); err != nil || !ok {
			if err == nil {
				err = f.d.wrong(ip, "an object", braw)
			}
			return err
		}
		if decoded[i].label, err = f.d.str(bd.SubSystemLabel, ip, "subSystemLabel"); err != nil {
			return err
		}
		if decoded[i].value, err = f.d.num(bd.Value, ip, "value"); err != nil {
			return err
		}
	}

	b := f.metrics
	f.pointKey(b, mk, dk, version, index)
	b.f64("value", value)
	b.f64("error_margin", margin)
	b.str("goal", goal)
	b.f64("recommended_goal_value", dk.recValue)
	b.str("recommended_goal_detail", dk.recDetail)
	b.endRow()

	for i := range decoded {
		b := f.breakdowns
		f.pointKey(b, mk, dk, version, index)
		b.i64("breakdown_index", int64(i))
		b.str("sub_system_label", decoded[i].label)
		b.f64("percentage", decoded[i].value)
		b.endRow()
	}
	return nil
}

func (f *metricsFlattener) allInsights(raw json.RawMessage) error {
	p := (*jpath)(nil).field("insights")
	var ins jmInsights
	if _, err := f.d.object(raw, p, &ins); err != nil {
		return err
	}
	for _, list := range []struct {
		kind string
		raw  json.RawMessage
	}{{"regressions", ins.Regressions}, {"trendingUp", ins.TrendingUp}} {
		lp := p.field(list.kind)
		items, err := f.d.array(list.raw, lp)
		if err != nil {
			return err
		}
		for i, iraw := range items {
			if err := f.insight(iraw, lp.at(i), list.kind, int64(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *metricsFlattener) insight(raw json.RawMessage, p *jpath, kind string, index int64) error {
	var in jmInsight
	if ok, err := f.d.object(raw, p, &in); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	var (
		category, metric, latest, refs, label, summary *string
		maxLatest                                      *float64
		high                                           *bool
		err                                            error
	)
	for _, s := range []struct {
		dst  **string
		raw  json.RawMessage
		name string
	}{
		{&category, in.MetricCategory, "metricCategory"},
		{&metric, in.Metric, "metric"},
		{&latest, in.LatestVersion, "latestVersion"},
		{&label, in.SubSystemLabel, "subSystemLabel"},
		{&summary, in.SummaryString, "summaryString"},
	} {
		if *s.dst, err = f.d.str(s.raw, p, s.name); err != nil {
			return err
		}
	}
	if refs, err = f.referenceVersions(in.ReferenceVersions, p); err != nil {
		return err
	}
	if maxLatest, err = f.d.num(in.MaxLatestVersionValue, p, "maxLatestVersionValue"); err != nil {
		return err
	}
	if high, err = f.d.boolean(in.HighImpact, p, "highImpact"); err != nil {
		return err
	}
	if category != nil && metric != nil {
		f.checkMetric(*category, *metric)
	} else if category != nil {
		f.checkCategory(*category)
	}

	type population struct {
		device, percentile, summary *string
		delta, ref, latest          *float64
	}
	pp := p.field("populations")
	praws, err := f.d.array(in.Populations, pp)
	if err != nil {
		return err
	}
	pops := make([]population, len(praws))
	for i, praw := range praws {
		ip := pp.at(i)
		var jp jmPopulation
		if ok, err := f.d.object(praw, ip, &jp); err != nil || !ok {
			if err == nil {
				err = f.d.wrong(ip, "an object", praw)
			}
			return err
		}
		po := &pops[i]
		if po.device, err = f.d.str(jp.Device, ip, "device"); err != nil {
			return err
		}
		if po.percentile, err = f.d.str(jp.Percentile, ip, "percentile"); err != nil {
			return err
		}
		if po.summary, err = f.d.str(jp.SummaryString, ip, "summaryString"); err != nil {
			return err
		}
		if po.delta, err = f.d.num(jp.DeltaPercentage, ip, "deltaPercentage"); err != nil {
			return err
		}
		if po.ref, err = f.d.num(jp.ReferenceAverageValue, ip, "referenceAverageValue"); err != nil {
			return err
		}
		if po.latest, err = f.d.num(jp.LatestVersionValue, ip, "latestVersionValue"); err != nil {
			return err
		}
	}

	b := f.insights
	row := func() {
		b.text("source", f.src.Source)
		b.str("build_id", f.buildID)
		b.text("insight_kind", kind)
		b.i64("insight_index", index)
		b.str("metric_category", category)
		b.str("metric", metric)
		b.str("latest_version", latest)
		b.str("reference_versions", refs)
		b.f64("max_latest_version_value", maxLatest)
		b.str("sub_system_label", label)
		b.boolean("high_impact", high)
		b.str("summary", summary)
	}
	if len(pops) == 0 {
		row()
		b.null("population_index", "device", "percentile", "delta_percentage",
			"reference_average_value", "latest_version_value", "population_summary")
		b.endRow()
		return nil
	}
	for i := range pops {
		po := &pops[i]
		row()
		b.i64("population_index", int64(i))
		b.str("device", po.device)
		b.str("percentile", po.percentile)
		b.f64("delta_percentage", po.delta)
		b.f64("reference_average_value", po.ref)
		b.f64("latest_version_value", po.latest)
		b.str("population_summary", po.summary)
		b.endRow()
	}
	return nil
}

// referenceVersions accepts a string (kept as is) or an array of strings (joined with
// ","); nil when absent or null.
func (f *metricsFlattener) referenceVersions(raw json.RawMessage, p *jpath) (*string, error) {
	if jsonType(raw) != "array" {
		s, err := f.d.str(raw, p, "referenceVersions")
		if err != nil {
			return nil, f.d.wrong(p.field("referenceVersions"), "a string or an array of strings", raw)
		}
		return s, nil
	}
	rp := p.field("referenceVersions")
	items, err := f.d.array(raw, rp)
	if err != nil {
		return nil, err
	}
	vs := make([]string, len(items))
	for i, it := range items {
		s, err := f.d.str(it, rp, "")
		if err != nil || s == nil {
			return nil, f.d.wrong(rp.at(i), "a string", it)
		}
		vs[i] = *s
	}
	joined := strings.Join(vs, ",")
	return &joined, nil
}
