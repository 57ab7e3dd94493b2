package simulator

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
)

// splitFinancial separates data rows from the Total_ footer and the ZZ summary table.
func splitFinancial(t *testing.T, ls [][]string) (header []string, rows [][]string, footer map[string]string, summary [][]string) {
	t.Helper()
	header, footer = ls[0], map[string]string{}
	inSummary := false
	for _, l := range ls[1:] {
		switch {
		case len(l) == 1 && l[0] == "":
			if len(footer) > 0 || inSummary {
				t.Fatalf("blank line after the footer")
			}
		case strings.HasPrefix(l[0], "Total_"):
			if len(l) != 2 || inSummary {
				t.Fatalf("footer line %q", l)
			}
			footer[l[0]] = l[1]
		case strings.Join(l, "\t") == "Country Of Sale\tPartner Share Currency\tQuantity\tExtended Partner Share":
			inSummary = true
		case inSummary:
			summary = append(summary, l)
		case len(footer) > 0:
			t.Fatalf("data row after footer: %q", l)
		default:
			rows = append(rows, l)
		}
	}
	return header, rows, footer, summary
}

func TestFinancial(t *testing.T) {
	e := newEnv(t, Options{})
	fixture := fixtureHeader(t, "testdata/financial_region_kachit-stub.tsv")
	p, _ := fiscal.Parse("2026-12")
	refunds := 0
	for _, region := range []string{"US", "EU", "JP", "WW", "ZZ"} {
		rec := e.do(t, "/v1/financeReports", financeQuery("FINANCIAL", region, "2026-12"), nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/a-gzip" {
			t.Fatalf("%s: %d %s", region, rec.Code, rec.Body)
		}
		header, rows, footer, summary := splitFinancial(t, lines(t, rec.Body.Bytes()))
		if strings.Join(header, "\t") != strings.Join(fixture, "\t") || len(header) != 22 {
			t.Fatalf("header %q", header)
		}
		var saleUnits, amount int64
		currencies := map[string]bool{}
		type agg struct{ q, ext int64 }
		sums := map[string]*agg{}
		for _, r := range rows {
			if r[0] != "08/30/2026" || r[1] != "09/26/2026" || r[0] != p.Start.Format("01/02/2006") {
				t.Fatalf("period bounds %q %q", r[0], r[1])
			}
			q, _ := strconv.ParseInt(r[5], 10, 64)
			if micro(t, r[7]) != q*micro(t, r[6]) {
				t.Fatalf("extended %s != %d × %s", r[7], q, r[6])
			}
			if (q < 0) != (r[9] == "R") || (r[9] != "S" && r[9] != "R") || len(r[17]) != 2 {
				t.Fatalf("row %q", r)
			}
			if r[9] == "S" {
				saleUnits += q
			} else {
				refunds++
			}
			amount += micro(t, r[7])
			currencies[r[8]] = true
			k := r[17] + "\t" + r[8]
			if sums[k] == nil {
				sums[k] = &agg{}
			}
			sums[k].q += q
			sums[k].ext += micro(t, r[7])
		}
		if footer["Total_Rows"] != strconv.Itoa(len(rows)) {
			t.Fatalf("%s footer %v vs %d rows", region, footer, len(rows))
		}
		if region != "ZZ" {
			// Apple's semantics: Total_Units counts the sale rows only; Total_Amount is net.
			if footer["Total_Units"] != strconv.FormatInt(saleUnits, 10) || micro(t, footer["Total_Amount"]) != amount ||
				len(footer) != 3 || summary != nil {
				t.Fatalf("%s footer %v vs sale units %d amount %d", region, footer, saleUnits, amount)
			}
			if len(currencies) != 1 {
				t.Fatalf("%s has currencies %v", region, currencies)
			}
		} else {
			// ZZ: a lone Total_Rows line, then the per-country summary (net of refunds).
			if len(footer) != 1 || len(currencies) < 10 || len(summary) != len(sums) {
				t.Fatalf("ZZ footer %v, %d currencies, %d summary rows for %d groups", footer, len(currencies), len(summary), len(sums))
			}
			for _, s := range summary {
				a := sums[s[0]+"\t"+s[1]]
				if a == nil || s[2] != strconv.FormatInt(a.q, 10) || micro(t, s[3]) != a.ext {
					t.Fatalf("summary %q vs %+v", s, a)
				}
			}
		}
		u := report.Unit{Family: report.Finance, Type: "FINANCIAL", Region: region, Vendor: DefaultVendor, Period: "2026-12"}
		tr, err := e.srv.Truth(u, "")
		if err != nil {
			t.Fatal(err)
		}
		got := sumTable(t, header, rows, "Quantity", "Extended Partner Share", "Partner Share Currency", false)
		got.Status = 200
		if !truthEqual(got, tr) {
			t.Fatalf("%s truth %+v parsed %+v", region, tr, got)
		}
	}
	if refunds == 0 {
		t.Error("no refund rows in the finance reports")
	}
}

