package simulator

import "fmt"

// Ground truth of the metrics and diagnostics endpoints, for tests that load them.

// MetricsTruth is what the perfPowerMetrics endpoints serve now (no filters).
type MetricsTruth struct {
	AppID string
	// App is GET /v1/apps/{id}/perfPowerMetrics.
	App MetricsDocTruth
	// Builds is GET /v1/builds/{id}/perfPowerMetrics for every build uploaded by Now, by id.
	Builds map[string]MetricsDocTruth
}

// MetricsDocTruth counts one xcodeMetrics document.
type MetricsDocTruth struct {
	// Versions are the app versions that have points, oldest first.
	Versions []string
	// Metrics lists every metric in served order.
	Metrics          []TruthMetric
	Datasets         int
	Points           int
	Breakdowns       int // points with a percentageBreakdown
	GoalKeys         int
	RecommendedGoals int // datasets with a recommendedMetricGoal
	Insights         int // trendingUp + regressions
	// InsightPopulations counts populations, an insight without populations as 1 (one
	// row per population, or one row for the insight alone).
	InsightPopulations int
}

// TruthMetric names a served metric.
type TruthMetric struct{ Category, Metric, Unit string }

// DiagTruth is what GET /v1/builds/{id}/diagnosticSignatures and the signatures' logs
// serve now.
type DiagTruth struct {
	BuildID string
	// Signatures in served order; empty when the build has none (it answers 404).
	Signatures []TruthSignature
	// OrderSignatureID is the first signature; OrderSymbols are the symbol names of all the
	// frames of its logs in depth-first pre-order (log, tree, stack, root frame, subFrames).
	OrderSignatureID string
	OrderSymbols     []string
}

// TruthSignature is one diagnostic signature.
type TruthSignature struct {
	ID     string
	Type   string
	Weight float64
	Logs   int // diagnosticLogs served by its logs endpoint (no limit)
	Frames int // frames in those logs, counted recursively
}

// TruthMetrics returns the counts of the app's metrics documents as served now.
//
// Decision (Truth): TruthMetrics counts the unfiltered documents served now (app endpoint and
// each build uploaded by Now); an insight without populations counts one population.
// TruthDiagnostics lists signatures in served order with their logs and recursive frame counts
// (no limit) and, for the first, the symbols in depth-first pre-order (log, tree, stack, root,
// subFrames); a build without diagnostics gives no signatures and no error.
func (s *Server) TruthMetrics(appID string) (MetricsTruth, error) {
	a := s.appByID(appID)
	if a == nil {
		return MetricsTruth{}, fmt.Errorf("metrics: no app with id %q", appID)
	}
	now := s.now()
	t := MetricsTruth{AppID: appID, App: countMetrics(s.appPerfDoc(a, now)), Builds: map[string]MetricsDocTruth{}}
	for _, b := range s.visibleBuilds(a, now) {
		t.Builds[b.id] = countMetrics(s.buildPerfDoc(b, now))
	}
	return t, nil
}

func countMetrics(d *pmDoc) MetricsDocTruth {
	var t MetricsDocTruth
	seen := map[string]bool{}
	for _, p := range d.ProductData {
		for _, c := range p.MetricCategories {
			for _, m := range c.Metrics {
				t.Metrics = append(t.Metrics, TruthMetric{c.Identifier, m.Identifier, m.Unit.Identifier})
				t.GoalKeys += len(m.GoalKeys)
				for _, ds := range m.Datasets {
					t.Datasets++
					if ds.RecommendedMetricGoal != nil {
						t.RecommendedGoals++
					}
					for _, pt := range ds.Points {
						t.Points++
						if pt.PercentageBreakdown != nil {
							t.Breakdowns++
						}
						if !seen[pt.Version] {
							seen[pt.Version] = true
							t.Versions = append(t.Versions, pt.Version)
						}
					}
				}
			}
		}
	}
	if d.Insights != nil {
		for _, in := range append(append([]*pmInsight{}, d.Insights.TrendingUp...), d.Insights.Regressions...) {
			t.Insights++
			t.InsightPopulations += max(1, len(in.Populations))
		}
	}
	return t
}

// TruthDiagnostics returns the build's signatures and log counts as served now.
func (s *Server) TruthDiagnostics(buildID string) (DiagTruth, error) {
	b := s.buildByID(buildID, s.now())
	if b == nil {
		return DiagTruth{}, fmt.Errorf("diagnostics: no build with id %q", buildID)
	}
	t := DiagTruth{BuildID: buildID}
	for i, sg := range s.signatures(b) {
		d := s.logs(sg, maxLimit)
		ts := TruthSignature{ID: sg.id, Type: sg.typ, Weight: sg.weight}
		var syms *[]string
		if i == 0 {
			t.OrderSignatureID = sg.id
			t.OrderSymbols = []string{}
			syms = &t.OrderSymbols
		}
		for _, p := range d.ProductData {
			for _, l := range p.DiagnosticLogs {
				ts.Logs++
				for _, tr := range l.CallStackTree {
					for _, cs := range tr.CallStacks {
						for _, f := range cs.CallStackRootFrames {
							ts.Frames += preorder(f, syms)
						}
					}
				}
			}
		}
		t.Signatures = append(t.Signatures, ts)
	}
	return t, nil
}

// preorder counts the frames under f (f included), appending symbol names when syms is set.
func preorder(f *diagFrame, syms *[]string) int {
	if syms != nil {
		*syms = append(*syms, f.SymbolName)
	}
	n := 1
	for _, c := range f.SubFrames {
		n += preorder(c, syms)
	}
	return n
}
