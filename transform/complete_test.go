package transform

import (
	"strings"
	"testing"
)

// TestFinanceCutShort: a finance file that ends before its end marker (FINANCIAL: the
// Total_ footer of every block; FINANCE_DETAIL: the summary table) is refused with the key
// and its last line, since a file cut at a line boundary otherwise reads as a shorter
// report.
func TestFinanceCutShort(t *testing.T) {
	fin := table(t, "finance_financial")
	det := table(t, "finance_detail")
	row := finRowSR("1", "1.00", "1.00", "S", "US", "USD")
	detHdr := "Transaction Date\tSettlement Date\tApple Identifier\tSKU\tTitle\tDeveloper Name\tProduct Type Identifier\tCountry of Sale\tQuantity\tPartner Share\tExtended Partner Share\tPartner Share Currency\tCustomer Price\tCustomer Currency\tSale or Return\tPromo Code\tOrder Type\tRegion"
	detRow := "09/01/2026\t09/20/2026\t1\tsku\tApp\tDev\t1F\tUS\t1\t1.00\t1.00\tUSD\t1.99\tUSD\tS\t\t\tAmericas"
	footer := []string{"", "Total_Rows\t1", "Total_Amount\t1.00", "Total_Units\t1"}
	tests := []struct {
		name string
		tb   string
		in   []string
		want string // "" loads
	}{
		{"financial complete", "fin", append([]string{finHeader, row}, footer...), ""},
		{"financial header only", "fin", []string{finHeader}, ""},
		{"financial without footer", "fin", []string{finHeader, row, row},
			`raw/test.gz:3: no Total_ footer after the data rows of block 1: the file ends at line 3 ("10/05/2020\t10/05/2021\t\t\tfoo.bar\t1\t1.00\t1.00\tUSD\tS\t123\t\tfoo\t\t"); it was cut short, download it again`},
		{"second block without footer", "fin", append(append([]string{finHeader, row}, footer...), finHeader, row), "raw/test.gz:8: no Total_ footer after the data rows of block 2"},
		{"repeated header, then the end", "fin", append(append([]string{finHeader, row}, footer...), finHeader), "raw/test.gz:7: no Total_ footer after the data rows of block 2"},
		{"ZZ complete", "fin", []string{finHeader, row, "", "Total_Rows\t1", "Country Of Sale\tPartner Share Currency\tQuantity\tExtended Partner Share", "US\tUSD\t1\t1.00"}, ""},
		{"detail complete", "det", []string{"Start Date\t08/30/2026", detHdr, detRow, "", "Country Of Sale\tPartner Share Currency\tQuantity\tExtended Partner Share", "US\tUSD\t1\t1.00"}, ""},
		{"detail without summary", "det", []string{"Start Date\t08/30/2026", detHdr, detRow, detRow}, "raw/test.gz:4: no summary table after the data rows: the file ends at line 4"},
		{"detail summary without rows", "det", []string{detHdr, detRow, "", "Country Of Sale\tPartner Share Currency\tQuantity\tExtended Partner Share"}, "raw/test.gz:4: the summary table has no rows"},
		{"detail without data rows", "det", []string{detHdr}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := fin
			if tt.tb == "det" {
				tb = det
			}
			res := loadString(t, lines(tt.in...), tb)
			switch {
			case tt.want == "" && res.err != nil:
				t.Fatalf("err = %v", res.err)
			case tt.want != "" && (res.err == nil || !strings.HasPrefix(res.err.Error(), tt.want)):
				t.Fatalf("err = %v\nwant %s…", res.err, tt.want)
			}
		})
	}
}
