package simulator

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
)

var financeParams = []string{"filter[vendorNumber]", "filter[reportType]", "filter[regionCode]", "filter[reportDate]"}

// financeUnit validates a financeReports query.
func (s *Server) financeUnit(q map[string][]string) (report.Unit, *httpError) {
	if e := checkParams(q, financeParams); e != nil {
		return report.Unit{}, e
	}
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for _, p := range []string{"filter[reportType]", "filter[regionCode]", "filter[reportDate]", "filter[vendorNumber]"} {
		if get(p) == "" {
			return report.Unit{}, errRequired(p)
		}
	}
	typ, region, date := get("filter[reportType]"), get("filter[regionCode]"), get("filter[reportDate]")
	if typ != report.Financial && typ != report.FinanceDetail {
		return report.Unit{}, errInvalidValue("filter[reportType]", typ)
	}
	if _, ok := report.FinanceRegions[region]; !ok {
		return report.Unit{}, errInvalidValue("filter[regionCode]", region)
	}
	p, err := fiscal.Parse(date)
	if err != nil || p.String() != date {
		return report.Unit{}, errInvalidValue("filter[reportDate]", date)
	}
	vendor := get("filter[vendorNumber]")
	if !s.hasVendor(vendor) {
		return report.Unit{}, errVendor()
	}
	return report.Unit{Family: report.Finance, Type: typ, Region: region, Vendor: vendor, Period: p.String()}, nil
}

func (s *Server) serveFinance(w http.ResponseWriter, r *http.Request) {
	if !acceptable(r.Header.Values("Accept")) {
		writeError(w, errNotAcceptable())
		return
	}
	u, e := s.financeUnit(r.URL.Query())
	if e != nil {
		writeError(w, e)
		return
	}
	s.deliver(w, r, u, "")
}

// finLine is a finance line: sales aggregated over a fiscal period (FINANCIAL) or a day
// (FINANCE_DETAIL).
type finLine struct {
	sale
	day time.Time
}

// financeKey groups lines by the fields a finance report shows (no device, no
// subscription state).
func (x *finLine) financeKey() string {
	return fmt.Sprintf("%s|%s|%t|%d|%d|%s", x.p.sku, x.t.code, x.refund, x.price, x.proceeds, x.typeID)
}

// financeSales returns the settled (non-zero proceeds) sales lines of the fiscal period
// in the region ("ZZ" and "Z1" = all regions), day by day.
//
// Decision: Finance is derived from the SALES daily data of the fiscal period's days (lines
// with non-zero proceeds), so sales and finance reconcile. Partner Share = Developer Proceeds
// per unit (no tax modelled).
func (s *Server) financeSales(p fiscal.Period, region string) []finLine {
	var out []finLine
	for d := p.Start; !d.After(p.End); d = d.AddDate(0, 0, 1) {
		for _, x := range s.daySales(d) {
			if x.proceeds == 0 {
				continue
			}
			if region != "ZZ" && region != "Z1" && x.t.region != region {
				continue
			}
			out = append(out, finLine{sale: x, day: d})
		}
	}
	return out
}

// Decision: FINANCIAL per region holds that region's countries only (one currency); ZZ holds
// all rows of all regions in one file. Footers (Total_Units counts sale rows only, refunds
// left out; Total_Amount is net) and the ZZ summary table: see genFinance's body.
// FINANCIAL with Z1 → 404 no sales.
func (s *Server) genFinance(u report.Unit) *doc {
	p, _ := fiscal.Parse(u.Period)
	if u.Type == report.FinanceDetail {
		if u.Region != "Z1" {
			return &doc{header: financeDetailHeader}
		}
		return s.genFinanceDetail(p)
	}
	d := &doc{header: financialHeader}
	if u.Region == "Z1" {
		return d
	}
	idx := map[string]int{}
	var lines []finLine
	for _, x := range s.financeSales(p, u.Region) {
		k := x.financeKey()
		if i, ok := idx[k]; ok {
			lines[i].units += x.units
			continue
		}
		idx[k] = len(lines)
		lines = append(lines, x)
	}
	slices.SortStableFunc(lines, func(a, b finLine) int {
		return cmp.Or(cmp.Compare(a.t.region, b.t.region), cmp.Compare(a.t.code, b.t.code),
			cmp.Compare(a.p.sku, b.p.sku))
	})
	b := newBuilder(d.header)
	var total, saleUnits int64 // total in micro-units
	sums := countrySums{}
	for _, x := range lines {
		ext := x.units * x.proceeds
		total += ext * pow10(6-x.t.dec)
		if !x.refund {
			saleUnits += x.units
		}
		sums.add(x.t, x.units, ext)
		sr, price := "S", x.price
		if x.refund {
			sr, price = "R", -price
		}
		d.rows = append(d.rows, b.row().set("Start Date", mdy(p.Start)).set("End Date", mdy(p.End)).
			set("Vendor Identifier", x.p.sku).set("Quantity", x.units).
			set("Partner Share", money(x.proceeds, x.t.dec)).set("Extended Partner Share", money(ext, x.t.dec)).
			set("Partner Share Currency", x.t.currency).set("Sales or Return", sr).
			set("Apple Identifier", x.p.id).set("Artist/Show/Developer/Author", developerName).
			set("Title", x.p.name).set("Label/Studio/Network/Developer/Publisher", developerName).
			set("Product Type Identifier", x.typeID).set("Country Of Sale", x.t.code).
			set("Customer Price", money(price, x.t.dec)).set("Customer Currency", x.t.currency).cells)
	}
	if u.Region == "ZZ" {
		// The consolidated file, as Apple writes it (REFERENCE.md §B.9): one Total_Rows line
		// (no amount or units: the rows are in several currencies), then directly the
		// per-country summary table. Decision [I]: its Quantity is net of refunds, like the
		// FINANCE_DETAIL summary and the Payments report's Units Sold.
		d.trailer = append([]string{"", fmt.Sprintf("Total_Rows\t%d", len(d.rows))}, sums.lines()...)
		return d
	}
	// Per-region footer (REFERENCE.md §B.9), after a blank line: Total_Amount is the net
	// Σ Extended Partner Share, in the region currency's decimals (0 for JP, KR); Total_Units
	// counts the sale rows only, refunds ("R", negative Quantity) left out.
	dec := 2
	if cur := report.FinanceRegions[u.Region]; cur != "" {
		dec = decOf(cur)
	}
	d.trailer = []string{
		"",
		fmt.Sprintf("Total_Rows\t%d", len(d.rows)),
		"Total_Amount\t" + money(total/pow10(6-dec), dec),
		fmt.Sprintf("Total_Units\t%d", saleUnits),
	}
	return d
}

