package reconcile

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/queries"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// fakeDB records what Run asks of the database and answers each check with canned rows.
type fakeDB struct {
	tables map[string][][]string
	execs  []string
	asked  []string
	rows   map[string][][]*string // by check name (the SQL file's first line identifies it)
	fail   string                 // a check whose query fails
}

func (f *fakeDB) TextTable(_ context.Context, name string, cols []string, rows [][]string) error {
	if f.tables == nil {
		f.tables = map[string][][]string{}
	}
	f.tables[name] = append([][]string{cols}, rows...)
	return nil
}

func (f *fakeDB) Exec(_ context.Context, stmt string) error {
	f.execs = append(f.execs, stmt)
	return nil
}

func (f *fakeDB) QueryText(_ context.Context, q string) ([]string, [][]*string, error) {
	for _, c := range queries.ReconcileChecks() {
		if c.SQL == q {
			f.asked = append(f.asked, c.Name)
			if c.Name == f.fail {
				return nil, nil, errors.New("boom")
			}
			return resultColumns, f.rows[c.Name], nil
		}
	}
	return nil, nil, errors.New("unknown query")
}

func p(s string) *string { return &s }

// row is a result row: vendor, period, scope, currency, measure, expected, actual, skip.
func row(measure string, expected, actual, skip *string) []*string {
	return []*string{p("85012345"), p("2026-02"), p("currency=EUR"), p("EUR"), p(measure), expected, actual, skip}
}

func TestToleranceAllowedAndString(t *testing.T) {
	tests := []struct {
		tol      Tolerance
		expected string
		allowed  string
		text     string
	}{
		{Tolerance{}, "1234", "0", "exact"},
		{Tolerance{Abs: "0.01"}, "1234", "0.01", "±0.01"},
		{Tolerance{Rel: "0.02"}, "-500", "10", "±2%"},
		{Tolerance{Abs: "2", Rel: "0.10"}, "5", "2", "±2 or ±10%"},
		{Tolerance{Abs: "2", Rel: "0.10"}, "300", "30", "±2 or ±10%"},
	}
	for _, tt := range tests {
		got := FormatRat(tt.tol.Allowed(ratOf(tt.expected)))
		if got != tt.allowed || tt.tol.String() != tt.text {
			t.Errorf("%+v at %s: allowed %s %q, want %s %q", tt.tol, tt.expected, got, tt.tol.String(), tt.allowed, tt.text)
		}
	}
}

