package transform_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/ascetl/etl/simulator"
	"github.com/ascetl/etl/transform"
)

// simMetrics serves every perfPowerMetrics document of the simulator (each app and each
// of its builds) and flattens it.
func simMetrics(t *testing.T, opt simulator.Options, each func(src transform.MetricsSource, recs *transform.MetricsRecords)) {
	t.Helper()
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	opt.Seed, opt.Now, opt.ReviewsPerApp = 42, func() time.Time { return now }, -1
	srv := simulator.New(opt)
	key, _, err := simulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv.AddKey("2X9R4HXF34", &key.PublicKey)
	tok, err := simulator.SignToken(key, "2X9R4HXF34", srv.Options().IssuerID, now)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) []byte {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	flatten := func(path string, src transform.MetricsSource) {
		src.Key = path
		recs, err := transform.FlattenMetrics(nil, get(path), src, now)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer recs.Release()
		if recs.Metrics.NumRows() == 0 {
			t.Fatalf("%s: no metric rows", path)
		}
		each(src, recs)
	}
	for _, app := range srv.AppIDs() {
		flatten("/v1/apps/"+app+"/perfPowerMetrics", transform.MetricsSource{Source: transform.MetricsSourceApp})
		for _, b := range srv.Builds(app) {
			flatten("/v1/builds/"+b.ID+"/perfPowerMetrics", transform.MetricsSource{Source: transform.MetricsSourceBuild, BuildID: b.ID})
		}
	}
}

// TestSimulatorMetricsNoDrift: the simulator and the loader share report/metricnames, so
// nothing the simulator serves is drift.
func TestSimulatorMetricsNoDrift(t *testing.T) {
	docs := 0
	simMetrics(t, simulator.Options{}, func(src transform.MetricsSource, recs *transform.MetricsRecords) {
		docs++
		if len(recs.Drift) != 0 {
			t.Errorf("%s: drift %q", src.Key, recs.Drift)
		}
	})
	if docs < 8 {
		t.Errorf("only %d documents flattened", docs)
	}
}

// TestSimulatorMetricsExtraDrift: a metric and unit outside the vocabulary (what Apple may
// add) are still reported, and loaded.
func TestSimulatorMetricsExtraDrift(t *testing.T) {
	want := []string{"unknown metric LAUNCH/prewarmTime", "unknown unit microfortnights for LAUNCH/prewarmTime"}
	simMetrics(t, simulator.Options{MetricsExtra: true}, func(src transform.MetricsSource, recs *transform.MetricsRecords) {
		if !slices.Equal(recs.Drift, want) {
			t.Errorf("%s: drift %q, want %q", src.Key, recs.Drift, want)
		}
	})
}
