// Package report names the things Apple publishes: the valid sales report combinations,
// the finance report kinds, and the unit of work (one report for one period) that the
// planner, extractors, loaders and ledger all key by.
package report

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ascetl/etl/report/fiscal"
)

// Family groups units by API surface.
type Family string

const (
	Sales   Family = "sales"
	Finance Family = "finance"
	Reviews Family = "reviews"
	Metrics Family = "metrics"
	// Catalog units are one snapshot of the catalog dimensions (dim_*) per vendor and UTC
	// day: Type DIMENSIONS, Vendor the vendor number, Period YYYY-MM-DD.
	Catalog Family = "catalog"
	// TestFlight units are one app's beta tester and beta build usage read on one UTC day:
	// Type TESTFLIGHT_USAGE, Vendor the app's Apple id, Period YYYY-MM-DD.
	TestFlight Family = "testflight"
	// XcodeCloud units are the Xcode Cloud build runs (with their actions) read on one UTC
	// day: Type XCODE_CLOUD_RUNS, Vendor the vendor number, Period YYYY-MM-DD.
	XcodeCloud Family = "xcode_cloud"
	// Analytics units are Analytics Reports API instances: Type is the report's table type
	// (APP_DOWNLOADS_STANDARD), SubType the request's access type (ONGOING,
	// ONE_TIME_SNAPSHOT), Frequency the granularity, Vendor the app, Period the
	// processingDate (YYYY-MM-DD).
	Analytics Family = "analytics"
)

// Frequencies of sales reports.
const (
	Daily   = "DAILY"
	Weekly  = "WEEKLY"
	Monthly = "MONTHLY"
	Yearly  = "YEARLY"
)

// Finance report types. Payments is Apple's "Payments and Financial Reports" file: it has
// no API (it is downloaded from the Payments page and imported), and its unit's region is
// ZZ (it covers every region).
const (
	Financial     = "FINANCIAL"
	FinanceDetail = "FINANCE_DETAIL"
	Payments      = "PAYMENTS"
)

// Combo is one row of Apple's valid reportType/reportSubType/frequency table
// (REFERENCE.md §A.2). Versions lists the accepted versions, latest last.
type Combo struct {
	Type, SubType, Frequency string
	Versions                 []string
	// Until is the last period Apple publishes (API form of the frequency), "" while the
	// report is still generated. Later periods are answered as discontinued.
	Until string
}

// Latest is the newest version Apple documents for the combination ("" if none).
func (c Combo) Latest() string {
	if len(c.Versions) == 0 {
		return ""
	}
	return c.Versions[len(c.Versions)-1]
}

// Discontinued reports whether Apple no longer generates the combination for period
// (a period in the API form of its frequency, compared by its first day with Until's).
func (c Combo) Discontinued(period string) bool {
	if c.Until == "" {
		return false
	}
	start, _, err := PeriodBounds(c.Frequency, period)
	if err != nil {
		return false
	}
	until, _, err := PeriodBounds(c.Frequency, c.Until)
	return err == nil && start.After(until)
}

// Installs periods: Apple stopped generating the INSTALLS (Core Technology Fee "first
// annual installs") report when the Core Technology Fee gave way to the Core Technology
// Commission on 1 January 2026 [I: the month is our reading of Apple's June 2025 EU terms
// announcement; REFERENCE.md only says the report stopped in 2026]. The last monthly report
// is December 2025 (published 5 January 2026), the last yearly one 2025.
const (
	installsLastMonth = "2025-12"
	installsLastYear  = "2025"
)

func combo(typ, sub, freq string, versions ...string) Combo {
	return Combo{Type: typ, SubType: sub, Frequency: freq, Versions: versions}
}

func until(c Combo, last string) Combo { c.Until = last; return c }

