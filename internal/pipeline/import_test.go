package pipeline

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob/fileblob"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
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
		{"subscription_summary_1_2_crlf.tsv", ImportOptions{Period: "2020-10-06"}, "subscription_summary_daily", "2020-10-06", 6},
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
			if d := sum.NotesOf("drift"); len(d) > 0 {
				t.Errorf("drift: %v", d)
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

// fileHarness is a harness whose bucket is a local directory, as the default config's.
func fileHarness(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t, simulator.Options{}, nil)
	dir := t.TempDir()
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	h.bucket, h.store = b, load.New(b)
	return h, dir
}

// TestImportRawTreeIntoEmptyBucket: `etl import data/raw` into an empty data directory
// gives the run's tables, byte for byte.
func TestImportRawTreeIntoEmptyBucket(t *testing.T) {
	h, dir := fileHarness(t)
	ctx := context.Background()
	if sum := h.run(ctx); sum.ExitCode() != ExitOK {
		t.Fatalf("run: %v", sum.Failures)
	}
	want := map[string]string{}
	for k, v := range h.snapshot() {
		if strings.HasPrefix(k, "parquet/") {
			want[k] = v
		}
	}
	empty := newHarness(t, simulator.Options{}, nil)
	empty.sim.ResetStats()
	sum, err := empty.pipeline().Import(ctx, []string{filepath.Join(dir, "raw")}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("import of the raw tree: exit %d: %v", code, sum.Failures)
	}
	got := map[string]string{}
	for k, v := range empty.snapshot() {
		if strings.HasPrefix(k, "parquet/") {
			got[k] = v
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d Parquet objects after the import, %d after the run", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s differs from the run's", k)
		}
	}
	if n := empty.sim.Stats().Requests; n != 0 {
		t.Errorf("import made %d API requests", n)
	}
	// Importing the same tree again changes nothing.
	before := empty.snapshot()
	if _, err := empty.pipeline().Import(ctx, []string{filepath.Join(dir, "raw")}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for k, v := range empty.snapshot() {
		if before[k] != v && strings.HasPrefix(k, "parquet/") {
			t.Errorf("second import rewrote %s", k)
		}
	}
}

// TestImportCorruptCopyKeepsLoadedData: a corrupted copy of a loaded report, imported
// under its own name, fails; the table and the archived bytes stay; the ledger keeps the
// unit loaded with the failed attempt noted.
func TestImportCorruptCopyKeepsLoadedData(t *testing.T) {
	h := newHarness(t, simulator.Options{}, nil)
	ctx := context.Background()
	h.run(ctx)
	u := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Daily, Vendor: h.cfg.VendorNumber, Period: "2026-11-19"}
	e, ok, err := h.store.Ledger().Get(ctx, u)
	if err != nil || !ok || e.State != load.Loaded {
		t.Fatalf("%s not loaded: %v %v", u.ID(), ok, err)
	}
	rc, err := h.store.OpenRaw(ctx, e.RawKey)
	if err != nil {
		t.Fatal(err)
	}
	zr, _ := gzip.NewReader(rc)
	good, _ := io.ReadAll(zr)
	rc.Close()
	before := h.snapshot()
	bad := filepath.Join(t.TempDir(), "S_D_"+h.cfg.VendorNumber+"_20261119.txt")
	lines := strings.SplitAfter(string(good), "\n")
	lines[1] = strings.Replace(lines[1], "\t", "\tnot-a-number\t", 1) // a row with a bad field
	os.WriteFile(bad, []byte(strings.Join(lines, "")), 0o644)

	sum, err := h.pipeline().Import(ctx, []string{bad}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if code := sum.ExitCode(); code == ExitOK {
		t.Fatalf("corrupt import exited 0")
	}
	after := h.snapshot()
	for k, v := range before {
		if (strings.HasPrefix(k, "parquet/") || strings.HasPrefix(k, "raw/")) && after[k] != v {
			t.Errorf("corrupt import changed %s", k)
		}
	}
	e2, _, _ := h.store.Ledger().Get(ctx, u)
	if e2.State != load.Loaded || e2.Error == "" || e2.Loaded != e.Loaded || len(e2.Versions) != len(e.Versions)+1 {
		t.Errorf("ledger after the corrupt import: state %s error %q loaded %s (was %s), %d versions (was %d)",
			e2.State, e2.Error, e2.Loaded, e.Loaded, len(e2.Versions), len(e.Versions))
	}
	// The good file imported again clears the note and rewrites nothing.
	goodFile := filepath.Join(t.TempDir(), "S_D_"+h.cfg.VendorNumber+"_20261119.txt")
	os.WriteFile(goodFile, good, 0o644)
	before = h.snapshot()
	sum, err = h.pipeline().Import(ctx, []string{goodFile}, ImportOptions{})
	if err != nil || sum.ExitCode() != ExitOK {
		t.Fatalf("good import: %v %v", err, sum.Failures)
	}
	for k, v := range h.snapshot() {
		if strings.HasPrefix(k, "parquet/") && before[k] != v {
			t.Errorf("re-import of the loaded bytes rewrote %s", k)
		}
	}
}

