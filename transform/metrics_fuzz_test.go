package transform

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// readFuzzSeed reads a testdata file for f.Add.
func readFuzzSeed(f *testing.F, name string) []byte {
	f.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// FuzzFlattenMetrics: any document flattens (for the app and a build endpoint) or fails
// with a *JSONError naming the key and JSON path, and nothing leaks. Seeds:
// testdata/fuzz/FuzzFlattenMetrics.
func FuzzFlattenMetrics(f *testing.F) {
	f.Add(readFuzzSeed(f, "metrics_perf_power_metrics_app_launch_apple-doc-example.json"))
	f.Add(readFuzzSeed(f, "metrics_perf_power_metrics_build_animation_apple-doc-example.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const key = "raw/metrics.json"
		for _, src := range []MetricsSource{{Source: MetricsSourceApp, Key: key}, {Source: MetricsSourceBuild, BuildID: "b1", Key: key}} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			recs, err := FlattenMetrics(mem, data, src, time.Unix(0, 0))
			if err != nil {
				checkJSONError(t, key, err)
			} else {
				for _, r := range []int64{recs.Metrics.NumRows(), recs.Breakdowns.NumRows(), recs.Goals.NumRows(), recs.Insights.NumRows()} {
					if r < 0 {
						t.Fatal("negative rows")
					}
				}
				recs.Release()
			}
			mem.AssertSize(t, 0)
		}
	})
}
