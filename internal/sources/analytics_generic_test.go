package sources_test

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
)

// TestAnalyticsGenericReportsMatchTruth: with no analytics.reports, every report the
// request lists is loaded — those without a typed schema through the generic loader, into
// analytics_<name> — and their latest rows per date equal the simulator's.
func TestAnalyticsGenericReportsMatchTruth(t *testing.T) {
	h := newAnalyticsHarness(t, simulator.Options{AnalyticsSince: 10 * 24 * time.Hour}, func(c *config.Config) {
		c.Analytics.Reports = nil
	})
	sum := h.runOK()
	app := h.Cfg.Analytics.Apps[0]
	generic := 0
	for _, e := range schemas.AnalyticsCatalog() {
		if e.Typed {
			continue
		}
		days := h.Sim.TruthAnalytics(app, e.Name, "DAILY")
		if len(days) == 0 {
			continue // a report without data
		}
		generic++
		table := schemas.AnalyticsTableName(e.Name)
		got := latestRows(t, h.Harness, table, app)
		for _, d := range days {
			g, ok := got[d.Date]
			if !ok {
				t.Errorf("%s %s: not loaded", table, d.Date)
				continue
			}
			if g.rows != d.Rows {
				t.Errorf("%s %s: %d rows, truth %d", table, d.Date, g.rows, d.Rows)
			}
			for m, want := range d.Measures {
				col := schemas.ColumnName(m)
				if have, ok := g.sums[col]; !ok || have.Cmp(ratOf(t, want)) != 0 {
					t.Errorf("%s %s: %s = %v, truth %s", table, d.Date, col, g.sums[col], want)
				}
			}
		}
	}
	if generic < 5 {
		t.Fatalf("only %d generic reports with data compared", generic)
	}
	if n := sum.NotesOf("analytics report"); len(n) != 0 { // every listed report is in the catalog
		t.Errorf("notices for reports of the catalog: %v", n)
	}
}

type dayRows struct {
	proc string
	rows int
	sums map[string]*big.Rat
}

// latestRows reads an analytics table of one app: per DAILY date, the rows of its latest
// processing date, with the sums of the numeric columns.
func latestRows(t *testing.T, h *enginetest.Harness, table, app string) map[string]*dayRows {
	t.Helper()
	ctx := context.Background()
	keys, err := h.Store.List(ctx, "parquet/"+table+"/app_id="+app+"/")
	if err != nil || len(keys) == 0 {
		t.Fatalf("%s: no objects for app %s (%v)", table, app, err)
	}
	out := map[string]*dayRows{}
	for _, k := range keys {
		tbl, err := h.Store.ReadTable(ctx, k, h.Alloc)
		if err != nil {
			t.Fatal(err)
		}
		tr := array.NewTableReader(tbl, 0)
		for tr.Next() {
			rec := tr.RecordBatch()
			col := func(n string) arrow.Array {
				is := rec.Schema().FieldIndices(n)
				if len(is) == 0 {
					t.Fatalf("%s: no column %s", k, n)
				}
				return rec.Column(is[0])
			}
			date, proc, gran := col("date"), col("processing_date"), col("granularity").(*array.String)
			for i := 0; i < int(rec.NumRows()); i++ {
				if gran.Value(i) != "DAILY" {
					continue
				}
				d, p := date.ValueStr(i), proc.ValueStr(i)
				x := out[d]
				if x == nil || p > x.proc {
					x = &dayRows{proc: p, sums: map[string]*big.Rat{}}
					out[d] = x
				} else if p < x.proc {
					continue
				}
				x.rows++
				for c, f := range rec.Schema().Fields() {
					if schemas.IsLineage(f.Name) || rec.Column(c).IsNull(i) {
						continue
					}
					switch f.Type.ID() {
					case arrow.INT64, arrow.DECIMAL128:
						if x.sums[f.Name] == nil {
							x.sums[f.Name] = new(big.Rat)
						}
						x.sums[f.Name].Add(x.sums[f.Name], ratOf(t, rec.Column(c).ValueStr(i)))
					}
				}
			}
		}
		tr.Release()
		tbl.Release()
	}
	return out
}

func ratOf(t *testing.T, s string) *big.Rat {
	t.Helper()
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok {
		t.Fatalf("not a number: %q", s)
	}
	return r
}
