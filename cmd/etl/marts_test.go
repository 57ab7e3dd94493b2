package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ascetl/etl/internal/warehouse"
)

// TestRunWritesMartsAndSummary: a run prints "data through" and the window's totals after
// its table, writes the marts as Parquet, and `etl query` reads a mart by name; a data
// folder moved elsewhere still answers (the views name their files relative to it).
func TestRunWritesMartsAndSummary(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "reviews:\n  enabled: true", "reviews:\n  enabled: true",
		"metrics:               # power & performance metrics and diagnostics, one snapshot a day\n  enabled: true",
		"metrics:               # power & performance metrics and diagnostics, one snapshot a day\n  enabled: false")
	code, out, errs := runCLI(t, "run", "--config", cfg)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"data through:\n", "  sales_summary_daily ", "totals ", " units (", " downloads, ",
		"proceeds ", " USD, ", " new reviews\n", "marts ("} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	for _, m := range []string{"revenue_daily", "units_daily", "freshness", "fx_rates", "fiscal_calendar"} {
		if _, err := os.Stat(filepath.Join(dir, "data", "parquet", "marts", m, "data.parquet")); err != nil {
			t.Error(err)
		}
	}
	code, out, errs = runCLI(t, "query", "--config", cfg, "--format", "csv", "mart_freshness")
	if code != 0 || !strings.Contains(out, "sales_summary_daily,sales,") {
		t.Errorf("query mart_freshness: %d %s %s", code, out, errs)
	}
	code, out, _ = runCLI(t, "query", "--config", cfg, "--list")
	if code != 0 || !strings.Contains(out, "mart_revenue_daily") || !strings.Contains(out, "daily_units_proceeds_by_app_territory") {
		t.Errorf("query --list: %d %s", code, out)
	}
	// A notebook holding the views open read-write neither blocks a run nor etl query.
	holder, release := holdViews(t, filepath.Join(dir, "data", "asc.duckdb"))
	code, out, errs = runCLI(t, "run", "--config", cfg)
	if code != 0 || !strings.Contains(out, "views: ") {
		t.Errorf("run while a reader holds the views: %d\n%s\n%s", code, out, errs)
	}
	release()
	if err := holder.Wait(); err != nil {
		t.Errorf("holder: %v", err)
	}
	// Holding the file the run just wrote, etl query cannot open it even read-only: it
	// builds the same views in memory.
	holder, release = holdViews(t, filepath.Join(dir, "data", "asc.duckdb"))
	code, out, errs = runCLI(t, "query", "--config", cfg, "--format", "csv",
		"SELECT count(*) > 0 FROM mart_units_daily, (SELECT 1 FROM etl_settings WHERE reporting_currency = 'USD')")
	if code != 0 || !strings.Contains(out, "true") {
		t.Errorf("query while a reader holds the views: %d %s %s", code, out, errs)
	}
	if _, err := warehouse.OpenWith(filepath.Join(dir, "data", "asc.duckdb"), warehouse.Options{ReadOnly: true}); !warehouse.IsLocked(err) {
		t.Errorf("the holder does not lock the views (%v): the test proves nothing", err)
	}
	release()
	if err := holder.Wait(); err != nil {
		t.Errorf("holder: %v", err)
	}

	// Views rebuilt over the same data rewrite no mart.
	code, out, _ = runCLI(t, "views", "--config", cfg)
	if code != 0 || !strings.Contains(out, "(0 Parquet files rewritten under parquet/marts/)") {
		t.Errorf("etl views: %d\n%s", code, out)
	}

	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(filepath.Join(dir, "data"), filepath.Join(moved+"-tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(moved, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(moved+"-tmp", filepath.Join(moved, "data")); err != nil {
		t.Fatal(err)
	}
	cfg2 := writeConfig(t, moved)
	code, out, errs = runCLI(t, "query", "--config", cfg2, "--format", "csv",
		"SELECT count(*) > 0 FROM mart_revenue_daily JOIN sales_summary_daily ON true LIMIT 1")
	if code != 0 || !strings.Contains(out, "true") {
		t.Errorf("query after moving the data folder: %d %s %s", code, out, errs)
	}
}

// TestHelperProcessHoldViews is not a test: it is a notebook for TestRunWritesMartsAndSummary,
// holding the views database open read-write (DuckDB's exclusive lock) until stdin closes.
func TestHelperProcessHoldViews(t *testing.T) {
	path := os.Getenv("ETL_HOLD_VIEWS")
	if path == "" {
		return
	}
	db, err := warehouse.Open(path)
	if err != nil {
		os.Stdout.WriteString("open: " + err.Error() + "\n")
		os.Exit(2)
	}
	os.Stdout.WriteString("ready\n")
	io.ReadAll(os.Stdin)
	db.Close()
	os.Exit(0)
}

// holdViews starts the holder process on path; release lets it close and exit.
func holdViews(t *testing.T, path string) (*exec.Cmd, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessHoldViews$")
	cmd.Env = append(os.Environ(), "ETL_HOLD_VIEWS="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("holder: %q %v", line, err)
	}
	return cmd, func() { stdin.Close() }
}