// Finance is built from the SALES daily data, so ZZ proceeds equal the sum of the daily
// SALES proceeds over the fiscal period.
func TestFinanceReconcilesWithSales(t *testing.T) {
	e := newEnv(t, Options{})
	p, _ := fiscal.Parse("2027-01")
	want := map[string]int64{}
	for d := p.Start; !d.After(p.End); d = d.AddDate(0, 0, 1) {
		tr, err := e.srv.Truth(report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: DefaultVendor, Period: d.Format("2006-01-02")}, "")
		if err != nil {
			t.Fatal(err)
		}
		for c, v := range tr.Proceeds {
			want[c] += v
		}
	}
	for _, typ := range [][2]string{{"FINANCIAL", "ZZ"}, {"FINANCE_DETAIL", "Z1"}} {
		tr, err := e.srv.Truth(report.Unit{Family: report.Finance, Type: typ[0], Region: typ[1], Vendor: DefaultVendor, Period: "2027-01"}, "")
		if err != nil || tr.Status != 200 {
			t.Fatalf("%v: %+v %v", typ, tr, err)
		}
		for c, v := range want {
			if tr.Proceeds[c] != v {
				t.Errorf("%v %s: finance %d, sales %d", typ, c, tr.Proceeds[c], v)
			}
		}
	}
}

func TestFinanceDetail(t *testing.T) {
	e := newEnv(t, Options{})
	rec := e.do(t, "/v1/financeReports", financeQuery("FINANCE_DETAIL", "Z1", "2026-12"), nil)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	ls := lines(t, rec.Body.Bytes())
	if ls[0][0] != "Vendor Name" || strings.Join(ls[1], "\t") != "Start Date\t08/30/2026" || strings.Join(ls[2], "\t") != "End Date\t09/26/2026" {
		t.Fatalf("preamble %q", ls[:3])
	}
	i := 3
	for len(ls[i]) == 1 && ls[i][0] == "" {
		i++
	}
	header := ls[i]
	if len(header) != 18 || header[0] != "Transaction Date" || header[17] != "Region" || header[7] != "Country of Sale" {
		t.Fatalf("header %q", header)
	}
	var rows [][]string
	for i++; i < len(ls) && ls[i][0] != "Country Of Sale"; i++ {
		if len(ls[i]) == 1 && ls[i][0] == "" {
			continue
		}
		rows = append(rows, ls[i])
	}
	if i == len(ls) || strings.Join(ls[i], "\t") != "Country Of Sale\tPartner Share Currency\tQuantity\tExtended Partner Share" {
		t.Fatal("summary header missing")
	}
	type agg struct{ q, ext int64 }
	sums := map[string]*agg{}
	for _, r := range rows {
		if r[0] < "08/30/2026" || r[0] > "09/26/2026" || !dateRE["mdy"].MatchString(r[1]) {
			t.Fatalf("dates %q %q", r[0], r[1])
		}
		k := r[7] + "\t" + r[11]
		if sums[k] == nil {
			sums[k] = &agg{}
		}
		q, _ := strconv.ParseInt(r[8], 10, 64)
		sums[k].q += q
		sums[k].ext += micro(t, r[10])
	}
	summary := ls[i+1:]
	if len(summary) != len(sums) {
		t.Fatalf("%d summary rows for %d country/currency pairs", len(summary), len(sums))
	}
	for _, s := range summary {
		a := sums[s[0]+"\t"+s[1]]
		if a == nil || s[2] != strconv.FormatInt(a.q, 10) || micro(t, s[3]) != a.ext {
			t.Fatalf("summary %q vs %+v", s, a)
		}
	}
	tr, _ := e.srv.Truth(report.Unit{Family: report.Finance, Type: "FINANCE_DETAIL", Region: "Z1", Vendor: DefaultVendor, Period: "2026-12"}, "")
	got := sumTable(t, header, rows, "Quantity", "Extended Partner Share", "Partner Share Currency", false)
	got.Status = 200
	if !truthEqual(got, tr) {
		t.Fatalf("truth %+v parsed %+v", tr, got)
	}
}

