package queries

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestAll(t *testing.T) {
	want := []string{
		"active_subscriptions_by_day",
		"analytics_crash_rate_by_version",
		"analytics_daily_downloads_by_source_territory",
		"analytics_install_delete_ratio",
		"analytics_sessions_active_devices",
		"crashes_by_version",
		"daily_units_proceeds_by_app_territory",
		"finance_proceeds_by_currency",
		"launch_and_hang_by_version",
		"metric_regressions",
		"revenue_by_app_and_product",
		"review_response_time",
		"reviews_by_app_name",
		"reviews_rating_by_week_territory",
		"top_diagnostic_signatures",
		"unanswered_low_rating_reviews",
	}
	var got []string
	for _, q := range All() {
		got = append(got, q.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("All() names = %v, want %v (sorted)", got, want)
	}
	ident := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	for _, q := range All() {
		if !ident.MatchString(q.Name) {
			t.Errorf("%s: name is not a plain lower-case identifier", q.Name)
		}
		if q.Description == "" || strings.HasPrefix(q.Description, "--") {
			t.Errorf("%s: description %q", q.Name, q.Description)
		}
		if !strings.Contains(strings.ToUpper(q.SQL), "SELECT") {
			t.Errorf("%s: SQL has no SELECT", q.Name)
		}
	}
}

func TestAllIsACopy(t *testing.T) {
	a := All()
	a[0].Name = "changed"
	if All()[0].Name == "changed" {
		t.Fatal("All() exposes the package slice")
	}
}

func TestGet(t *testing.T) {
	q, ok := Get("finance_proceeds_by_currency")
	if !ok || q.Name != "finance_proceeds_by_currency" || !strings.Contains(q.SQL, "finance_financial") {
		t.Fatalf("Get(finance_proceeds_by_currency) = %+v, %v", q, ok)
	}
	for _, name := range []string{"", "nope", "finance_proceeds_by_currency.sql"} {
		if _, ok := Get(name); ok {
			t.Errorf("Get(%q) found a query", name)
		}
	}
}

func TestDescription(t *testing.T) {
	tests := []struct{ sql, want string }{
		{"-- Hello there.\nSELECT 1", "Hello there."},
		{"\n  -- indented  \n-- second\nSELECT 1", "indented"},
		{"--nospace\n-- real\nSELECT 1", "real"},
		{"SELECT 1", ""},
	}
	for _, tt := range tests {
		if got := description(tt.sql); got != tt.want {
			t.Errorf("description(%q) = %q, want %q", tt.sql, got, tt.want)
		}
	}
}

func TestMarts(t *testing.T) {
	files, err := martFiles.ReadDir("marts")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	dirs := map[string]bool{}
	for _, m := range Marts() {
		listed[m.Name+".sql"] = true
		if m.Description == "" || !strings.Contains(strings.ToUpper(m.SQL), "SELECT") {
			t.Errorf("%s: description %q", m.Name, m.Description)
		}
		if !strings.Contains(m.SQL, "Columns: ") {
			t.Errorf("%s: its comment does not document its columns", m.Name)
		}
		if m.Dir != "" {
			if dirs[m.Dir] {
				t.Errorf("%s: directory %s used twice", m.Name, m.Dir)
			}
			dirs[m.Dir] = true
			if want := strings.TrimPrefix(m.Name, "mart_"); m.Dir != want {
				t.Errorf("%s: directory %s, want %s", m.Name, m.Dir, want)
			}
		}
		if _, ok := Get(m.Name); ok {
			t.Errorf("%s is both a mart and a curated query", m.Name)
		}
		if got, ok := GetMart(m.Name); !ok || got.SQL != m.SQL {
			t.Errorf("GetMart(%s) = %v", m.Name, ok)
		}
	}
	for _, f := range files {
		if !listed[f.Name()] {
			t.Errorf("marts/%s is not in martOrder: it would never be created", f.Name())
		}
	}
	if k := MartKey("revenue_daily"); k != "parquet/marts/revenue_daily/data.parquet" {
		t.Errorf("MartKey = %s", k)
	}
}
