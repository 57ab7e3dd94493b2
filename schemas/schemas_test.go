package schemas

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/report"
)

func TestColumnName(t *testing.T) {
	tests := map[string]string{
		"Developer Proceeds":               "developer_proceeds",
		"Country Of Sale":                  "country_of_sale",
		"ISRC/ISBN":                        "isrc_isbn",
		"Pre-order Flag":                   "pre_order_flag",
		"Artist/Show/Developer/Author":     "artist_show_developer_author",
		"  Marketing Opt-Ins ":             "marketing_opt_ins",
		"Fee-Exempt First Annual Installs": "fee_exempt_first_annual_installs",
		"---":                              "",
		"CMB":                              "cmb",
	}
	for in, want := range tests {
		if got := ColumnName(in); got != want {
			t.Errorf("ColumnName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEveryComboHasTable(t *testing.T) {
	for _, c := range report.SalesCombos {
		name := report.TableName(report.Sales, c.Type, c.SubType, c.Frequency)
		tb, ok := Lookup(name)
		if !ok {
			t.Errorf("no table for %s", name)
			continue
		}
		if tb.Type != c.Type || tb.SubType != c.SubType || tb.Frequency() != c.Frequency {
			t.Errorf("%s: table says %s/%s/%v", name, tb.Type, tb.SubType, tb.Frequencies)
		}
		u := report.Unit{Family: report.Sales, Type: c.Type, SubType: c.SubType, Frequency: c.Frequency, Vendor: "1", Period: "2026-01-04"}
		if got, err := ForUnit(u); err != nil || got != tb {
			t.Errorf("ForUnit(%s) = %v, %v", name, got, err)
		}
	}
	for _, n := range []string{"finance_financial", "finance_detail"} {
		if _, ok := Lookup(n); !ok {
			t.Errorf("no table %s", n)
		}
	}
	if got, want := len(All()), len(report.SalesCombos)+2+2+6+len(analyticsTables())+len(catalogTables())+len(financeDerivedTables())+len(reconcileTables()); got != want { // + finance, reviews, metrics, analytics, catalog, finance derived, reconcile
		t.Errorf("All() has %d tables, want %d", got, want)
	}
	if _, err := ForUnit(report.Unit{Family: report.Sales, Type: "NOPE", SubType: "X", Frequency: "DAILY"}); err == nil {
		t.Error("ForUnit of an unknown report: want error")
	}
}

func TestTablesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, tb := range All() {
		if seen[tb.Name] {
			t.Errorf("duplicate table %s", tb.Name)
		}
		seen[tb.Name] = true
		names := map[string]bool{}
		for _, c := range tb.Columns {
			tsv := (tb.Family == report.Sales || tb.Family == report.Finance) && tb.Layout != Derived // JSON and derived tables name columns freely
			if c.Name == "" || (tsv && c.Name != ColumnName(c.Header)) {
				t.Errorf("%s: column %q has name %q", tb.Name, c.Header, c.Name)
			}
			if names[c.Name] {
				t.Errorf("%s: duplicate column %s", tb.Name, c.Name)
			}
			names[c.Name] = true
		}
		if tb.UnitsColumn != "" && !names[tb.UnitsColumn] || tb.UnitsColumn == "" && tb.Family != report.Reviews && tb.Family != report.Metrics && tb.Family != report.Catalog &&
			tb.Family != report.TestFlight && tb.Family != report.XcodeCloud && tb.Layout != Derived {
			t.Errorf("%s: units column %q not a column", tb.Name, tb.UnitsColumn)
		}
		if p := tb.Proceeds; p != nil {
			for _, n := range []string{p.Amount, p.Quantity, p.Currency} {
				if n != "" && !names[n] {
					t.Errorf("%s: proceeds column %q not a column", tb.Name, n)
				}
			}
		}
		if len(tb.Partition) == 0 {
			t.Errorf("%s: no partition keys", tb.Name)
		}
	}
}

func TestColumnCounts(t *testing.T) {
	tests := []struct {
		table          string
		total, options int
	}{
		{"sales_summary_daily", 29, 1},
		{"pre_order_summary_weekly", 17, 0},
		// Subscription-family columns absent from older versions are told apart by the
		// layout versions, not by Optional.
		{"subscription_summary_daily", 36, 0},
		{"subscription_event_summary_daily", 30, 0},
		{"subscriber_detailed_daily", 27, 0},
		{"subscription_offer_code_redemption_summary_daily", 9, 0},
		{"win_back_eligibility_summary_daily", 12, 0},
		{"installs_summary_territory_yearly", 12, 0},
		{"first_annual_summary_yearly", 5, 0},
		{"newsstand_detailed_weekly", 20, 0},
		{"finance_financial", 22, 0},
		{"finance_detail", 18, 0},
	}
	for _, tt := range tests {
		tb, ok := Lookup(tt.table)
		if !ok {
			t.Fatalf("no table %s", tt.table)
		}
		o := 0
		for _, c := range tb.Columns {
			if c.Optional {
				o++
			}
		}
		if len(tb.Columns) != tt.total || o != tt.options {
			t.Errorf("%s: %d columns (%d optional), want %d (%d)", tt.table, len(tb.Columns), o, tt.total, tt.options)
		}
	}
}

func TestColumnMatching(t *testing.T) {
	sub, _ := Lookup("subscription_summary_daily")
	fin, _ := Lookup("finance_financial")
	det, _ := Lookup("finance_detail")
	tests := []struct {
		tb     *Table
		header string
		want   string
	}{
		{sub, "Free Trial Win-Back Offers", "free_trial_win_back_offers"},
		{sub, "Promotional Offer Name", "subscription_offer_name"},
		{sub, "subscription offer name", "subscription_offer_name"},
		{fin, "Country of Sale", "country_of_sale"},
		{fin, "Sale or Return", "sales_or_return"},
		{det, "Country Of Sale", "country_of_sale"},
		{det, "Sales or Return", "sale_or_return"},
		{fin, "Nope", ""},
		{fin, "", ""},
	}
	for _, tt := range tests {
		c, ok := tt.tb.Column(tt.header)
		if ok != (tt.want != "") || c.Name != tt.want {
			t.Errorf("%s.Column(%q) = %q, %v; want %q", tt.tb.Name, tt.header, c.Name, ok, tt.want)
		}
	}
}

func TestArrowSchema(t *testing.T) {
	tb, _ := Lookup("sales_summary_daily")
	s1 := tb.ArrowSchema([]string{"new_col"})
	s2 := tb.ArrowSchema([]string{"new_col"})
	if !s1.Equal(s2) {
		t.Fatal("ArrowSchema not stable")
	}
	n := len(tb.Columns)
	if s1.NumFields() != n+1+1+4 { // columns, the extra one, report_date, lineage

		t.Fatalf("fields = %d", s1.NumFields())
	}
	checks := map[string]arrow.DataType{
		"units":              arrow.PrimitiveTypes.Int64,
		"developer_proceeds": &arrow.Decimal128Type{Precision: 18, Scale: 6},
		"begin_date":         arrow.FixedWidthTypes.Date32,
		"apple_identifier":   arrow.BinaryTypes.String,
		"new_col":            arrow.BinaryTypes.String,
		"report_date":        arrow.FixedWidthTypes.Date32,
		"_source_line":       arrow.PrimitiveTypes.Int64,
		"_extracted_at":      &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
	}
	for name, want := range checks {
		idx := s1.FieldIndices(name)
		if len(idx) != 1 {
			t.Errorf("field %s: %v", name, idx)
			continue
		}
		if f := s1.Field(idx[0]); !arrow.TypeEqual(f.Type, want) {
			t.Errorf("field %s type %s, want %s", name, f.Type, want)
		}
	}
	if s1.Field(n).Name != "new_col" || s1.Field(n+1).Name != "report_date" || s1.Field(n+2).Name != "_source_key" || s1.Field(n+5).Name != "_extracted_at" {
		t.Errorf("order: %v", s1)
	}
	if s1.Field(0).Nullable != true || s1.Field(n+2).Nullable {
		t.Error("nullability: data nullable, lineage not")
	}
	// Golden fingerprint: a change to any table's columns must be deliberate.
	h := sha256.New()
	// Analytics and catalog tables pin their own fingerprints in their own tests.
	for _, tb := range append(append(append(salesTables(), financeTables()...), reviewTables()...), metricsTables()...) {
		h.Write([]byte(tb.Name + "\n" + tb.ArrowSchema(nil).String() + "\n"))
	}
	got := hex.EncodeToString(h.Sum(nil))
	if want := goldenFingerprint; got != want {
		t.Errorf("schema fingerprint changed:\n got %s\nwant %s\n(update goldenFingerprint if intended)", got, want)
	}
	if strings.Contains(s1.String(), "float") {
		t.Error("float in schema")
	}
}

const goldenFingerprint = "24d812349f231372a3b5ca3a4549e02f73bf18ac9816d68562d5d0b5e45f7c50" // report_date in the sales files (issue 19)

func TestFinanceDerivedTables(t *testing.T) {
	sum, ok1 := Lookup(FinanceSummaryTable)
	pay, ok2 := Lookup(FinancePaymentsTable)
	if !ok1 || !ok2 {
		t.Fatal("derived finance tables missing")
	}
	if sum.Layout != Derived || pay.Layout != PaymentsCSV {
		t.Errorf("layouts %v %v", sum.Layout, pay.Layout)
	}
	for _, tt := range []struct {
		tb     *Table
		header string
		want   string
	}{
		{pay, "Region (Currency)", "region"},
		{pay, "Country or Region (Currency)", "region"},
		{pay, "Input Taxes", "input_tax"},
		{pay, "Units Sold", "units_sold"},
		{sum, "Country of Sale", "country_of_sale"},
	} {
		if c, ok := tt.tb.Column(tt.header); !ok || c.Name != tt.want {
			t.Errorf("%s.Column(%q) = %q, %v; want %q", tt.tb.Name, tt.header, c.Name, ok, tt.want)
		}
	}
	rate := pay.ArrowSchema(nil).Field(pay.ColumnIndex("Exchange Rate"))
	if !arrow.TypeEqual(rate.Type, &arrow.Decimal128Type{Precision: 18, Scale: 10}) {
		t.Errorf("exchange_rate type %s", rate.Type)
	}
	h := sha256.New()
	for _, tb := range financeDerivedTables() {
		h.Write([]byte(tb.Name + "\n" + tb.ArrowSchema(nil).String() + "\n"))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != derivedFingerprint {
		t.Errorf("finance derived schema fingerprint changed:\n got %s\nwant %s", got, derivedFingerprint)
	}
}

const derivedFingerprint = "57669764c2231d10472c21aadb83cd47c38864ddf0e1e91dcea693d1c452bb1d"
