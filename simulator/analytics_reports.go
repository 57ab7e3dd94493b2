package simulator

import (
	"slices"
	"strings"
	"time"
)

// Analytics report catalog: the report names every analytics report request lists, their
// categories, completeness windows and served column layouts.

// Analytics categories (REFERENCE.md §C.1; note COMMERCE).
const (
	catEngagement  = "APP_STORE_ENGAGEMENT"
	catCommerce    = "COMMERCE"
	catUsage       = "APP_USAGE"
	catPerformance = "PERFORMANCE"
	catFramework   = "FRAMEWORK_USAGE"
)

var anaCategories = []string{catUsage, catEngagement, catCommerce, catFramework, catPerformance}

// Granularities, in the order instances of one processing date are listed.
var anaGranularities = []string{"DAILY", "WEEKLY", "MONTHLY"}

// Report kinds: one generator and one documented column list per kind.
const (
	kindDiscovery = "discovery"
	kindDownloads = "downloads"
	kindSessions  = "sessions"
	kindInstalls  = "installs"
	kindPurchases = "purchases"
	kindCrashes   = "crashes"
	kindCrashesX  = "crashesExpanded"
	kindSubEvent  = "subEvent"
	kindSubState  = "subState"
	// Reports the loader has no schema for (its generic loader types them by header);
	// their columns are our choice [I]: Apple documents none of them in this pack.
	kindWebPreview  = "webPreview"
	kindPreOrders   = "preOrders"
	kindAppClip     = "appClip"
	kindInstallPerf = "installPerf"
	kindWidgets     = "widgetUsage"
)

// anaReport is one report type as listed under a request.
type anaReport struct {
	num      int // the N of the report id r<N>-<requestId>
	name     string
	category string
	kind     string // "" = never has data
	detailed bool
	window   int             // completeness window k in days
	grans    []string        // granularities with instances
	comma    bool            // comma-delimited (App Crashes Expanded)
	header   []string        // served column order
	measures []string        // measure columns (in header order)
	decimal  map[string]bool // measures written with two decimals (USD, averages)
	history  time.Time
}

// docColumns are the documented column orders per kind; a "*" suffix marks a Detailed-only
// (D) column. Measures come last.
var docColumns = map[string][]string{
	kindDiscovery: {"Date", "App Name", "App Apple Identifier", "Event", "Page Type", "Page Title*", "Source Type",
		"Source Info*", "Campaign*", "Engagement Type", "Device", "Platform Version", "Territory"},
	kindDownloads: {"Date", "App Name", "App Apple Identifier", "Download Type", "App Version", "Device",
		"Platform Version", "Source Type", "Source Info*", "Campaign*", "Page Type", "Page Title*", "Pre-Order", "Territory"},
	kindSessions: {"Date", "App Name", "App Apple Identifier", "App Version", "Device", "Platform Version",
		"Source Type", "Source Info*", "Campaign*", "Page Type", "Page Title*", "App Download Date", "Territory"},
	kindInstalls: {"Date", "App Name", "App Apple Identifier", "Event", "Download Type", "App Version", "Device",
		"Platform Version", "Source Type", "Source Info*", "Campaign*", "Page Type", "Page Title*", "App Download Date", "Territory"},
	kindPurchases: {"Date", "App Name", "App Apple Identifier", "Purchase Type", "Content Name",
		"Content Apple Identifier", "Payment Method", "Device", "Platform Version", "Source Type", "Source Info*",
		"Campaign*", "Page Type", "Page Title*", "App Download Date", "Pre-Order", "Territory"},
	kindCrashes: {"Date", "App Name", "App Apple Identifier", "App Version", "Device", "Platform Version"},
	kindCrashesX: {"App Name", "App Version", "Build", "Date", "Device", "Platform", "Release Type", "Territory",
		"App Apple Identifier"},
	kindSubEvent: {"Event Date", "App Name", "App Apple Identifier", "Event", "Event Sub Type", "Event Grouping",
		"Subscription Name", "Subscription Identifier", "Subscription Duration", "Billing Frequency", "Billing Period",
		"Subscription Group", "Subscription Group Identifier", "Offer Type", "Offer Name", "Offer ID", "Vanity Code",
		"Offer Pricing", "Offer Duration", "Plan Change Type", "Previous Subscription Name",
		"Previous Subscription Identifier", "Family Sharing", "Cancellation Reason", "Paid Service Days Recovered",
		"App Download Source Type", "App Download Source Info*", "Campaign*", "Page Type", "Page Title*", "Pre-Order",
		"Original Purchase Device", "Territory"},
	kindSubState: {"Date", "App Name", "App Apple Identifier", "Subscription Name", "Subscription Identifier",
		"Subscription Duration", "Subscription Group", "Subscription Group Identifier", "Offer Type", "Offer Name",
		"Auto-Renew Status", "Billing Retry", "Grace Period", "Family Sharing", "Device", "Territory"},
	kindWebPreview:  {"Date", "App Name", "App Apple Identifier", "Event", "Page Type", "Browser", "Territory"},
	kindPreOrders:   {"Date", "App Name", "App Apple Identifier", "Event", "Device", "Platform Version", "Source Type", "Territory"},
	kindAppClip:     {"Date", "App Name", "App Apple Identifier", "Invocation Type", "Device", "Platform Version", "Territory"},
	kindInstallPerf: {"Date", "App Name", "App Apple Identifier", "App Version", "Install Type", "Device", "Platform Version"},
	kindWidgets:     {"Date", "App Name", "App Apple Identifier", "Widget Kind", "Widget Family", "Device", "Platform Version", "Territory"},
}

