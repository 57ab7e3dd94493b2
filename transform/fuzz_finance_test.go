package transform

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// Seeds: the corpus files here, plus testdata/fuzz/<FuzzX>/ (committed, go test runs them).
func addFileSeeds(f *testing.F, pattern string, extra ...any) {
	files, _ := filepath.Glob(pattern)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]any{b}, extra...)...)
	}
}

// FuzzFinance reads arbitrary bytes as a FINANCIAL or FINANCE_DETAIL file: no panic, no
// leak, UTF-8 strings only, and a file that loads has footers that agree with its rows.
func FuzzFinance(f *testing.F) {
	addFileSeeds(f, "testdata/apple/financial_*.tsv", false)
	addFileSeeds(f, "testdata/financial_*.tsv", false)
	addFileSeeds(f, "testdata/finance_detail_*.tsv", true)
	f.Fuzz(func(t *testing.T, data []byte, detail bool) {
		name := "finance_financial"
		if detail {
			name = "finance_detail"
		}
		tb, _ := schemas.Lookup(name)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		r, err := NewReader(bytes.NewReader(data), tb, Options{Key: "fuzz", Alloc: mem, BatchRows: 3})
		if err != nil {
			return
		}
		defer r.Release()
		var rows int64
		for r.Next() {
			checkUTF8(t, r.RecordBatch())
			rows += r.RecordBatch().NumRows()
		}
		st, _ := schemas.Lookup(schemas.FinanceSummaryTable)
		rec := SummaryRecord(mem, st, r.Summary(), Options{Key: "fuzz"})
		checkUTF8(t, rec)
		if rec.NumRows() != int64(len(r.Summary())) {
			t.Fatalf("summary record %d rows, %d summary rows", rec.NumRows(), len(r.Summary()))
		}
		rec.Release()
		for _, c := range r.Checks() {
			if !utf8.ValidString(c) {
				t.Fatalf("check %q", c)
			}
		}
		if r.Err() != nil {
			return
		}
		var footerRows int64
		for _, ft := range r.Footers() {
			if ft.TotalRows != nil && *ft.TotalRows != ft.Rows {
				t.Fatalf("loaded with footer %+v", ft)
			}
			footerRows += ft.Rows
		}
		if footerRows > rows || rows != r.Rows() {
			t.Fatalf("footers count %d rows, read %d (Rows %d)", footerRows, rows, r.Rows())
		}
	})
}

// FuzzPayments parses arbitrary bytes as a Payments CSV: no panic, no leak, UTF-8 strings
// only, and Detect never panics on the same bytes.
func FuzzPayments(f *testing.F) {
	addFileSeeds(f, "testdata/apple/payments_*.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Detect("Payments_1_201412.csv", data)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		res, err := ParsePayments("fuzz", bytes.NewReader(data), mem, extractedAt)
		if err != nil {
			if res != nil {
				t.Fatal("result with an error")
			}
			return
		}
		defer res.Release()
		checkUTF8(t, res.Record)
		if res.Record.NumRows() != res.Rows {
			t.Fatalf("record %d rows, Rows %d", res.Record.NumRows(), res.Rows)
		}
		for _, s := range append(append([]string{res.Title, res.Period}, res.Checks...), res.Drift.Unknown...) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q", s)
			}
		}
	})
}