func TestChecksHaveSQLAndValidTolerances(t *testing.T) {
	var names []string
	for _, c := range Checks() {
		names = append(names, c.Name)
		q, ok := queries.ReconcileCheck(c.Name)
		if !ok {
			t.Errorf("%s: no queries/reconcile/%s.sql", c.Name, c.Name)
			continue
		}
		for _, col := range resultColumns {
			if !strings.Contains(q.SQL, col) {
				t.Errorf("%s.sql never names the result column %s", c.Name, col)
			}
		}
		for _, m := range c.Measures {
			if !strings.Contains(q.SQL, "'"+m+"'") {
				t.Errorf("%s.sql has no measure '%s'", c.Name, m)
			}
		}
		for m, tol := range c.Tolerances {
			if !slices.Contains(c.Measures, m) {
				t.Errorf("%s: tolerance for unknown measure %s", c.Name, m)
			}
			for _, s := range []string{tol.Abs, tol.Rel} {
				if _, ok := new(big.Rat).SetString(s); s != "" && !ok {
					t.Errorf("%s %s: bad decimal %q", c.Name, m, s)
				}
			}
		}
		if c.Title == "" || c.Expected == "" || c.Actual == "" || c.Known == "" || c.None == "" || len(c.Measures) == 0 {
			t.Errorf("%s: incomplete definition %+v", c.Name, c)
		}
	}
	var files []string
	for _, q := range queries.ReconcileChecks() {
		files = append(files, q.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, files) {
		t.Errorf("checks %v, SQL files %v", names, files)
	}
	if len(queries.ReconcileSetup()) == 0 {
		t.Error("no setup SQL")
	}
}

func TestJudge(t *testing.T) {
	c, _ := LookupCheck("finance_vs_sales") // units ±1%, proceeds ±2%
	rows := [][]*string{
		row("units", p("1000"), p("1010"), nil),       // at the edge: pass
		row("units", p("1000"), p("989"), nil),        // 11 > 10: fail
		row("proceeds", p("100.50"), p("98.49"), nil), // 2.01 ≤ 2.01: pass
		row("units", p("1000"), p("5"), p("sales cover 3 of the 28 days")),
		row("proceeds", nil, p("3"), nil),
	}
	got, err := judge(c, resultColumns, rows)
	if err != nil {
		t.Fatal(err)
	}
	type out struct {
		Result        Outcome
		Diff, Allowed string
		Note          string
	}
	var have []out
	for _, r := range got {
		have = append(have, out{r.Result, FormatRat(r.Difference), FormatRat(r.Allowed), r.Note})
	}
	want := []out{
		{Pass, "10", "10", ""},
		{Fail, "-11", "10", c.Known},
		{Pass, "-2.01", "2.01", ""},
		{Skip, "-995", "10", "sales cover 3 of the 28 days"},
		{Skip, "", "", "a figure is missing"},
	}
	if !reflect.DeepEqual(want, have) {
		t.Errorf("judge:\n got %+v\nwant %+v", have, want)
	}
	if got[0].Tolerance != "±1%" || got[2].Tolerance != "±2%" || got[0].Scope != "currency=EUR" || got[0].Vendor != "85012345" {
		t.Errorf("row 1: %+v", got[0])
	}
	// A malformed figure names the row and the column; a missing column is named too.
	if _, err := judge(c, resultColumns, [][]*string{row("units", p("1"), p("x1"), nil)}); err == nil || !strings.Contains(err.Error(), "row 1") || !strings.Contains(err.Error(), "actual") {
		t.Errorf("bad figure: %v", err)
	}
	if _, err := judge(c, resultColumns, [][]*string{row("units", p("1e999999999"), p("1"), nil)}); err == nil || !strings.Contains(err.Error(), "expected") {
		t.Errorf("huge exponent: %v", err)
	}
	if got, err := judge(c, resultColumns, [][]*string{row("units", p("1.5e3"), p("1500"), nil)}); err != nil || got[0].Result != Pass {
		t.Errorf("exponent: %+v %v", got, err)
	}
	if _, err := judge(c, resultColumns[:7], nil); err == nil || !strings.Contains(err.Error(), "skip_reason") {
		t.Errorf("missing column: %v", err)
	}
}

func FuzzJudge(f *testing.F) {
	f.Add("1000", "1010", "")
	f.Add("-0.5", "1e3", "x")
	f.Add("", "1/3", "")
	c, _ := LookupCheck("analytics_vs_sales")
	f.Fuzz(func(t *testing.T, e, a, skip string) {
		var sk *string
		if skip != "" {
			sk = &skip
		}
		rows, err := judge(c, resultColumns, [][]*string{row("purchases", &e, &a, sk)})
		if err != nil {
			return
		}
		r := rows[0]
		switch {
		case sk != nil && (r.Result != Skip || r.Note != skip):
			t.Fatalf("skip reason %q gave %s %q", skip, r.Result, r.Note)
		case r.Result == Pass && new(big.Rat).Abs(r.Difference).Cmp(r.Allowed) > 0:
			t.Fatalf("pass beyond the allowance: %+v", r)
		case r.Result == Fail && new(big.Rat).Abs(r.Difference).Cmp(r.Allowed) <= 0:
			t.Fatalf("fail within the allowance: %+v", r)
		}
	})
}

func TestRunFillsHelpersAndRunsEveryCheck(t *testing.T) {
	db := &fakeDB{rows: map[string][][]*string{
		"finance_vs_sales": {row("units", p("10"), p("10"), nil)},
		"footers":          {row("rows", p("10"), p("11"), nil)},
	}}
	sales := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: "1", Period: "2026-11-20"}
	fin := report.Unit{Family: report.Finance, Type: report.Financial, Region: "ZZ", Vendor: "1", Period: "2026-02"}
	ledger := []load.Entry{
		{Unit: sales, State: load.Loaded},
		{Unit: fin, State: load.Empty},
		{Unit: report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: "1", Period: "2026-11-21"}, State: load.Pending},
		{Unit: report.Unit{Family: report.Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "9", Period: "2026-11-21"}, State: load.Loaded},
	}
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	rep, err := Run(context.Background(), db, Input{RunID: "r1", Now: now, Ledger: ledger})
	if err != nil {
		t.Fatal(err)
	}
	wantLedger := [][]string{
		{"family", "type", "sub_type", "frequency", "vendor", "region", "period", "state"},
		{"sales", "SALES", "SUMMARY", "DAILY", "1", "", "2026-11-20", "loaded"},
		{"finance", "FINANCIAL", "", "", "1", "ZZ", "2026-02", "empty"},
	}
	if got := db.tables["recon_ledger"]; !reflect.DeepEqual(wantLedger, got) {
		t.Errorf("recon_ledger:\n got %q\nwant %q", got, wantLedger)
	}
	cal := db.tables["recon_fiscal"]
	if !slices.ContainsFunc(cal, func(r []string) bool { return slices.Equal(r, []string{"2026-12", "2026-08-30", "2026-09-26", "28"}) }) ||
		!slices.ContainsFunc(cal, func(r []string) bool { return r[0] == "2028-12" }) {
		t.Errorf("recon_fiscal lacks FY2026 P12 or next year's months (%d rows)", len(cal))
	}
	if regs := db.tables["recon_regions"]; !slices.ContainsFunc(regs, func(r []string) bool { return slices.Equal(r, []string{"WW", "USD"}) }) ||
		slices.ContainsFunc(regs, func(r []string) bool { return r[0] == "ZZ" || r[0] == "Z1" }) {
		t.Errorf("recon_regions: %v", regs)
	}
	if len(db.execs) != len(queries.ReconcileSetup()) {
		t.Errorf("%d setup statements run, want %d", len(db.execs), len(queries.ReconcileSetup()))
	}
	var order []string
	for _, c := range Checks() {
		order = append(order, c.Name)
	}
	if !slices.Equal(db.asked, order) {
		t.Errorf("checks asked %v, want %v", db.asked, order)
	}
	if !rep.Failed() || len(rep.Rows) != 2 || rep.Rows[1].Result != Fail || rep.RunID != "r1" || !rep.CheckedAt.Equal(now) {
		t.Errorf("report: %+v", rep)
	}
	sums := rep.Summaries()
	if sums[0].Result != Pass || sums[1].Result != Skip || sums[3].Result != Fail || sums[3].Worst == nil {
		t.Errorf("summaries: %+v", sums)
	}

	// One check, and errors.
	db = &fakeDB{}
	if _, err := Run(context.Background(), db, Input{Now: now, Checks: []string{"footers"}}); err != nil || !slices.Equal(db.asked, []string{"footers"}) {
		t.Errorf("--check footers: asked %v, %v", db.asked, err)
	}
	if _, err := Run(context.Background(), &fakeDB{}, Input{Now: now, Checks: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "finance_vs_sales") {
		t.Errorf("unknown check: %v", err)
	}
	if _, err := Run(context.Background(), &fakeDB{fail: "footers"}, Input{Now: now}); err == nil || !strings.Contains(err.Error(), "reconcile footers: boom") {
		t.Errorf("failing query: %v", err)
	}
}