func TestFinanceErrors(t *testing.T) {
	e := newEnv(t, Options{})
	noType := financeQuery("FINANCIAL", "US", "2026-12")
	noType.Del("filter[reportType]")
	tests := []struct {
		name   string
		q      map[string][]string
		status int
		code   string
		detail string
	}{
		{"missing type", noType, 400, "PARAMETER_ERROR.REQUIRED", "The parameter 'filter[reportType]' is required"},
		{"bad type", financeQuery("SALES", "US", "2026-12"), 400, "PARAMETER_ERROR.INVALID", ""},
		{"unknown region", financeQuery("FINANCIAL", "XX", "2026-12"), 400, "PARAMETER_ERROR.INVALID", ""},
		{"bad date", financeQuery("FINANCIAL", "US", "2026-13"), 400, "PARAMETER_ERROR.INVALID", ""},
		{"detail non-Z1", financeQuery("FINANCE_DETAIL", "US", "2026-12"), 404, "NOT_FOUND", detailNoSales},
		{"not settled yet", financeQuery("FINANCIAL", "US", "2027-02"), 404, "NOT_FOUND", detailNoSales},
		{"future", financeQuery("FINANCIAL", "US", "2028-01"), 404, "NOT_FOUND", detailNoSales},
		{"region without sales", financeQuery("FINANCIAL", "EG", "2026-12"), 404, "NOT_FOUND", detailNoSales},
		{"retention", financeQuery("FINANCIAL", "US", "2015-06"), 410, "NOT_FOUND", detailGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(t, "/v1/financeReports", tt.q, nil)
			if rec.Code != tt.status {
				t.Fatalf("%d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			x := decodeErr(t, rec).Errors[0]
			if x.Code != tt.code || (tt.detail != "" && x.Detail != tt.detail) {
				t.Fatalf("%+v", x)
			}
		})
	}
	// The period becomes available on the first Friday after it, 08:00 Pacific.
	p, _ := fiscal.Parse("2027-02")
	tr, _ := e.srv.Truth(report.Unit{Family: report.Finance, Type: "FINANCIAL", Region: "US", Vendor: DefaultVendor, Period: p.String()}, "")
	if tr.Status != 404 {
		t.Fatalf("before: %+v", tr)
	}
	e.clock.t = p.AvailableFrom().Add(16*3600e9 + 60e9) // 08:01 PST
	tr, _ = e.srv.Truth(report.Unit{Family: report.Finance, Type: "FINANCIAL", Region: "US", Vendor: DefaultVendor, Period: p.String()}, "")
	if tr.Status != 200 || tr.Rows == 0 {
		t.Fatalf("after: %+v", tr)
	}
}
