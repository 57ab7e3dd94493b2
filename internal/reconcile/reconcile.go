package reconcile

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/queries"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
)

// DB is what a reconciliation needs of the SQL engine: a database holding one view per
// table (and the analytics _latest views), as internal/warehouse builds it. *warehouse.DB
// implements it; tests use a fake.
type DB interface {
	// TextTable creates, or replaces, the table name with VARCHAR columns holding rows.
	TextTable(ctx context.Context, name string, columns []string, rows [][]string) error
	// Exec runs one statement.
	Exec(ctx context.Context, stmt string) error
	// QueryText runs a query and returns its cells as text, nil for NULL.
	QueryText(ctx context.Context, query string) (columns []string, rows [][]*string, err error)
}

// Outcome of one scope.
type Outcome string

const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	Skip Outcome = "skip" // not comparable (the reason is in Note)
)

// Row is one check's result for one scope and measure (one row of reconcile_results).
type Row struct {
	Check        string
	Vendor       string
	FiscalPeriod string
	Scope        string
	Currency     string
	Measure      string
	// Expected and Actual are the two figures, Difference = Actual − Expected and Allowed the
	// largest |Difference| the tolerance allows here; nil when a figure is unknown.
	Expected, Actual, Difference, Allowed *big.Rat
	Tolerance                             string
	Result                                Outcome
	Note                                  string
}

// Report is one reconciliation run.
type Report struct {
	RunID     string
	CheckedAt time.Time
	Checks    []Check
	Rows      []Row // in check order, then as each check's SQL orders them
}

// Input is what a run needs besides the database.
type Input struct {
	RunID string
	Now   time.Time
	// Ledger is the bucket's ledger: its loaded and empty units say which sales days and
	// finance reports were fetched (an empty unit is covered: Apple had no data).
	Ledger []load.Entry
	// Checks restricts the run to these checks (by name); empty: all.
	Checks []string
}

// Run fills the helper tables (recon_ledger, recon_fiscal, recon_regions), creates the
// helper views (queries/reconcile/setup_*.sql), then runs every check and judges its rows.
func Run(ctx context.Context, db DB, in Input) (*Report, error) {
	checks, err := selectChecks(in.Checks)
	if err != nil {
		return nil, err
	}
	if err := setup(ctx, db, in); err != nil {
		return nil, err
	}
	rep := &Report{RunID: in.RunID, CheckedAt: in.Now.UTC(), Checks: checks}
	for _, c := range checks {
		q, ok := queries.ReconcileCheck(c.Name)
		if !ok {
			return nil, fmt.Errorf("reconcile %s: no SQL (queries/reconcile/%s.sql)", c.Name, c.Name)
		}
		cols, rows, err := db.QueryText(ctx, q.SQL)
		if err != nil {
			return nil, fmt.Errorf("reconcile %s: %w", c.Name, err)
		}
		got, err := judge(c, cols, rows)
		if err != nil {
			return nil, fmt.Errorf("reconcile %s: %w", c.Name, err)
		}
		rep.Rows = append(rep.Rows, got...)
	}
	return rep, nil
}

func selectChecks(names []string) ([]Check, error) {
	if len(names) == 0 {
		return Checks(), nil
	}
	var out []Check
	for _, c := range Checks() {
		if slices.Contains(names, c.Name) {
			out = append(out, c)
		}
	}
	for _, n := range names {
		if _, ok := LookupCheck(n); !ok {
			return nil, fmt.Errorf("reconcile: unknown check %q (checks: %s)", n, CheckNames())
		}
	}
	return out, nil
}

// setup creates the helper tables and views the checks read.
func setup(ctx context.Context, db DB, in Input) error {
	if err := db.TextTable(ctx, "recon_ledger", []string{"family", "type", "sub_type", "frequency", "vendor", "region", "period", "state"}, ledgerRows(in.Ledger)); err != nil {
		return fmt.Errorf("reconcile setup: %w", err)
	}
	if err := db.TextTable(ctx, "recon_fiscal", []string{"fiscal_period", "start_date", "end_date", "days"}, calendarRows(in.Now)); err != nil {
		return fmt.Errorf("reconcile setup: %w", err)
	}
	if err := db.TextTable(ctx, "recon_regions", []string{"region", "currency"}, regionRows()); err != nil {
		return fmt.Errorf("reconcile setup: %w", err)
	}
	for _, q := range queries.ReconcileSetup() {
		if err := db.Exec(ctx, q.SQL); err != nil {
			return fmt.Errorf("reconcile setup %s: %w", q.Name, err)
		}
	}
	return nil
}

