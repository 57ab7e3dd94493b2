package schemas

import (
	"strings"

	"github.com/ascetl/etl/report"
)

// Analytics Reports API tables (REFERENCE.md §C): one table per API report name, named
// "analytics_" + the name in snake_case ("App Downloads Standard" →
// analytics_app_downloads_standard). Segments are mapped by header name like every TSV;
// the loader adds the instance's granularity, processing date, id and access type to every
// row. A table keeps every processing date Apple published (restatements included): the
// <table>_latest view keeps, per app, granularity and date, only the latest one.
//
// Tables are partitioned by app_id and month (YYYY-MM of the row's date; of the processing
// date for a row without one). A partition is merged by instance_id, so loading an
// instance again replaces its rows instead of adding them.

// Columns the loader fills from the instance, present in every analytics table.
const (
	AnalyticsGranularity    = "granularity"     // DAILY, WEEKLY, MONTHLY
	AnalyticsProcessingDate = "processing_date" // the instance's processingDate
	AnalyticsInstanceID     = "instance_id"     // Apple's instance id (merge key)
	AnalyticsAccessType     = "access_type"     // ONGOING or ONE_TIME_SNAPSHOT
)

// AnalyticsReport is one Analytics Reports API report the loader knows.
type AnalyticsReport struct {
	Name     string // API name, exact ("App Downloads Standard")
	Category string // API category (APP_USAGE, APP_STORE_ENGAGEMENT, COMMERCE, PERFORMANCE, …)
	Table    string // analytics_<name in snake_case>
	// DateColumn is the column holding the row's date ("date"; "event_date" for the
	// subscription event report); weekly and monthly rows carry the period's first day.
	DateColumn string
	// FinalDays is the completeness window: a daily row is final once its processing date
	// is at least this many days after its date (REFERENCE.md §C.2: Discovery and
	// Engagement 3, Sessions/Installs/Crashes 5, Subscription Event 3; where Apple gives no
	// figure the simulator's choice: Downloads 3, Purchases 3, Subscription State 2).
	FinalDays int
}

// AnalyticsTableName is the table of an API report name.
func AnalyticsTableName(name string) string { return "analytics_" + ColumnName(name) }

// analyticsDef is a report family with both privacy levels where Apple has them.
type analyticsDef struct {
	base      string // name without " Standard"/" Detailed"
	category  string
	final     int
	variants  []string // name suffixes: " Standard", " Detailed", or "" (one level)
	dateCol   string   // header of the date column
	headers   []string // Detailed layout; "[D]" suffix marks Detailed-only columns
	intCols   []string // Int64 columns (counts)
	moneyCols []string // Decimal columns
	dateCols  []string // other DateISO columns
}

var analyticsDefs = []analyticsDef{
	{
		base: "App Store Discovery and Engagement", category: "APP_STORE_ENGAGEMENT", final: 3,
		variants: []string{" Standard", " Detailed"}, dateCol: "Date",
		headers: []string{"Date", "App Apple Identifier", "Counts", "Unique Counts", "App Name", "Event", "Page Type",
			"Page Title[D]", "Source Type", "Source Info[D]", "Campaign[D]", "Engagement Type", "Device",
			"Platform Version", "Territory"},
		intCols: []string{"Counts", "Unique Counts"},
	},
	{
		base: "App Downloads", category: "COMMERCE", final: 3,
		variants: []string{" Standard", " Detailed"}, dateCol: "Date",
		headers: []string{"Date", "App Apple Identifier", "Counts", "App Name", "Download Type", "App Version",
			"Device", "Platform Version", "Source Type", "Source Info[D]", "Campaign[D]", "Page Type",
			"Page Title[D]", "Pre-Order", "Territory"},
		intCols: []string{"Counts"},
	},
	{
		base: "App Store Purchases", category: "COMMERCE", final: 3,
		variants: []string{" Standard", " Detailed"}, dateCol: "Date",
		headers: []string{"Date", "App Apple Identifier", "Purchases", "Proceeds In USD", "Sales In USD",
			"Paying Users", "App Name", "Purchase Type", "Content Name", "Content Apple Identifier",
			"Payment Method", "Device", "Platform Version", "Source Type", "Source Info[D]", "Campaign[D]",
			"Page Type", "Page Title[D]", "App Download Date", "Pre-Order", "Territory"},
		intCols:   []string{"Purchases", "Paying Users"},
		moneyCols: []string{"Proceeds In USD", "Sales In USD"},
		dateCols:  []string{"App Download Date"},
	},
	{
		base: "App Store Subscription Event Report", category: "COMMERCE", final: 3,
		variants: []string{" Standard"}, dateCol: "Event Date",
		headers: []string{"Event Date", "App Apple Identifier", "Counts", "App Name", "Event", "Event Sub Type",
			"Event Grouping", "Subscription Name", "Subscription Identifier", "Subscription Duration",
			"Billing Frequency", "Billing Period", "Subscription Group", "Subscription Group Identifier",
			"Offer Type", "Offer Name", "Offer ID", "Vanity Code", "Offer Pricing", "Offer Duration",
			"Plan Change Type", "Previous Subscription Name", "Previous Subscription Identifier",
			"Family Sharing", "Cancellation Reason", "Paid Service Days Recovered", "App Download Source Type",
			"App Download Source Info[D]", "Campaign[D]", "Page Type", "Page Title[D]", "Pre-Order",
			"Original Purchase Device", "Territory"},
		intCols: []string{"Counts"},
	},
	{
		// Columns not documented by Apple: provisional (the simulator's layout).
		base: "App Store Subscription State Report", category: "COMMERCE", final: 2,
		variants: []string{" Standard"}, dateCol: "Date",
		headers: []string{"Date", "App Apple Identifier", "Counts", "App Name", "Subscription Name",
			"Subscription Identifier", "Subscription Duration", "Subscription Group",
			"Subscription Group Identifier", "Offer Type", "Offer Name", "Auto-Renew Status", "Billing Retry",
			"Grace Period", "Family Sharing", "Device", "Territory"},
		intCols: []string{"Counts"},
	},
	{
		base: "App Sessions", category: "APP_USAGE", final: 5,
		variants: []string{" Standard", " Detailed"}, dateCol: "Date",
		headers: []string{"Date", "App Apple Identifier", "Sessions", "Total Session Duration", "Unique Devices",
			"App Name", "App Version", "Device", "Platform Version", "Source Type", "Source Info[D]",
			"Campaign[D]", "Page Type", "Page Title[D]", "App Download Date", "Territory"},
		intCols:  []string{"Sessions", "Total Session Duration", "Unique Devices"},
		dateCols: []string{"App Download Date"},
	},
	{
		base: "App Store Installation and Deletion", category: "APP_USAGE", final: 5,
		variants: []string{" Standard", " Detailed"}, dateCol: "Date",
		headers: []string{"Date", "App Apple Identifier", "Counts", "Unique Devices", "App Name", "Event",
			"Download Type", "App Version", "Device", "Platform Version", "Source Type", "Source Info[D]",
			"Campaign[D]", "Page Type", "Page Title[D]", "App Download Date", "Territory"},
		intCols:  []string{"Counts", "Unique Devices"},
		dateCols: []string{"App Download Date"},
	},
	{
		base: "App Crashes", category: "APP_USAGE", final: 5,
		variants: []string{""}, dateCol: "Date",
		headers: []string{"Date", "App Apple Identifier", "Crashes", "Unique Devices", "App Name", "App Version",
			"Device", "Platform Version"},
		intCols: []string{"Crashes", "Unique Devices"},
	},
	{
		// Comma-delimited in the wild (REFERENCE.md §C.3); the delimiter is sniffed.
		base: "App Crashes Expanded", category: "PERFORMANCE", final: 5,
		variants: []string{""}, dateCol: "Date",
		headers: []string{"Date", "App Apple Identifier", "Count", "Unique Devices", "App Name", "App Version",
			"Build", "Device", "Platform", "Release Type", "Territory"},
		intCols: []string{"Count", "Unique Devices"},
	},
}