// SalesCombos is Apple's table as documented; anything else is rejected by the API.
var SalesCombos = []Combo{
	combo("SALES", "SUMMARY", Daily, "1_0"),
	combo("SALES", "SUMMARY", Weekly, "1_0"),
	combo("SALES", "SUMMARY", Monthly, "1_0"),
	combo("SALES", "SUMMARY", Yearly, "1_0"),
	combo("PRE_ORDER", "SUMMARY", Daily, "1_0"),
	combo("PRE_ORDER", "SUMMARY", Weekly, "1_0"),
	combo("PRE_ORDER", "SUMMARY", Monthly, "1_0"),
	combo("PRE_ORDER", "SUMMARY", Yearly, "1_0"),
	combo("NEWSSTAND", "DETAILED", Daily, "1_0"),
	combo("NEWSSTAND", "DETAILED", Weekly, "1_0"),
	combo("SUBSCRIPTION", "SUMMARY", Daily, "1_3"),
	combo("SUBSCRIPTION_EVENT", "SUMMARY", Daily, "1_3"),
	combo("SUBSCRIBER", "DETAILED", Daily, "1_3"),
	combo("SUBSCRIPTION_OFFER_CODE_REDEMPTION", "SUMMARY", Daily, "1_0"),
	combo("WIN_BACK_ELIGIBILITY", "SUMMARY", Daily, "1_0"),
	until(combo("INSTALLS", "SUMMARY", Monthly, "1_2"), installsLastMonth),
	until(combo("INSTALLS", "DETAILED", Monthly, "1_2"), installsLastMonth),
	until(combo("INSTALLS", "DETAILED", Yearly, "1_0", "1_1"), installsLastYear),
	until(combo("INSTALLS", "SUMMARY_TERRITORY", Yearly, "1_0", "1_1"), installsLastYear),
	until(combo("INSTALLS", "SUMMARY_INSTALL_TYPE", Yearly, "1_0", "1_1"), installsLastYear),
	until(combo("INSTALLS", "SUMMARY_CHANNEL", Yearly, "1_0", "1_1"), installsLastYear),
	combo("FIRST_ANNUAL", "DETAILED", Daily, "1_0"),
	combo("FIRST_ANNUAL", "SUMMARY", Yearly, "1_0"),
}

// LookupCombo finds a valid combination.
func LookupCombo(typ, subType, freq string) (Combo, bool) {
	for _, c := range SalesCombos {
		if c.Type == typ && c.SubType == subType && c.Frequency == freq {
			return c, true
		}
	}
	return Combo{}, false
}

// FinanceRegions maps the finance region codes Apple accepts to their currency (ZZ is the
// all-regions single file, Z1 the only region of FINANCE_DETAIL). From Apple's "Financial
// report regions and currencies" list, as reproduced in REFERENCE.md §B.1 sources.
var FinanceRegions = map[string]string{
	"ZZ": "", "Z1": "",
	"AE": "AED", "AU": "AUD", "BG": "BGN", "BR": "BRL", "CA": "CAD", "CH": "CHF",
	"CL": "CLP", "CN": "CNY", "CO": "COP", "CZ": "CZK", "DK": "DKK", "EG": "EGP",
	"EU": "EUR", "GB": "GBP", "HK": "HKD", "HU": "HUF", "ID": "IDR", "IL": "ILS",
	"IN": "INR", "JP": "JPY", "KR": "KRW", "KZ": "KZT", "LL": "USD", "MX": "MXN",
	"MY": "MYR", "NG": "NGN", "NO": "NOK", "NZ": "NZD", "PE": "PEN", "PH": "PHP",
	"PK": "PKR", "PL": "PLN", "QA": "QAR", "RO": "RON", "RU": "RUB", "SA": "SAR",
	"SE": "SEK", "SG": "SGD", "TH": "THB", "TR": "TRY", "TW": "TWD", "TZ": "TZS",
	"US": "USD", "VN": "VND", "WW": "USD", "ZA": "ZAR",
}

// MetricsTypes are the unit types of the metrics family; the table is the type lowercased.
// A metrics unit is one app's snapshot on one day (Period YYYY-MM-DD, UTC).
var MetricsTypes = map[string]bool{
	"PERF_METRICS": true, "PERF_METRIC_BREAKDOWNS": true, "PERF_METRIC_GOALS": true,
	"PERF_INSIGHTS": true, "DIAGNOSTIC_SIGNATURES": true, "DIAGNOSTIC_LOG_FRAMES": true,
}