// kindMeasures are the measure columns per kind.
var kindMeasures = map[string][]string{
	kindDiscovery: {"Counts", "Unique Counts"},
	kindDownloads: {"Counts"},
	kindSessions:  {"Sessions", "Total Session Duration", "Unique Devices"},
	kindInstalls:  {"Counts", "Unique Devices"},
	kindPurchases: {"Purchases", "Proceeds In USD", "Sales In USD", "Paying Users"},
	kindCrashes:   {"Crashes", "Unique Devices"},
	kindCrashesX:  {"Count", "Unique Devices"},
	kindSubEvent:  {"Counts"},
	kindSubState:  {"Counts"},

	kindWebPreview:  {"Counts", "Unique Counts"},
	kindPreOrders:   {"Counts"},
	kindAppClip:     {"Sessions", "Unique Devices"},
	kindInstallPerf: {"Installs", "Install Failures", "Average Install Duration"},
	kindWidgets:     {"Counts", "Unique Devices"},
}

// decimalMeasures are the measures written with two decimals (USD, seconds); every other
// measure is an integer.
var decimalMeasures = map[string]bool{"Proceeds In USD": true, "Sales In USD": true, "Average Install Duration": true}

// servedHeader puts columns in the order real files use (the ingestr fixture): the date
// column, App Apple Identifier, the measures, Processing Date, App Name, then the other
// dimensions in documented order. Standard variants drop the (D) columns.
func servedHeader(kind string, detailed bool) []string {
	var dims []string
	date := ""
	for _, c := range docColumns[kind] {
		name, dOnly := strings.CutSuffix(c, "*")
		switch {
		case dOnly && !detailed:
		case name == "Date" || name == "Event Date":
			date = name
		case name == "App Apple Identifier" || name == "App Name":
		default:
			dims = append(dims, name)
		}
	}
	h := []string{date, "App Apple Identifier"}
	h = append(h, kindMeasures[kind]...)
	h = append(h, "Processing Date", "App Name")
	return append(h, dims...)
}