// ledgerRows are the sales and finance units the ledger has as loaded or empty (a loaded
// unit whose last attempt failed keeps its data, so it counts). The checks need no other
// family's coverage.
func ledgerRows(es []load.Entry) [][]string {
	var out [][]string
	for _, e := range es {
		if e.State != load.Loaded && e.State != load.Empty || e.Unit.Family != report.Sales && e.Unit.Family != report.Finance {
			continue
		}
		u := e.Unit
		out = append(out, []string{string(u.Family), u.Type, u.SubType, u.Frequency, u.Vendor, u.Region, u.Period, string(e.State)})
	}
	return out
}

// firstFiscalYear is the first year of the calendar the checks see: Apple's reports reach
// back to 2009 at most (its oldest finance layout).
const firstFiscalYear = 2008

// calendarRows is Apple's fiscal calendar from firstFiscalYear to the year after now's.
func calendarRows(now time.Time) [][]string {
	var out [][]string
	for fy := firstFiscalYear; fy <= fiscal.Of(now).Year+1; fy++ {
		for n := 1; n <= 12; n++ {
			p, err := fiscal.New(fy, n)
			if err != nil {
				panic(err) // fy and n are in range
			}
			days := int(p.End.Sub(p.Start).Hours()/24) + 1
			out = append(out, []string{p.String(), p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly), fmt.Sprint(days)})
		}
	}
	return out
}

// regionRows are the finance regions and their currencies (ZZ and Z1 are not regions).
func regionRows() [][]string {
	var out [][]string
	for r, cur := range report.FinanceRegions {
		if cur != "" {
			out = append(out, []string{r, cur})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

const maxExponent = 40

// resultColumns is the column contract of a check's SQL.
var resultColumns = []string{"vendor", "fiscal_period", "scope", "currency", "measure", "expected", "actual", "skip_reason"}

// judge turns a check's rows into results.
func judge(c Check, cols []string, rows [][]*string) ([]Row, error) {
	idx := map[string]int{}
	for i, n := range cols {
		idx[n] = i
	}
	for _, n := range resultColumns {
		if _, ok := idx[n]; !ok {
			return nil, fmt.Errorf("result has no column %q (columns %v)", n, cols)
		}
	}
	out := make([]Row, 0, len(rows))
	for line, r := range rows {
		get := func(n string) *string { return r[idx[n]] }
		text := func(n string) string {
			if v := get(n); v != nil {
				return *v
			}
			return ""
		}
		row := Row{Check: c.Name, Vendor: text("vendor"), FiscalPeriod: text("fiscal_period"), Scope: text("scope"),
			Currency: text("currency"), Measure: text("measure")}
		row.Tolerance = c.Tolerance(row.Measure).String()
		var err error
		if row.Expected, err = figure(get("expected")); err != nil {
			return nil, fmt.Errorf("row %d (%s %s): expected: %w", line+1, row.Scope, row.Measure, err)
		}
		if row.Actual, err = figure(get("actual")); err != nil {
			return nil, fmt.Errorf("row %d (%s %s): actual: %w", line+1, row.Scope, row.Measure, err)
		}
		decide(c, &row, text("skip_reason"))
		out = append(out, row)
	}
	return out, nil
}

// figure parses a decimal cell (nil: NULL). An exponent is refused beyond ±maxExponent:
// big.Rat would expand 1e999999999 in full.
func figure(s *string) (*big.Rat, error) {
	if s == nil {
		return nil, nil
	}
	if i := strings.IndexAny(*s, "eE"); i >= 0 {
		if e, err := strconv.Atoi((*s)[i+1:]); err != nil || e > maxExponent || e < -maxExponent {
			return nil, fmt.Errorf("not a number in range: %q", *s)
		}
	}
	r, ok := new(big.Rat).SetString(*s)
	if !ok {
		return nil, fmt.Errorf("not a number: %q", *s)
	}
	return r, nil
}

// decide computes a row's difference and allowance and its outcome.
func decide(c Check, row *Row, skip string) {
	if row.Expected != nil && row.Actual != nil {
		row.Difference = new(big.Rat).Sub(row.Actual, row.Expected)
		row.Allowed = c.Tolerance(row.Measure).Allowed(row.Expected)
	}
	switch {
	case skip != "":
		row.Result, row.Note = Skip, skip
	case row.Difference == nil:
		row.Result, row.Note = Skip, "a figure is missing"
	case new(big.Rat).Abs(row.Difference).Cmp(row.Allowed) <= 0:
		row.Result = Pass
	default:
		row.Result, row.Note = Fail, c.Known
	}
}

// Failed reports whether any scope failed.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Rows, func(x Row) bool { return x.Result == Fail })
}