// TestImportRealLayouts: files in Apple's real layouts, with their quirks (a refund in a
// FINANCIAL footer, the ZZ summary table, the 22-column 2015 Sales Summary, an old
// subscription layout, the Payments CSV; CRLF, a BOM, Windows-1252 text), import with exit
// 0 through the engine; their side tables (footers, summary, payments) are loaded.
func TestImportRealLayouts(t *testing.T) {
	const apple = "../../transform/testdata/apple"
	tests := []struct {
		file  string
		opt   ImportOptions
		table string
		rows  int64
		side  []string // tables the unit also loads
	}{
		{"financial_eu_refund-handmade.tsv", ImportOptions{Region: "EU", Period: "2014-12"}, "finance_financial", 6, []string{"finance_footers"}},
		{"financial_eu_refund-crlf.tsv", ImportOptions{Region: "EU", Period: "2014-11"}, "finance_financial", 6, []string{"finance_footers"}},
		{"financial_eu_refund-bom.tsv", ImportOptions{Region: "EU", Period: "2014-10"}, "finance_financial", 6, []string{"finance_footers"}},
		{"financial_zz_summary-handmade.tsv", ImportOptions{Region: "ZZ", Period: "2014-12"}, "finance_financial", 6, []string{"finance_footers", "finance_summary"}},
		{"financial_zz_summary-latin1.tsv", ImportOptions{Region: "ZZ", Period: "2014-11"}, "finance_financial", 6, []string{"finance_footers", "finance_summary"}},
		{"payments_2014-09-handmade.csv", ImportOptions{}, "finance_payments", 0, nil},
		{"payments_2014-09-latin1.csv", ImportOptions{Period: "2014-11"}, "finance_payments", 0, nil},
		{"payments_asc-layout-handmade.csv", ImportOptions{Period: "2014-10"}, "finance_payments", 0, nil},
		{"../sales_summary_2015_daily_latin1.tsv", ImportOptions{Period: "2015-06-01"}, "sales_summary_daily", 13, nil},
		{"../subscription_summary_1_2_crlf.tsv", ImportOptions{Period: "2020-10-05"}, "subscription_summary_daily", 6, nil},
	}
	h := newHarness(t, simulator.Options{}, nil)
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			sum, err := h.pipeline().Import(context.Background(), []string{filepath.Join(apple, tc.file)}, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if code := sum.ExitCode(); code != ExitOK {
				t.Fatalf("exit %d: %v", code, sum.Failures)
			}
			if d := sum.NotesOf("drift"); len(d) > 0 {
				t.Errorf("drift: %v", d)
			}
			ts := sum.Tables[tc.table]
			if ts == nil || ts.Loaded != 1 || (tc.rows > 0 && ts.Rows != tc.rows) {
				t.Fatalf("tables: %+v", sum.Tables)
			}
			var e load.Entry
			base := strings.TrimPrefix(filepath.Base(tc.file), "../")
			for _, x := range h.entries(t) {
				if x.State == load.Loaded && strings.Contains(x.RawKey, "/"+base) {
					e = x
				}
			}
			if e.Unit.Table() != tc.table {
				t.Fatalf("no loaded entry from %s", base)
			}
			for _, side := range tc.side {
				found := false
				for _, o := range e.Objects {
					found = found || strings.HasPrefix(o, "parquet/"+side+"/")
				}
				if !found {
					t.Errorf("%s: no %s object among %v", tc.file, side, e.Objects)
				}
			}
		})
	}
}

func (h *harness) entries(t *testing.T) []load.Entry {
	t.Helper()
	es, err := h.store.Ledger().List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return es
}
