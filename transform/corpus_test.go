package transform

import (
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// testdata/apple holds files written here that reproduce the quirks of Apple's real files
// (REFERENCE.md §B.9): refunds in a FINANCIAL footer, the ZZ summary table, the Payments CSV,
// CRLF, a UTF-8 byte order mark and Windows-1252 text. Totals below are computed by hand.

// sumDecimals adds decimal strings exactly, grouped by key.
func sumDecimals(t *testing.T, vals, keys []string) map[string]string {
	t.Helper()
	sums := map[string]*big.Rat{}
	for i, v := range vals {
		if v == "<null>" {
			continue
		}
		r, ok := new(big.Rat).SetString(v)
		if !ok {
			t.Fatalf("not a decimal: %q", v)
		}
		if sums[keys[i]] == nil {
			sums[keys[i]] = new(big.Rat)
		}
		sums[keys[i]].Add(sums[keys[i]], r)
	}
	out := map[string]string{}
	for k, v := range sums {
		out[k] = v.FloatString(6)
	}
	return out
}

func sumInts(t *testing.T, vals []string) int64 {
	t.Helper()
	var n int64
	for _, v := range vals {
		r, ok := new(big.Int).SetString(v, 10)
		if !ok {
			t.Fatalf("not an integer: %q", v)
		}
		n += r.Int64()
	}
	return n
}

func TestCorpusFinance(t *testing.T) {
	euAmounts := map[string]string{"EUR": "206.890000"}
	zzAmounts := map[string]string{"USD": "13.910000", "GBP": "7.960000", "EUR": "10.470000", "JPY": "850.000000", "CAD": "1.380000"}
	zzNotes := []string{
		"summary line 10: AU AUD (quantity 3, amount 4.470000) has no data rows",
		"summary line 12: CH CHF (quantity 1, amount 0.930000) has no data rows",
		"summary line 14: FR EUR (quantity 2, amount 6.980000) has no data rows",
	}
	tests := []struct {
		file     string
		table    string
		period   string
		rows     int64
		units    int64 // net Σ Quantity
		amounts  map[string]string
		footers  int
		summary  int
		checks   []string
		title    string // Title of the first row, as UTF-8
		unitsFtr int64  // Total_Units of the first footer, -1 if none
	}{
		{"financial_eu_refund-handmade.tsv", "finance_financial", "2014-12", 6, 19, euAmounts, 1, 0, nil, "Kachit Notes", 20},
		{"financial_eu_refund-crlf.tsv", "finance_financial", "2014-12", 6, 19, euAmounts, 1, 0, nil, "Kachit Notes", 20},
		{"financial_eu_refund-bom.tsv", "finance_financial", "2014-12", 6, 19, euAmounts, 1, 0, nil, "Kachit Notes", 20},
		{"financial_zz_summary-handmade.tsv", "finance_financial", "2014-12", 6, 23, zzAmounts, 1, 8, zzNotes, "Café Übung", -1},
		{"financial_zz_summary-latin1.tsv", "finance_financial", "2014-12", 6, 23, zzAmounts, 1, 8,
			append([]string{"line 2: not valid UTF-8, read as Windows-1252/Latin-1 (6 lines transcoded)"}, zzNotes...), "Café Übung", -1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "apple", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			d, err := Detect("85012345_1214_EU.txt", data)
			if err != nil || d.Table.Name != tt.table || d.Period != tt.period {
				t.Fatalf("Detect = %+v, %v", d, err)
			}
			res := load(t, openBytes(data), d.Table, 4)
			if res.err != nil {
				t.Fatalf("load: %v", res.err)
			}
			if res.rows != tt.rows || sumInts(t, res.cols["quantity"]) != tt.units {
				t.Errorf("rows %d units %d, want %d and %d", res.rows, sumInts(t, res.cols["quantity"]), tt.rows, tt.units)
			}
			if got := sumDecimals(t, res.cols["extended_partner_share"], res.cols["partner_share_currency"]); !reflect.DeepEqual(got, tt.amounts) {
				t.Errorf("amounts %v, want %v", got, tt.amounts)
			}
			if len(res.footers) != tt.footers || len(res.summary) != tt.summary || !reflect.DeepEqual(res.checks, tt.checks) {
				t.Errorf("footers %+v summary %d checks %q", res.footers, len(res.summary), res.checks)
			}
			if got := res.cols["title"][0]; got != tt.title {
				t.Errorf("title %q, want %q", got, tt.title)
			}
			f := res.footers[0]
			if tt.unitsFtr >= 0 && (f.TotalUnits == nil || *f.TotalUnits != tt.unitsFtr || f.SaleUnits != 20 || f.NetUnits != 19 ||
				f.TotalAmount == nil || formatDecimal(*f.TotalAmount) != "206.890000" || *f.TotalRows != 6) {
				t.Errorf("footer %+v", f)
			}
			if tt.unitsFtr < 0 && (f.TotalRows == nil || *f.TotalRows != 6 || f.TotalAmount != nil || f.TotalUnits != nil) {
				t.Errorf("ZZ footer %+v", f)
			}
		})
	}
}

