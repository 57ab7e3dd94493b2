package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
	"github.com/ascetl/etl/simulator"
)

// goodFile is a report as Apple serves it, imported first in every case.
type goodFile struct {
	name string // as saved from App Store Connect
	text string // decompressed
	unit report.Unit
	rows int64
}

// lines splits the file into lines without their "\n" (the last one is empty).
func (g goodFile) lines() []string { return strings.Split(g.text, "\n") }

// join is the inverse of lines.
func join(ls []string) string { return strings.Join(ls, "\n") }

// column returns the index of a header cell.
func (g goodFile) column(t *testing.T, name string) int {
	for i, c := range strings.Split(g.lines()[0], "\t") {
		if c == name {
			return i
		}
	}
	t.Fatalf("%s: no column %q", g.name, name)
	return -1
}

// editCells applies f to the cells of every line (header included) that has cells.
func editCells(text string, f func(line int, cells []string) []string) string {
	ls := strings.Split(text, "\n")
	for i, l := range ls {
		if l == "" || strings.HasPrefix(l, "Total_") {
			continue
		}
		ls[i] = strings.Join(f(i, strings.Split(l, "\t")), "\t")
	}
	return join(ls)
}

func gz(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.String()
}

// fetchGood downloads a sales and a finance report from the simulator.
func fetchGood(t *testing.T, h *harness) (sales, fin goodFile) {
	t.Helper()
	ctx := context.Background()
	read := func(rc io.ReadCloser) string {
		defer rc.Close()
		zr, err := gzip.NewReader(rc)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	su := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Daily, Vendor: h.cfg.VendorNumber, Period: "2026-11-19"}
	rep, err := h.client.SalesReport(ctx, su, "1_0")
	if err != nil || rep.Body == nil {
		t.Fatalf("sales report: %v %+v", err, rep)
	}
	sales = goodFile{name: "S_D_" + su.Vendor + "_20261119.txt", text: read(rep.Body), unit: su}
	per := fiscal.Of(start)
	for i := 0; i < 6; i++ {
		per = per.Prev()
		fu := report.Unit{Family: report.Finance, Type: report.Financial, Region: "US", Vendor: h.cfg.VendorNumber, Period: per.String()}
		rep, err := h.client.FinanceReport(ctx, fu)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Body != nil {
			mmyy := fmt.Sprintf("%02d%02d", per.Number, per.Year%100)
			fin = goodFile{name: fu.Vendor + "_" + mmyy + "_US.txt", text: read(rep.Body), unit: fu}
			break
		}
	}
	if fin.text == "" {
		t.Fatal("no finance report in the last 6 fiscal periods")
	}
	for _, g := range []*goodFile{&sales, &fin} {
		for _, l := range g.lines()[1:] {
			if l != "" && !strings.HasPrefix(l, "Total_") {
				g.rows++
			}
		}
	}
	if sales.rows < 40 || fin.rows < 4 {
		t.Fatalf("good files too small: sales %d rows, finance %d", sales.rows, fin.rows)
	}
	return sales, fin
}

// malformedCase is one bad file imported over a good one for the same partition.
type malformedCase struct {
	name string
	base string // "sales" or "finance": the good file imported first
	// file makes the bad file's name and content from the good one.
	file func(t *testing.T, g goodFile) (string, string)
	// want: "error" (a failure naming what is wrong; nothing changes), "held" (archived,
	// not applied; exit 3) or "load" (loaded correctly, the good file's rows).
	want string
	msgs []string // substrings of the failure (error, held)
	// check, for loads, looks at the loaded Parquet.
	check func(t *testing.T, h *harness, st *load.Store, g goodFile, sum *Summary)
}

func same(g goodFile) (string, string) { return g.name, g.text }

