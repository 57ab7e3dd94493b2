package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/reconcile"
	"github.com/ascetl/etl/internal/warehouse"
	"github.com/ascetl/etl/report/fiscal"
)

// reconcileBase is a data directory for the reconcile tests: SALES daily from the first day
// of the fiscal month two before today's (so that month is whole in sales and published in
// finance), FINANCIAL ZZ and EU and FINANCE_DETAIL for the same months, analytics App Store
// Purchases only, and the simulator's Payments report of that month imported.
type reconcileBase struct {
	dir   string        // holds data/ and config.yaml
	month fiscal.Period // the fiscal month that is whole everywhere
}

func reconcileConfig(t *testing.T, dir string, start time.Time) string {
	t.Helper()
	day := start.Format(time.DateOnly)
	return writeConfig(t, dir,
		`  start: ""          # first day to load`, `  start: "`+day+`" # first day to load`,
		`regions: [ZZ]`, `regions: [ZZ, EU]`,
		`  start: ""            # first calendar day`, `  start: "`+day+`" # first calendar day`,
		"    - {type: SUBSCRIPTION, sub_type: SUMMARY, frequency: DAILY}\n", "",
		"    - {type: SUBSCRIPTION_EVENT, sub_type: SUMMARY, frequency: DAILY}\n", "",
		"    - {type: SUBSCRIBER, sub_type: DETAILED, frequency: DAILY}\n", "",
		"    - {type: PRE_ORDER, sub_type: SUMMARY, frequency: DAILY}\n", "",
		"    - {type: SUBSCRIPTION_OFFER_CODE_REDEMPTION, sub_type: SUMMARY, frequency: DAILY}\n", "",
		"reviews:\n  enabled: true", "reviews:\n  enabled: false",
		"one snapshot a day\n  enabled: true", "one snapshot a day\n  enabled: false",
		"  enabled: true        # names for the ids", "  enabled: false        # names for the ids",
		`  reports: []          # API report names`, `  reports: ["App Store Purchases Standard"] # API report names`,
	)
}

func newReconcileBase(t *testing.T) reconcileBase {
	t.Helper()
	b := reconcileBase{dir: t.TempDir(), month: fiscal.Of(time.Now().UTC()).Prev().Prev()}
	cfg := reconcileConfig(t, b.dir, b.month.Start)
	if code, out, errs := runCLI(t, "run", "--config", cfg, "--no-views"); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "simulate", "--config", cfg, "--payments", b.month.String(), "--out", b.dir)
	if code != 0 {
		t.Fatalf("simulate --payments: %d %s %s", code, out, errs)
	}
	pay, _ := filepath.Glob(filepath.Join(b.dir, "Payments_*.csv"))
	if len(pay) != 1 {
		t.Fatalf("payments file: %v", pay)
	}
	if code, out, errs := runCLI(t, "import", "--config", cfg, "--no-views", pay[0]); code != 0 {
		t.Fatalf("import payments: %d %s %s", code, out, errs)
	}
	return b
}

// clone copies the base's data into a new directory with its own config.
func (b reconcileBase) clone(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "data"), os.DirFS(filepath.Join(b.dir, "data"))); err != nil {
		t.Fatal(err)
	}
	return dir, reconcileConfig(t, dir, b.month.Start)
}

// runReconcileCLI runs etl reconcile and returns its exit code, output and the result of each check
// as the table prints it.
func runReconcileCLI(t *testing.T, cfg string, args ...string) (int, string, map[string]string) {
	t.Helper()
	code, out, errs := runCLI(t, append([]string{"reconcile", "--config", cfg}, args...)...)
	if code != 0 && code != 3 {
		t.Fatalf("reconcile: exit %d\n%s\n%s", code, out, errs)
	}
	got := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			break // the checks table ends at the first blank line
		}
		f := strings.Fields(line)
		if len(f) > 1 {
			if _, ok := reconcile.LookupCheck(f[0]); ok {
				got[f[0]] = f[1]
			}
		}
	}
	return code, out, got
}