func TestCorpusZZSummaryRecord(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "apple", "financial_zz_summary-latin1.tsv"))
	res := load(t, openBytes(data), table(t, "finance_financial"), 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	st := table(t, schemas.FinanceSummaryTable)
	rec := SummaryRecord(mem, st, res.summary, Options{Key: "raw/zz.gz", Version: "", ExtractedAt: extractedAt})
	defer rec.Release()
	if !rec.Schema().Equal(st.ArrowSchema(nil)) || rec.NumRows() != 8 {
		t.Fatalf("schema %v rows %d", rec.Schema(), rec.NumRows())
	}
	cols := map[string][]string{}
	for i := 0; i < int(rec.NumCols()); i++ {
		cols[rec.ColumnName(i)] = values(rec.Column(i))
	}
	if got := sumInts(t, cols["quantity"]); got != 29 {
		t.Errorf("summary quantity %d, want 29", got)
	}
	want := map[string]string{"AUD": "4.470000", "CAD": "1.380000", "CHF": "0.930000", "EUR": "17.450000",
		"GBP": "7.960000", "JPY": "850.000000", "USD": "13.910000"}
	if got := sumDecimals(t, cols["extended_partner_share"], cols["partner_share_currency"]); !reflect.DeepEqual(got, want) {
		t.Errorf("summary amounts %v", got)
	}
	if cols["report_type"][0] != "FINANCIAL" || cols["country_of_sale"][0] != "AU" || cols["_source_line"][0] != "10" ||
		cols["_source_key"][7] != "raw/zz.gz" || cols["_extracted_at"][0] != "2026-11-21T10:30:00.123456Z" {
		t.Errorf("summary cells %v", cols)
	}
}

func TestCorpusPayments(t *testing.T) {
	v2014 := paymentsWant{rows: 4, units: 1304, period: "2014-12", paid: "1218.140000 EUR",
		proceeds: map[string]string{"EUR": "1218.140000"},
		rates:    []string{"0.7800000000", "1.0000000000", "0.0061200000", "0.8003000000"},
		wht:      "-2161.040000", paidTo: "Paid to Crédit Agricole Köln -****1299",
		regions:  []string{"Americas", "Euro-Zone", "Japan", "Switzerland"},
		currency: []string{"USD", "EUR", "JPY", "CHF"}}
	latin := v2014
	latin.checks = []string{"line 13: not valid UTF-8, read as Windows-1252/Latin-1 (1 lines transcoded)"}
	later := paymentsWant{rows: 3, units: 2243, period: "2026-06", paid: "3059.450000 EUR",
		proceeds: map[string]string{"EUR": "3059.450000"},
		rates:    []string{"0.6012345000", "1.0000000000", "0.9154321000"},
		wht:      "-900.000000", paidTo: "Paid to Ascetl Bank AG -****4711",
		regions:  []string{"Australia", "Euro-Zone", "United States"},
		currency: []string{"AUD", "EUR", "USD"}}
	for file, want := range map[string]paymentsWant{
		"payments_2014-09-handmade.csv":    v2014,
		"payments_2014-09-crlf.csv":        v2014,
		"payments_2014-09-bom.csv":         v2014,
		"payments_2014-09-latin1.csv":      latin,
		"payments_asc-layout-handmade.csv": later,
	} {
		t.Run(file, func(t *testing.T) { checkPaymentsFile(t, file, want) })
	}
}

