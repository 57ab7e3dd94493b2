// Package metricnames is the one vocabulary of Apple's power and performance metrics
// (GET /v1/apps/{id}/perfPowerMetrics, REFERENCE.md §D.1): the document version, the
// MetricCategory enum, the metric identifiers of each category and the unit identifiers.
// The simulator serves exactly the metrics of Metrics; the loader (transform) checks
// every document against this package and reports any other name as drift, loaded
// anyway. Because both sides use the same list, the simulator cannot cause drift.
//
// Where the names come from. Apple documents the category enum (the spec's
// filter[metricType]) and, in its two example documents, two metrics: LAUNCH/launchTime
// in "milliseconds" ("ms") and ANIMATION/scrollHitchRate in the unit "scrollHitchRate"
// ("%"). The other metric and unit identifiers are not published; they are our choice,
// named after Xcode Organizer's metrics in the camelCase style of Apple's identifiers
// (hangRate in secondsPerHour, battery in percentPerDay, terminations in
// terminationsPerDay, sizes in megabytes). Alternative spellings an earlier loader
// accepted are kept as known aliases, so that a document using
// them is not reported; the simulator never serves them.
//
// This package stands on the ground floor: it imports nothing of ours.
package metricnames

// Version is the xcodeMetrics document version Apple's examples carry.
const Version = "1.0.0"

// Metric categories (the spec's MetricCategory enum, in its order).
const (
	Hang        = "HANG"
	Launch      = "LAUNCH"
	Memory      = "MEMORY"
	Disk        = "DISK"
	Battery     = "BATTERY"
	Termination = "TERMINATION"
	Animation   = "ANIMATION"
	Storage     = "STORAGE"
)

// Metric identifiers (metricCategories[].metrics[].identifier).
const (
	HangRate               = "hangRate"
	LaunchTime             = "launchTime" // Apple's example
	ResumeTime             = "resumeTime"
	PeakMemory             = "peakMemory"
	SuspendedMemory        = "suspendedMemory"
	LogicalWrites          = "logicalWrites"
	OnScreenBattery        = "onScreenBattery"
	BackgroundBattery      = "backgroundBattery"
	BackgroundTerminations = "backgroundTerminations"
	ForegroundTerminations = "foregroundTerminations"
	ScrollHitchRate        = "scrollHitchRate" // Apple's example
	StorageSize            = "storageSize"
)

// Unit identifiers (metrics[].unit.identifier).
const (
	Milliseconds       = "milliseconds" // Apple's example
	SecondsPerHour     = "secondsPerHour"
	Megabytes          = "megabytes"
	PercentPerDay      = "percentPerDay"
	TerminationsPerDay = "terminationsPerDay"
	// HitchRate is the unit of scrollHitchRate: Apple's example names the unit after the
	// metric (displayName "%").
	HitchRate = "scrollHitchRate"
)

// Metric is one metric with the unit it is sent in.
type Metric struct {
	Category string // MetricCategory
	ID       string // metric identifier
	Unit     string // unit.identifier
	Display  string // unit.displayName (free text, never checked)
}

// metrics is the vocabulary, categories in enum order.
var metrics = []Metric{
	{Hang, HangRate, SecondsPerHour, "s/hr"},
	{Launch, LaunchTime, Milliseconds, "ms"},
	{Launch, ResumeTime, Milliseconds, "ms"},
	{Memory, PeakMemory, Megabytes, "MB"},
	{Memory, SuspendedMemory, Megabytes, "MB"},
	{Disk, LogicalWrites, Megabytes, "MB"},
	{Battery, OnScreenBattery, PercentPerDay, "%/day"},
	{Battery, BackgroundBattery, PercentPerDay, "%/day"},
	{Termination, BackgroundTerminations, TerminationsPerDay, "per day"},
	{Termination, ForegroundTerminations, TerminationsPerDay, "per day"},
	{Animation, ScrollHitchRate, HitchRate, "%"},
	{Storage, StorageSize, Megabytes, "MB"},
}

var categories = []string{Hang, Launch, Memory, Disk, Battery, Termination, Animation, Storage}

// aliases are further metric identifiers known per category (alternative names; never
// served by the simulator).
var aliases = map[string][]string{
	Launch:      {"optimizedLaunchTime"},
	Termination: {"terminations"},
	Storage:     {"storage", "appSize", "documentsAndData", "storageAppSize", "storageDocumentsAndData"},
}

// unitAliases are further unit identifiers known (alternative spellings, some of them
// display names; never served by the simulator).
var unitAliases = []string{
	"ms", "seconds", "s", "seconds per hour", "s/hr",
	"%", "percent", "percentage", "% per day", "%/day",
	"bytes", "kB", "KB", "kilobytes", "MB", "GB", "gigabytes", "MB per day",
	"ms per s", "count", "per day",
}

var (
	knownMetric = map[string]map[string]bool{}
	knownUnit   = map[string]bool{}
)

func init() {
	for _, c := range categories {
		knownMetric[c] = map[string]bool{}
	}
	for _, m := range metrics {
		knownMetric[m.Category][m.ID] = true
		knownUnit[m.Unit] = true
	}
	for c, ids := range aliases {
		for _, id := range ids {
			knownMetric[c][id] = true
		}
	}
	for _, u := range unitAliases {
		knownUnit[u] = true
	}
}

// Metrics returns the vocabulary's metrics, categories in enum order (a copy).
func Metrics() []Metric { return append([]Metric(nil), metrics...) }

// Categories returns the MetricCategory enum in the spec's order (a copy).
func Categories() []string { return append([]string(nil), categories...) }

// KnownVersion reports whether v is a known xcodeMetrics document version.
func KnownVersion(v string) bool { return v == Version }

// KnownCategory reports whether c is a MetricCategory.
func KnownCategory(c string) bool { _, ok := knownMetric[c]; return ok }

// KnownMetric reports whether id is a known metric of category c (a known metric under
// another category is not).
func KnownMetric(c, id string) bool { return knownMetric[c][id] }

// KnownUnit reports whether u is a known unit identifier.
func KnownUnit(u string) bool { return knownUnit[u] }