// countrySums are the per-country/currency totals of a finance summary table.
type countrySums map[string]*countrySum

type countrySum struct {
	country, currency string
	dec               int
	qty, ext          int64 // ext in the currency's minor units
}

func (c countrySums) add(t *territory, qty, ext int64) {
	k := t.code + "|" + t.currency
	if c[k] == nil {
		c[k] = &countrySum{country: t.code, currency: t.currency, dec: t.dec}
	}
	c[k].qty += qty
	c[k].ext += ext
}

// lines renders the summary table: its header, then one row per country and currency,
// sorted by country.
func (c countrySums) lines() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := []string{strings.Join(financeDetailSummaryHeader, "\t")}
	for _, k := range keys {
		v := c[k]
		out = append(out, fmt.Sprintf("%s\t%s\t%d\t%s", v.country, v.currency, v.qty, money(v.ext, v.dec)))
	}
	return out
}

// Decision (FINANCE_DETAIL): only Z1; any other region → 404 no sales (§B.3). Layout: preamble
// "Vendor Name", "Start Date", "End Date" lines, ONE blank line, header, data rows (one per day
// × product × storefront × kind), ONE blank line, the summary header and one row per
// country/currency sorted by country. Settlement Date = Transaction Date + 1 day. No Total_
// footer.
func (s *Server) genFinanceDetail(p fiscal.Period) *doc {
	d := &doc{
		preamble: []string{"Vendor Name\t" + developerName, "Start Date\t" + mdy(p.Start), "End Date\t" + mdy(p.End), ""},
		header:   financeDetailHeader,
	}
	b := newBuilder(d.header)
	sums := countrySums{}
	idx := map[string]int{}
	var lines []finLine
	for _, x := range s.financeSales(p, "Z1") {
		k := iso(x.day) + "|" + x.orderType + "|" + x.financeKey()
		if i, ok := idx[k]; ok {
			lines[i].units += x.units
			continue
		}
		idx[k] = len(lines)
		lines = append(lines, x)
	}
	for _, x := range lines {
		ext := x.units * x.proceeds
		sr, price := "S", x.price
		if x.refund {
			sr, price = "R", -price
		}
		d.rows = append(d.rows, b.row().set("Transaction Date", mdy(x.day)).
			set("Settlement Date", mdy(x.day.AddDate(0, 0, 1))).set("Apple Identifier", x.p.id).
			set("SKU", x.p.sku).set("Title", x.p.name).set("Developer Name", developerName).
			set("Product Type Identifier", x.typeID).set("Country of Sale", x.t.code).
			set("Quantity", x.units).set("Partner Share", money(x.proceeds, x.t.dec)).
			set("Extended Partner Share", money(ext, x.t.dec)).set("Partner Share Currency", x.t.currency).
			set("Customer Price", money(price, x.t.dec)).set("Customer Currency", x.t.currency).
			set("Sale or Return", sr).set("Order Type", x.orderType).set("Region", x.t.region).cells)
		sums.add(x.t, x.units, ext)
	}
	if len(d.rows) == 0 {
		return d
	}
	d.trailer = append([]string{""}, sums.lines()...)
	return d
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
