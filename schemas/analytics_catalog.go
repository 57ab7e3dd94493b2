package schemas

import (
	"strings"

	"github.com/ascetl/etl/report"
)

// Apple's Analytics Reports catalog: the report names an analytics report request lists,
// in five categories. 14 of them have typed schemas (analytics.go); every other one is
// loaded by the generic loader into analytics_<name in snake_case> with columns typed by
// header name (GenericAnalyticsKind).
//
// Names and categories come from REFERENCE.md §C.4 (API names, "COMMERCE" and
// "FRAMEWORK_USAGE" spelled as the API does) and from the public report-name enum it cites;
// Apple lists more FRAMEWORK_USAGE reports (about 90) than the selection here, which is
// ours [I]. A name Apple lists that is not here still loads: the catalog only helps
// configuration and documentation.

// AnalyticsCatalogEntry is one report Apple lists.
type AnalyticsCatalogEntry struct {
	Name     string // API name, exact
	Category string // API category
	Typed    bool   // has a typed schema (LookupAnalyticsReport finds it)
}

var analyticsCatalog = []struct {
	category string
	names    []string
}{
	{"APP_STORE_ENGAGEMENT", []string{
		"App Store Discovery and Engagement Standard", "App Store Discovery and Engagement Detailed",
		"App Store Web Preview Engagement Standard", "App Store Web Preview Engagement Detailed",
	}},
	{"COMMERCE", []string{
		"App Downloads Standard", "App Downloads Detailed",
		"App Store Purchases Standard", "App Store Purchases Detailed",
		"App Store Pre-Orders Standard", "App Store Pre-Orders Detailed",
		"App Store Subscription Event Report Standard", "App Store Subscription State Report Standard",
	}},
	{"APP_USAGE", []string{
		"App Sessions Standard", "App Sessions Detailed",
		"App Store Installation and Deletion Standard", "App Store Installation and Deletion Detailed",
		"App Crashes", "App Clip Usage Standard", "App Clip Usage Detailed",
		"Platform App Installs", "App Opt In", "CarPlay App Usage",
	}},
	{"PERFORMANCE", []string{
		"App Crashes Expanded", "App Install Performance", "App Storage Reads and Writes",
		"AirPlay Performance", "Streaming Playback Performance", "Streaming Downloads Performance",
		"Networking Connection Activity", "HTTP Live Streaming Playback Errors", "CAMetalLayer Performance",
		"Bluetooth System Wakes", "Spotlight Query Performance", "Custom Language Model Builds Failed",
		"Launch Image Over Memory Limit",
	}},
	{"FRAMEWORK_USAGE", []string{
		"Home Screen Widgets", "Home Screen Widget Usage", "Lock Screen Widget Configuration",
		"Live Activity Use", "Safari Extensions Usage", "Safari Extensions Enablement",
		"ARKit World Tracking", "Bluetooth LE Scans", "Photos Picker", "PhotoKit Imports",
		"Location Sessions", "CarPlay Navigation", "Haptics Engine Usage", "Game Controller Sessions",
		"Keyboard Dictation Usage", "Spatial Audio Usage", "Default Browser Usage Rate",
		"Browser Choice Screen Engagement (iOS versions before 18.2)", "App Runtime Usage",
		"App Disk Space Usage",
	}},
}

// AnalyticsCatalog lists the reports Apple's catalog has, by category in API order
// (APP_STORE_ENGAGEMENT, COMMERCE, APP_USAGE, PERFORMANCE, FRAMEWORK_USAGE).
func AnalyticsCatalog() []AnalyticsCatalogEntry {
	var out []AnalyticsCatalogEntry
	for _, g := range analyticsCatalog {
		for _, n := range g.names {
			_, typed := LookupAnalyticsReport(n)
			out = append(out, AnalyticsCatalogEntry{Name: n, Category: g.category, Typed: typed})
		}
	}
	return out
}

// LookupAnalyticsCatalog finds a report of the catalog by API name (case-insensitive).
func LookupAnalyticsCatalog(name string) (AnalyticsCatalogEntry, bool) {
	for _, e := range AnalyticsCatalog() {
		if strings.EqualFold(e.Name, strings.TrimSpace(name)) {
			return e, true
		}
	}
	return AnalyticsCatalogEntry{}, false
}

// GenericAnalyticsTable is the table of a report without a typed schema: named like every
// analytics table (analytics_ + the name in snake_case), partitioned by app_id and month,
// Provisional. Its Columns are only the four filled from the instance (granularity,
// processing_date, instance_id, access_type): the data columns are decided from each
// file's header by transform.GenericAnalyticsParser, which exposes the full table.
func GenericAnalyticsTable(reportName string) *Table {
	name := AnalyticsTableName(reportName)
	t := &Table{
		Name: name, Family: report.Analytics, Type: strings.ToUpper(strings.TrimPrefix(name, "analytics_")),
		Columns: analyticsMetaColumns(), Partition: AnalyticsPartition(), Provisional: true,
		Mode: MergeByKey, Key: AnalyticsInstanceID,
	}
	return t.indexColumns()
}

// GenericAnalyticsTableFor is GenericAnalyticsTable with one column per header cell of a
// file, in header order before the instance columns, each typed by GenericAnalyticsKind.
// Cells with an empty name, a repeated name or the name of an instance column get no
// column (a reader keeps them as extra text columns, or fills them from the instance).
// dateColumn is the column that dates a row: "date", else "event_date", else the first
// date column, else "" (none). UnitsColumn is the first integer column.
func GenericAnalyticsTableFor(reportName string, header []string) (t *Table, dateColumn string) {
	base := GenericAnalyticsTable(reportName)
	t = &Table{Name: base.Name, Family: base.Family, Type: base.Type, Partition: base.Partition, Provisional: true,
		Mode: base.Mode, Key: base.Key}
	taken := map[string]bool{}
	for _, c := range base.Columns {
		taken[c.Name], taken[ColumnName(c.Header)] = true, true
	}
	for _, h := range header {
		n := ColumnName(h)
		if n == "" || taken[n] {
			continue
		}
		taken[n] = true
		k := GenericAnalyticsKind(h)
		t.Columns = append(t.Columns, Column{Name: n, Header: h, Kind: k})
		if k == DateISO && (dateColumn == "" || n == "date" || n == "event_date" && dateColumn != "date") {
			dateColumn = n
		}
		if k == Int64 && t.UnitsColumn == "" {
			t.UnitsColumn = n
		}
	}
	t.Columns = append(t.Columns, base.Columns...)
	return t.indexColumns(), dateColumn
}

// analyticsMetaColumns are the columns the loader fills from the instance (a file's own
// "Processing Date" column maps onto processing_date and is superseded by the instance's
// value, which it equals).
func analyticsMetaColumns() []Column {
	return []Column{
		{Name: AnalyticsGranularity, Header: "instance granularity", Kind: String, Optional: true},
		{Name: AnalyticsProcessingDate, Header: "Processing Date", Kind: DateISO, Optional: true},
		{Name: AnalyticsInstanceID, Header: "instance id", Kind: String, Optional: true},
		{Name: AnalyticsAccessType, Header: "request access type", Kind: String, Optional: true},
	}
}