// malformedCases are the 22 files of issue 16 (the line-boundary cut is one for sales and
// one for finance).
func malformedCases() []malformedCase {
	cutRows := func(g goodFile, keep int) string { return join(g.lines()[:1+keep]) + "\n" }
	return []malformedCase{
		{name: "empty file", base: "sales", want: "error", msgs: []string{"file is empty"},
			file: func(t *testing.T, g goodFile) (string, string) { return g.name, "" }},
		{name: "truncated gzip", base: "sales", want: "error", msgs: []string{"unexpected EOF"},
			file: func(t *testing.T, g goodFile) (string, string) { z := gz(g.text); return g.name + ".gz", z[:len(z)/2] }},
		{name: "binary garbage", base: "sales", want: "error", msgs: []string{"header matches no known report"},
			file: func(t *testing.T, g goodFile) (string, string) {
				r := rand.New(rand.NewPCG(1, 2))
				b := make([]byte, 4096)
				for i := range b {
					b[i] = byte(r.Uint32())
				}
				return g.name, string(b)
			}},
		{name: "wrong header", base: "sales", want: "error", msgs: []string{"header matches no known report"},
			file: func(t *testing.T, g goodFile) (string, string) {
				return g.name, editCells(g.text, func(i int, cs []string) []string {
					if i == 0 {
						for j := range cs {
							cs[j] = fmt.Sprintf("Field %d", j+1)
						}
					}
					return cs
				})
			}},
		{name: "renamed column Units to Unitz", base: "sales", want: "held",
			msgs: []string{`held: the new version lacks column "Units", which the loaded version has (it has unknown column "Unitz" instead: renamed?); pass --allow-shrink`},
			file: func(t *testing.T, g goodFile) (string, string) {
				return g.name, strings.Replace(g.text, "\tUnits\t", "\tUnitz\t", 1)
			}},
		{name: "extra column", base: "sales", want: "load",
			file: func(t *testing.T, g goodFile) (string, string) {
				return g.name, editCells(g.text, func(i int, cs []string) []string {
					if i == 0 {
						return append(cs, "Extra Thing")
					}
					return append(cs, "x")
				})
			}},
		{name: "missing column", base: "sales", want: "held", msgs: []string{`held: the new version lacks column "Customer Price"`},
			file: func(t *testing.T, g goodFile) (string, string) {
				c := g.column(t, "Customer Price")
				return g.name, editCells(g.text, func(_ int, cs []string) []string { return append(cs[:c:c], cs[c+1:]...) })
			}},
		{name: "quoted field holding a tab", base: "sales", want: "error",
			msgs: []string{":6: wrong number of fields: row has 29 fields, header has 28 (field 5, \"\\\"Foo\", opens a quote: a tab inside a quoted value?)"},
			file: func(t *testing.T, g goodFile) (string, string) {
				c := g.column(t, "Title")
				return g.name, editCells(g.text, func(i int, cs []string) []string {
					if i == 5 {
						cs[c] = "\"Foo\tBar\""
					}
					return cs
				})
			}},
		{name: "CRLF", base: "sales", want: "load",
			file: func(t *testing.T, g goodFile) (string, string) {
				return g.name, strings.ReplaceAll(g.text, "\n", "\r\n")
			}},
		{name: "UTF-8 BOM", base: "sales", want: "load",
			file: func(t *testing.T, g goodFile) (string, string) { return g.name, "\xef\xbb\xbf" + g.text }},
		{name: "Latin-1 title", base: "sales", want: "load",
			file: func(t *testing.T, g goodFile) (string, string) {
				c := g.column(t, "Title")
				return g.name, editCells(g.text, func(i int, cs []string) []string {
					if i == 3 {
						cs[c] = "Caf\xe9 \xdcbung"
					}
					return cs
				})
			},
			check: func(t *testing.T, h *harness, st *load.Store, g goodFile, sum *Summary) {
				if titles := column(t, h, st, g.unit, "title"); !titles["Café Übung"] {
					t.Errorf("the Latin-1 title was not transcoded: %d titles", len(titles))
				}
				var notes []string
				for _, n := range sum.Notes {
					notes = append(notes, n.String())
				}
				if !strings.Contains(strings.Join(notes, "\n"), "line 4: not valid UTF-8, read as Windows-1252/Latin-1 (1 lines transcoded)") {
					t.Errorf("the transcoding is not reported: %q", notes)
				}
			}},
		{name: "row with too few fields", base: "sales", want: "error", msgs: []string{":4: wrong number of fields: row has 27 fields, header has 28"},
			file: func(t *testing.T, g goodFile) (string, string) {
				return g.name, editCells(g.text, func(i int, cs []string) []string {
					if i == 3 {
						return cs[:len(cs)-1]
					}
					return cs
				})
			}},
		{name: "row with an extra trailing field", base: "sales", want: "error", msgs: []string{":4: wrong number of fields: row has 29 fields, header has 28"},
			file: func(t *testing.T, g goodFile) (string, string) {
				return g.name, editCells(g.text, func(i int, cs []string) []string {
					if i == 3 {
						return append(cs, "extra")
					}
					return cs
				})
			}},
		{name: "comma decimals", base: "sales", want: "error", msgs: []string{`:2: column "Developer Proceeds": invalid decimal "0,69"`},
			file: func(t *testing.T, g goodFile) (string, string) {
				c := g.column(t, "Developer Proceeds")
				return g.name, editCells(g.text, func(i int, cs []string) []string {
					if i == 1 {
						cs[c] = "0,69"
					}
					return cs
				})
			}},
		{name: "one 10 MB line", base: "sales", want: "error", msgs: []string{":4: wrong number of fields: row has 1 fields, header has 28"},
			file: func(t *testing.T, g goodFile) (string, string) {
				ls := g.lines()
				ls = append(ls[:3:3], append([]string{strings.Repeat("x", 10<<20)}, ls[3:]...)...)
				return g.name, join(ls)
			}},
		{name: "finance footer off by 0.01", base: "finance", want: "error",
			msgs: []string{`column "Total_Amount": footer does not match the rows`},
			file: func(t *testing.T, g goodFile) (string, string) {
				ls := g.lines()
				for i, l := range ls {
					if v, ok := strings.CutPrefix(l, "Total_Amount\t"); ok {
						ls[i] = "Total_Amount\t" + addCent(t, v)
					}
				}
				return g.name, join(ls)
			}},
		{name: "finance row dropped, footer kept", base: "finance", want: "error",
			msgs: []string{`column "Total_Rows": footer does not match the rows`},
			file: func(t *testing.T, g goodFile) (string, string) {
				ls := g.lines()
				return g.name, join(append(ls[:2:2], ls[3:]...))
			}},
		{name: "finance report without its footer", base: "finance", want: "error",
			msgs: []string{"no Total_ footer after the data rows of block 1: the file ends at line"},
			file: func(t *testing.T, g goodFile) (string, string) {
				var keep []string
				for _, l := range g.lines() {
					if !strings.HasPrefix(l, "Total_") {
						keep = append(keep, l)
					}
				}
				return g.name, join(keep)
			}},
		{name: "sales file cut mid-line", base: "sales", want: "error", msgs: []string{"wrong number of fields"},
			file: func(t *testing.T, g goodFile) (string, string) {
				ls := g.lines()
				n := len(ls) * 3 / 5
				return g.name, join(ls[:n]) + "\n" + ls[n][:len(ls[n])/2]
			}},
		{name: "header-only sales file", base: "sales", want: "held", msgs: []string{"held: the new version has 0 rows where"},
			file: func(t *testing.T, g goodFile) (string, string) { return g.name, g.lines()[0] + "\n" }},
		{name: "finance file cut at a line boundary", base: "finance", want: "error",
			msgs: []string{"no Total_ footer after the data rows of block 1"},
			file: func(t *testing.T, g goodFile) (string, string) { return g.name, cutRows(g, int(g.rows)/2) }},
		{name: "sales file cut at a line boundary", base: "sales", want: "held", msgs: []string{"held: the new version has"},
			file: func(t *testing.T, g goodFile) (string, string) { return g.name, cutRows(g, int(g.rows)*2/5) }},
		{name: "an Analytics-looking file", base: "sales", want: "error",
			msgs: []string{"y.txt", "looks like analytics_", "not imported from a file"},
			file: func(t *testing.T, g goodFile) (string, string) { return "y.txt", "Date\tCounts\n2026-11-01\t5\n" }},
	}
}

