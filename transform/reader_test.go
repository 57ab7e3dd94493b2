package transform

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func openBytes(b []byte) io.Reader { return bytes.NewReader(b) }

// lines joins rows with '\n' and a final newline.
func lines(rows ...string) string { return strings.Join(rows, "\n") + "\n" }

const finHeader = "Start Date\tEnd Date\tUPC\tISRC/ISBN\tVendor Identifier\tQuantity\tPartner Share\tExtended Partner Share\tPartner Share Currency\tSales or Return\tApple Identifier\tArtist/Show/Developer/Author\tTitle\tLabel/Studio/Network/Developer/Publisher\tGrid\tProduct Type Identifier\tISAN/Other Identifier\tCountry Of Sale\tPre-order Flag\tPromo Code\tCustomer Price\tCustomer Currency"

func finRow(qty, share, ext string) string {
	return "10/05/2020\t10/05/2021\t\t\tfoo.bar\t" + qty + "\t" + share + "\t" + ext + "\tUSD\tS\t123\t\tfoo\t\t\tIAY\t\tUS\t\t\t4.49\tUSD"
}

func TestFinancialFooter(t *testing.T) {
	fin := table(t, "finance_financial")
	rowsAB := []string{finHeader, finRow("1", "3.15", "3.15"), finRow("5", "6.30", "31.50")}
	tests := []struct {
		name    string
		in      string
		rows    int64
		wantErr string
	}{
		{"ok", lines(append(rowsAB, "Total_Rows\t2", "Total_Amount\t34.65", "Total_Units\t6")...), 2, ""},
		{"ok crlf", strings.ReplaceAll(lines(append(rowsAB, "Total_Rows\t2", "Total_Amount\t34.650", "Total_Units\t6")...), "\n", "\r\n"), 2, ""},
		{"ok colon form", lines(append(rowsAB, "Total_Amount:34.65")...), 2, ""},
		{"two blocks", lines(append(append(rowsAB, "Total_Rows\t2", "Total_Amount\t34.65", "Total_Units\t6", ""),
			finHeader, finRow("-1", "2.00", "-2.00"), "Total_Rows\t1", "Total_Amount\t-2.00", "Total_Units\t-1")...), 3, ""},
		{"rows mismatch", lines(append(rowsAB, "Total_Rows\t3")...), 0,
			`raw/test.gz:4: column "Total_Rows": footer does not match the rows: 2 data rows read "3"`},
		{"amount mismatch", lines(append(rowsAB, "Total_Rows\t2", "Total_Amount\t34.66")...), 0,
			`raw/test.gz:5: column "Total_Amount": footer does not match the rows: Extended Partner Share of the rows sums to 34.650000 "34.66"`},
		{"units mismatch", lines(append(rowsAB, "Total_Units\t7")...), 0,
			`raw/test.gz:4: column "Total_Units": footer does not match the rows: Quantity of the rows sums to 6 "7"`},
		{"second block checked alone", lines(append(append(rowsAB, "Total_Rows\t2"), finHeader, finRow("1", "1", "1"), "Total_Rows\t3")...), 0,
			`raw/test.gz:7: column "Total_Rows": footer does not match the rows: 1 data rows read "3"`},
		{"junk after footer", lines(append(rowsAB, "Total_Rows\t2", finRow("1", "1", "1"))...), 0,
			"raw/test.gz:5: line after the Total_ footer is neither a footer, a repeated header nor a summary header"},
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
			if res.err != nil || res.rows != tt.rows {
				t.Fatalf("rows %d err %v, want %d rows", res.rows, res.err, tt.rows)
			}
		})
	}
}

