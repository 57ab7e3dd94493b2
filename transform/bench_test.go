package transform

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// salesTSV generates a SALES/SUMMARY-like file of n rows.
func salesTSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Provider\tProvider Country\tSKU\tDeveloper\tTitle\tVersion\tProduct Type Identifier\tUnits\tDeveloper Proceeds\tBegin Date\tEnd Date\tCustomer Currency\tCountry Code\tCurrency of Proceeds\tApple Identifier\tCustomer Price\tPromo Code\tParent Identifier\tSubscription\tPeriod\tCategory\tCMB\tDevice\tSupported Platforms\tProceeds Reason\tPreserved Pricing\tClient\tOrder Type\n")
	countries := []string{"US", "GB", "DE", "JP", "RU", "BR"}
	for i := 0; i < n; i++ {
		c := countries[i%len(countries)]
		fmt.Fprintf(&b, "APPLE\tUS\tcom.acme.sku%d\tAcme Inc\tAcme Title %d\t1.%d.0\tIAY\t%d\t%d.%02d\t10/05/2020\t10/05/2020\tUSD\t%s\tUSD\t%d\t%d.99\t \tcom.acme\tRenewal\t1 Month\tLifestyle\t\tiPhone\tiOS\t \t \t \t \n",
			i%500, i%50, i%10, i%7+1, i%300, i%100, c, 1000000000+i%5000, i%300)
	}
	return b.Bytes()
}

func BenchmarkReader(b *testing.B) {
	data := salesTSV(100_000)
	tb := table(b, "sales_summary_daily")
	// Leaks are checked by the tests; the checked allocator's bookkeeping would dominate here.
	mem := memory.NewGoAllocator()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := NewReader(bytes.NewReader(data), tb, Options{Key: "k", Version: "1_0", Alloc: mem})
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for r.Next() {
			rows += r.RecordBatch().NumRows()
		}
		if err := r.Err(); err != nil || rows != 100_000 {
			b.Fatalf("rows %d err %v", rows, err)
		}
		r.Release()
	}
}
