package simulator

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
)

// The Payments and Financial Reports file of a fiscal month (REFERENCE.md §B.9). Apple
// serves it on the App Store Connect web pages only (no API), so the simulator writes it
// as a file for `etl import`. It is built from the per-region FINANCIAL reports of the
// same period, so the two reconcile exactly:
//
//   - one row per finance region with data, named as Apple names regions ("Euro-Zone
//     (EUR)"), sorted by that name;
//   - Units Sold = the region's net Quantity (refunds subtracted, as Apple's Payments page
//     shows: 19 for a Euro-zone file whose footer says Total_Units 20);
//   - Earned = Pre-Tax Subtotal = the region's net Extended Partner Share (no carried-over
//     balance); Input Tax and Adjustments 0;
//   - Withholding Tax: decision [I], 10 % of Earned, truncated to the minor unit and
//     negative, for JP and IN (invented, to exercise the column);
//   - Total Owed = Pre-Tax Subtotal + Input Tax + Adjustments + Withholding Tax;
//   - Exchange Rate: region currency → EUR (the developer is a GmbH paid in EUR), from the
//     same fixed USD rates as the prices (data.go), to 5 places as Apple prints it;
//   - Proceeds = Total Owed × rate, rounded half away from zero to the cent, in EUR;
//   - the paid total (Σ Proceeds) as `"1,234.56" EUR` in the 11th cell, then a "Paid to"
//     line. Every value is quoted, with thousands separators.

const (
	paymentsBank     = "Ascetl Bank AG -****1299"
	bankCurrency     = "EUR"
	bankPerUSD       = 92 // EUR cents per USD, as territories' EUR "per"
	withholdingPct   = 10
	paymentsRateDecs = 5
)

var paymentsHeader = "Region (Currency),Units Sold,Earned,Pre-Tax Subtotal,Input Tax,Adjustments,Withholding Tax,Total Owed,Exchange Rate,Proceeds,Bank Account Currency"

// regionNames are Apple's Payments names of the finance regions the simulator sells in.
var regionNames = map[string]string{
	"US": "Americas", "CA": "Canada", "MX": "Mexico", "BR": "Brazil", "LL": "Latin America and the Caribbean",
	"WW": "Rest of World", "EU": "Euro-Zone", "GB": "United Kingdom", "CH": "Switzerland", "SE": "Sweden",
	"NO": "Norway", "DK": "Denmark", "PL": "Poland", "TR": "Turkey", "SA": "Saudi Arabia",
	"AE": "United Arab Emirates", "ZA": "South Africa", "IL": "Israel", "JP": "Japan", "AU": "Australia",
	"NZ": "New Zealand", "CN": "China mainland", "HK": "Hong Kong", "TW": "Taiwan", "SG": "Singapore",
	"TH": "Thailand", "IN": "India", "KR": "Korea",
}

var withholdingRegions = map[string]bool{"JP": true, "IN": true}

// paymentRow is one region of a Payments report, amounts in minor units.
type paymentRow struct {
	name, currency      string
	dec                 int
	units               int64
	earned, withholding int64 // region currency
	owed                int64
	rate                int64 // × 10^-5
	proceeds            int64 // bank currency cents
}

