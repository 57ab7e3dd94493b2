package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	etl "github.com/ascetl/etl"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := realMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeConfig writes the default config with storage in dir and the replacements applied.
func writeConfig(t *testing.T, dir string, replace ...string) string {
	t.Helper()
	s := string(etl.DefaultConfig)
	s = strings.Replace(s, "bucket: file://./data?metadata=skip", "bucket: file://"+filepath.ToSlash(dir)+"/data?metadata=skip", 1)
	s = strings.Replace(s, "duckdb: ./data/asc.duckdb", "duckdb: "+filepath.Join(dir, "data", "asc.duckdb"), 1)
	s = strings.Replace(s, "initial_days: 14", "initial_days: 3", 1)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("config has no %q", replace[i])
		}
		s = strings.Replace(s, replace[i], replace[i+1], 1)
	}
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelpAndUsage(t *testing.T) {
	if code, out, _ := runCLI(t, "help"); code != 0 || !strings.Contains(out, "backfill") || !strings.Contains(out, "Exit codes") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, _, errs := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "backfill", "--from", "2026-13-01", "--to", "2026-01-02"); code != 2 || !strings.Contains(errs, "--from") {
		t.Errorf("bad date: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "backfill", "--from", "2026-01-01", "--to", "2026-01-02", "--family", "nope"); code != 2 ||
		!strings.Contains(errs, "testflight, xcode_cloud") {
		t.Errorf("bad family: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "run", "-h"); code != 0 || !strings.Contains(errs, "Usage: etl run") {
		t.Errorf("run -h: %d %q", code, errs)
	}
}

func TestConfigMistakesFailBeforeAnyRequest(t *testing.T) {
	var hits atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer api.Close()
	dir := t.TempDir()
	real := []string{
		"base_url: simulator", "base_url: " + api.URL,
		`issuer_id: ""`, "issuer_id: 57246542-96fe-1a63-e053-0824d011072a",
		`key_id: ""`, "key_id: 2X9R4HXF34",
		`key_path: ""`, "key_path: " + filepath.Join(dir, "AuthKey_missing.p8"),
		"apps: []", `apps: ["1234567890"]`,
	}
	cfg := writeConfig(t, dir, real...)
	for _, cmd := range []string{"check-config", "run"} {
		code, _, errs := runCLI(t, cmd, "--config", cfg)
		if code != 2 || !strings.Contains(errs, "api.key_path") || !strings.Contains(errs, "AuthKey_missing.p8") {
			t.Errorf("%s with a missing key: %d %q", cmd, code, errs)
		}
	}
	os.WriteFile(filepath.Join(dir, "AuthKey_missing.p8"), []byte("not a key"), 0o600)
	if code, _, errs := runCLI(t, "run", "--config", cfg); code != 2 || !strings.Contains(errs, ".p8") {
		t.Errorf("run with a garbage key: %d %q", code, errs)
	}
	bad := writeConfig(t, dir, append(real, `vendor_number: "85012345"`, `vendor_number: "85-012"`)...)
	code, _, errs := runCLI(t, "run", "--config", bad)
	if code != 2 || !strings.Contains(errs, "vendor_number") || !strings.Contains(errs, "line ") {
		t.Errorf("bad vendor: %d %q", code, errs)
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests reached the API before the config was fixed", hits.Load())
	}
}

func TestRunQueryStatusAgainstEmbeddedSimulator(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	code, out, errs := runCLI(t, "run", "--config", cfg)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"sales_summary_daily", "finance_financial", "views: "} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "asc.duckdb")); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"daily_units_proceeds_by_app_territory", "finance_proceeds_by_currency", "active_subscriptions_by_day"} {
		code, out, errs := runCLI(t, "query", "--config", cfg, "--format", "csv", q)
		if code != 0 || strings.Count(out, "\n") < 2 {
			t.Errorf("query %s: exit %d, %d lines\n%s", q, code, strings.Count(out, "\n"), errs)
		}
	}
	code, out, _ = runCLI(t, "query", "--config", cfg, "SELECT count(*) AS n FROM sales_summary_daily WHERE _source_line >= 2")
	if code != 0 || strings.Contains(out, " 0\n") {
		t.Errorf("lineage query: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "status", "--config", cfg, "--state", "failed")
	if code != 0 || !strings.Contains(out, " 0 failed") {
		t.Errorf("status: %d %q", code, out)
	}
	// A file downloaded by hand loads beside the API data.
	code, out, errs = runCLI(t, "import", "--config", cfg, "../../transform/testdata/sales_summary_kachit-stub.tsv")
	if code != 0 || !strings.Contains(out, "sales_summary_daily") {
		t.Errorf("import: %d %s %s", code, out, errs)
	}
	code, out, _ = runCLI(t, "query", "--config", cfg, "SELECT count(*) AS n FROM sales_summary_daily WHERE report_date = DATE '2020-10-05'")
	if code != 0 || !strings.Contains(out, "46") {
		t.Errorf("imported rows: %d %q", code, out)
	}
	// A second run loads nothing new.
	code, out, _ = runCLI(t, "run", "--config", cfg)
	if code != 0 || !strings.Contains(out, "total") {
		t.Fatalf("second run: %d %s", code, out)
	}
}
