package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ascetl/etl/schemas"
)

// Analytics configures the Analytics Reports API family (issue 3).
type Analytics struct {
	Enabled bool `yaml:"enabled"`
	// Apps are App Apple IDs; empty means reviews.apps, and if that is empty too, every app
	// of the key that is on the App Store (discovered with GET /v1/apps at each run).
	Apps []string `yaml:"apps"`
	// Reports are API report names ("App Downloads Standard"); Categories are API
	// categories (APP_USAGE, APP_STORE_ENGAGEMENT, COMMERCE, FRAMEWORK_USAGE, PERFORMANCE).
	// A report is loaded when it is listed (or reports is empty) and its category is listed
	// (or categories is empty). Both empty: every report the loader knows.
	Reports    []string `yaml:"reports"`
	Categories []string `yaml:"categories"`
	// Granularities of the instances to load: DAILY (default), WEEKLY, MONTHLY.
	Granularities []string `yaml:"granularities"`
	// Snapshot requests a ONE_TIME_SNAPSHOT once per app (history from 2024 on) and loads it
	// next to the ONGOING data; the *_latest views keep one version of each date.
	Snapshot bool `yaml:"snapshot"`
	// MaxURLRetries bounds how often an expired segment URL is refreshed (segments listed
	// again) before the instance fails.
	MaxURLRetries int `yaml:"max_url_retries"`
}

// AnalyticsCategories are the API's category values (note COMMERCE, not APP_STORE_COMMERCE).
var AnalyticsCategories = []string{"APP_USAGE", "APP_STORE_ENGAGEMENT", "COMMERCE", "FRAMEWORK_USAGE", "PERFORMANCE"}

func (c *Config) defaultsAnalytics() {
	a := &c.Analytics
	if len(a.Granularities) == 0 {
		a.Granularities = []string{"DAILY"}
	}
	for i, g := range a.Granularities {
		a.Granularities[i] = strings.ToUpper(strings.TrimSpace(g))
	}
	for i, cat := range a.Categories {
		a.Categories[i] = strings.ToUpper(strings.TrimSpace(cat))
	}
	def(&a.MaxURLRetries, 3)
}

func (c *Config) validateAnalytics(add func(string, string, ...any)) {
	a := c.Analytics
	validateApps(add, "analytics.apps", a.Apps)
	seen := map[string]int{}
	for i, name := range a.Reports {
		p := fmt.Sprintf("analytics.reports[%d]", i)
		r, ok := schemas.LookupAnalyticsCatalog(name)
		if !ok {
			add(p, "%q is not a report of Apple's catalog (known: %s)", name, strings.Join(knownAnalytics(), ", "))
			continue
		}
		if j, dup := seen[r.Name]; dup {
			add(p, "%q is already listed as analytics.reports[%d]", name, j)
		}
		seen[r.Name] = i
	}
	cats := map[string]bool{}
	for i, cat := range a.Categories {
		p := fmt.Sprintf("analytics.categories[%d]", i)
		switch {
		case cat == "APP_STORE_COMMERCE":
			add(p, "%q: the API calls this category COMMERCE", cat)
		case !analyticsHas(AnalyticsCategories, cat):
			add(p, "%q is not a category (valid: %s)", cat, strings.Join(AnalyticsCategories, ", "))
		case cats[cat]:
			add(p, "%q is listed twice", cat)
		}
		cats[cat] = true
	}
	if a.Enabled && len(c.AnalyticsCatalogReports()) == 0 && len(a.Reports)+len(a.Categories) > 0 {
		add("analytics.categories", "no listed report is in the listed categories: nothing would be loaded")
	}
	grans := map[string]bool{}
	for i, g := range a.Granularities {
		p := fmt.Sprintf("analytics.granularities[%d]", i)
		if g != "DAILY" && g != "WEEKLY" && g != "MONTHLY" {
			add(p, "%q must be DAILY, WEEKLY or MONTHLY", g)
		} else if grans[g] {
			add(p, "%q is listed twice", g)
		}
		grans[g] = true
	}
	if a.MaxURLRetries < 1 || a.MaxURLRetries > 20 {
		add("analytics.max_url_retries", "%d must be between 1 and 20", a.MaxURLRetries)
	}
}

// AnalyticsReports is the set of reports to load: analytics.reports filtered by
// analytics.categories (every known report when both are empty), in the loader's order.
func (c *Config) AnalyticsReports() []schemas.AnalyticsReport {
	a := c.Analytics
	names := map[string]bool{}
	for _, n := range a.Reports {
		if r, ok := schemas.LookupAnalyticsReport(n); ok {
			names[r.Name] = true
		}
	}
	var out []schemas.AnalyticsReport
	for _, r := range schemas.AnalyticsReports() {
		if len(a.Reports) > 0 && !names[r.Name] {
			continue
		}
		if len(a.Categories) > 0 && !analyticsHas(a.Categories, r.Category) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// AnalyticsApps is analytics.apps, else reviews.apps.
func (c *Config) AnalyticsApps() []string {
	if len(c.Analytics.Apps) > 0 {
		return c.Analytics.Apps
	}
	return c.Reviews.Apps
}

func knownAnalytics() []string {
	var out []string
	for _, r := range schemas.AnalyticsCatalog() {
		out = append(out, fmt.Sprintf("%q", r.Name))
	}
	return out
}

// AnalyticsCatalogReports are the reports of Apple's catalog (schemas.AnalyticsCatalog)
// that analytics.reports and analytics.categories select (all when both are empty), typed
// or not. A report Apple lists that is not in the catalog is loaded too when both are
// empty (the generic loader).
func (c *Config) AnalyticsCatalogReports() []schemas.AnalyticsCatalogEntry {
	a := c.Analytics
	var out []schemas.AnalyticsCatalogEntry
	for _, e := range schemas.AnalyticsCatalog() {
		if len(a.Reports) > 0 && !slices.ContainsFunc(a.Reports, func(n string) bool { return strings.EqualFold(strings.TrimSpace(n), e.Name) }) {
			continue
		}
		if len(a.Categories) > 0 && !analyticsHas(a.Categories, e.Category) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func analyticsHas(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