// PaymentsReport renders the Payments and Financial Reports CSV of a fiscal period ("YYYY-MM")
// as Apple's web page downloads it. name is a file name `etl import` recognises
// (Payments_<vendor>_<YYYYPP>.csv, carrying the vendor number). It fails for a period that
// is not published yet, is past retention or has no finance data.
func (s *Server) PaymentsReport(fiscalPeriod string) (name string, body []byte, err error) {
	p, err := fiscal.Parse(fiscalPeriod)
	if err != nil || p.String() != fiscalPeriod {
		return "", nil, fmt.Errorf("payments report: fiscal period %q: want YYYY-MM", fiscalPeriod)
	}
	rows, err := s.paymentRows(p)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	commas := strings.Repeat(",", 10)
	month := (p.Number+8)%12 + 1
	year := p.Year
	if p.Number <= 3 {
		year--
	}
	fmt.Fprintf(&b, "\"iTunes Connect - Payments and Financial Reports\t(%s, %d)\"\n%s\n%s\n%s\n",
		monthName(month), year, commas, commas, paymentsHeader)
	var paid int64
	for _, r := range rows {
		fmt.Fprintf(&b, "%s (%s),%s\n", r.name, r.currency, quoted(
			thousands(fmt.Sprint(r.units)), amount(r.earned, r.dec), amount(r.earned, r.dec), "0", "0",
			orZero(-r.withholding, r.dec), amount(r.owed, r.dec), money(r.rate, paymentsRateDecs),
			amount(r.proceeds, 2), bankCurrency))
		paid += r.proceeds
	}
	fmt.Fprintf(&b, "%s\n%s\n%s\"%s\" %s\n%s\n\"Paid to %s\"%s\n", commas, commas, commas,
		amount(paid, 2), bankCurrency, commas, paymentsBank, commas)
	return fmt.Sprintf("Payments_%s_%d%02d.csv", s.opt.Vendor, p.Year, p.Number), []byte(b.String()), nil
}

// WritePaymentsReport writes PaymentsReport's file into dir and returns its path.
func (s *Server) WritePaymentsReport(dir, fiscalPeriod string) (string, error) {
	name, body, err := s.PaymentsReport(fiscalPeriod)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, body, 0o644)
}

// paymentRows computes the regions of a Payments report from the FINANCIAL truth.
func (s *Server) paymentRows(p fiscal.Period) ([]paymentRow, error) {
	var rows []paymentRow
	for code, name := range regionNames {
		u := report.Unit{Family: report.Finance, Type: report.Financial, Region: code, Vendor: s.opt.Vendor, Period: p.String()}
		if e := s.availability(u); e != nil {
			return nil, fmt.Errorf("payments report %s: %s", p, e.detail)
		}
		rep := s.report(u, "")
		if len(rep.doc.rows) == 0 {
			continue
		}
		cur := report.FinanceRegions[code]
		t := territoryOf(cur)
		r := paymentRow{name: name, currency: cur, dec: t.dec, units: rep.truth.Units}
		r.earned = rep.truth.Proceeds[cur] / pow10(6-t.dec)
		if withholdingRegions[code] {
			r.withholding = r.earned * withholdingPct / 100
		}
		r.owed = r.earned - r.withholding
		// rate = (EUR per USD) / (currency per USD), to 5 places, rounded half up.
		num, den := int64(bankPerUSD)*pow10(t.dec)*pow10(paymentsRateDecs), 100*t.per
		r.rate = (2*num + den) / (2 * den)
		r.proceeds = roundDiv(r.owed*r.rate*100, pow10(t.dec)*pow10(paymentsRateDecs))
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("payments report %s: no finance data", p)
	}
	slices.SortFunc(rows, func(a, b paymentRow) int { return strings.Compare(a.name, b.name) })
	return rows, nil
}

// territoryOf is the first storefront priced in the currency (its per and decimals).
func territoryOf(cur string) *territory {
	for i := range territories {
		if territories[i].currency == cur {
			return &territories[i]
		}
	}
	panic("simulator: no territory in " + cur)
}

// roundDiv is n/d rounded half away from zero (d > 0).
func roundDiv(n, d int64) int64 {
	if n < 0 {
		return -((-n*2 + d) / (2 * d))
	}
	return (n*2 + d) / (2 * d)
}

// amount is money() with thousands separators, as the Payments page writes it.
func amount(minor int64, dec int) string { return thousands(money(minor, dec)) }

// orZero is amount, but "0" for zero, as Apple writes empty taxes ("0", "-37").
func orZero(minor int64, dec int) string {
	if minor == 0 {
		return "0"
	}
	return amount(minor, dec)
}

// thousands inserts "," every three digits of the integer part: "-1234.5" → "-1,234.5".
func thousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	ip, fp, dot := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range ip {
		if i > 0 && (len(ip)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if dot {
		b.WriteString("." + fp)
	}
	return sign + b.String()
}

// quoted joins cells, each in double quotes.
func quoted(cells ...string) string {
	return `"` + strings.Join(cells, `","`) + `"`
}

func monthName(m int) string {
	return [...]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}[m-1]
}