// SnapshotTypes are the unit types of the families whose units are snapshots of the
// present taken on one UTC day (APP_DISCOVERY names a failed app listing).
var SnapshotTypes = map[Family]map[string]bool{
	Catalog:    {"DIMENSIONS": true, "APP_DISCOVERY": true},
	TestFlight: {"TESTFLIGHT_USAGE": true},
	XcodeCloud: {"XCODE_CLOUD_RUNS": true},
}

// Unit is one thing Apple publishes: a report of one kind for one period. For the reviews
// family, a unit is one crawl of one app on one UTC day: Vendor holds the app's Apple id
// and Period the day (YYYY-MM-DD, UTC) of the crawl. Ledger entries of earlier versions
// name a month (YYYY-MM) instead, one per customer_reviews partition: they stay valid
// (legacy units), are never planned again, and replay from the one page they name.
//
// Period is in the API's own form: YYYY-MM-DD for daily and weekly (the Sunday that ends
// the week), YYYY-MM for monthly, YYYY for yearly, and YYYY-MM (fiscal year and period)
// for finance.
type Unit struct {
	Family    Family `json:"family"`
	Type      string `json:"type"`
	SubType   string `json:"sub_type,omitempty"`
	Frequency string `json:"frequency,omitempty"`
	Region    string `json:"region,omitempty"`
	Vendor    string `json:"vendor"`
	Period    string `json:"period"`
}

// ID is the unit's stable identity, also its ledger key: it is built only from validated
// values and contains no free text.
func (u Unit) ID() string {
	switch u.Family {
	case Finance:
		return fmt.Sprintf("finance/%s/%s/%s/%s", u.Type, u.Region, u.Vendor, u.Period)
	case Reviews:
		return fmt.Sprintf("reviews/%s/%s/%s", u.Type, u.Vendor, u.Period)
	case Metrics:
		return fmt.Sprintf("metrics/%s/%s/%s", u.Type, u.Vendor, u.Period)
	case Catalog, TestFlight, XcodeCloud:
		return fmt.Sprintf("%s/%s/%s/%s", u.Family, u.Type, u.Vendor, u.Period)
	case Analytics:
		return fmt.Sprintf("analytics/%s/%s/%s/%s/%s", u.Type, u.SubType, u.Frequency, u.Vendor, u.Period)
	default:
		return fmt.Sprintf("sales/%s/%s/%s/%s/%s", u.Type, u.SubType, u.Frequency, u.Vendor, u.Period)
	}
}

func (u Unit) String() string { return u.ID() }

// Table is the Parquet table (and DuckDB view) the unit loads into.
func (u Unit) Table() string { return TableName(u.Family, u.Type, u.SubType, u.Frequency) }

// TableName is the table for a report kind: sales_summary_daily, subscriber_detailed_daily,
// finance_financial, finance_detail, …
func TableName(f Family, typ, subType, freq string) string {
	if f == Metrics {
		return strings.ToLower(typ)
	}
	if f == Analytics {
		return "analytics_" + strings.ToLower(typ)
	}
	if f == Catalog || f == TestFlight || f == XcodeCloud {
		return strings.ToLower(typ)
	}
	if f == Reviews {
		if typ == "CUSTOMER_REVIEW_RESPONSES" {
			return "review_responses"
		}
		return "customer_reviews"
	}
	if f == Finance {
		switch typ {
		case FinanceDetail:
			return "finance_detail"
		case Payments:
			return "finance_payments"
		}
		return "finance_financial"
	}
	return strings.ToLower(strings.TrimRight(typ+"_"+subType+"_"+freq, "_"))
}

