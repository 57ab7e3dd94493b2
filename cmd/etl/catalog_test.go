package main

import (
	"strings"
	"testing"

	"github.com/ascetl/etl/simulator"
)

// Against the embedded simulator with no apps configured: the run discovers the apps,
// fills the dimensions, and the name-joined queries show names, not ids.
func TestCatalogQueriesShowNames(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "finance:\n  enabled: true", "finance:\n  enabled: false",
		"testflight:            # beta tester usage and beta build usage (optional)\n  enabled: false",
		"testflight:            # beta tester usage and beta build usage (optional)\n  enabled: true")
	code, out, errs := runCLI(t, "run", "--config", cfg)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"dimensions", "customer_reviews", "testflight_usage"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %s:\n%s", want, out)
		}
	}
	scalar := func(sql string) string {
		t.Helper()
		code, out, errs := runCLI(t, "query", "--config", cfg, "--format", "csv", sql)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 2 {
			t.Fatalf("%s: %d %q %s", sql, code, out, errs)
		}
		return lines[1]
	}
	oldName, newName := simulator.RenamedApp()
	checks := [][2]string{
		// Every sales row found its product and app: no NULL names, every unit accounted for.
		{"SELECT count(*) FROM revenue_by_app_and_product WHERE app_name IS NULL OR product_name IS NULL", "0"},
		{"SELECT sum(units) = (SELECT sum(units) FROM sales_summary_daily) FROM revenue_by_app_and_product", "true"},
		{"SELECT count(*) FILTER (WHERE app_name IN ('" + oldName + "', '" + newName + "')) > 0 FROM revenue_by_app_and_product", "true"},
		{"SELECT count(DISTINCT product_type) >= 3 FROM revenue_by_app_and_product", "true"},
		{"SELECT count(*) FROM reviews_by_app_name WHERE app_name IS NULL", "0"},
		{"SELECT sum(reviews) = (SELECT count(*) FROM customer_reviews) FROM reviews_by_app_name", "true"},
		{"SELECT count(*) > 0 AND count(*) FILTER (WHERE app_name IS NULL OR version_string IS NULL) = 0 FROM crashes_by_version", "true"},
		{"SELECT sum(testflight_crashes) = (SELECT sum(crash_count) FROM testflight_build_usage WHERE build_id IN (SELECT build_id FROM dim_builds)) FROM crashes_by_version", "true"},
	}
	for _, c := range checks {
		if got := scalar(c[0]); got != c[1] {
			t.Errorf("%s = %s, want %s", c[0], got, c[1])
		}
	}
	// The app names shown are the catalog's, for every app the reports name.
	if got := scalar("SELECT count(DISTINCT app_id) FROM dim_apps"); got == "0" {
		t.Error("dim_apps is empty")
	}
	// A second run the same day changes no dimension.
	code, out, _ = runCLI(t, "run", "--config", cfg)
	if code != 0 || !strings.Contains(out, "dimensions") {
		t.Fatalf("second run: %d %s", code, out)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[0] == "dimensions" && (f[1] != "0" || f[2] != "1") {
			t.Errorf("second run rewrote a dimension: %s", line)
		}
	}
}
