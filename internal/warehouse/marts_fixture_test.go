package warehouse

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/ascetl/etl/internal/blobs"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// martsFixture is one installation after a run against the simulator: sales (40 days),
// finance (ZZ and regions), reviews, analytics (downloads, sessions, crashes, purchases),
// the catalog, two Payments reports imported, an ECB rates file for 2026-11-02..10, the
// derived tables written and the views database built with its marts.
type martsFixture struct {
	h       *enginetest.Harness
	root    string // the data root (file bucket)
	dbPath  string
	bucket  *blob.Bucket
	db      *DB // the views database, read-only
	entries []load.Entry
	// payRate is Apple's Payments rate of each currency into EUR per fiscal period.
	payRate map[string]map[string]*big.Rat
	// ecb is the rates file: date → currency → units per EUR.
	ecb      map[string]map[string]*big.Rat
	ecbDates []string
	days     []time.Time // the sales days loaded
	build    Written     // fx_file_rates
	marts    []Written
}

const fixtureDays = 40

var payPeriods = []string{"2026-12", "2027-01"}

func newMartsFixture(t *testing.T, compression string) *martsFixture {
	t.Helper()
	ctx := context.Background()
	f := &martsFixture{root: t.TempDir()}
	f.h = enginetest.New(t, enginetest.Options{
		Sim: simulator.Options{AnalyticsSince: 10 * 24 * time.Hour},
		Config: func(c *config.Config) {
			c.Sales.InitialDays = fixtureDays
			c.Reviews.Enabled, c.Analytics.Enabled, c.Catalog.Enabled = true, true, true
			c.Analytics.Reports = []string{"App Downloads Standard", "App Sessions Standard", "App Crashes",
				"App Store Purchases Standard"}
			c.Analytics.Snapshot = false // ten days of analytics: implied rates cover the last month only
			c.Parquet.Compression = compression
		},
		Sources: func(c *config.Config) []engine.Source { return sources.New(c) },
	})
	b, err := blobs.Open(ctx, "file://"+filepath.ToSlash(f.root)+"?metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	f.bucket, f.h.Bucket, f.h.Store = b, b, load.New(b)
	f.h.RunOK(ctx)

	var paths []string
	f.payRate = map[string]map[string]*big.Rat{}
	for _, p := range payPeriods {
		path, err := f.h.Sim.WritePaymentsReport(t.TempDir(), p)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
		f.payRate[p] = readPaymentRates(t, path)
	}
	sum, err := f.h.Runner().Import(ctx, paths, engine.ImportHints{})
	if err != nil || sum.ExitCode() != engine.ExitOK {
		t.Fatalf("import payments: %v\n%s", err, enginetest.Printed(sum))
	}
	f.entries, err = f.h.Store.Ledger().List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.entries {
		if e.Unit.Table() == "sales_summary_daily" && e.State == load.Loaded {
			d, _, _ := e.Unit.Bounds()
			f.days = append(f.days, d)
		}
	}
	rates := f.writeECB(t)
	f.buildViews(t, rates, compression)
	return f
}

// readPaymentRates reads currency and Exchange Rate of a Payments CSV as written.
func readPaymentRates(t *testing.T, path string) map[string]*big.Rat {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*big.Rat{}
	r := csv.NewReader(strings.NewReader(string(data)))
	r.FieldsPerRecord, r.LazyQuotes = -1, true // the paid total line is `,,,"1,234.56" EUR`
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		i, j := strings.LastIndex(rec[0], "("), strings.LastIndex(rec[0], ")")
		if len(rec) < 11 || i < 0 || j != len(rec[0])-1 {
			continue
		}
		v, ok := new(big.Rat).SetString(rec[8])
		if !ok {
			continue // the header line
		}
		out[rec[0][i+1:j]] = v
	}
	if out["USD"] == nil || out["EUR"] == nil {
		t.Fatalf("%s: no USD or EUR rate: %v", path, out)
	}
	return out
}

// writeECB writes a rates file in ECB's published layout for the working days of
// 2026-11-02..10, with Apple's October rates per EUR (one cell N/A), and parses it.
func (f *martsFixture) writeECB(t *testing.T) []Rate {
	t.Helper()
	oct := f.payRate["2027-01"]
	curs := []string{"USD", "JPY", "GBP", "AUD", "CAD", "CHF"}
	f.ecb = map[string]map[string]*big.Rat{}
	var b strings.Builder
	b.WriteString("Date," + strings.Join(curs, ",") + ",\n")
	for d := 10; d >= 2; d-- {
		day := time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		ds := day.Format(time.DateOnly)
		f.ecbDates = append(f.ecbDates, ds)
		f.ecb[ds] = map[string]*big.Rat{}
		b.WriteString(ds)
		for _, c := range curs {
			if c == "CHF" && d == 5 {
				b.WriteString(",N/A")
				continue
			}
			// units per EUR, 4 decimals as ECB prints, moved a little each day
			per := new(big.Rat).Inv(oct[c])
			per.Mul(per, big.NewRat(int64(1000+d), 1000))
			s := per.FloatString(4)
			v, _ := new(big.Rat).SetString(s)
			f.ecb[ds][c] = v
			b.WriteString("," + s)
		}
		b.WriteString(",\n")
	}
	rates, err := ParseRates("eurofxref-hist.csv", strings.NewReader(b.String()), "USD")
	if err != nil {
		t.Fatal(err)
	}
	return rates
}