func TestReconcile(t *testing.T) {
	if testing.Short() {
		t.Skip("a run of ~90 days against the simulator")
	}
	b := newReconcileBase(t)
	t.Run("simulator data pass", func(t *testing.T) {
		dir, cfg := b.clone(t)
		code, out, got := runReconcileCLI(t, cfg, "--all")
		t.Logf("fiscal month %s:\n%s", b.month, out)
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		for _, c := range reconcile.Checks() {
			if got[c.Name] != "pass" {
				t.Errorf("%s: %q, want pass (every check has data to compare here)", c.Name, got[c.Name])
			}
		}
		for _, want := range []string{`finance_vs_sales\s+vendor=85012345 ` + b.month.String() + ` currency=EUR\s+units\s+\d+\s+\d+\s+0\s+\S+\s+pass`,
			`payments_vs_finance\s+vendor=85012345 ` + b.month.String() + ` currency=EUR\s+proceeds`, `results: \d+ rows in parquet/reconcile_results/run=`} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("output lacks %q", want)
			}
		}
		// --no-store prints the same table and writes nothing.
		before, _ := filepath.Glob(filepath.Join(dir, "data", "parquet", "reconcile_results", "run=*"))
		code, again, _ := runReconcileCLI(t, cfg, "--no-store")
		after, _ := filepath.Glob(filepath.Join(dir, "data", "parquet", "reconcile_results", "run=*"))
		if code != 0 || strings.Contains(again, "results: ") || len(before) != 1 || len(after) != 1 {
			t.Errorf("--no-store: exit %d, runs stored before %d after %d\n%s", code, len(before), len(after), again)
		}
		// The results are a table the views see.
		code, q, errs := runCLI(t, "query", "--config", cfg, "--format", "csv",
			"SELECT check_name, result, count(*) AS n FROM reconcile_results GROUP BY ALL ORDER BY ALL")
		if code != 0 || !strings.Contains(q, "finance_vs_sales,pass,") || strings.Contains(q, ",fail,") {
			t.Errorf("reconcile_results: %d %s %s", code, q, errs)
		}
	})
	for _, tc := range reconcileTampers(b) {
		t.Run(tc.check, func(t *testing.T) {
			dir, cfg := b.clone(t)
			what := tc.tamper(t, dir, cfg)
			code, out, got := runReconcileCLI(t, cfg)
			t.Logf("tampered: %s\n%s", what, out)
			if code != 3 {
				t.Errorf("exit %d, want 3", code)
			}
			for _, c := range reconcile.Checks() {
				want := "pass"
				if c.Name == tc.check {
					want = "fail"
				}
				if got[c.Name] != want {
					t.Errorf("%s: %q, want %s", c.Name, got[c.Name], want)
				}
			}
			// The failure is stored, and only that check's.
			code, q, errs := runCLI(t, "query", "--config", cfg, "--format", "csv",
				"SELECT DISTINCT check_name FROM reconcile_results WHERE result = 'fail'")
			if code != 0 || strings.TrimSpace(q) != "check_name\n"+tc.check {
				t.Errorf("stored failures: %d %q %s", code, q, errs)
			}
		})
	}
}

type reconcileTamper struct {
	check  string
	tamper func(t *testing.T, dir, cfg string) string // returns what it changed
}

