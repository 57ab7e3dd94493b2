// Package reconcile compares the report families with each other (`etl reconcile`): finance
// with sales, the consolidated finance file with the regional ones, FINANCE_DETAIL with
// FINANCIAL, the finance footers and summary tables with the rows, the Payments report with
// finance, and analytics purchases with sales. Each Check names what it compares, its
// tolerance and the differences known to occur; its SQL lives in queries/reconcile (embedded)
// and runs in DuckDB through the small DB interface that internal/warehouse implements, so this
// package, its definitions and the result table build and test without DuckDB.
package reconcile

import (
	"fmt"
	"math/big"
	"strings"
)

// Check is one reconciliation. Its SQL (queries/reconcile/<Name>.sql) returns one row per
// scope and measure with the columns vendor, fiscal_period, scope, currency, measure,
// expected, actual and skip_reason (text or NULL); Run turns each row into a Row with its
// difference, allowance and result.
type Check struct {
	Name  string // also the SQL file name
	Title string
	// Expected and Actual say which figure is which (difference = actual − expected).
	Expected, Actual string
	// Measures are the figures compared per scope, in display order.
	Measures []string
	// Tolerances by measure; a measure without one must match exactly.
	Tolerances map[string]Tolerance
	// Known lists the differences known to occur between the two sides, in words; it is the
	// note of a failing scope and the README's explanation.
	Known string
	// None is the note when the data has nothing to compare (every scope absent).
	None string
}

// Tolerance is the largest |actual − expected| a scope may show and still pass: Abs, or Rel
// times |expected|, whichever is larger. Both are decimals ("0.01"; Rel "0.02" = 2 %).
type Tolerance struct {
	Abs, Rel string
}

// Allowed is the allowance for one expected figure.
func (t Tolerance) Allowed(expected *big.Rat) *big.Rat {
	a := ratOf(t.Abs)
	if r := ratOf(t.Rel); r.Sign() > 0 && expected != nil {
		rel := new(big.Rat).Mul(r, new(big.Rat).Abs(expected))
		if rel.Cmp(a) > 0 {
			a = rel
		}
	}
	return a
}

// String writes the tolerance as the table shows it: "exact", "±0.01", "±2%", "±2 or ±10%".
func (t Tolerance) String() string {
	abs, rel := ratOf(t.Abs), ratOf(t.Rel)
	var parts []string
	if abs.Sign() > 0 {
		parts = append(parts, "±"+FormatRat(abs))
	}
	if rel.Sign() > 0 {
		parts = append(parts, "±"+FormatRat(new(big.Rat).Mul(rel, big.NewRat(100, 1)))+"%")
	}
	if len(parts) == 0 {
		return "exact"
	}
	return strings.Join(parts, " or ")
}

// Tolerance returns the tolerance of one measure.
func (c Check) Tolerance(measure string) Tolerance { return c.Tolerances[measure] }

// ToleranceText is every measure's tolerance, e.g. "units exact, proceeds ±0.01".
func (c Check) ToleranceText() string {
	parts := make([]string, 0, len(c.Measures))
	for _, m := range c.Measures {
		parts = append(parts, m+" "+c.Tolerance(m).String())
	}
	return strings.Join(parts, ", ")
}

var unitsProceeds = []string{"units", "proceeds"}