// buildViews does what etl does after a run: etl_ledger, fx_file_rates, then the views
// database with its marts (cmd/etl/views.go).
func (f *martsFixture) buildViews(t *testing.T, rates []Rate, compression string) {
	t.Helper()
	ctx := context.Background()
	now := f.h.Clock.Now()
	due := func(u report.Unit) (time.Time, bool) { return engine.DueAt(f.h.Cfg, u) }
	if _, err := WriteLedger(ctx, f.bucket, LedgerRows(f.entries, due, now), compression); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.build, err = WriteFileRates(ctx, f.bucket, rates, "USD", "eurofxref-hist.csv", compression); err != nil {
		t.Fatal(err)
	}
	spec, err := LocalSpec(f.root, "USD", now)
	if err != nil {
		t.Fatal(err)
	}
	f.dbPath = filepath.Join(f.root, "asc.duckdb")
	err = Replace(ctx, f.dbPath, f.root, spec, func(ctx context.Context, db *DB) error {
		var err error
		f.marts, err = db.WriteMarts(ctx, f.bucket, compression)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.db, err = OpenWith(f.dbPath, Options{Root: f.root, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
}

// salesLine is one line of a served SALES report, read from the raw archive.
type salesLine struct {
	day             string
	pti, country    string
	currency        string
	units           int64
	price, proceeds *big.Rat // per unit
}

// rawSales reads every archived SALES daily payload of the loaded versions.
func (f *martsFixture) rawSales(t *testing.T) []salesLine {
	t.Helper()
	ctx := context.Background()
	var out []salesLine
	for _, e := range f.entries {
		if e.Unit.Table() != "sales_summary_daily" || e.State != load.Loaded {
			continue
		}
		keys, err := f.h.Store.List(ctx, "raw/"+e.Unit.ID()+"/"+e.Loaded+"/")
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if !strings.HasSuffix(k, ".gz") {
				continue
			}
			out = append(out, f.readSalesPayload(t, e.Unit.Period, k)...)
		}
	}
	if len(out) == 0 {
		t.Fatal("no archived sales payload")
	}
	return out
}

func (f *martsFixture) readSalesPayload(t *testing.T, day, key string) []salesLine {
	t.Helper()
	r, err := f.bucket.NewReader(context.Background(), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	gz, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var idx map[string]int
	var out []salesLine
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "\t")
		if idx == nil {
			idx = map[string]int{}
			for i, h := range cells {
				idx[h] = i
			}
			continue
		}
		get := func(c string) string { return strings.TrimSpace(cells[idx[c]]) }
		units, err := strconv.ParseInt(get("Units"), 10, 64)
		if err != nil {
			t.Fatalf("%s: units %q", key, get("Units"))
		}
		price, _ := new(big.Rat).SetString(get("Customer Price"))
		proceeds, _ := new(big.Rat).SetString(get("Developer Proceeds"))
		out = append(out, salesLine{day: day, pti: get("Product Type Identifier"), country: get("Country Code"),
			currency: get("Currency of Proceeds"), units: units, price: price, proceeds: proceeds})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// expectRate is the rate into USD the marts must use for currency on day, and its source:
// Apple's Payments rate for the fiscal month (triangulated through EUR), else the ECB
// file's rate of the last working day before (at most 7 days), else "" (implied or none).
func (f *martsFixture) expectRate(day time.Time, cur string) (*big.Rat, string) {
	if cur == "USD" {
		return big.NewRat(1, 1), "identity"
	}
	p := report.Unit{Family: report.Finance, Type: report.Financial, Region: "ZZ", Vendor: "1",
		Period: fiscalOf(day)}
	if pay, ok := f.payRate[p.Period]; ok && pay[cur] != nil {
		return round10(new(big.Rat).Quo(pay[cur], pay["USD"])), "payments"
	}
	for _, ds := range f.ecbDates { // newest first
		d, _ := time.Parse(time.DateOnly, ds)
		if d.After(day) || day.Sub(d) >= 7*24*time.Hour {
			continue
		}
		per := f.ecb[ds]
		if cur == "EUR" {
			return round10(new(big.Rat).Set(per["USD"])), "rates_file"
		}
		if per[cur] == nil {
			continue // N/A that day: the day before's rate carries
		}
		return round10(new(big.Rat).Quo(per["USD"], per[cur])), "rates_file"
	}
	return nil, ""
}

func fiscalOf(day time.Time) string {
	for _, p := range payPeriods {
		u := report.Unit{Family: report.Finance, Type: report.Financial, Region: "ZZ", Vendor: "1", Period: p}
		s, e, _ := u.Bounds()
		if !day.Before(s) && !day.After(e) {
			return p
		}
	}
	return ""
}

// round10 rounds half away from zero to 10 decimals, as the rate column stores it.
func round10(r *big.Rat) *big.Rat {
	v, _ := new(big.Rat).SetString(r.FloatString(10))
	return v
}

// rat parses a DuckDB value (decimal, integer or text) exactly.
func rat(t *testing.T, v any, typ string) *big.Rat {
	t.Helper()
	if v == nil {
		return nil
	}
	s := text(v, typ)
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("not a number: %q (%s)", s, typ)
	}
	return r
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "NULL"
	}
	return r.FloatString(6)
}

// queryMap runs sql, whose first columns up to nkey form the key, and maps the key
// (joined by "|") to the rest of the row as text.
func queryMap(t *testing.T, db *DB, sql string, nkey int) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, row := range rowStrings(query(t, db, sql)) {
		k := strings.Join(row[:nkey], "|")
		if _, dup := out[k]; dup {
			t.Fatalf("%s: key %s twice", sql, k)
		}
		out[k] = row[nkey:]
	}
	return out
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("not an integer: %q", s)
	}
	return n
}

var _ = fmt.Sprint