// Partition is the hive partition path of the unit inside its table, e.g.
// "vendor=85012345/month=2026-11" or "vendor=85012345/region=US/fiscal_period=2026-02".
// A sales unit's partition is the month of the first day its report covers (the Monday
// of a week, the 1st of a month, January 1st of a year): that day is the report_date
// column of its rows, and names the unit's object in the month (load.PeriodKey).
func (u Unit) Partition() (string, error) {
	if err := u.Validate(); err != nil {
		return "", err
	}
	if u.Family == Reviews {
		// The month of the crawl's day (a crawl touches every month it reads; this is
		// the partition of its own day's reviews).
		return fmt.Sprintf("app_id=%s/month=%s", u.Vendor, u.Period[:len("2006-01")]), nil
	}
	if u.Family == Metrics {
		return fmt.Sprintf("app_id=%s/snapshot_date=%s", u.Vendor, u.Period), nil
	}
	if u.Family == Analytics {
		return fmt.Sprintf("app_id=%s", u.Vendor), nil // rows are split by month of their date
	}
	if u.Family == Finance {
		if u.Type == FinanceDetail || u.Type == Payments {
			return fmt.Sprintf("vendor=%s/fiscal_period=%s", u.Vendor, u.Period), nil
		}
		return fmt.Sprintf("vendor=%s/region=%s/fiscal_period=%s", u.Vendor, u.Region, u.Period), nil
	}
	start, _, err := u.Bounds()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("vendor=%s/month=%s", u.Vendor, start.Format("2006-01")), nil
}