func TestFinanceDetail(t *testing.T) {
	det := table(t, "finance_detail")
	good, err := os.ReadFile(filepath.Join("testdata", "finance_detail_handmade.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	res := load(t, openBytes(good), det, 2)
	if res.err != nil {
		t.Fatalf("load: %v", res.err)
	}
	if res.rows != 4 || res.batches != 2 {
		t.Errorf("rows %d batches %d, want 4 and 2", res.rows, res.batches)
	}
	if got := res.cols["extended_partner_share"]; !reflect.DeepEqual(got, []string{"6.300000", "-2.100000", "0.700000", "1400.000000"}) {
		t.Errorf("extended_partner_share = %v", got)
	}
	if got := res.cols["_source_line"]; !reflect.DeepEqual(got, []string{"6", "7", "8", "9"}) {
		t.Errorf("_source_line = %v", got)
	}
	if len(res.drift.Missing)+len(res.drift.Unknown) != 0 {
		t.Errorf("drift %+v", res.drift)
	}
	d, err := Detect("85012345_0926_Z1.txt", good)
	if err != nil || d.Table != det || d.Period != "2026-12" || d.Region != "Z1" || d.Vendor != "85012345" {
		t.Errorf("Detect = %+v, %v", d, err)
	}

	if len(res.checks) != 0 || len(res.summary) != 3 {
		t.Errorf("checks %q, summary %+v", res.checks, res.summary)
	}

	// Summary differences are notes: the file still loads, all its rows.
	bad := []struct{ name, from, to, want string }{
		{"quantity", "US\tUSD\t2\t4.20", "US\tUSD\t4\t4.20",
			"summary line 12: US USD quantity 4, the rows sum to 2 (sale rows 3)"},
		{"amount", "US\tUSD\t2\t4.20", "US\tUSD\t2\t4.21",
			"summary line 12: US USD extended partner share 4.210000, the rows sum to 4.200000"},
		{"unknown group", "JP\tJPY\t1\t1400", "FR\tEUR\t1\t1400",
			"summary line 14: FR EUR (quantity 1, amount 1400.000000) has no data rows|rows for JP JPY (quantity 1, amount 1400.000000) have no summary row"},
		{"missing group", "JP\tJPY\t1\t1400\n", "",
			"rows for JP JPY (quantity 1, amount 1400.000000) have no summary row"},
		{"second row", "JP\tJPY\t1\t1400\n", "JP\tJPY\t1\t1400\nJP\tJPY\t1\t1400\n",
			"summary line 15: second summary row for JP JPY"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			in := strings.Replace(string(good), b.from, b.to, 1)
			if in == string(good) {
				t.Fatal("replacement did not apply")
			}
			res := loadString(t, in, det)
			if res.err != nil || res.rows != 4 {
				t.Fatalf("err = %v, rows %d", res.err, res.rows)
			}
			if got := strings.Join(res.checks, "|"); got != b.want {
				t.Errorf("checks = %s\nwant     %s", got, b.want)
			}
		})
	}
	// A summary quantity equal to the sale rows' units (refunds left out) is no difference.
	res = loadString(t, strings.Replace(string(good), "US\tUSD\t2\t4.20", "US\tUSD\t3\t4.20", 1), det)
	if res.err != nil || len(res.checks) != 0 {
		t.Errorf("sale-rows quantity: err %v, checks %q", res.err, res.checks)
	}
}

func TestCellErrors(t *testing.T) {
	of := table(t, "subscription_offer_code_redemption_summary_daily")
	hdr := "Date\tApp Name\tApp Apple ID\tSubscription Name\tSubscription Apple ID\tOffer Reference Name\tOffer Code\tTerritory\tRedemptions"
	row := func(date, red string) string { return date + "\tApp\t1\tSub\t2\tRef\tCODE\tUS\t" + red }
	fin := table(t, "finance_financial")
	tests := []struct {
		name string
		in   string
		tb   string
		want string
	}{
		{"bad int", lines(hdr, row("2026-01-02", "1"), row("2026-01-02", "1x")), "",
			`raw/test.gz:3: column "Redemptions": invalid integer "1x"`},
		{"int overflow", lines(hdr, row("2026-01-02", "99999999999999999999")), "",
			`raw/test.gz:2: column "Redemptions": value out of range "99999999999999999999"`},
		{"bad iso date", lines(hdr, row("2026-02-30", "1")), "",
			`raw/test.gz:2: column "Date": invalid date "2026-02-30"`},
		{"mdy in iso column", lines(hdr, row("01/02/2026", "1")), "",
			`raw/test.gz:2: column "Date": invalid date "01/02/2026"`},
		{"too few fields", lines(hdr, "2026-01-02\tApp"), "",
			`raw/test.gz:2: wrong number of fields: row has 2 fields, header has 9`},
		{"too many fields", lines(hdr, row("2026-01-02", "1")+"\tx"), "",
			`raw/test.gz:2: wrong number of fields: row has 10 fields, header has 9`},
		{"bad decimal", lines(finHeader, finRow("1", "3,15", "3.15")), "fin",
			`raw/test.gz:2: column "Partner Share": invalid decimal "3,15"`},
		{"too many decimals", lines(finHeader, finRow("1", "3.1500001", "3.15")), "fin",
			`raw/test.gz:2: column "Partner Share": more decimal places than the scale allows "3.1500001"`},
		{"decimal too large", lines(finHeader, finRow("1", "1000000000000", "3.15")), "fin",
			`raw/test.gz:2: column "Partner Share": value out of range "1000000000000"`},
		{"bad mdy date", lines(finHeader, strings.Replace(finRow("1", "1", "1"), "10/05/2020", "13/05/2020", 1)), "fin",
			`raw/test.gz:2: column "Start Date": invalid date "13/05/2020"`},
		{"wrong table", lines(hdr, row("2026-01-02", "1")), "fin",
			`raw/test.gz:1: header does not match table finance_financial (0 of 22 expected columns recognised)`},
		{"empty file", "", "", `raw/test.gz:1: no header line for table subscription_offer_code_redemption_summary_daily`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := of
			if tt.tb == "fin" {
				tb = fin
			}
			res := loadString(t, tt.in, tb)
			if res.err == nil || res.err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", res.err, tt.want)
			}
			var pe *ParseError
			if !errors.As(res.err, &pe) || pe.Key != "raw/test.gz" {
				t.Errorf("not a *ParseError with key: %#v", res.err)
			}
		})
	}
}