func testReport() *Report {
	c, _ := LookupCheck("payments_vs_finance")
	a, _ := LookupCheck("analytics_vs_sales")
	r := &Report{RunID: "20261203T150000Z-0a1b2c3d", CheckedAt: time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC), Checks: []Check{c, a}}
	mk := func(ch Check, scope, measure, e, a, skip string) Row {
		x := Row{Check: ch.Name, Vendor: "85012345", FiscalPeriod: "2026-02", Scope: scope, Currency: "EUR", Measure: measure,
			Expected: ratOf(e), Actual: ratOf(a), Tolerance: ch.Tolerance(measure).String()}
		decide(ch, &x, skip)
		return x
	}
	r.Rows = []Row{
		mk(c, "currency=EUR", "units", "2066", "2076", ""),
		mk(c, "currency=EUR", "proceeds", "13881.54", "13881.54", ""),
		mk(c, "currency=JPY", "proceeds", "1/3", "0", ""), // more places than the table keeps: rounded
		mk(a, "app=1 date=2026-11-20", "purchases", "100", "95", ""),
		mk(a, "app=1 date=2026-12-01", "purchases", "100", "30", "analytics may still restate this date (not final)"),
	}
	r.Rows[3].Currency = ""
	return r
}

func TestPrint(t *testing.T) {
	var b bytes.Buffer
	testReport().Print(&b, false)
	out := b.String()
	for _, want := range []string{
		"reconcile 20261203T150000Z-0a1b2c3d: 2 checks, 1 failed",
		"payments_vs_finance  fail    1     2     0     units exact, proceeds ±0.01",
		// The largest difference relative to the expected figure: 1/3 of 1/3, not 10 of 2066.
		"vendor=85012345 2026-02 currency=JPY proceeds            0.333333  0       -0.333333",
		"payments_vs_finance  vendor=85012345 2026-02 currency=EUR  units     2066      2076    +10         0        fail",
		"analytics_vs_sales   pass    1     0     1     purchases ±2 or ±10%",
		"failed:",
		"payments_vs_finance: expected = FINANCIAL",
		"skipped:\n  analytics_vs_sales: 1 × analytics may still restate this date (not final)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "every scope:") {
		t.Error("every scope printed without all")
	}
	b.Reset()
	testReport().Print(&b, true)
	if !strings.Contains(b.String(), "every scope:") || strings.Count(b.String(), "app=1 date=") != 3 { // worst, then 2 rows
		t.Errorf("all:\n%s", b.String())
	}
}

