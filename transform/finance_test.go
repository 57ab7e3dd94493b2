package transform

import (
	"errors"
	"strings"
	"testing"
)

func finRowSR(qty, share, ext, sr, country, cur string) string {
	return "10/05/2020\t10/05/2021\t\t\tfoo.bar\t" + qty + "\t" + share + "\t" + ext + "\t" + cur + "\t" + sr + "\t123\t\tfoo\t\t\tIAY\t\t" + country + "\t\t\t4.49\t" + cur
}

func TestFinancialFooterRefunds(t *testing.T) {
	fin := table(t, "finance_financial")
	rows := []string{finHeader, finRowSR("5", "2.00", "10.00", "S", "US", "USD"), finRowSR("-1", "2.00", "-2.00", "R", "US", "USD"),
		finRowSR("2", "1.50", "3.00", "S", "CA", "USD")}
	footer := func(units string) string {
		return lines(append(append([]string(nil), rows...), "", "Total_Rows\t3", "Total_Amount\t11.00", "Total_Units\t"+units)...)
	}
	tests := []struct {
		name, in, wantErr string
		sale, net         int64
	}{
		{"units of the sale rows", footer("7"), "", 7, 6},
		{"net units", footer("6"), "", 7, 6},
		{"neither", footer("8"), `raw/test.gz:8: column "Total_Units": footer does not match the rows: Quantity of the sale rows sums to 7, of all rows (net of refunds) to 6 "8"`, 0, 0},
		{"amount is net", strings.Replace(footer("7"), "11.00", "13.00", 1), `raw/test.gz:7: column "Total_Amount": footer does not match the rows: Extended Partner Share of the rows sums to 11.000000 "13.00"`, 0, 0},
		{"bad units value", footer("7x"), `raw/test.gz:8: column "Total_Units": invalid integer "7x"`, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := loadString(t, tt.in, fin)
			if tt.wantErr != "" {
				if res.err == nil || res.err.Error() != tt.wantErr {
					t.Fatalf("err = %v\nwant %s", res.err, tt.wantErr)
				}
				return
			}
			if res.err != nil || res.rows != 3 || len(res.footers) != 1 {
				t.Fatalf("err %v rows %d footers %+v", res.err, res.rows, res.footers)
			}
			f := res.footers[0]
			if f.Line != 6 || f.Rows != 3 || f.SaleUnits != tt.sale || f.NetUnits != tt.net || formatDecimal(f.NetAmount) != "11.000000" ||
				*f.TotalRows != 3 || formatDecimal(*f.TotalAmount) != "11.000000" {
				t.Errorf("footer %+v", f)
			}
		})
	}
}

func TestFinancialBlocksAndSummary(t *testing.T) {
	fin := table(t, "finance_financial")
	block := func(qty, ext string) []string {
		return []string{finHeader, finRowSR(qty, "1.00", ext, "S", "US", "USD"), "Total_Rows\t1", "Total_Amount\t" + ext, "Total_Units\t" + qty}
	}
	in := lines(append(append(block("2", "2.00"), block("3", "3.00")...),
		"Country Of Sale\tPartner Share Currency\tQuantity\tExtended Partner Share", "US\tUSD\t5\t5.00")...)
	res := loadString(t, in, fin)
	if res.err != nil || res.rows != 2 || len(res.footers) != 2 || len(res.summary) != 1 || len(res.checks) != 0 {
		t.Fatalf("err %v rows %d footers %+v summary %+v checks %q", res.err, res.rows, res.footers, res.summary, res.checks)
	}
	if res.footers[1].Line != 8 || *res.footers[1].TotalUnits != 3 || res.summary[0].Line != 12 || res.summary[0].Quantity != 5 {
		t.Errorf("footers %+v summary %+v", res.footers, res.summary)
	}
	// Summary value errors still stop the file; a summary row of the wrong shape too.
	for _, tt := range []struct{ row, want string }{
		{"US\tUSD\t5x\t5.00", `raw/test.gz:12: column "Quantity": invalid integer "5x"`},
		{"US\tUSD\t5\t5,00", `raw/test.gz:12: column "Extended Partner Share": invalid decimal "5,00"`},
		{"US\tUSD\t5", `raw/test.gz:12: wrong number of fields: summary row has 3 fields, summary header has 4`},
	} {
		res := loadString(t, strings.Replace(in, "US\tUSD\t5\t5.00", tt.row, 1), fin)
		var pe *ParseError
		if res.err == nil || res.err.Error() != tt.want || !errors.As(res.err, &pe) {
			t.Errorf("err = %v\nwant %s", res.err, tt.want)
		}
	}
}

func TestSummaryNotesCapped(t *testing.T) {
	det := table(t, "finance_detail")
	var b strings.Builder
	b.WriteString("Transaction Date\tSettlement Date\tApple Identifier\tSKU\tTitle\tDeveloper Name\tProduct Type Identifier\tCountry of Sale\tQuantity\tPartner Share\tExtended Partner Share\tPartner Share Currency\tCustomer Price\tCustomer Currency\tSale or Return\tPromo Code\tOrder Type\tRegion\n")
	b.WriteString("Country Of Sale\tPartner Share Currency\tQuantity\tExtended Partner Share\n")
	for i := 0; i < maxNotes+7; i++ {
		b.WriteString("C" + string(rune('A'+i%26)) + string(rune('A'+i/26)) + "\tUSD\t1\t1\n")
	}
	res := loadString(t, b.String(), det)
	if res.err != nil || len(res.checks) != maxNotes+1 || res.checks[maxNotes] != "… and 7 more summary differences" {
		t.Fatalf("err %v checks %d %q", res.err, len(res.checks), res.checks[len(res.checks)-1])
	}
}

func TestLatin1Lines(t *testing.T) {
	fin := table(t, "finance_financial")
	row := strings.Replace(finRowSR("1", "1.00", "1.00", "S", "DE", "EUR"), "\tfoo\t", "\tCaf\xe9 \x80 \x96 \x81\t", 1)
	res := loadString(t, lines(finHeader, row, finRowSR("1", "1.00", "1.00", "S", "DE", "EUR"), "Total_Rows\t2"), fin)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if got := res.cols["title"]; got[0] != "Café € – \u0081" || got[1] != "foo" {
		t.Errorf("titles %q", got)
	}
	if len(res.checks) != 1 || res.checks[0] != "line 2: not valid UTF-8, read as Windows-1252/Latin-1 (1 lines transcoded)" {
		t.Errorf("checks %q", res.checks)
	}
	// Valid UTF-8 is never reinterpreted.
	res = loadString(t, lines(finHeader, strings.Replace(row, "Caf\xe9 \x80 \x96 \x81", "Café", 1), "Total_Rows\t1"), fin)
	if res.err != nil || res.cols["title"][0] != "Café" || len(res.checks) != 0 {
		t.Errorf("utf-8: %v %q %q", res.err, res.cols["title"], res.checks)
	}
}

func TestNewReaderRefusesDerivedTables(t *testing.T) {
	for _, name := range []string{"finance_summary", "finance_payments"} {
		if _, err := NewReader(strings.NewReader("x\n"), table(t, name), Options{}); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}
