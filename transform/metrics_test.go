package transform

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// mtCol returns the named column of rec as strings ("<null>" for nulls).
func mtCol(t *testing.T, rec arrow.RecordBatch, name string) []string {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %s", name)
	}
	return values(rec.Column(idx[0]))
}

// mtFloats returns the named float64 column (NaN-free; nulls fail the test).
func mtFloats(t *testing.T, rec arrow.RecordBatch, name string) []float64 {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("no column %s", name)
	}
	a, ok := rec.Column(idx[0]).(*array.Float64)
	if !ok {
		t.Fatalf("column %s is %s, not float64", name, rec.Column(idx[0]).DataType())
	}
	out := make([]float64, a.Len())
	for i := range out {
		if a.IsNull(i) {
			t.Fatalf("%s[%d] is null", name, i)
		}
		out[i] = a.Value(i)
	}
	return out
}

func mtEqual[T any](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func mtSchema(t *testing.T, rec arrow.RecordBatch, table string) {
	t.Helper()
	if want := schemaOf(t, table); !rec.Schema().Equal(want) {
		t.Errorf("%s schema:\n got %s\nwant %s", table, rec.Schema(), want)
	}
}

func schemaOf(t *testing.T, table string) *arrow.Schema {
	t.Helper()
	tb, ok := schemas.Lookup(table)
	if !ok {
		t.Fatalf("no table %s", table)
	}
	return tb.ArrowSchema(nil)
}

// mtLineage checks _source_key, _source_line 1..n, _report_version and _extracted_at.
func mtLineage(t *testing.T, rec arrow.RecordBatch, key, version string) {
	t.Helper()
	n := int(rec.NumRows())
	lines := make([]string, n)
	keys, vers, exts := make([]string, n), make([]string, n), make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprint(i + 1)
		keys[i], vers[i] = key, version
		exts[i] = extractedAt.Truncate(1000).Format("2006-01-02T15:04:05.999999999Z07:00")
	}
	mtEqual(t, "_source_line", mtCol(t, rec, schemas.LineageSourceLine), lines)
	mtEqual(t, "_source_key", mtCol(t, rec, schemas.LineageSourceKey), keys)
	mtEqual(t, "_report_version", mtCol(t, rec, schemas.LineageReportVersion), vers)
	mtEqual(t, "_extracted_at", mtCol(t, rec, schemas.LineageExtractedAt), exts)
}

func flattenMetrics(t *testing.T, data []byte, src MetricsSource) *MetricsRecords {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	recs, err := FlattenMetrics(mem, data, src, extractedAt)
	if err != nil {
		t.Fatalf("FlattenMetrics: %v", err)
	}
	t.Cleanup(recs.Release)
	mtSchema(t, recs.Metrics, schemas.MetricsTable)
	mtSchema(t, recs.Breakdowns, schemas.BreakdownsTable)
	mtSchema(t, recs.Goals, schemas.GoalsTable)
	mtSchema(t, recs.Insights, schemas.InsightsTable)
	return recs
}

// walked is what an independent walk of an xcodeMetrics document expects.
type walked struct {
	points     int
	values     []float64
	versions   []string
	pointIndex []string
	breakdowns int
	goals      int
	insights   int // rows: one per population, or one for an insight without populations
}