type paymentsWant struct {
	rows, units       int64
	period, paid      string
	proceeds          map[string]string
	rates             []string
	wht, paidTo       string
	regions, currency []string
	checks            []string
}

func checkPaymentsFile(t *testing.T, file string, want paymentsWant) {
	data, err := os.ReadFile(filepath.Join("testdata", "apple", file))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Detect("Payments_85012345_201412.csv", data)
	if err != nil || d.Table.Name != schemas.FinancePaymentsTable || d.Period != want.period || d.Vendor != "85012345" {
		t.Fatalf("Detect = %+v, %v", d, err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	res, err := ParsePayments("raw/pay.csv.gz", openBytes(data), mem, extractedAt)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	cols := map[string][]string{}
	for i := 0; i < int(res.Record.NumCols()); i++ {
		cols[res.Record.ColumnName(i)] = values(res.Record.Column(i))
	}
	if res.Rows != want.rows || res.Record.NumRows() != want.rows || res.Period != want.period {
		t.Errorf("rows %d period %q", res.Rows, res.Period)
	}
	if got := sumInts(t, cols["units_sold"]); got != want.units {
		t.Errorf("units %d, want %d", got, want.units)
	}
	if got := sumDecimals(t, cols["proceeds"], cols["bank_account_currency"]); !reflect.DeepEqual(got, want.proceeds) {
		t.Errorf("proceeds %v", got)
	}
	if got := sumDecimals(t, cols["withholding_tax"], cols["bank_account_currency"])["EUR"]; got != want.wht {
		t.Errorf("withholding %s, want %s", got, want.wht)
	}
	rates := rateValues(res)
	if !reflect.DeepEqual(rates, want.rates) || !reflect.DeepEqual(cols["region"], want.regions) || !reflect.DeepEqual(cols["currency"], want.currency) {
		t.Errorf("rates %v regions %v currencies %v", rates, cols["region"], cols["currency"])
	}
	if got := cols["paid_amount"][0] + " " + cols["paid_currency"][0]; got != want.paid || cols["paid_to"][want.rows-1] != want.paidTo {
		t.Errorf("paid %s to %q", got, cols["paid_to"])
	}
	if len(res.Paid) != 1 || formatDecimal(res.Paid[0].Amount)+" "+res.Paid[0].Currency != want.paid {
		t.Errorf("Paid %+v", res.Paid)
	}
	if !reflect.DeepEqual(res.Checks, want.checks) || len(res.Drift.Unknown)+len(res.Drift.Missing) != 0 {
		t.Errorf("checks %q drift %+v", res.Checks, res.Drift)
	}
	if !strings.HasPrefix(cols["_source_key"][0], "raw/pay.csv.gz") || cols["_extracted_at"][0] != "2026-11-21T10:30:00.123456Z" {
		t.Errorf("lineage %v %v", cols["_source_key"], cols["_extracted_at"])
	}
}

// rateValues renders exchange_rate at its own scale (values() assumes the money scale).
func rateValues(res *PaymentsResult) []string {
	i := res.Record.Schema().FieldIndices("exchange_rate")[0]
	a := res.Record.Column(i).(*array.Decimal128)
	out := make([]string, a.Len())
	for k := range out {
		out[k] = a.Value(k).ToString(schemas.RateScale)
	}
	return out
}