func TestTolerated(t *testing.T) {
	wb := table(t, "win_back_eligibility_summary_daily")
	hdr := "App Name\tApp Apple ID\tSubscription Name\tSubscription Apple ID\tSubscription Group ID\tStandard Subscription Duration\tPaid Subscription Tenure\tTime Since Last Subscribed\tHas Previously Redeemed Win-Back Offer\tTime Since Last Win-Back Offer\tTerritory\tChurned Subscription Count"
	in := lines(hdr+"\t",
		"",
		"App\t1\tSub\t2\t3\t1 Month\t 12 \t\"\"\tYes\t\t US \t5\t\t ", // extra empty trailing fields
		"   ",
		"  \t1\tSub\t2\t3\t1 Month\t+1\t2\t \t-0\tGB\t6",
		"Total\t11", // a total line: skipped
		"Total Recall\t1\tSub\t2\t3\t1 Year\t1\t2\t\t3\tUS\t7") // a full row: data
	res := loadString(t, in, wb)
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := map[string][]string{
		"app_name":                               {"App", "<null>", "Total Recall"},
		"paid_subscription_tenure":               {"12", "1", "1"},
		"time_since_last_subscribed":             {"<null>", "2", "2"},
		"has_previously_redeemed_win_back_offer": {"Yes", "<null>", "<null>"},
		"time_since_last_win_back_offer":         {"<null>", "0", "3"},
		"territory":                              {"US", "GB", "US"},
		"churned_subscription_count":             {"5", "6", "7"},
		"_source_line":                           {"3", "5", "7"},
	}
	for c, w := range want {
		if !reflect.DeepEqual(res.cols[c], w) {
			t.Errorf("%s = %v, want %v", c, res.cols[c], w)
		}
	}
	if len(res.drift.Unknown) != 0 {
		t.Errorf("trailing empty header cell made drift: %+v", res.drift)
	}
}

func TestDrift(t *testing.T) {
	of := table(t, "subscription_offer_code_redemption_summary_daily")
	// "Offer Code" missing; two unknown columns, one colliding with a known name.
	hdr := "Date\tApp Name\tApp Apple ID\tSubscription Name\tSubscription Apple ID\tOffer Reference Name\tTerritory\tRedemptions\tNew Thing\tTerritory"
	res := loadString(t, lines(hdr, "2026-01-02\tApp\t1\tSub\t2\tRef\tUS\t1\tx\tUS2"), of)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if !reflect.DeepEqual(res.drift, Drift{Unknown: []string{"New Thing", "Territory"}, Missing: []string{"Offer Code"}}) {
		t.Errorf("drift = %+v", res.drift)
	}
	if got := res.cols["offer_code"]; !reflect.DeepEqual(got, []string{"<null>"}) {
		t.Errorf("offer_code = %v", got)
	}
	if res.cols["new_thing"][0] != "x" || res.cols["territory_2"][0] != "US2" {
		t.Errorf("unknown columns: %v", res.cols)
	}
	names := []string{}
	for _, f := range res.schema.Fields() {
		names = append(names, f.Name)
	}
	if got := strings.Join(names[len(names)-7:], ","); got != "new_thing,territory_2,report_date,_source_key,_source_line,_report_version,_extracted_at" {
		t.Errorf("schema tail = %s", got)
	}
	if len(res.hash) != 64 {
		t.Errorf("header hash %q", res.hash)
	}
	// Optional columns absent are not drift; header cells are matched ignoring case.
	sub := table(t, "subscription_event_summary_daily")
	data, _ := os.ReadFile(filepath.Join("testdata", "subscription_event_summary_legacy-1_2_kachit-stub.tsv"))
	res = load(t, bytes.NewReader(bytes.Replace(data, []byte("Marketing Opt-In\t"), []byte("MARKETING opt-in\t"), 1)), sub, 0)
	if res.err != nil || len(res.drift.Missing)+len(res.drift.Unknown) != 0 {
		t.Errorf("err %v drift %+v", res.err, res.drift)
	}
}