// reconcileTampers change one input so that one check fails while every other still passes:
// a file that loads (footers and sums consistent) but disagrees with another report.
func reconcileTampers(b reconcileBase) []reconcileTamper {
	m := b.month.String()
	return []reconcileTamper{
		{"finance_vs_sales", func(t *testing.T, dir, cfg string) string {
			// A paid app download (not an in-app purchase: analytics stays in agreement).
			for d := b.month.Start; !d.After(b.month.End); d = d.AddDate(0, 0, 1) {
				path, lines := rawLines(t, dir, "sales/SALES/SUMMARY/DAILY/*/"+d.Format(time.DateOnly))
				if path == "" {
					continue
				}
				if what, ok := bumpTSV(lines, func(c cells) bool {
					return c.get("Product Type Identifier") == "1F" && c.get("Developer Proceeds") != "0" && c.get("Developer Proceeds") != "0.00"
				}, "Units", 50000); ok {
					importTampered(t, dir, cfg, path, lines)
					return what
				}
			}
			t.Fatal("no paid download in the month")
			return ""
		}},
		{"zz_vs_regional", func(t *testing.T, dir, cfg string) string {
			path, lines := rawLines(t, dir, "finance/FINANCIAL/EU/*/"+m)
			what, ok := bumpTSV(lines, func(c cells) bool { return c.get("Sales or Return") == "S" }, "Quantity", 5)
			if !ok || !bumpLine(lines, "Total_Units\t", 5) {
				t.Fatal("EU file: no sale row or Total_Units")
			}
			importTampered(t, dir, cfg, path, lines)
			return what + " and Total_Units +5"
		}},
		{"detail_vs_financial", func(t *testing.T, dir, cfg string) string {
			path, lines := rawLines(t, dir, "finance/FINANCE_DETAIL/Z1/*/"+m)
			var country string
			what, ok := bumpTSV(lines, func(c cells) bool {
				country = c.get("Country of Sale")
				return c.get("Sale or Return") == "S"
			}, "Quantity", 5)
			if !ok || !bumpSummary(lines, country, 5) {
				t.Fatal("detail file: no sale row or summary row")
			}
			importTampered(t, dir, cfg, path, lines)
			return what + " and its summary row"
		}},
		{"footers", func(t *testing.T, dir, cfg string) string {
			// A footer the loader never checked (a partial rewrite): Total_Rows one higher.
			rewriteParquet(t, filepath.Join(dir, "data", "parquet", "finance_footers", "vendor=85012345", "region=ZZ", "fiscal_period="+m, "data.parquet"),
				"SELECT * REPLACE (total_rows + 1 AS total_rows)")
			return "finance_footers ZZ " + m + ": total_rows + 1"
		}},
		{"summary_vs_rows", func(t *testing.T, dir, cfg string) string {
			path, lines := rawLines(t, dir, "finance/FINANCIAL/ZZ/*/"+m)
			if !bumpSummary(lines, "US", 7) {
				t.Fatal("ZZ file: no US summary row")
			}
			importTampered(t, dir, cfg, path, lines)
			return "ZZ summary row US: Quantity +7"
		}},
		{"payments_vs_finance", func(t *testing.T, dir, cfg string) string {
			path, lines := rawLines(t, dir, "finance/PAYMENTS/ZZ/*/"+m)
			for i, l := range lines {
				if rest, ok := strings.CutPrefix(l, `Euro-Zone (EUR),"`); ok {
					units, tail, _ := strings.Cut(rest, `"`)
					n, err := strconv.Atoi(strings.ReplaceAll(units, ",", ""))
					if err != nil {
						t.Fatal(err)
					}
					lines[i] = fmt.Sprintf(`Euro-Zone (EUR),"%d"%s`, n+10, tail)
					importTampered(t, dir, cfg, path, lines)
					return fmt.Sprintf("Payments Euro-Zone Units Sold %d → %d", n, n+10)
				}
			}
			t.Fatal("no Euro-Zone row")
			return ""
		}},
		{"analytics_vs_sales", func(t *testing.T, dir, cfg string) string {
			// An in-app purchase on a recent day: final in analytics (3 days), in a fiscal month
			// finance has not published yet (so finance_vs_sales does not see it).
			now := time.Now().UTC()
			for back := 4; back <= 6; back++ {
				d := now.AddDate(0, 0, -back)
				if !fiscal.Of(d).AvailableFrom().After(now) {
					continue
				}
				path, lines := rawLines(t, dir, "sales/SALES/SUMMARY/DAILY/*/"+d.Format(time.DateOnly))
				if path == "" {
					continue
				}
				if what, ok := bumpTSV(lines, func(c cells) bool { return strings.HasPrefix(c.get("Product Type Identifier"), "IA") }, "Units", 1000); ok {
					importTampered(t, dir, cfg, path, lines)
					return d.Format(time.DateOnly) + ": " + what
				}
			}
			t.Fatal("no recent day with an in-app purchase")
			return ""
		}},
	}
}

// rawLines reads the newest archived payload of the unit whose id matches pattern; "" when
// there is none.
func rawLines(t *testing.T, dir, pattern string) (string, []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "data", "raw", filepath.FromSlash(pattern), "*", "*.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		return "", nil
	}
	slices.Sort(files) // version ids start with the fetch time
	f, err := os.Open(files[len(files)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return files[len(files)-1], strings.Split(string(b), "\n")
}

// importTampered writes lines under the archived payload's name (without .gz) and imports it.
func importTampered(t *testing.T, dir, cfg, archived string, lines []string) {
	t.Helper()
	p := filepath.Join(dir, strings.TrimSuffix(filepath.Base(archived), ".gz"))
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "import", "--config", cfg, "--no-views", p); code != 0 {
		t.Fatalf("import %s: %d\n%s\n%s", p, code, out, errs)
	}
}