func TestRecordAndStore(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := testReport()
	rec, err := r.Record(mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, _ := schemas.Lookup(schemas.ReconcileResultsTable)
	if !rec.Schema().Equal(tbl.ArrowSchema(nil)) || rec.NumRows() != 5 {
		t.Fatalf("record schema %v, %d rows", rec.Schema(), rec.NumRows())
	}
	col := func(name string) int { return rec.Schema().FieldIndices(name)[0] }
	dec := rec.Column(col("expected")).(*array.Decimal128)
	if got := dec.Value(2).ToString(6); got != "0.333333" {
		t.Errorf("1/3 stored as %s", got)
	}
	if got := rec.Column(col("difference")).(*array.Decimal128).Value(0).ToString(6); got != "10.000000" {
		t.Errorf("difference %s", got)
	}
	if !rec.Column(col("currency")).IsNull(3) || rec.Column(col("note")).IsNull(4) || !rec.Column(col("note")).IsNull(1) {
		t.Error("nulls: currency of row 4, note of row 2 should be null; note of the skipped row set")
	}
	if s := rec.Column(col("result")).(*array.String); s.Value(0) != "fail" || s.Value(4) != "skip" {
		t.Errorf("results %v", s)
	}
	if s := rec.Column(col(schemas.LineageSourceKey)).(*array.String); s.Value(0) != "reconcile/20261203T150000Z-0a1b2c3d" {
		t.Errorf("source key %s", s.Value(0))
	}
	rec.Release()

	big := testReport()
	big.Rows[0].Expected = ratOf("1e12")
	if _, err := big.Record(mem); err == nil || !strings.Contains(err.Error(), "does not fit") || !strings.Contains(err.Error(), "payments_vs_finance currency=EUR units") {
		t.Errorf("overflow: %v", err)
	}

	ctx := context.Background()
	st := load.New(memblob.OpenBucket(nil))
	res, err := Store(ctx, st, r, load.ParquetOptions{Alloc: mem})
	if err != nil {
		t.Fatal(err)
	}
	if res.Key != "parquet/reconcile_results/run=20261203T150000Z-0a1b2c3d/data.parquet" || res.Rows != 5 || res.Unchanged {
		t.Errorf("store: %+v", res)
	}
	if again, err := Store(ctx, st, r, load.ParquetOptions{Alloc: mem}); err != nil || !again.Unchanged {
		t.Errorf("storing the same run again: %+v %v", again, err)
	}
}
