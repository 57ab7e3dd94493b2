package schemas

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestAnalyticsTables(t *testing.T) {
	rs := AnalyticsReports()
	if len(rs) != 14 {
		t.Fatalf("%d analytics reports, want 14", len(rs))
	}
	for _, r := range rs {
		tb, ok := Lookup(r.Table)
		if !ok {
			t.Fatalf("%s: no table %s", r.Name, r.Table)
		}
		if got, ok := LookupAnalyticsReport(r.Name); !ok || got != r {
			t.Errorf("LookupAnalyticsReport(%q) = %+v, %v", r.Name, got, ok)
		}
		if ci := tb.ColumnIndex(r.DateColumn); ci < 0 || tb.Columns[ci].Kind != DateISO {
			t.Errorf("%s: date column %q missing or not a date", r.Table, r.DateColumn)
		}
		for _, c := range []string{AnalyticsGranularity, AnalyticsProcessingDate, AnalyticsInstanceID, AnalyticsAccessType} {
			if tb.ColumnIndex(c) < 0 {
				t.Errorf("%s: no %s column", r.Table, c)
			}
		}
		if r.FinalDays < 2 || r.FinalDays > 5 {
			t.Errorf("%s: completeness window %d days", r.Name, r.FinalDays)
		}
	}
	tests := []struct {
		name, table, col string
		kind             Kind
	}{
		{"App Downloads Standard", "analytics_app_downloads_standard", "counts", Int64},
		{"app downloads detailed", "analytics_app_downloads_detailed", "source_info", String},
		{"App Store Purchases Standard", "analytics_app_store_purchases_standard", "proceeds_in_usd", Decimal},
		{"App Sessions Detailed", "analytics_app_sessions_detailed", "app_download_date", DateISO},
		{"App Store Subscription Event Report Standard", "analytics_app_store_subscription_event_report_standard", "event_date", DateISO},
		{"App Crashes Expanded", "analytics_app_crashes_expanded", "count", Int64},
	}
	for _, tt := range tests {
		r, ok := LookupAnalyticsReport(tt.name)
		if !ok || r.Table != tt.table {
			t.Fatalf("%q: %+v %v", tt.name, r, ok)
		}
		tb, _ := Lookup(tt.table)
		c, ok := tb.Column(tt.col)
		if !ok || c.Kind != tt.kind {
			t.Errorf("%s.%s: %+v %v, want kind %s", tt.table, tt.col, c, ok, tt.kind)
		}
	}
	// Standard omits the Detailed-only columns.
	std, _ := Lookup("analytics_app_downloads_standard")
	for _, h := range []string{"Source Info", "Campaign", "Page Title"} {
		if _, ok := std.Column(h); ok {
			t.Errorf("standard table has Detailed-only column %s", h)
		}
	}
	if _, ok := LookupAnalyticsReport("App Clip Usage Standard"); ok {
		t.Error("unknown report found")
	}
}

// The golden fingerprint of the analytics tables: a change must be deliberate.
func TestAnalyticsFingerprint(t *testing.T) {
	h := sha256.New()
	for _, tb := range analyticsTables() {
		h.Write([]byte(tb.Name + "\n" + tb.ArrowSchema(nil).String() + "\n"))
		for _, p := range tb.Partition {
			h.Write([]byte(p.Name + ":" + p.DuckType + "\n"))
		}
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != analyticsFingerprint {
		t.Errorf("analytics schema fingerprint changed:\n got %s\nwant %s", got, analyticsFingerprint)
	}
	if tb, _ := Lookup("analytics_app_store_purchases_detailed"); tb.ArrowSchema(nil).Field(tb.ColumnIndex("sales_in_usd")).Type.ID() != arrow.DECIMAL128 {
		t.Error("money is not decimal")
	}
}

const analyticsFingerprint = "de6054d0cce9451d4b579b21bcb18f5d194e214f8cc596dcde1c369c8c619844"

func TestAnalyticsCatalog(t *testing.T) {
	cat := AnalyticsCatalog()
	if len(cat) < 50 {
		t.Errorf("catalog has %d reports, want about 50", len(cat))
	}
	seen := map[string]bool{}
	perCat := map[string]int{}
	typed := 0
	for _, e := range cat {
		if seen[e.Name] {
			t.Errorf("%q listed twice", e.Name)
		}
		seen[e.Name] = true
		perCat[e.Category]++
		if e.Typed {
			typed++
		}
		if got, ok := LookupAnalyticsCatalog(strings.ToUpper(e.Name)); !ok || got != e {
			t.Errorf("LookupAnalyticsCatalog(%q) = %+v %v", e.Name, got, ok)
		}
		if !analyticsTypeRE.MatchString(GenericAnalyticsTable(e.Name).Type) {
			t.Errorf("%q: table type %q is not a valid unit type", e.Name, GenericAnalyticsTable(e.Name).Type)
		}
	}
	for _, r := range AnalyticsReports() {
		e, ok := LookupAnalyticsCatalog(r.Name)
		if !ok || !e.Typed || e.Category != r.Category {
			t.Errorf("typed report %q: catalog %+v %v", r.Name, e, ok)
		}
	}
	if typed != len(AnalyticsReports()) || len(perCat) != 5 {
		t.Errorf("typed %d of %d, categories %v", typed, len(AnalyticsReports()), perCat)
	}
}

var analyticsTypeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_]{0,100}$`)

func TestGenericAnalyticsTable(t *testing.T) {
	tb := GenericAnalyticsTable("Browser Choice Screen Engagement (iOS versions before 18.2)")
	if tb.Name != "analytics_browser_choice_screen_engagement_ios_versions_before_18_2" ||
		tb.Type != "BROWSER_CHOICE_SCREEN_ENGAGEMENT_IOS_VERSIONS_BEFORE_18_2" || !tb.Provisional ||
		len(tb.Columns) != 4 || tb.Family != "analytics" || len(tb.Partition) != 2 {
		t.Errorf("%+v", tb)
	}
	if _, dup := Lookup(tb.Name); dup {
		t.Error("a generic table must not shadow a typed one")
	}
}

func TestGenericAnalyticsKind(t *testing.T) {
	tests := []struct {
		header string
		want   Kind
	}{
		{"Date", DateISO}, {"Event Date", DateISO}, {"App Download Date", DateISO}, {"First Seen Date", DateISO},
		{"Counts", Int64}, {"Unique Devices", Int64}, {"Total Session Duration", Int64}, {"Installs", Int64},
		{"Number of Widgets", Int64}, {"Unique Counts", Int64}, {"Failed Requests", Int64},
		{"Proceeds In USD", Decimal}, {"Average Install Duration", Decimal}, {"Usage Rate", Decimal},
		{"Percentage of Sessions", Decimal}, {"Disk Space (MB)", Decimal},
		{"App Apple Identifier", String}, {"Territory", String}, {"Widget Family", String}, {"Build", String},
		{"Platform Version", String}, {"Install Type", String}, {"Total", String}, {"", String},
	}
	for _, tt := range tests {
		if got := GenericAnalyticsKind(tt.header); got != tt.want {
			t.Errorf("GenericAnalyticsKind(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
