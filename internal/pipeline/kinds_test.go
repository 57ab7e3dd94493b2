package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// TestEveryReportKindAndVersion pulls each combination of Apple's table at each documented
// version (plus 1_4 of the subscription family, which Apple's table lacks but clients use)
// and checks the loaded Parquet against the simulator's ground truth.
func TestEveryReportKindAndVersion(t *testing.T) {
	windows := map[string][2]time.Time{
		report.Daily:   {day(2026, 11, 15), day(2026, 11, 16)},
		report.Weekly:  {day(2026, 11, 9), day(2026, 11, 15)},
		report.Monthly: {day(2026, 10, 1), day(2026, 10, 31)},
		report.Yearly:  {day(2025, 1, 1), day(2025, 12, 31)},
	}
	loadedKinds := 0
	for _, combo := range report.SalesCombos {
		versions := combo.Versions
		accept14 := false
		switch combo.Type {
		case "SUBSCRIPTION", "SUBSCRIPTION_EVENT", "SUBSCRIBER":
			versions, accept14 = append(append([]string{}, versions...), "1_4"), true
		}
		for _, v := range versions {
			name := fmt.Sprintf("%s/%s/%s/%s", combo.Type, combo.SubType, combo.Frequency, v)
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, simulator.Options{Accept14: accept14 && v == "1_4"}, func(c *config.Config) {
					c.Finance.Enabled = false
					c.Sales.Reports = []config.SalesReport{{Type: combo.Type, SubType: combo.SubType, Frequency: combo.Frequency, Version: v}}
				})
				w := windows[combo.Frequency]
				if combo.Until != "" { // discontinued (INSTALLS): its last period
					start, end, _ := report.PeriodBounds(combo.Frequency, combo.Until)
					w = [2]time.Time{start, end}
				}
				sum, err := h.pipeline().Backfill(context.Background(), Window{From: w[0], To: w[1]})
				if err != nil {
					t.Fatal(err)
				}
				if code := sum.ExitCode(); code != ExitOK || len(sum.NotesOf("version adopted")) != 0 {
					t.Fatalf("exit %d, adopted %v, failures %v", code, sum.NotesOf("version adopted"), sum.Failures)
				}
				if sum.Planned == 0 {
					t.Fatal("nothing planned")
				}
				es, _ := h.store.Ledger().List(context.Background(), "")
				for _, e := range es {
					if e.State == load.Loaded && (e.Version != v || len(e.Drift) != 0) {
						t.Errorf("%s: version %q drift %v", e.Unit.ID(), e.Version, e.Drift)
					}
				}
				if h.checkTruth() > 0 {
					loadedKinds++
				}
			})
		}
	}
	if min := len(report.SalesCombos); loadedKinds < min {
		t.Errorf("only %d kind/version pairs loaded any data, want at least %d", loadedKinds, min)
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
