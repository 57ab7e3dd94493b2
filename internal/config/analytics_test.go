package config

import (
	"strings"
	"testing"

	etl "github.com/ascetl/etl"
)

func TestAnalyticsDefaults(t *testing.T) {
	c, err := Parse("config.yaml", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Analytics
	if len(a.Granularities) != 1 || a.Granularities[0] != "DAILY" || a.MaxURLRetries != 3 {
		t.Errorf("defaults: %+v", a)
	}
	if n := len(c.AnalyticsReports()); n != 14 {
		t.Errorf("%d reports by default, want every known one (14)", n)
	}
	c.Reviews.Apps = []string{"1", "2"}
	if got := c.AnalyticsApps(); len(got) != 2 {
		t.Errorf("apps fall back to reviews.apps: %v", got)
	}
}

func TestAnalyticsFilter(t *testing.T) {
	yml := `vendor_number: "1"
analytics:
  enabled: true
  reports: ["App Downloads Standard", "app sessions standard", "App Crashes Expanded"]
  categories: [app_usage, COMMERCE]
  granularities: [daily, MONTHLY]
  snapshot: true
`
	c, err := Parse("a.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range c.AnalyticsReports() {
		names = append(names, r.Name)
	}
	if strings.Join(names, "|") != "App Downloads Standard|App Sessions Standard" {
		t.Errorf("reports = %v", names)
	}
	if strings.Join(c.Analytics.Granularities, ",") != "DAILY,MONTHLY" || !c.Analytics.Snapshot {
		t.Errorf("%+v", c.Analytics)
	}
	yml = `vendor_number: "1"
analytics:
  enabled: true
  categories: [PERFORMANCE]
`
	c, err = Parse("b.yml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	if rs := c.AnalyticsReports(); len(rs) != 1 || rs[0].Name != "App Crashes Expanded" {
		t.Errorf("categories only: %+v", rs)
	}
}

func TestAnalyticsBad(t *testing.T) {
	yml := `vendor_number: "1"
api:
  base_url: https://api.appstoreconnect.apple.com
analytics:
  enabled: true
  apps: ["12x", "5", "5"]
  reports:
    - App Downloads Standard
    - App Store Downloads
    - app downloads standard
  categories: [APP_STORE_COMMERCE, FOO]
  granularities: [DAILY, HOURLY, DAILY]
  max_url_retries: 99
`
	_, err := Parse("bad.yml", []byte(yml))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{
		`line 6: analytics.apps[0]: "12x" must be an App Apple ID`,
		`line 6: analytics.apps[2]: "5" is listed twice`,
		`line 9: analytics.reports[1]: "App Store Downloads" is not a report of Apple's catalog`,
		`line 10: analytics.reports[2]: "app downloads standard" is already listed as analytics.reports[0]`,
		`line 11: analytics.categories[0]: "APP_STORE_COMMERCE": the API calls this category COMMERCE`,
		`line 11: analytics.categories[1]: "FOO" is not a category`,
		`line 12: analytics.granularities[1]: "HOURLY" must be DAILY, WEEKLY or MONTHLY`,
		`line 12: analytics.granularities[2]: "DAILY" is listed twice`,
		`line 13: analytics.max_url_retries: 99 must be between 1 and 20`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message lacks %q:\n%s", w, err)
		}
	}
	_, err = Parse("empty.yml", []byte("vendor_number: \"1\"\napi:\n  base_url: https://x\nanalytics:\n  enabled: true\n  reports: [App Crashes]\n  categories: [COMMERCE]\n"))
	// No apps listed is fine (the run discovers the key's apps); an empty selection is not.
	if err == nil || strings.Contains(err.Error(), "analytics.apps") || !strings.Contains(err.Error(), "nothing would be loaded") {
		t.Errorf("want only the empty-selection error, got %v", err)
	}
}