var (
	analyticsReports []AnalyticsReport
	analyticsByName  map[string]AnalyticsReport
	analyticsTabs    []*Table
)

func init() { buildAnalytics() }

func buildAnalytics() {
	if analyticsByName != nil {
		return
	}
	analyticsByName = map[string]AnalyticsReport{}
	for _, d := range analyticsDefs {
		for _, v := range d.variants {
			name := d.base + v
			detailed := v != " Standard"
			r := AnalyticsReport{Name: name, Category: d.category, Table: AnalyticsTableName(name),
				DateColumn: ColumnName(d.dateCol), FinalDays: d.final}
			analyticsReports = append(analyticsReports, r)
			analyticsByName[strings.ToLower(name)] = r
			analyticsTabs = append(analyticsTabs, d.table(r, detailed))
		}
	}
}

func (d analyticsDef) table(r AnalyticsReport, detailed bool) *Table {
	kind := func(h string) Kind {
		for _, group := range []struct {
			hs []string
			k  Kind
		}{{d.intCols, Int64}, {d.moneyCols, Decimal}, {d.dateCols, DateISO}, {[]string{d.dateCol}, DateISO}} {
			for _, x := range group.hs {
				if x == h {
					return group.k
				}
			}
		}
		return String
	}
	var cs []Column
	for _, h := range d.headers {
		h, onlyD := strings.CutSuffix(h, "[D]")
		if onlyD && !detailed {
			continue
		}
		cs = append(cs, col(h, kind(h)))
	}
	cs = append(cs, analyticsMetaColumns()...) // filled from the instance by the loader
	return &Table{
		Name: r.Table, Family: report.Analytics, Type: strings.ToUpper(strings.TrimPrefix(r.Table, "analytics_")),
		Columns: cs, Partition: AnalyticsPartition(), Mode: MergeByKey, Key: AnalyticsInstanceID, Provisional: d.base == "App Store Subscription State Report",
		UnitsColumn: ColumnName(d.intCols[0]),
	}
}

// AnalyticsPartition is the hive partition of every analytics table.
func AnalyticsPartition() []PartitionKey {
	return []PartitionKey{{Name: "app_id", DuckType: "VARCHAR"}, {Name: "month", DuckType: "VARCHAR"}}
}

// analyticsTables are the Analytics Reports API tables (issue 3).
func analyticsTables() []*Table {
	buildAnalytics()
	return analyticsTabs
}

// AnalyticsReports lists every analytics report the loader knows, in a stable order.
func AnalyticsReports() []AnalyticsReport {
	buildAnalytics()
	return append([]AnalyticsReport(nil), analyticsReports...)
}

// LookupAnalyticsReport finds a report by its API name (case-insensitive, as Apple says
// values are).
func LookupAnalyticsReport(name string) (AnalyticsReport, bool) {
	buildAnalytics()
	r, ok := analyticsByName[strings.ToLower(strings.TrimSpace(name))]
	return r, ok
}
