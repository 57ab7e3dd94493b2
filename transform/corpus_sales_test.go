package transform

import (
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Our own corpus (testdata/): files in Apple's old layouts, each also with CRLF line ends,
// a UTF-8 byte order mark and Latin-1 text. Every variant must load exactly alike, without
// drift, with the totals below (computed independently when the files were written).
var corpus = []struct {
	base, table, version, layout, period string
	rows                                 int64
	units                                string // Σ units column
	amount, qty, currency                string // proceeds: Σ amount × qty by currency
	proceeds                             map[string]string
	text                                 map[string]string // column → its value on the first row
}{
	{
		base: "sales_summary_2015_daily", table: "sales_summary_daily", version: "1_0",
		layout: "SALES/SUMMARY 2014", period: "2015-06-07", rows: 13, units: "68",
		amount: "developer_proceeds", qty: "units", currency: "currency_of_proceeds",
		proceeds: map[string]string{"USD": "27.300000", "EUR": "1.240000", "JPY": "84.000000",
			"GBP": "1.620000", "AUD": "0.910000", "<null>": "0.000000"},
		text: map[string]string{"title": "Café Übung", "developer": "Jörg Müller", "cmb": "<null>", "device": "<null>"},
	},
	{
		base: "subscription_summary_1_2", table: "subscription_summary_daily", version: "1_2",
		layout: "SUBSCRIPTION/SUMMARY 1_2", period: "", rows: 6, units: "227",
		amount: "developer_proceeds", qty: "active_standard_price_subscriptions", currency: "proceeds_currency",
		proceeds: map[string]string{"USD": "550.240000", "EUR": "765.080000", "JPY": "38430.000000", "GBP": "18.840000"},
		text:     map[string]string{"app_name": "Café Übung", "subscription_offer_name": "<null>", "subscribers": "<null>"},
	},
}

func TestCorpusOldLayouts(t *testing.T) {
	for _, c := range corpus {
		for _, variant := range []string{"", "_crlf", "_bom", "_latin1"} {
			file := c.base + variant + ".tsv"
			t.Run(file, func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join("testdata", file))
				if err != nil {
					t.Fatal(err)
				}
				d, err := Detect(file, data)
				if err != nil {
					t.Fatal(err)
				}
				if d.Table.Name != c.table || d.Version != c.version || d.Layout != c.layout || d.Period != c.period {
					t.Errorf("Detect = %s %s %q %q, want %s %s %q %q", d.Table.Name, d.Version, d.Layout, d.Period,
						c.table, c.version, c.layout, c.period)
				}
				res := loadVersion(t, openBytes(data), d.Table, 4, d.Version)
				if res.err != nil {
					t.Fatal(res.err)
				}
				if res.layout != c.layout || !reflect.DeepEqual(res.drift, Drift{}) {
					t.Errorf("layout %q drift %+v, want %q and none", res.layout, res.drift, c.layout)
				}
				if res.rows != c.rows {
					t.Errorf("rows = %d, want %d", res.rows, c.rows)
				}
				if got := sumIntStrings(t, res.cols[c.qty]); got != c.units {
					t.Errorf("units = %s, want %s", got, c.units)
				}
				if got := extendedByCurrency(t, res, c.amount, c.qty, c.currency); !reflect.DeepEqual(got, c.proceeds) {
					t.Errorf("proceeds = %v, want %v", got, c.proceeds)
				}
				for col, want := range c.text {
					if got := res.cols[col][0]; got != want {
						t.Errorf("%s[0] = %q, want %q", col, got, want)
					}
				}
				for col, vs := range res.cols {
					if i := slices.IndexFunc(vs, func(s string) bool { return !utf8.ValidString(s) }); i >= 0 {
						t.Errorf("%s[%d] = %q: not UTF-8", col, i, vs[i])
					}
				}
			})
		}
	}
}

func sumIntStrings(t *testing.T, vs []string) string {
	t.Helper()
	sum := new(big.Int)
	for _, v := range vs {
		n, ok := new(big.Int).SetString(v, 10)
		if !ok {
			t.Fatalf("not an integer: %q", v)
		}
		sum.Add(sum, n)
	}
	return sum.String()
}

// extendedByCurrency sums amount × qty per currency exactly (scale 6, as loaded).
func extendedByCurrency(t *testing.T, res result, amount, qty, curr string) map[string]string {
	t.Helper()
	sums := map[string]*big.Int{}
	for i := range res.cols[amount] {
		a, ok := new(big.Int).SetString(stripDot(res.cols[amount][i]), 10)
		q, ok2 := new(big.Int).SetString(res.cols[qty][i], 10)
		if !ok || !ok2 {
			t.Fatalf("row %d: %q × %q", i, res.cols[amount][i], res.cols[qty][i])
		}
		c := res.cols[curr][i]
		if sums[c] == nil {
			sums[c] = new(big.Int)
		}
		sums[c].Add(sums[c], a.Mul(a, q))
	}
	out := map[string]string{}
	for c, v := range sums {
		s, neg := strings.CutPrefix(v.String(), "-")
		for len(s) < 7 {
			s = "0" + s
		}
		if neg {
			s = "-" + s
		}
		out[c] = s[:len(s)-6] + "." + s[len(s)-6:]
	}
	return out
}
