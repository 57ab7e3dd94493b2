package simulator

import (
	"testing"

	mn "github.com/ascetl/etl/report/metricnames"
)

// TestMetricSpecsVocabulary: the served metrics are exactly report/metricnames' list
// (names, units, display names, order), so the loader, which checks against the same
// list, reports no drift for them.
func TestMetricSpecsVocabulary(t *testing.T) {
	want := mn.Metrics()
	if len(metricSpecs) != len(want) {
		t.Fatalf("%d metric specs, vocabulary has %d", len(metricSpecs), len(want))
	}
	for i, sp := range metricSpecs {
		got := mn.Metric{Category: sp.cat, ID: sp.id, Unit: sp.unit, Display: sp.unitName}
		if got != want[i] {
			t.Errorf("spec %d: %+v, vocabulary %+v", i, got, want[i])
		}
	}
	if mn.KnownMetric(extraMetric.cat, extraMetric.id) || mn.KnownUnit(extraMetric.unit) {
		t.Errorf("the MetricsExtra metric %s/%s (%s) is known; it must stay unknown to test drift",
			extraMetric.cat, extraMetric.id, extraMetric.unit)
	}
}

// TestServedMetricsKnown walks what the endpoints serve (app and every build, the
// insights too) and checks every category, metric and unit against the vocabulary.
func TestServedMetricsKnown(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: -1})
	for _, app := range e.srv.AppIDs() {
		truth, err := e.srv.TruthMetrics(app)
		if err != nil {
			t.Fatal(err)
		}
		docs := map[string]MetricsDocTruth{"app " + app: truth.App}
		for id, bt := range truth.Builds {
			docs["build "+id] = bt
		}
		for name, d := range docs {
			if len(d.Metrics) == 0 {
				t.Errorf("%s: no metrics", name)
			}
			for _, m := range d.Metrics {
				if !mn.KnownMetric(m.Category, m.Metric) || !mn.KnownUnit(m.Unit) {
					t.Errorf("%s: serves %s/%s in %s, not in report/metricnames", name, m.Category, m.Metric, m.Unit)
				}
			}
		}
		a := e.srv.appByID(app)
		d := e.srv.appPerfDoc(a, e.clock.Now())
		for _, in := range append(append([]*pmInsight{}, d.Insights.TrendingUp...), d.Insights.Regressions...) {
			if !mn.KnownMetric(in.MetricCategory, in.Metric) {
				t.Errorf("app %s: insight on %s/%s, not in report/metricnames", app, in.MetricCategory, in.Metric)
			}
		}
	}
}