var (
	history2024 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	history2025 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

// anaReports is Apple's catalog as every request lists it, in listing order.
//
// Decision (Reports): every request lists Apple's catalog as the loader knows it (55 names,
// AnalyticsReportNames; the same names and categories as schemas.AnalyticsCatalog, checked by
// a test), in a fixed order with ids r<N>-<requestId>. 19 have data: the 14 the loader has
// schemas for (Standard and Detailed App Store Discovery and Engagement, App Downloads, App
// Store Purchases, App Sessions, App Store Installation and Deletion; App Store Subscription
// Event Report Standard and Subscription State Report Standard, DAILY only; App Crashes; App
// Crashes Expanded, PERFORMANCE, comma-delimited) and five it loads generically, one more per
// category: App Store Web Preview Engagement Standard, App Store Pre-Orders Standard, App Clip
// Usage Standard, App Install Performance (DAILY only, window 2, history from 2024-03-01,
// "Average Install Duration" with two decimals) and Home Screen Widget Usage
// (FRAMEWORK_USAGE). Their columns are our choice [I]. The other 36 never have instances.
// Subscription reports have rows only for apps with subscriptions; a report without rows for
// an app lists no instances.
var anaReports = func() []*anaReport {
	all := anaGranularities
	daily := []string{"DAILY"}
	var out []*anaReport
	add := func(num int, name, cat, kind string, detailed bool, window int, grans []string) {
		r := &anaReport{num: num, name: name, category: cat, kind: kind, detailed: detailed, window: window,
			grans: grans, comma: kind == kindCrashesX, history: history2024, decimal: map[string]bool{}}
		switch kind {
		case kindSubEvent:
			r.history = history2025
		case kindInstallPerf:
			r.history = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
		}
		if kind != "" {
			r.header = servedHeader(kind, detailed)
			r.measures = kindMeasures[kind]
			for _, m := range r.measures {
				r.decimal[m] = decimalMeasures[m]
			}
		}
		out = append(out, r)
	}
	both := func(num int, base, cat, kind string, window int) {
		add(num, base+" Standard", cat, kind, false, window, all)
		add(num+1, base+" Detailed", cat, kind, true, window, all)
	}
	none := func(num int, cat string, names ...string) {
		for i, n := range names {
			add(num+i, n, cat, "", false, 0, nil)
		}
	}
	both(1, "App Store Discovery and Engagement", catEngagement, kindDiscovery, 3)
	add(3, "App Store Web Preview Engagement Standard", catEngagement, kindWebPreview, false, 3, all)
	add(17, "App Store Web Preview Engagement Detailed", catEngagement, "", true, 0, nil)
	both(4, "App Downloads", catCommerce, kindDownloads, 3)
	both(6, "App Store Purchases", catCommerce, kindPurchases, 3)
	add(8, "App Store Pre-Orders Standard", catCommerce, kindPreOrders, false, 3, all)
	add(18, "App Store Pre-Orders Detailed", catCommerce, "", true, 0, nil)
	add(9, "App Store Subscription Event Report Standard", catCommerce, kindSubEvent, false, 3, daily)
	add(10, "App Store Subscription State Report Standard", catCommerce, kindSubState, false, 2, daily)
	both(11, "App Sessions", catUsage, kindSessions, 5)
	both(13, "App Store Installation and Deletion", catUsage, kindInstalls, 5)
	add(15, "App Crashes", catUsage, kindCrashes, false, 5, all)
	add(16, "App Clip Usage Standard", catUsage, kindAppClip, false, 5, all)
	add(20, "App Clip Usage Detailed", catUsage, "", true, 0, nil)
	none(24, catUsage, "Platform App Installs", "App Opt In", "CarPlay App Usage")
	add(142, "App Crashes Expanded", catPerformance, kindCrashesX, false, 5, all)
	add(31, "App Install Performance", catPerformance, kindInstallPerf, false, 2, daily)
	add(143, "App Storage Reads and Writes", catPerformance, "", false, 0, nil)
	add(23, "AirPlay Performance", catPerformance, "", false, 0, nil)
	add(19, "Streaming Playback Performance", catPerformance, "", false, 0, nil)
	none(144, catPerformance, "Streaming Downloads Performance", "Networking Connection Activity",
		"HTTP Live Streaming Playback Errors", "CAMetalLayer Performance", "Bluetooth System Wakes",
		"Spotlight Query Performance", "Custom Language Model Builds Failed", "Launch Image Over Memory Limit")
	none(60, catFramework, "Home Screen Widgets")
	add(61, "Home Screen Widget Usage", catFramework, kindWidgets, false, 3, all)
	none(62, catFramework, "Lock Screen Widget Configuration", "Live Activity Use", "Safari Extensions Usage",
		"Safari Extensions Enablement", "ARKit World Tracking", "Bluetooth LE Scans", "Photos Picker", "PhotoKit Imports",
		"Location Sessions", "CarPlay Navigation", "Haptics Engine Usage", "Game Controller Sessions",
		"Keyboard Dictation Usage", "Spatial Audio Usage", "Default Browser Usage Rate",
		"Browser Choice Screen Engagement (iOS versions before 18.2)", "App Runtime Usage", "App Disk Space Usage")
	return out
}()

func anaReportByName(name string) *anaReport {
	for _, r := range anaReports {
		if r.name == name {
			return r
		}
	}
	return nil
}

func anaReportByNum(num int) *anaReport {
	for _, r := range anaReports {
		if r.num == num {
			return r
		}
	}
	return nil
}

// hasGran reports whether the report publishes instances of granularity g.
func (r *anaReport) hasGran(g string) bool { return slices.Contains(r.grans, g) }

// AnalyticsReportNames lists the report names a request serves, in listing order, with
// their category; withData tells which of them ever have instances.
func AnalyticsReportNames() (names, categories []string, withData []bool) {
	for _, r := range anaReports {
		names = append(names, r.name)
		categories = append(categories, r.category)
		withData = append(withData, r.kind != "")
	}
	return names, categories, withData
}
