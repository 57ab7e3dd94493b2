package transform

import (
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The public fixtures (REFERENCE.md §H), copied to testdata/.
var samples = []struct {
	file    string
	table   string
	version string
	period  string
	rows    int64
	layout  string
}{
	{"sales_summary_kachit-stub.tsv", "sales_summary_daily", "1_0", "2020-10-05", 46, "SALES/SUMMARY 1_0"},
	{"pre_order_summary_kachit-stub.tsv", "pre_order_summary_daily", "1_0", "2020-10-05", 2, "PRE_ORDER/SUMMARY 1_0"},
	// The legacy files load without drift: it is measured against their own version.
	{"subscription_summary_legacy-1_2_kachit-stub.tsv", "subscription_summary_daily", "1_2", "", 49, "SUBSCRIPTION/SUMMARY 1_2"},
	{"subscription_event_summary_legacy-1_2_kachit-stub.tsv", "subscription_event_summary_daily", "1_2", "2020-10-05", 49, "SUBSCRIPTION_EVENT/SUMMARY 1_2"},
	{"subscriber_detailed_legacy-1_2_kachit-stub.tsv", "subscriber_detailed_daily", "1_2", "2020-10-05", 48, "SUBSCRIBER/DETAILED 1_2"},
	{"financial_region_kachit-stub.tsv", "finance_financial", "", "2021-01", 2, ""},
}

func TestSamples(t *testing.T) {
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", s.file))
			if err != nil {
				t.Fatal(err)
			}
			d, err := Detect(s.file, data)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if d.Table.Name != s.table || d.Version != s.version || d.Period != s.period {
				t.Errorf("Detect = %s %q %q, want %s %q %q", d.Table.Name, d.Version, d.Period, s.table, s.version, s.period)
			}
			res := loadVersion(t, openBytes(data), d.Table, 0, d.Version)
			if res.err != nil {
				t.Fatalf("load: %v", res.err)
			}
			if res.rows != s.rows || int64(len(res.cols["_source_line"])) != s.rows {
				t.Errorf("rows = %d, want %d", res.rows, s.rows)
			}
			if !reflect.DeepEqual(res.drift, Drift{}) || res.layout != s.layout {
				t.Errorf("layout %q drift = %+v, want %q and no drift", res.layout, res.drift, s.layout)
			}
			if got := res.cols["_source_line"][0]; got != "2" {
				t.Errorf("first _source_line = %s, want 2", got)
			}
			if got := res.cols["_extracted_at"][0]; got != "2026-11-21T10:30:00.123456Z" {
				t.Errorf("_extracted_at = %s", got)
			}
		})
	}
}

// proceedsByCurrency sums amount × quantity per currency exactly (big.Int, scale 6).
func proceedsByCurrency(t *testing.T, file, tableName, amount, qty, curr string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := NewReader(openBytes(data), table(t, tableName), Options{Key: file, Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	sums := map[string]*big.Int{}
	for r.Next() {
		rec := r.RecordBatch()
		res := map[string][]string{}
		for c := 0; c < int(rec.NumCols()); c++ {
			res[rec.ColumnName(c)] = values(rec.Column(c))
		}
		for i := range res[amount] {
			a, ok := new(big.Int).SetString(stripDot(res[amount][i]), 10)
			q, ok2 := new(big.Int).SetString(res[qty][i], 10)
			if !ok || !ok2 {
				t.Fatalf("row %d: %q × %q", i, res[amount][i], res[qty][i])
			}
			c := res[curr][i]
			if sums[c] == nil {
				sums[c] = new(big.Int)
			}
			sums[c].Add(sums[c], a.Mul(a, q))
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for c, v := range sums {
		s := v.String()
		for len(s) < 7 {
			s = "0" + s
		}
		out[c] = s[:len(s)-6] + "." + s[len(s)-6:]
	}
	return out
}

func stripDot(s string) string {
	b := []byte{}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

func TestSampleProceedsExact(t *testing.T) {
	// Hand-computed from the fixture: Σ Developer Proceeds × Units per Currency of Proceeds.
	got := proceedsByCurrency(t, "sales_summary_kachit-stub.tsv", "sales_summary_daily", "developer_proceeds", "units", "currency_of_proceeds")
	want := map[string]string{
		"RUB": "44218.300000", "USD": "3.150000", "<null>": "0.000000", "KZT": "6118.000000",
		"SAR": "13.990000", "GBP": "0.000000", "ZAR": "0.000000", "MXN": "71.810000", "INR": "0.000000",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sales proceeds = %v\nwant %v", got, want)
	}
	got = proceedsByCurrency(t, "subscriber_detailed_legacy-1_2_kachit-stub.tsv", "subscriber_detailed_daily", "developer_proceeds", "units", "proceeds_currency")
	want = map[string]string{"USD": "3.150000", "RUB": "14774.200000", "KZT": "805.000000"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("subscriber proceeds = %v\nwant %v", got, want)
	}
}

func TestSampleValues(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "sales_summary_kachit-stub.tsv"))
	res := load(t, openBytes(data), table(t, "sales_summary_daily"), 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	checks := map[string]string{
		"provider": "APPLE", "developer": "<null>", "units": "12", "developer_proceeds": "209.300000",
		"begin_date": "2020-10-05", "customer_price": "299.000000", "promo_code": "<null>",
		"cmb": "<null>", "contingent_app_name": "<null>", "apple_identifier": "1234567890",
		"_source_key": "raw/test.gz", "_report_version": "1_0",
	}
	for col, want := range checks {
		if got := res.cols[col][0]; got != want {
			t.Errorf("%s[0] = %q, want %q", col, got, want)
		}
	}
	pre, _ := os.ReadFile(filepath.Join("testdata", "pre_order_summary_kachit-stub.tsv"))
	res = load(t, openBytes(pre), table(t, "pre_order_summary_daily"), 0)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if got := res.cols["ordered"]; !reflect.DeepEqual(got, []string{"10.200000", "10.100000"}) {
		t.Errorf("pre-order ordered = %v", got)
	}
}
