package pipeline

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/simulator"
)

// samples is the public sample pack (../shared/asc/samples), copied into transform's testdata.
const samples = "../../transform/testdata"

func TestImportSamples(t *testing.T) {
	tests := []struct {
		file   string
		opt    ImportOptions
		table  string
		period string
		rows   int64
	}{
		{"sales_summary_kachit-stub.tsv", ImportOptions{}, "sales_summary_daily", "2020-10-05", 46},
		{"pre_order_summary_kachit-stub.tsv", ImportOptions{}, "pre_order_summary_daily", "2020-10-05", 2},
		{"subscription_summary_legacy-1_2_kachit-stub.tsv", ImportOptions{Period: "2020-10-05"}, "subscription_summary_daily", "2020-10-05", 49},
		{"subscription_event_summary_legacy-1_2_kachit-stub.tsv", ImportOptions{}, "subscription_event_summary_daily", "", 49},
		{"subscriber_detailed_legacy-1_2_kachit-stub.tsv", ImportOptions{}, "subscriber_detailed_daily", "2020-10-05", 48},
		{"financial_region_kachit-stub.tsv", ImportOptions{Region: "US"}, "finance_financial", "2021-01", 2},
		{"finance_detail_handmade.tsv", ImportOptions{}, "finance_detail", "", 0},
		// Old layouts load without drift (transform/corpus_test.go checks their totals).
		{"sales_summary_2015_daily_latin1.tsv", ImportOptions{}, "sales_summary_daily", "2015-06-07", 13},
		{"subscription_summary_1_2_crlf.tsv", ImportOptions{Period: "2020-10-05"}, "subscription_summary_daily", "2020-10-05", 6},
	}
	h := newHarness(t, simulator.Options{}, nil)
	p := h.pipeline()
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			sum, err := p.Import(context.Background(), []string{filepath.Join(samples, tc.file)}, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if code := sum.ExitCode(); code != ExitOK {
				t.Fatalf("exit %d: %v", code, sum.Failures)
			}
			if len(sum.Drift) > 0 {
				t.Errorf("drift: %v", sum.Drift)
			}
			ts := sum.Tables[tc.table]
			if ts == nil || ts.Loaded != 1 {
				t.Fatalf("tables: %+v", sum.Tables)
			}
			if tc.rows > 0 && ts.Rows != tc.rows {
				t.Errorf("rows = %d, want %d", ts.Rows, tc.rows)
			}
			es, err := h.store.Ledger().List(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range es {
				if e.Unit.Table() == tc.table && (tc.period == "" || e.Unit.Period == tc.period) && e.State == load.Loaded {
					found = true
				}
			}
			if !found {
				t.Errorf("no loaded ledger entry for %s %s", tc.table, tc.period)
			}
		})
	}
}

func TestImportGzipAndErrors(t *testing.T) {
	h := newHarness(t, simulator.Options{}, nil)
	dir := t.TempDir()
	// A gzip file downloaded by hand, named as Apple names it.
	src, err := os.ReadFile(filepath.Join(samples, "sales_summary_kachit-stub.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "S_D_85012345_20201005.txt.gz")
	f, _ := os.Create(gz)
	zw := gzip.NewWriter(f)
	zw.Write(src)
	zw.Close()
	f.Close()
	// A file whose period cannot be told, and one with a bad amount.
	noDate := filepath.Join(samples, "subscription_summary_legacy-1_2_kachit-stub.tsv")
	bad := filepath.Join(dir, "S_D_85012345_20201006.txt")
	os.WriteFile(bad, []byte(strings.Replace(string(src), "209.30", "209,30", 1)), 0o644)

	sum, err := h.pipeline().Import(context.Background(), []string{gz, noDate, bad}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Tables["sales_summary_daily"] == nil || sum.Tables["sales_summary_daily"].Loaded != 1 {
		t.Fatalf("gzip import: %+v", sum.Tables)
	}
	if code := sum.ExitCode(); code != ExitPartial || len(sum.Failures) != 2 {
		t.Fatalf("exit %d failures %v", code, sum.Failures)
	}
	msgs := strings.Join(sum.Failures, "\n")
	for _, want := range []string{"--period", `:2: column "Developer Proceeds"`, `"209,30"`} {
		if !strings.Contains(msgs, want) {
			t.Errorf("failures lack %q:\n%s", want, msgs)
		}
	}
}

func TestReparseReproducesParquet(t *testing.T) {
	h := newHarness(t, simulator.Options{}, nil)
	h.run(context.Background())
	parquet := func() map[string]string {
		out := map[string]string{}
		for k, v := range h.snapshot() {
			if strings.HasPrefix(k, "parquet/") {
				out[k] = v
			}
		}
		return out
	}
	before := parquet()
	// Lose one object, as a parser bug or an operator might.
	es, _ := h.store.Ledger().List(context.Background(), "sales/SALES/")
	if len(es) == 0 {
		t.Fatal("nothing loaded")
	}
	if err := h.store.Delete(context.Background(), es[0].Objects[0]); err != nil {
		t.Fatal(err)
	}
	h.sim.ResetStats()
	sum, err := h.pipeline().Reparse(context.Background(), "")
	if err != nil || sum.ExitCode() != ExitOK {
		t.Fatalf("reparse: %v %v", err, sum.Failures)
	}
	if n := h.sim.Stats().Requests; n != 0 {
		t.Errorf("reparse made %d API requests", n)
	}
	after := parquet()
	if len(after) != len(before) {
		t.Fatalf("%d objects before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s differs after reparse", k)
		}
	}
	h.checkTruth()
}
