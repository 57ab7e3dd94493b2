package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCompactCommand: a backfill of a completed month leaves one object per sales table
// for it; `etl compact` then has nothing left to fold, exits 0 and rebuilds the views,
// which read the month with report_date from the files.
func TestCompactCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	now := time.Now().UTC()
	first := time.Date(now.Year(), now.Month()-2, 1, 0, 0, 0, 0, time.UTC) // complete, and within Apple's year
	last := first.AddDate(0, 1, -1)
	code, out, errs := runCLI(t, "backfill", "--config", cfg, "--family", "sales",
		"--from", first.Format(time.DateOnly), "--to", last.Format(time.DateOnly))
	if code != 0 || !strings.Contains(out, "compacted:") {
		t.Fatalf("backfill: exit %d\n%s\n%s", code, out, errs)
	}
	month := filepath.Join(dir, "data", "parquet", "sales_summary_daily", "vendor=85012345", "month="+first.Format("2006-01"))
	ents, err := os.ReadDir(month)
	if err != nil || len(ents) != 1 || ents[0].Name() != "data.parquet" {
		t.Fatalf("%s after the backfill: %v %v", month, ents, err)
	}
	code, out, errs = runCLI(t, "compact", "--config", cfg)
	if code != 0 || !strings.Contains(out, "views: ") || strings.Contains(out, "compacted:") {
		t.Fatalf("compact: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCLI(t, "query", "--config", cfg, "--format", "csv",
		"SELECT count(DISTINCT report_date) AS days, min(month) = max(month) AS one FROM sales_summary_daily")
	if code != 0 || !strings.Contains(out, "true") {
		t.Errorf("query: %d %q", code, out)
	}
}
