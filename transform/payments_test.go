package transform

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

const payHeader = "Region (Currency),Units Sold,Earned,Pre-Tax Subtotal,Input Tax,Adjustments,Withholding Tax,Total Owed,Exchange Rate,Proceeds,Bank Account Currency"

const payTitle = "\"iTunes Connect - Payments and Financial Reports\t(September, 2014)\""

func parsePay(t *testing.T, in string) (*PaymentsResult, map[string][]string, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	res, err := ParsePayments("raw/pay.gz", strings.NewReader(in), mem, extractedAt)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(res.Release)
	cols := map[string][]string{}
	for i := 0; i < int(res.Record.NumCols()); i++ {
		cols[res.Record.ColumnName(i)] = values(res.Record.Column(i))
	}
	return res, cols, nil
}

func TestPaymentsErrors(t *testing.T) {
	row := `Switzerland (CHF),"29","33.15","33.15","0","0","0","33.15","0.80030","26.53","EUR"`
	tests := []struct{ name, in, want string }{
		{"no header", lines(payTitle, ",,,", "a,b,c"), `raw/pay.gz:1: bad header: no Payments header (Region (Currency), Units Sold, …, Proceeds) found`},
		{"bad decimal", lines(payTitle, payHeader, strings.Replace(row, `"33.15","33.15"`, `"33.15","33.1.5"`, 1)),
			`raw/pay.gz:3: column "Pre-Tax Subtotal": invalid decimal "33.1.5"`},
		{"bad grouping", lines(payTitle, payHeader, strings.Replace(row, `"29"`, `"2,9"`, 1)),
			`raw/pay.gz:3: column "Units Sold": invalid decimal "2,9"`},
		{"rate too precise", lines(payTitle, payHeader, strings.Replace(row, "0.80030", "0.80030000001", 1)),
			`raw/pay.gz:3: column "Exchange Rate": more decimal places than the scale allows "0.80030000001"`},
		{"open quote", lines(payTitle, payHeader, strings.Replace(row, `"EUR"`, `"EUR`, 1)),
			`raw/pay.gz:3: column "Bank Account Currency": quoted cell not closed on its line "\"EUR"`},
		{"too many cells", lines(payTitle, payHeader, row+`,"x"`), `raw/pay.gz:3: wrong number of fields: row has 12 cells, header has 11`},
		{"bad paid total", lines(payTitle, payHeader, row, `,,,,,,,,,,"26.5.3" EUR`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _, err := parsePay(t, tt.in)
			if tt.want == "" {
				if err != nil || len(res.Checks) != 2 {
					t.Fatalf("err %v checks %q", err, res.Checks)
				}
				return
			}
			var pe *ParseError
			if err == nil || err.Error() != tt.want || !errors.As(err, &pe) || pe.Key != "raw/pay.gz" {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestPaymentsChecks(t *testing.T) {
	in := lines("Some other heading", "", payHeader,
		`Americas (USD),"10","100.00","100.00","0","0","-30.00","70.00","0.90000","63.00","EUR"`,
		`Japan (JPY),"5","500","500","0","0","0","499","0.00600","3.00","EUR"`,
		`Canada (CAD),"1","1.00","1.00","0","0","0","1.00","","",""`,
		`Total,"16"`,
		"stray,,,,,",
		`,,,,,,,,,,"66.01" EUR`,
		`,,,"7.00" USD`,
		`"Paid to Bank One -****1"`,
		`,,junk`)
	res, cols, err := parsePay(t, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`line 1: skipped before the header: "Some other heading"`,
		`line 7: "Total" names no currency in parentheses`,
		`line 8: "stray" names no currency in parentheses`,
		"line 12: not a row, paid total or Paid to line: skipped",
		`no month in a title line (""): the fiscal period must be given`,
		"line 9: paid total 66.010000 EUR, the rows' Proceeds in EUR sum to 66.000000",
		"line 10: paid total 7.000000 USD, the rows' Proceeds in USD sum to 0.000000",
		"line 5: Total Owed 499.000000, Pre-Tax Subtotal with taxes and adjustments make 500.000000",
	}
	if !reflect.DeepEqual(res.Checks, want) {
		t.Errorf("checks\n%s\nwant\n%s", strings.Join(res.Checks, "\n"), strings.Join(want, "\n"))
	}
	if res.Period != "" || res.Rows != 5 || len(res.Paid) != 2 || res.Paid[1].PaidTo != "Paid to Bank One -****1" {
		t.Errorf("period %q rows %d paid %+v", res.Period, res.Rows, res.Paid)
	}
	if got := cols["paid_amount"]; !reflect.DeepEqual(got, []string{"66.010000", "66.010000", "<null>", "<null>", "<null>"}) {
		t.Errorf("paid_amount %v", got)
	}
	if got := cols["region"]; !reflect.DeepEqual(got, []string{"Americas", "Japan", "Canada", "Total", "stray"}) {
		t.Errorf("region %v currency %v", got, cols["currency"])
	}
}

func TestPaymentsLayouts(t *testing.T) {
	// Columns by header in any order, a separate Currency column, an unknown column kept.
	in := lines(payTitle,
		"Bank Account Currency,Proceeds,Exchange Rate,Total Owed,Withholding Taxes,Adjustment,Input Taxes,Total,Earned,Units,Currency,Country or Region,Report Type",
		`"EUR","26.53","(0.80030)","33.15","0","0","0","33.15","33.15","29","CHF","Switzerland","Financial"`)
	res, cols, err := parsePay(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Drift, Drift{Unknown: []string{"Report Type"}}) || cols["report_type"][0] != "Financial" {
		t.Errorf("drift %+v cols %v", res.Drift, cols)
	}
	if cols["region"][0] != "Switzerland" || cols["currency"][0] != "CHF" || cols["units_sold"][0] != "29" || res.Period != "2014-12" {
		t.Errorf("cols %v", cols)
	}
	if len(res.Checks) != 1 || !strings.Contains(res.Checks[0], "no paid total line") {
		t.Errorf("checks %q", res.Checks)
	}
	// Missing expected columns are drift, null.
	res, cols, err = parsePay(t, lines("Region (Currency),Units Sold,Earned,Total Owed,Proceeds,Bank Account Currency",
		`Euro-Zone (EUR),"1","1.00","1.00","1.00","EUR"`))
	if err != nil {
		t.Fatal(err)
	}
	wantMissing := []string{"Pre-Tax Subtotal", "Input Tax", "Adjustments", "Withholding Tax", "Exchange Rate"}
	if !reflect.DeepEqual(res.Drift.Missing, wantMissing) || cols["exchange_rate"][0] != "<null>" || res.Title != "" {
		t.Errorf("drift %+v", res.Drift)
	}
}

func TestTitlePeriod(t *testing.T) {
	for title, want := range map[string]string{
		"iTunes Connect - Payments and Financial Reports\t(September, 2014)": "2014-12",
		"(October, 2014)":  "2015-01",
		"(Dec 2025)":       "2026-03",
		"(January, 2026)":  "2026-04",
		"(Sept. 2019)":     "2019-12",
		"(Septembre 2014)": "",
		"September 2014":   "",
	} {
		got, ok := titlePeriod(title)
		if got != want || ok != (want != "") {
			t.Errorf("titlePeriod(%q) = %q, %v; want %q", title, got, ok, want)
		}
	}
}

func TestSplitCSV(t *testing.T) {
	for in, want := range map[string][]string{
		`a,"b,c",,"d""e"`:          {"a", "b,c", "", `d"e`},
		`,,,"234.58" EUR`:          {"", "", "", "234.58 EUR"},
		"\"x\ty\"":                 {"x\ty"},
		"":                         {""},
		` "1,234.56" , z`:          {"1,234.56 ", " z"},
		`Paid to Bank -****1299,,`: {"Paid to Bank -****1299", "", ""},
	} {
		cells, _, _, err := splitCSV(nil, nil, []byte(in))
		got := make([]string, len(cells))
		for i, c := range cells {
			got[i] = string(c)
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitCSV(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, _, bad, err := splitCSV(nil, nil, []byte(`a,"b`)); !errors.Is(err, errQuote) || bad != 1 {
		t.Errorf("open quote: %d %v", bad, err)
	}
}