// walkMetrics walks the document generically (map[string]any), independently of the code
// under test. Numbers are decoded by encoding/json into float64.
func walkMetrics(t *testing.T, data []byte) walked {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	arr := func(v any) []any { a, _ := v.([]any); return a }
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	var w walked
	for _, p := range arr(doc["productData"]) {
		for _, c := range arr(obj(p)["metricCategories"]) {
			for _, m := range arr(obj(c)["metrics"]) {
				w.goals += len(arr(obj(m)["goalKeys"]))
				for _, ds := range arr(obj(m)["datasets"]) {
					for i, pt := range arr(obj(ds)["points"]) {
						w.points++
						w.values = append(w.values, obj(pt)["value"].(float64))
						w.versions = append(w.versions, obj(pt)["version"].(string))
						w.pointIndex = append(w.pointIndex, fmt.Sprint(i))
						switch b := obj(pt)["percentageBreakdown"].(type) {
						case map[string]any:
							w.breakdowns++
						case []any:
							w.breakdowns += len(b)
						}
					}
				}
			}
		}
	}
	ins := obj(doc["insights"])
	for _, kind := range []string{"regressions", "trendingUp"} {
		for _, in := range arr(ins[kind]) {
			w.insights += max(1, len(arr(obj(in)["populations"])))
		}
	}
	return w
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFlattenMetricsAppleSamples(t *testing.T) {
	for _, tc := range []struct {
		file string
		src  MetricsSource
	}{
		{"metrics_perf_power_metrics_app_launch_apple-doc-example.json", MetricsSource{Source: "app", Key: "raw/app.json"}},
		{"metrics_perf_power_metrics_build_animation_apple-doc-example.json", MetricsSource{Source: "build", BuildID: "b-42", Key: "raw/build.json"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := readTestdata(t, tc.file)
			w := walkMetrics(t, data)
			recs := flattenMetrics(t, data, tc.src)
			if len(recs.Drift) != 0 {
				t.Errorf("drift: %q", recs.Drift)
			}
			if got := int(recs.Metrics.NumRows()); got != w.points || w.points == 0 {
				t.Errorf("perf_metrics rows %d, points in the JSON %d", got, w.points)
			}
			mtEqual(t, "value", mtFloats(t, recs.Metrics, "value"), w.values)
			mtEqual(t, "version", mtCol(t, recs.Metrics, "version"), w.versions)
			mtEqual(t, "point_index", mtCol(t, recs.Metrics, "point_index"), w.pointIndex)
			if got := int(recs.Breakdowns.NumRows()); got != w.breakdowns {
				t.Errorf("breakdown rows %d, want %d", got, w.breakdowns)
			}
			if got := int(recs.Goals.NumRows()); got != w.goals {
				t.Errorf("goal rows %d, want %d", got, w.goals)
			}
			if got := int(recs.Insights.NumRows()); got != w.insights {
				t.Errorf("insight rows %d, want %d", got, w.insights)
			}
			for _, rec := range []arrow.RecordBatch{recs.Metrics, recs.Breakdowns, recs.Goals, recs.Insights} {
				mtLineage(t, rec, tc.src.Key, "1.0.0")
			}
			n := int(recs.Metrics.NumRows())
			rep := func(s string) []string { return strings.Split(strings.Repeat(s+"\x00", n), "\x00")[:n] }
			mtEqual(t, "source", mtCol(t, recs.Metrics, "source"), rep(tc.src.Source))
			if tc.src.BuildID == "" {
				mtEqual(t, "build_id", mtCol(t, recs.Metrics, "build_id"), rep("<null>"))
			} else {
				mtEqual(t, "build_id", mtCol(t, recs.Metrics, "build_id"), rep(tc.src.BuildID))
			}
			mtEqual(t, "platform", mtCol(t, recs.Metrics, "platform"), rep("iOS"))
		})
	}
}

func TestFlattenMetricsLaunchSample(t *testing.T) {
	recs := flattenMetrics(t, readTestdata(t, "metrics_perf_power_metrics_app_launch_apple-doc-example.json"),
		MetricsSource{Source: "app", Key: "k"})
	m := recs.Metrics
	mtEqual(t, "value", mtFloats(t, m, "value"), []float64{768.7, 750, 992.3, 1118.9, 997.8, 1532.1, 1390.2, 2030.8, 2158.4, 2014.3})
	mtEqual(t, "percentile", mtCol(t, m, "percentile")[4:6], []string{"percentile.fifty", "percentile.ninety"})
	mtEqual(t, "metric_category", mtCol(t, m, "metric_category")[:1], []string{"LAUNCH"})
	mtEqual(t, "metric", mtCol(t, m, "metric")[:1], []string{"launchTime"})
	mtEqual(t, "unit", mtCol(t, m, "unit")[:1], []string{"milliseconds"})
	mtEqual(t, "unit_display", mtCol(t, m, "unit_display")[:1], []string{"ms"})
	mtEqual(t, "device", mtCol(t, m, "device")[:1], []string{"all_iphones"})
	mtEqual(t, "device_marketing_name", mtCol(t, m, "device_marketing_name")[:1], []string{"All iPhones"})
	for _, c := range []string{"error_margin", "goal", "recommended_goal_value", "recommended_goal_detail"} {
		mtEqual(t, c, mtCol(t, m, c)[:1], []string{"<null>"})
	}

	in := recs.Insights
	for c, want := range map[string][]string{
		"insight_kind":       {"regressions", "regressions"},
		"insight_index":      {"0", "0"},
		"metric_category":    {"LAUNCH", "LAUNCH"},
		"metric":             {"launchTime", "launchTime"},
		"latest_version":     {"2.0", "2.0"},
		"reference_versions": {"1.0,1.1,1.2,1.3", "1.0,1.1,1.2,1.3"},
		"population_index":   {"0", "1"},
		"device":             {"all_iphones", "all_iphones"},
		"percentile":         {"percentile.fifty", "percentile.ninety"},
		"population_summary": {"Increased 10% across iPhone (All)", "Increased 13% across iPhone (All)"},
		"high_impact":        {"<null>", "<null>"},
		"sub_system_label":   {"<null>", "<null>"},
		"build_id":           {"<null>", "<null>"},
	} {
		mtEqual(t, c, mtCol(t, in, c), want)
	}
	mtEqual(t, "delta_percentage", mtFloats(t, in, "delta_percentage"), []float64{10, 13})
	mtEqual(t, "reference_average_value", mtFloats(t, in, "reference_average_value"), []float64{907.48, 1777.88})
	mtEqual(t, "latest_version_value", mtFloats(t, in, "latest_version_value"), []float64{997.8, 2014.3})
	mtEqual(t, "max_latest_version_value", mtFloats(t, in, "max_latest_version_value"), []float64{2014.3, 2014.3})
	if s := mtCol(t, in, "summary")[0]; !strings.HasPrefix(s, "Top (90th percentile)") {
		t.Errorf("summary %q", s)
	}
}

func TestFlattenMetricsAnimationSample(t *testing.T) {
	recs := flattenMetrics(t, readTestdata(t, "metrics_perf_power_metrics_build_animation_apple-doc-example.json"),
		MetricsSource{Source: "build", BuildID: "b-42", Key: "k"})
	m := recs.Metrics
	mtEqual(t, "value", mtFloats(t, m, "value"), []float64{6.5, 29.7})
	mtEqual(t, "goal", mtCol(t, m, "goal"), []string{"fair", "poor"})
	mtEqual(t, "unit", mtCol(t, m, "unit"), []string{"scrollHitchRate", "scrollHitchRate"})
	mtEqual(t, "unit_display", mtCol(t, m, "unit_display"), []string{"%", "%"})
	mtEqual(t, "device_marketing_name", mtCol(t, m, "device_marketing_name"), []string{"All iPads", "All iPads"})

	g := recs.Goals
	mtEqual(t, "goal_key", mtCol(t, g, "goal_key"), []string{"poor", "fair", "good"})
	mtEqual(t, "lower_bound", mtFloats(t, g, "lower_bound"), []float64{10, 5, 0})
	mtEqual(t, "upper_bound", mtCol(t, g, "upper_bound"), []string{"<null>", "10", "5"})
	mtEqual(t, "metric", mtCol(t, g, "metric"), []string{"scrollHitchRate", "scrollHitchRate", "scrollHitchRate"})
	mtEqual(t, "metric_category", mtCol(t, g, "metric_category"), []string{"ANIMATION", "ANIMATION", "ANIMATION"})
	mtEqual(t, "build_id", mtCol(t, g, "build_id"), []string{"b-42", "b-42", "b-42"})
	if recs.Insights.NumRows() != 0 || recs.Breakdowns.NumRows() != 0 {
		t.Errorf("insights %d, breakdowns %d; want none", recs.Insights.NumRows(), recs.Breakdowns.NumRows())
	}
}

// metricsDoc wraps metric objects (JSON text) in a LAUNCH category.
func metricsDoc(category string, metrics ...string) []byte {
	return []byte(`{"version":"1.0.0","productData":[{"platform":"iOS","metricCategories":[{"identifier":"` +
		category + `","metrics":[` + strings.Join(metrics, ",") + `]}]}]}`)
}

func TestFlattenMetricsDrift(t *testing.T) {
	doc := []byte(`{"version":"1.0.0","productData":[{"platform":"iOS","metricCategories":[
	  {"identifier":"LAUNCH","metrics":[
	    {"identifier":"prewarmTime","unit":{"identifier":"microfortnights","displayName":"µft"},
	     "datasets":[{"filterCriteria":{"device":"all_iphones"},"points":[{"version":"1.0","value":3},{"version":"1.1","value":4.25}]}]},
	    {"identifier":"launchTime","unit":{"identifier":"milliseconds","displayName":"ms"},
	     "datasets":[{"points":[{"version":"1.0","value":1}]}]}]},
	  {"identifier":"GPU","metrics":[
	    {"identifier":"gpuTime","unit":{"identifier":"ms"},"datasets":[{"points":[{"version":"1.0","value":2}]}]}]}]}],
	 "insights":{"trendingUp":[{"metricCategory":"LAUNCH","metric":"prewarmTime","populations":[]}]}}`)
	recs := flattenMetrics(t, doc, MetricsSource{Source: "app", Key: "k"})
	mtEqual(t, "drift", recs.Drift, []string{
		"unknown metric LAUNCH/prewarmTime",
		"unknown unit microfortnights for LAUNCH/prewarmTime",
		"unknown category GPU",
		"unknown metric GPU/gpuTime",
	})
	mtEqual(t, "metric", mtCol(t, recs.Metrics, "metric"), []string{"prewarmTime", "prewarmTime", "launchTime", "gpuTime"})
	mtEqual(t, "metric_category", mtCol(t, recs.Metrics, "metric_category"), []string{"LAUNCH", "LAUNCH", "LAUNCH", "GPU"})
	mtEqual(t, "unit", mtCol(t, recs.Metrics, "unit"), []string{"microfortnights", "microfortnights", "milliseconds", "ms"})
	mtEqual(t, "value", mtFloats(t, recs.Metrics, "value"), []float64{3, 4.25, 1, 2})
	mtEqual(t, "point_index", mtCol(t, recs.Metrics, "point_index"), []string{"0", "1", "0", "0"})

	// The insight without populations: one row, null population columns.
	in := recs.Insights
	for c, want := range map[string]string{
		"insight_kind": "trendingUp", "insight_index": "0", "metric": "prewarmTime",
		"population_index": "<null>", "device": "<null>", "delta_percentage": "<null>",
		"population_summary": "<null>", "reference_versions": "<null>",
	} {
		mtEqual(t, c, mtCol(t, in, c), []string{want})
	}

	// An unknown document version is drift too.
	recs2 := flattenMetrics(t, []byte(`{"version":"2.0.0","productData":[]}`), MetricsSource{Source: "app", Key: "k"})
	mtEqual(t, "drift", recs2.Drift, []string{"unknown version 2.0.0"})
	mtLineage(t, recs2.Metrics, "k", "2.0.0")
}

func TestFlattenMetricsBreakdowns(t *testing.T) {
	doc := metricsDoc("BATTERY",
		`{"identifier":"onScreenBattery","unit":{"identifier":"%","displayName":"%"},
		  "datasets":[{"filterCriteria":{"percentile":"percentile.fifty","device":"all_iphones"},
		    "recommendedMetricGoal":{"value":5,"detail":"Typical"},
		    "points":[
		      {"version":"1.0","value":12.5,"errorMargin":0.25,"percentageBreakdown":{"value":40,"subSystemLabel":"CPU"}},
		      {"version":"1.1","value":11,"percentageBreakdown":[{"value":30.5,"subSystemLabel":"Display"},{"value":69.5,"subSystemLabel":"Networking"}]},
		      {"version":"1.2","value":10,"percentageBreakdown":[]},
		      {"version":"1.3","value":9,"percentageBreakdown":null}]}]}`)
	recs := flattenMetrics(t, doc, MetricsSource{Source: "build", BuildID: "b", Key: "k"})
	m := recs.Metrics
	mtEqual(t, "value", mtFloats(t, m, "value"), []float64{12.5, 11, 10, 9})
	mtEqual(t, "error_margin", mtCol(t, m, "error_margin"), []string{"0.25", "<null>", "<null>", "<null>"})
	mtEqual(t, "recommended_goal_value", mtFloats(t, m, "recommended_goal_value"), []float64{5, 5, 5, 5})
	mtEqual(t, "recommended_goal_detail", mtCol(t, m, "recommended_goal_detail"), []string{"Typical", "Typical", "Typical", "Typical"})

	b := recs.Breakdowns
	mtEqual(t, "version", mtCol(t, b, "version"), []string{"1.0", "1.1", "1.1"})
	mtEqual(t, "point_index", mtCol(t, b, "point_index"), []string{"0", "1", "1"})
	mtEqual(t, "breakdown_index", mtCol(t, b, "breakdown_index"), []string{"0", "0", "1"})
	mtEqual(t, "sub_system_label", mtCol(t, b, "sub_system_label"), []string{"CPU", "Display", "Networking"})
	mtEqual(t, "percentage", mtFloats(t, b, "percentage"), []float64{40, 30.5, 69.5})
	mtEqual(t, "percentile", mtCol(t, b, "percentile"), []string{"percentile.fifty", "percentile.fifty", "percentile.fifty"})
	mtEqual(t, "metric", mtCol(t, b, "metric"), []string{"onScreenBattery", "onScreenBattery", "onScreenBattery"})
	mtLineage(t, b, "k", "1.0.0")
	if len(recs.Drift) != 0 {
		t.Errorf("drift %q", recs.Drift)
	}
}

func TestFlattenMetricsInsightShapes(t *testing.T) {
	doc := []byte(`{"productData":[],"insights":{
	  "regressions":[{"metricCategory":"HANG","metric":"hangRate","referenceVersions":"1.0, 1.1","highImpact":true,
	     "maxLatestVersionValue":3,"subSystemLabel":"Main thread","summaryString":"",
	     "populations":[{"deltaPercentage":-2.5,"device":"all_ipads"}]}],
	  "trendingUp":[{"metricCategory":"DISK","metric":"logicalWrites","referenceVersions":[],"highImpact":false},
	                {"metricCategory":"MEMORY","metric":"peakMemory","referenceVersions":["2.0"]}]}}`)
	recs := flattenMetrics(t, doc, MetricsSource{Source: "app", Key: "k"})
	in := recs.Insights
	for c, want := range map[string][]string{
		"insight_kind":       {"regressions", "trendingUp", "trendingUp"},
		"insight_index":      {"0", "0", "1"},
		"reference_versions": {"1.0, 1.1", "", "2.0"},
		"high_impact":        {"true", "false", "<null>"},
		"summary":            {"", "<null>", "<null>"},
		"population_index":   {"0", "<null>", "<null>"},
		"delta_percentage":   {"-2.5", "<null>", "<null>"},
		"device":             {"all_ipads", "<null>", "<null>"},
		"percentile":         {"<null>", "<null>", "<null>"},
		"sub_system_label":   {"Main thread", "<null>", "<null>"},
	} {
		mtEqual(t, c, mtCol(t, in, c), want)
	}
	mtLineage(t, in, "k", "")
	if len(recs.Drift) != 0 {
		t.Errorf("drift %q", recs.Drift)
	}
}

func TestFlattenMetricsErrors(t *testing.T) {
	// points[3] of datasets[2] of metrics[0] of metricCategories[1].
	ds := func(points string) string { return `{"points":[` + points + `]}` }
	okPoint := `{"version":"1","value":1}`
	deep := `{"productData":[{"metricCategories":[{"identifier":"LAUNCH","metrics":[]},{"identifier":"HANG","metrics":[
	  {"identifier":"hangRate","datasets":[` + ds(okPoint) + `,` + ds(okPoint) + `,` +
		ds(okPoint+`,`+okPoint+`,`+okPoint+`,{"version":"1","value":"7"}`) + `]}]}]}]}`

	for _, tc := range []struct {
		name string
		doc  string
		src  MetricsSource
		want string
		is   error
	}{
		{"value as string", deep, MetricsSource{}, `k: productData[0].metricCategories[1].metrics[0].datasets[2].points[3].value: want a number, got "7"`, ErrWrongType},
		{"not JSON", `{"productData":`, MetricsSource{}, `k: invalid JSON at line 1, column 15: unexpected end of JSON input`, ErrInvalidJSON},
		{"not JSON, line 2", "{\"productData\":\n [1,}", MetricsSource{}, `k: invalid JSON at line 2, column 5: invalid character '}' looking for beginning of value`, ErrInvalidJSON},
		{"not an object", `[1]`, MetricsSource{}, `k: want a JSON object, got array`, ErrInvalidJSON},
		{"error document", `{"errors":[{"status":"403"}]}`, MetricsSource{}, `k: errors: API error document: [{"status":"403"}]`, ErrInvalidJSON},
		{"no productData", `{"version":"1.0.0"}`, MetricsSource{}, `k: productData: missing`, ErrMissingField},
		{"productData object", `{"productData":{}}`, MetricsSource{}, `k: productData: want an array, got {}`, ErrWrongType},
		{"no category id", `{"productData":[{"metricCategories":[{"metrics":[]}]}]}`, MetricsSource{}, `k: productData[0].metricCategories[0].identifier: missing`, ErrMissingField},
		{"empty metric id", string(metricsDoc("LAUNCH", `{"identifier":""}`)), MetricsSource{}, `k: productData[0].metricCategories[0].metrics[0].identifier: empty`, ErrMissingField},
		{"breakdown string", string(metricsDoc("LAUNCH", `{"identifier":"launchTime","datasets":[{"points":[{"percentageBreakdown":"x"}]}]}`)), MetricsSource{},
			`k: productData[0].metricCategories[0].metrics[0].datasets[0].points[0].percentageBreakdown: want an object or an array of objects, got "x"`, ErrWrongType},
		{"breakdown element", string(metricsDoc("LAUNCH", `{"identifier":"launchTime","datasets":[{"points":[{"percentageBreakdown":[{},{"value":true}]}]}]}`)), MetricsSource{},
			`k: productData[0].metricCategories[0].metrics[0].datasets[0].points[0].percentageBreakdown[1].value: want a number, got true`, ErrWrongType},
		{"upper bound", string(metricsDoc("LAUNCH", `{"identifier":"launchTime","goalKeys":[{"goalKey":"good","upperBound":"5"}]}`)), MetricsSource{},
			`k: productData[0].metricCategories[0].metrics[0].goalKeys[0].upperBound: want a number, got "5"`, ErrWrongType},
		{"unit", string(metricsDoc("LAUNCH", `{"identifier":"launchTime","unit":"ms"}`)), MetricsSource{},
			`k: productData[0].metricCategories[0].metrics[0].unit: want an object, got "ms"`, ErrWrongType},
		{"referenceVersions", `{"productData":[],"insights":{"regressions":[{"referenceVersions":["1.0",2]}]}}`, MetricsSource{},
			`k: insights.regressions[0].referenceVersions[1]: want a string, got 2`, ErrWrongType},
		{"highImpact", `{"productData":[],"insights":{"trendingUp":[{},{"highImpact":"yes"}]}}`, MetricsSource{},
			`k: insights.trendingUp[1].highImpact: want a boolean, got "yes"`, ErrWrongType},
		{"population", `{"productData":[],"insights":{"trendingUp":[{"populations":[{"device":1}]}]}}`, MetricsSource{},
			`k: insights.trendingUp[0].populations[0].device: want a string, got 1`, ErrWrongType},
		{"huge number", string(metricsDoc("LAUNCH", `{"identifier":"launchTime","datasets":[{"points":[{"value":1e999}]}]}`)), MetricsSource{},
			`k: productData[0].metricCategories[0].metrics[0].datasets[0].points[0].value: value out of range: 1e999`, ErrOutOfRange},
		{"bad source", `{"productData":[]}`, MetricsSource{Source: "apps", Key: "k"}, `transform: k: metrics source "apps", want "app" or "build"`, nil},
		{"build without id", `{"productData":[]}`, MetricsSource{Source: "build", Key: "k"}, `transform: k: metrics source build without a build id`, nil},
		{"app with id", `{"productData":[]}`, MetricsSource{Source: "app", BuildID: "b", Key: "k"}, `transform: k: metrics source app with build id "b"`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			src := tc.src
			if src.Source == "" {
				src = MetricsSource{Source: "app", Key: "k"}
			}
			recs, err := FlattenMetrics(mem, []byte(tc.doc), src, extractedAt)
			if err == nil {
				recs.Release()
				t.Fatalf("no error, want %s", tc.want)
			}
			if recs != nil {
				t.Errorf("records returned with an error")
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			var je *JSONError
			if tc.is != nil && !errors.As(err, &je) {
				t.Errorf("error %T is not a *JSONError", err)
			}
		})
	}
}

// Unknown members anywhere are ignored; numbers may be integers or decimals.
func TestFlattenMetricsUnknownMembers(t *testing.T) {
	doc := []byte(`{"version":"1.0.0","extra":{"x":[1,2]},"productData":[{"platform":"iOS","new":1,"metricCategories":[
	  {"identifier":"MEMORY","colour":"red","metrics":[{"identifier":"peakMemory","unit":{"identifier":"MB","displayName":"MB","scale":2},
	    "datasets":[{"filterCriteria":{"device":"iPhone15,2","bucket":"x"},"points":[{"version":"3","value":100,"goal":"good","extra":[]},{"version":"4","value":1.5e2}]}]}]}]}]}`)
	recs := flattenMetrics(t, doc, MetricsSource{Source: "app", Key: "k"})
	mtEqual(t, "value", mtFloats(t, recs.Metrics, "value"), []float64{100, 150})
	mtEqual(t, "goal", mtCol(t, recs.Metrics, "goal"), []string{"good", "<null>"})
	mtEqual(t, "device", mtCol(t, recs.Metrics, "device"), []string{"iPhone15,2", "iPhone15,2"})
	if len(recs.Drift) != 0 {
		t.Errorf("drift %q", recs.Drift)
	}
}