// cells is one TSV data row with its file's header.
type cells struct{ header, row []string }

func (c cells) get(col string) string {
	if i := slices.Index(c.header, col); i >= 0 && i < len(c.row) {
		return c.row[i]
	}
	return ""
}

// bumpTSV adds by to column col of the first data row (a row as wide as the header line
// that contains col) that match accepts.
func bumpTSV(lines []string, match func(cells) bool, col string, by int) (string, bool) {
	var header []string
	for i, l := range lines {
		f := strings.Split(l, "\t")
		if slices.Contains(f, col) {
			header = f
			continue
		}
		if header == nil || len(f) != len(header) || !match(cells{header, f}) {
			continue
		}
		j := slices.Index(header, col)
		n, err := strconv.Atoi(f[j])
		if err != nil {
			continue
		}
		f[j] = strconv.Itoa(n + by)
		lines[i] = strings.Join(f, "\t")
		return fmt.Sprintf("line %d %s %d → %d", i+1, col, n, n+by), true
	}
	return "", false
}

// bumpLine adds by to the number after prefix on the line that starts with it.
func bumpLine(lines []string, prefix string, by int) bool {
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				return false
			}
			lines[i] = prefix + strconv.Itoa(n+by)
			return true
		}
	}
	return false
}

// bumpSummary adds by to the Quantity of country's row of the summary table (after its
// "Country Of Sale\tPartner Share Currency\tQuantity\t…" header).
func bumpSummary(lines []string, country string, by int) bool {
	in := false
	for i, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) == 4 && f[0] == "Country Of Sale" {
			in = true
			continue
		}
		if in && len(f) == 4 && f[0] == country {
			n, err := strconv.Atoi(f[2])
			if err != nil {
				return false
			}
			f[2] = strconv.Itoa(n + by)
			lines[i] = strings.Join(f, "\t")
			return true
		}
	}
	return false
}

// rewriteParquet replaces a Parquet file with `<selectPrefix> FROM read_parquet(file)`.
func rewriteParquet(t *testing.T, path, selectPrefix string) {
	t.Helper()
	db, err := warehouse.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tmp := path + ".tmp"
	q := fmt.Sprintf("COPY (%s FROM read_parquet(%s)) TO %s (FORMAT parquet)", selectPrefix, warehouse.QuoteLiteral(path), warehouse.QuoteLiteral(tmp))
	if err := db.Exec(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestReconcileDefaultConfig: the untouched configuration (3 sales days, 3 fiscal months of
// ZZ and FINANCE_DETAIL, every family) plus a Payments report imported reconciles: no check
// fails, the finance checks pass, and what cannot be compared (a fiscal month only partly in
// sales) is skipped with its reason.
func TestReconcileDefaultConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("a run of every family against the simulator")
	}
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	if code, out, errs := runCLI(t, "run", "--config", cfg); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	month := fiscal.Of(time.Now().UTC()).Prev().Prev() // always among the 3 months loaded
	if code, out, errs := runCLI(t, "simulate", "--config", cfg, "--payments", month.String(), "--out", dir); code != 0 {
		t.Fatalf("simulate --payments: %d %s %s", code, out, errs)
	}
	pay, _ := filepath.Glob(filepath.Join(dir, "Payments_*.csv"))
	if code, out, errs := runCLI(t, "import", "--config", cfg, pay[0]); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	code, out, got := runReconcileCLI(t, cfg)
	t.Logf("%s", out)
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	want := map[string]string{"finance_vs_sales": "skip", "zz_vs_regional": "skip", "detail_vs_financial": "pass",
		"footers": "pass", "summary_vs_rows": "pass", "payments_vs_finance": "pass", "analytics_vs_sales": "pass"}
	for c, w := range want {
		if got[c] != w {
			t.Errorf("%s: %q, want %s", c, got[c], w)
		}
	}
	if !strings.Contains(out, "finance_vs_sales: ") || !strings.Contains(out, "days of the fiscal month") {
		t.Errorf("no reason for the skipped finance months:\n%s", out)
	}
}
