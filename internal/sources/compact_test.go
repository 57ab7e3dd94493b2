package sources_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// salesOnly keeps one daily sales report, so a two-month backfill stays quick.
func salesOnly(c *config.Config) {
	c.Sales.Reports = []config.SalesReport{{Type: "SALES", SubType: "SUMMARY", Frequency: report.Daily}}
}

const salesDir = "parquet/sales_summary_daily/vendor=85012345/"

// TestSalesCompaction: a backfill over completed months leaves one object per month
// (the open month keeps its days), with the ledger pointing at it; a second pass changes
// nothing; reparse rebuilds the same objects; a restated day of a compacted month rewrites
// that month only, and reparse rebuilds that too.
func TestSalesCompaction(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{Config: enginetest.Family(report.Sales, salesOnly), Sources: sourcesNew})
	ctx := context.Background()
	w := engine.Window{From: time.Date(2026, 9, 25, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)}
	sum, err := h.Runner().Run(ctx, w)
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("backfill: %v\n%s", err, enginetest.Printed(sum))
	}
	keys := keysUnder(t, h, salesDir)
	sept, oct := salesDir+"month=2026-09/data.parquet", salesDir+"month=2026-10/data.parquet"
	want := map[string]int{sept: 1, oct: 1}
	folded := 0
	for _, e := range h.Entries("sales/") {
		if e.State != load.Loaded {
			continue
		}
		obj := salesDir + "month=" + e.Unit.Period[:7] + "/data.parquet"
		if strings.HasPrefix(e.Unit.Period, "2026-11") {
			obj = salesDir + "month=2026-11/" + e.Unit.Period + ".parquet"
			want[obj] = 1
		} else {
			folded++
		}
		if len(e.Objects) != 1 || e.Objects[0] != obj {
			t.Errorf("%s: objects %v, want %s", e.Unit.ID(), e.Objects, obj)
		}
	}
	if len(keys) != len(want) || keys[sept] != 1 || keys[oct] != 1 {
		t.Fatalf("objects after the backfill: %v\nwant %v", keys, want)
	}
	if sum.Compacted != 2 || sum.Folded != folded || folded < 30 {
		t.Errorf("summary: %d compacted, %d folded, want 2 and %d", sum.Compacted, sum.Folded, folded)
	}
	all := h.Snapshot("")
	if sum, err := h.Runner().Run(ctx, w); err != nil || sum.Compacted+sum.Folded+sum.Totals().Written != 0 {
		t.Errorf("second backfill wrote: %v %+v", err, sum)
	}
	if d := enginetest.Diff(all, h.Snapshot("")); len(d) > 0 {
		t.Errorf("second backfill changed %v", d)
	}
	reparse(t, h)

	// A restated day of October, downloaded by hand.
	before := h.Snapshot("parquet/")
	dir := t.TempDir()
	restated := restate(t, h, "2026-10-15", filepath.Join(dir, "S_D_85012345_20261015.txt.gz"))
	sum, err = h.Runner().Import(ctx, []string{restated}, engine.ImportHints{})
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("import: %v\n%s", err, enginetest.Printed(sum))
	}
	if d := enginetest.Diff(before, h.Snapshot("parquet/")); len(d) != 1 || d[0] != oct {
		t.Errorf("the restatement changed %v, want only %s", d, oct)
	}
	if sum.Compacted != 1 || sum.Folded != 1 {
		t.Errorf("import summary: %d compacted, %d folded", sum.Compacted, sum.Folded)
	}
	reparse(t, h)
}

// reparse deletes the Parquet objects, rebuilds them from the archive and checks they are
// the same bytes.
func reparse(t *testing.T, h *enginetest.Harness) {
	t.Helper()
	want := h.Snapshot("parquet/")
	h.DeletePrefix("parquet/")
	sum, err := h.Runner().Reparse(context.Background(), "")
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("reparse: %v\n%s", err, enginetest.Printed(sum))
	}
	if d := enginetest.Diff(want, h.Snapshot("parquet/")); len(d) > 0 {
		t.Errorf("reparse did not rebuild these objects byte for byte: %v", d)
	}
}

func keysUnder(t *testing.T, h *enginetest.Harness, prefix string) map[string]int {
	t.Helper()
	ks, err := h.Store.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, k := range ks {
		out[k]++
	}
	return out
}

// restate writes the archived report of a day with its first data row's units changed.
func restate(t *testing.T, h *enginetest.Harness, day, path string) string {
	t.Helper()
	u := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Daily, Vendor: "85012345", Period: day}
	e, ok, err := h.Store.Ledger().Get(context.Background(), u)
	if err != nil || !ok {
		t.Fatalf("no entry for %s: %v", day, err)
	}
	rc, err := h.Bucket.NewReader(context.Background(), e.RawKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	cells := strings.Split(lines[1], "\t")
	for i, c := range strings.Split(lines[0], "\t") {
		if c == "Units" {
			cells[i] = "9999"
		}
	}
	lines[1] = strings.Join(cells, "\t")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(strings.Join(lines, "\n")))
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