// addCent adds 0.01 to a decimal amount as written.
func addCent(t *testing.T, v string) string {
	var whole, frac int64
	neg := strings.HasPrefix(v, "-")
	if _, err := fmt.Sscanf(strings.TrimPrefix(v, "-"), "%d.%d", &whole, &frac); err != nil {
		t.Fatalf("amount %q: %v", v, err)
	}
	cents := whole*100 + frac
	if neg {
		cents = -cents
	}
	cents++
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// TestMalformedInputs imports each malformed file over a good file of the same partition:
// each gives a clear error (naming the file and the line or field), a held shrink, or a
// correct load, and none changes the good Parquet or the good archived bytes.
func TestMalformedInputs(t *testing.T) {
	h := newHarness(t, simulator0(), nil)
	sales, fin := fetchGood(t, h)
	goodDir, badDir := t.TempDir(), t.TempDir()
	for _, g := range []goodFile{sales, fin} {
		if err := os.WriteFile(filepath.Join(goodDir, g.name), []byte(g.text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("good files: %s (%d rows), %s (%d rows)", sales.name, sales.rows, fin.name, fin.rows)
	for i, tc := range malformedCases() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mb := memblob.OpenBucket(nil)
			defer mb.Close()
			st := load.New(mb)
			p := &Pipeline{Cfg: h.cfg, Store: st, Now: h.clock.Now, Alloc: h.alloc}
			g := sales
			if tc.base == "finance" {
				g = fin
			}
			sum, err := p.Import(ctx, []string{filepath.Join(goodDir, g.name)}, ImportOptions{})
			if err != nil || sum.ExitCode() != ExitOK {
				t.Fatalf("good import: %v %v", err, sum.Failures)
			}
			before := snapshotOf(t, st)
			entry0 := ledgerEntry(t, st, g.unit)
			name, data := tc.file(t, g)
			dir := filepath.Join(badDir, fmt.Sprint(i))
			os.MkdirAll(dir, 0o755)
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			h.clock.Add(time.Minute) // a later version
			sum, err = p.Import(ctx, []string{path}, ImportOptions{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			after := snapshotOf(t, st)
			for k, v := range before {
				if strings.HasPrefix(k, "raw/") && after[k] != v {
					t.Errorf("archived bytes changed: %s", k)
				}
			}
			entry := ledgerEntry(t, st, g.unit)
			switch tc.want {
			case "error", "held":
				want := ExitPartial
				if tc.want == "error" && sum.Totals().Loaded+sum.Totals().Unchanged == 0 {
					want = ExitFailed // the only unit of the pass failed
				}
				if code := sum.ExitCode(); code != want || len(sum.Failures) != 1 {
					t.Fatalf("exit %d (want %d), failures %v", code, want, sum.Failures)
				}
				msg := sum.Failures[0]
				if !strings.Contains(msg, name) {
					t.Errorf("the failure does not name the file %s: %s", name, msg)
				}
				for _, m := range tc.msgs {
					if !strings.Contains(msg, m) {
						t.Errorf("failure lacks %q:\n%s", m, msg)
					}
				}
				if held := sum.Totals().Held; (held == 1) != (tc.want == "held") {
					t.Errorf("held %d", held)
				}
				for k, v := range before {
					if strings.HasPrefix(k, "parquet/") && after[k] != v {
						t.Errorf("good Parquet changed: %s", k)
					}
				}
				for k := range after {
					if _, ok := before[k]; !ok && strings.HasPrefix(k, "parquet/") {
						t.Errorf("new Parquet object: %s", k)
					}
				}
				if entry.State != load.Loaded || entry.Loaded != entry0.Loaded || entry.Rows != entry0.Rows {
					t.Errorf("ledger: %s loaded %s rows %d; before %s rows %d", entry.State, entry.Loaded, entry.Rows, entry0.Loaded, entry0.Rows)
				}
			case "load":
				if code := sum.ExitCode(); code != ExitOK {
					t.Fatalf("exit %d: %v", code, sum.Failures)
				}
				if entry.State != load.Loaded || entry.Loaded == entry0.Loaded || entry.Rows != g.rows || entry.Error != "" {
					t.Errorf("ledger: %s loaded %s (before %s) rows %d (want %d) error %q", entry.State, entry.Loaded, entry0.Loaded, entry.Rows, g.rows, entry.Error)
				}
				if tc.check != nil {
					tc.check(t, h, st, g, sum)
				}
			}
		})
	}
}

func simulator0() simulator.Options { return simulator.Options{} }

// snapshotOf maps every key of st to the sha256 of its content.
func snapshotOf(t *testing.T, st *load.Store) map[string]string {
	t.Helper()
	keys, err := st.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		b, err := st.Bucket().ReadAll(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		out[k] = hex.EncodeToString(s[:])
	}
	return out
}

func ledgerEntry(t *testing.T, st *load.Store, u report.Unit) load.Entry {
	t.Helper()
	e, ok, err := st.Ledger().Get(context.Background(), u)
	if err != nil || !ok {
		t.Fatalf("ledger %s: %v (known %v)", u.ID(), err, ok)
	}
	return e
}

// column returns the set of values of a string column of a unit's partition.
func column(t *testing.T, h *harness, st *load.Store, u report.Unit, name string) map[string]bool {
	t.Helper()
	key, err := load.UnitParquetKey(u)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := st.ReadTable(context.Background(), key, h.alloc)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	idx := tbl.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("%s: no column %q", key, name)
	}
	out := map[string]bool{}
	for _, c := range tbl.Column(idx[0]).Data().Chunks() {
		s := c.(*array.String)
		for i := 0; i < s.Len(); i++ {
			if s.IsValid(i) {
				out[s.Value(i)] = true
			}
		}
	}
	return out
}