func TestBatching(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "sales_summary_kachit-stub.tsv"))
	tb := table(t, "sales_summary_daily")
	whole := load(t, bytes.NewReader(data), tb, 0)
	for _, n := range []int{1, 7, 46, 47} {
		res := load(t, bytes.NewReader(data), tb, n)
		if res.err != nil {
			t.Fatal(res.err)
		}
		if want := (46 + n - 1) / n; res.batches != want || res.rows != 46 {
			t.Errorf("BatchRows=%d: %d batches %d rows, want %d batches", n, res.batches, res.rows, want)
		}
		if !reflect.DeepEqual(res.cols, whole.cols) {
			t.Errorf("BatchRows=%d: values differ from one batch", n)
		}
	}
}

func TestTruncatedGzip(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "sales_summary_kachit-stub.tsv"))
	full := append(append([]byte{}, data[:bytes.IndexByte(data, '\n')+1]...), bytes.Repeat(data[bytes.IndexByte(data, '\n')+1:], 20)...)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(full)
	zw.Close()
	half := buf.Bytes()[:buf.Len()/2]
	zr, err := gzip.NewReader(bytes.NewReader(half))
	if err != nil {
		t.Fatal(err)
	}
	res := load(t, zr, table(t, "sales_summary_daily"), 7)
	var pe *ParseError
	if !errors.Is(res.err, io.ErrUnexpectedEOF) || !errors.As(res.err, &pe) || pe.Line < 2 {
		t.Fatalf("err = %v", res.err)
	}
	if !strings.HasPrefix(res.err.Error(), "raw/test.gz:") || !strings.HasSuffix(res.err.Error(), ": read: unexpected EOF") {
		t.Errorf("message %q", res.err)
	}
}

// TestReportDate: a table with a PeriodColumn gets it in every row of every batch, from
// Options.ReportDate (null when not given); the lineage constants are in every row too.
func TestReportDate(t *testing.T) {
	tb := table(t, "sales_summary_daily")
	data, err := os.ReadFile(filepath.Join("testdata", "sales_summary_kachit-stub.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	all := []string{lines[0]}
	for len(all) < 2501 {
		all = append(all, lines[1:]...)
	}
	all = all[:2501]
	in := strings.Join(all, "\n") + "\n"
	day := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		day  time.Time
		want string
	}{{day, "2025-01-15"}, {time.Time{}, "<null>"}} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		r, err := NewReader(strings.NewReader(in), tb, Options{Key: "raw/k.gz", Version: "1_0", ExtractedAt: extractedAt,
			Alloc: mem, BatchRows: 1000, ReportDate: tc.day})
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		for r.Next() {
			rec := r.RecordBatch()
			col := rec.Column(rec.Schema().FieldIndices("report_date")[0])
			key := rec.Column(rec.Schema().FieldIndices("_source_key")[0])
			for i, v := range values(col) {
				if v != tc.want || key.ValueStr(i) != "raw/k.gz" {
					t.Fatalf("row %d: report_date %s, _source_key %s", rows+i, v, key.ValueStr(i))
				}
			}
			rows += int(rec.NumRows())
		}
		if r.Err() != nil || rows != 2500 {
			t.Fatalf("%d rows, %v", rows, r.Err())
		}
		r.Release()
		mem.AssertSize(t, 0)
	}
}
