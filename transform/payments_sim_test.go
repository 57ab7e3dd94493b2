package transform

import (
	"bytes"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// The simulator's Payments report loads, and its totals equal its own FINANCIAL truth.
func TestPaymentsFromSimulator(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sim := simulator.New(simulator.Options{Seed: 42, Now: func() time.Time { return now }})
	name, body, err := sim.PaymentsReport("2026-12")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Detect(name, body)
	if err != nil || d.Table.Name != "finance_payments" || d.Period != "2026-12" || d.Vendor != simulator.DefaultVendor {
		t.Fatalf("Detect = %+v, %v", d, err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	res, err := ParsePayments(name, bytes.NewReader(body), mem, extractedAt)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	if len(res.Checks) != 0 || len(res.Drift.Unknown)+len(res.Drift.Missing) != 0 || res.Period != "2026-12" {
		t.Fatalf("checks %q drift %+v period %s", res.Checks, res.Drift, res.Period)
	}
	cols := map[string][]string{}
	for i := 0; i < int(res.Record.NumCols()); i++ {
		cols[res.Record.ColumnName(i)] = values(res.Record.Column(i))
	}
	var units int64
	for _, region := range []string{"US", "EU", "JP", "GB", "WW"} {
		tr, err := sim.Truth(report.Unit{Family: report.Finance, Type: report.Financial, Region: region,
			Vendor: simulator.DefaultVendor, Period: "2026-12"}, "")
		if err != nil || tr.Status != 200 {
			t.Fatalf("%s truth %+v %v", region, tr, err)
		}
		units += tr.Units
	}
	var got int64
	for i, r := range cols["region"] {
		switch r {
		case "Americas", "Euro-Zone", "Japan", "United Kingdom", "Rest of World":
			got += sumInts(t, cols["units_sold"][i:i+1])
		}
	}
	if got != units || res.Rows < 10 {
		t.Errorf("units of five regions %d, truth %d (%d rows)", got, units, res.Rows)
	}
}
