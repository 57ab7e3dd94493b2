package sources_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// TestFailedUnitsLogWarnWithErr: with every payload corrupted, every family fails units,
// and each failed unit has its one log line at WARN (or ERROR) with an err field: none is
// logged at INFO or without its error.
func TestFailedUnitsLogWarnWithErr(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{
		Sim: simulator.Options{AnalyticsSince: 10 * 24 * time.Hour},
		Config: func(c *config.Config) {
			c.Sales.InitialDays = 2
			c.Finance.InitialPeriods = 1
			c.Reviews.Enabled, c.Metrics.Enabled, c.Catalog.Enabled, c.Analytics.Enabled = true, true, true, true
			c.TestFlight.Enabled, c.XcodeCloud.Enabled = true, true
			c.Analytics.Reports = []string{"App Downloads Standard"}
		},
		Sources: sourcesNew,
	})
	h.API = enginetest.CorruptPayloads
	var buf bytes.Buffer
	r := h.Runner()
	r.Log = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sum, err := r.Run(context.Background(), engine.Window{})
	if err != nil {
		t.Fatal(err)
	}
	failedBy := map[report.Family]int{}
	lines := 0
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			Level, Msg, State, Err string
			Family                 report.Family
			Unit                   string
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if rec.Msg != "unit" {
			continue
		}
		lines++
		if rec.State == "failed" || rec.Err != "" {
			if rec.Level != "WARN" && rec.Level != "ERROR" {
				t.Errorf("%s: a failed unit logged at %s", rec.Unit, rec.Level)
			}
			if rec.Err == "" {
				t.Errorf("%s: a failed unit logged without err", rec.Unit)
			}
			failedBy[rec.Family]++
		}
	}
	if got := sum.Totals().Failed; got == 0 || got != sumValues(failedBy) {
		t.Errorf("%d failed units in the summary, %d failed log lines (%v)", got, sumValues(failedBy), failedBy)
	}
	for _, f := range config.Families {
		if failedBy[f] == 0 {
			t.Errorf("family %s: no failed unit logged (corrupted payloads should fail it): %v", f, failedBy)
		}
	}
	t.Logf("%d unit lines, failed per family %v", lines, failedBy)
}

func sumValues(m map[report.Family]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