// Checks are the reconciliations, in the order they run and print.
func Checks() []Check {
	return []Check{
		{
			Name: "finance_vs_sales", Title: "Finance versus sales",
			Expected: "FINANCIAL (the ZZ file, else the regional files)", Actual: "SALES daily rows with proceeds",
			Measures:   unitsProceeds,
			Tolerances: map[string]Tolerance{"units": {Rel: "0.01"}, "proceeds": {Rel: "0.02"}},
			Known: "sales days are Pacific calendar days while a fiscal month is whole Sunday-Saturday weeks, " +
				"so a transaction near a boundary can fall in the neighbouring month; a refund counts in sales " +
				"on the day it happens and in finance when it settles; free units (proceeds 0: free downloads, " +
				"updates, redownloads) are never in finance and are left out; sales proceeds are Apple's " +
				"estimate, finance proceeds what was settled (tax and price adjustments)",
			None: "no fiscal month has both FINANCIAL and sales data",
		},
		{
			Name: "zz_vs_regional", Title: "ZZ versus the regional FINANCIAL reports",
			Expected: "the regional FINANCIAL files", Actual: "the ZZ (all regions) file",
			Measures: unitsProceeds,
			Known: "the same transactions in two files: any difference is a file loaded from another " +
				"version of the report, or a region missing",
			None: "no regional FINANCIAL file beside a ZZ file (finance.regions: [ZZ] loads the ZZ file only)",
		},
		{
			Name: "detail_vs_financial", Title: "FINANCE_DETAIL versus FINANCIAL",
			Expected: "FINANCIAL (the ZZ file, else the regional files)", Actual: "FINANCE_DETAIL (Z1) rows",
			Measures:   unitsProceeds,
			Tolerances: map[string]Tolerance{"proceeds": {Abs: "0.01"}},
			Known: "FINANCE_DETAIL lists the fiscal month's transactions day by day: the month's net units " +
				"and proceeds agree; proceeds may differ by a cent of rounding",
			None: "no fiscal month has both FINANCE_DETAIL and FINANCIAL (finance.detail)",
		},
		{
			Name: "footers", Title: "FINANCIAL footers versus the stored rows",
			Expected: "the Total_Rows / Total_Amount / Total_Units lines", Actual: "the rows stored in finance_financial",
			Measures: []string{"rows", "units", "proceeds"},
			Known: "the loader refuses a file whose footer disagrees with its rows, so a difference means the " +
				"stored Parquet changed after the file was loaded (a partial rewrite, a bad reparse)",
			None: "no FINANCIAL file loaded",
		},
		{
			Name: "summary_vs_rows", Title: "ZZ and FINANCE_DETAIL summary tables versus the rows",
			Expected: "Apple's per-country summary table (finance_summary)", Actual: "the rows of the same file",
			Measures: unitsProceeds,
			Known: "a cut-down or hand-edited file may list countries its rows lack; Apple's summary counts " +
				"net units (the sale units are accepted too)",
			None: "no ZZ or FINANCE_DETAIL summary table loaded",
		},
		{
			Name: "payments_vs_finance", Title: "Payments report versus finance",
			Expected: "FINANCIAL (the ZZ file, else the regional files)", Actual: "the Payments report's Units Sold and Earned",
			Measures:   unitsProceeds,
			Tolerances: map[string]Tolerance{"proceeds": {Abs: "0.01"}},
			Known: "Earned is before taxes, adjustments and the exchange into the bank's currency, and " +
				"includes no balance carried over; regions of one currency are summed (a ZZ file does not " +
				"name the region of a row)",
			None: "no Payments report imported (etl import Payments_<vendor>_<YYYYPP>.csv)",
		},
		{
			Name: "analytics_vs_sales", Title: "Analytics purchases versus sales in-app units",
			Expected: "SALES daily in-app purchase and subscription units (IA*, FI*)", Actual: "App Store Purchases Standard, DAILY, latest instance",
			Measures:   []string{"purchases"},
			Tolerances: map[string]Tolerance{"purchases": {Abs: "2", Rel: "0.10"}},
			Known: "Apple restates analytics for days (only final dates are compared) and withholds rows " +
				"below its privacy thresholds; its day may not be the Pacific day of the sales report",
			None: "no day has both sales and App Store Purchases rows (analytics.enabled)",
		},
	}
}

// LookupCheck finds a check by name.
func LookupCheck(name string) (Check, bool) {
	for _, c := range Checks() {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// CheckNames lists the checks' names, for messages.
func CheckNames() string {
	var names []string
	for _, c := range Checks() {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// ratOf parses a decimal constant of the definitions above (they are tested to parse).
func ratOf(s string) *big.Rat {
	if s == "" {
		return new(big.Rat)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(fmt.Sprintf("reconcile: bad decimal %q", s))
	}
	return r
}

// FormatRat writes r as a decimal with at most 6 places and no trailing zeros: 12.5, -3, 0.01.
func FormatRat(r *big.Rat) string {
	if r == nil {
		return ""
	}
	s := r.FloatString(6)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