var (
	vendorRE = regexp.MustCompile(`^[0-9]{1,20}$`)
	regionRE = regexp.MustCompile(`^[A-Z0-9]{2}$`)

	analyticsTypeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_]{0,100}$`)
)

// ValidVendor reports whether s looks like a vendor number (digits only).
func ValidVendor(s string) bool { return vendorRE.MatchString(s) }

// Validate checks that every field is one Apple defines, so keys built from a unit are safe.
func (u Unit) Validate() error {
	if !ValidVendor(u.Vendor) {
		return fmt.Errorf("unit %q: vendor number %q must be digits", u.Type, u.Vendor)
	}
	switch u.Family {
	case Sales:
		if _, ok := LookupCombo(u.Type, u.SubType, u.Frequency); !ok {
			return fmt.Errorf("unit: %s/%s/%s is not a report Apple publishes", u.Type, u.SubType, u.Frequency)
		}
	case Finance:
		if u.Type != Financial && u.Type != FinanceDetail && u.Type != Payments {
			return fmt.Errorf("unit: finance report type %q unknown", u.Type)
		}
		if u.Type == Payments && u.Region != "ZZ" {
			return fmt.Errorf("unit: the Payments report covers every region (ZZ), not %q", u.Region)
		}
		if _, ok := FinanceRegions[u.Region]; !ok || !regionRE.MatchString(u.Region) {
			return fmt.Errorf("unit: finance region %q unknown", u.Region)
		}
		if u.Type == FinanceDetail && u.Region != "Z1" {
			return fmt.Errorf("unit: FINANCE_DETAIL is only published for region Z1, not %q", u.Region)
		}
	case Reviews:
		if u.Type != "CUSTOMER_REVIEWS" && u.Type != "CUSTOMER_REVIEW_RESPONSES" {
			return fmt.Errorf("unit: reviews type %q unknown", u.Type)
		}
	case Metrics:
		if !MetricsTypes[u.Type] {
			return fmt.Errorf("unit: metrics type %q unknown", u.Type)
		}
	case Catalog, TestFlight, XcodeCloud:
		if !SnapshotTypes[u.Family][u.Type] {
			return fmt.Errorf("unit: %s type %q unknown", u.Family, u.Type)
		}
	case Analytics:
		if !analyticsTypeRE.MatchString(u.Type) || (u.SubType != "ONGOING" && u.SubType != "ONE_TIME_SNAPSHOT") ||
			(u.Frequency != Daily && u.Frequency != Weekly && u.Frequency != Monthly) {
			return fmt.Errorf("unit: analytics %s/%s/%s unknown", u.Type, u.SubType, u.Frequency)
		}
	default:
		return fmt.Errorf("unit: family %q unknown", u.Family)
	}
	_, _, err := u.Bounds()
	return err
}

// Bounds returns the first and last calendar day (inclusive, 00:00 UTC) the unit covers.
func (u Unit) Bounds() (start, end time.Time, err error) {
	switch u.Family {
	case Finance:
		p, err := fiscal.Parse(u.Period)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		return p.Start, p.End, nil
	case Reviews:
		if len(u.Period) == len("2006-01") {
			return PeriodBounds(Monthly, u.Period) // a legacy month unit
		}
		return PeriodBounds(Daily, u.Period)
	case Metrics, Analytics, Catalog, TestFlight, XcodeCloud:
		return PeriodBounds(Daily, u.Period)
	}
	return PeriodBounds(u.Frequency, u.Period)
}

// PeriodBounds parses a sales period in the API form of its frequency.
func PeriodBounds(freq, period string) (start, end time.Time, err error) {
	bad := func() (time.Time, time.Time, error) {
		return time.Time{}, time.Time{}, fmt.Errorf("period %q is not a valid %s report date", period, freq)
	}
	switch freq {
	case Daily:
		d, err := time.Parse("2006-01-02", period)
		if err != nil {
			return bad()
		}
		return d, d, nil
	case Weekly:
		d, err := time.Parse("2006-01-02", period)
		if err != nil || d.Weekday() != time.Sunday {
			return bad()
		}
		return d.AddDate(0, 0, -6), d, nil
	case Monthly:
		d, err := time.Parse("2006-01", period)
		if err != nil {
			return bad()
		}
		return d, d.AddDate(0, 1, -1), nil
	case Yearly:
		d, err := time.Parse("2006", period)
		if err != nil {
			return bad()
		}
		return d, d.AddDate(1, 0, -1), nil
	}
	return bad()
}

// PeriodFor returns the API period of the given frequency that contains day d.
func PeriodFor(freq string, d time.Time) string {
	switch freq {
	case Weekly:
		// Weeks run Monday–Sunday and are named by their Sunday.
		off := (7 - int(d.Weekday())) % 7
		return d.AddDate(0, 0, off).Format("2006-01-02")
	case Monthly:
		return d.Format("2006-01")
	case Yearly:
		return d.Format("2006")
	}
	return d.Format("2006-01-02")
}

// NextPeriod returns the period after p for the frequency.
func NextPeriod(freq, p string) (string, error) {
	_, end, err := PeriodBounds(freq, p)
	if err != nil {
		return "", err
	}
	return PeriodFor(freq, end.AddDate(0, 0, 1)), nil
}

// Pacific is Apple's reporting time zone; sales days are Pacific days.
var Pacific = mustZone("America/Los_Angeles")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// No tz database: fall back to a fixed PST offset rather than UTC.
		return time.FixedZone("PST", -8*3600)
	}
	return loc
}

// PublishHour is the Pacific hour by which Apple generally publishes a day's reports.
const PublishHour = 8

// ExpectedAvailable is when Apple is expected to publish the unit (REFERENCE.md §A.5, §B.3,
// §F.6): daily reports the next day, weekly on the Monday after the week, monthly five days
// after month end, yearly six days after year end, all by about 08:00 Pacific; the
// subscription event report one day later than other daily reports; finance by the first
// Friday after the fiscal month.
func ExpectedAvailable(u Unit) (time.Time, error) {
	_, end, err := u.Bounds()
	if err != nil {
		return time.Time{}, err
	}
	var day time.Time
	switch {
	case u.Family == Finance:
		p, _ := fiscal.Parse(u.Period)
		day = p.AvailableFrom()
	case u.Frequency == Monthly:
		day = end.AddDate(0, 0, 5)
	case u.Frequency == Yearly:
		day = end.AddDate(0, 0, 6)
	case u.Type == "SUBSCRIPTION_EVENT":
		day = end.AddDate(0, 0, 2)
	default:
		day = end.AddDate(0, 0, 1)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), PublishHour, 0, 0, 0, Pacific), nil
}

// Retention is how long after publication Apple keeps serving the unit; zero means forever.
func Retention(u Unit) time.Duration {
	switch {
	case u.Family == Finance:
		return 10 * 365 * 24 * time.Hour
	case u.Frequency == Yearly:
		return 0
	default:
		return 365 * 24 * time.Hour
	}
}
