package transform

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// Seeds shared by the fuzz targets; the committed corpus (testdata/fuzz/FuzzDetect,
// testdata/fuzz/FuzzReader) holds more.
func fuzzSeedFiles(f *testing.F) [][]byte {
	var out [][]byte
	for _, name := range []string{"sales_summary_kachit-stub.tsv", "subscription_summary_legacy-1_2_kachit-stub.tsv",
		"financial_region_kachit-stub.tsv", "finance_detail_handmade.tsv", "sales_summary_2015_daily.tsv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return append(out, []byte("Date\tCounts\n2026-11-01\t5\n"), []byte(""), []byte("\xef\xbb\xbf\r\n\t\n"))
}

// FuzzDetect: Detect never panics, and what it returns is consistent: an importable
// table, a period valid for its frequency, a version for sales tables.
func FuzzDetect(f *testing.F) {
	names := []string{"S_D_85012345_20201005.txt", "Subscription_D_1_20261101.txt.gz", "85012345_0920_US.txt",
		"Installs_Summary_Territory_Y_85012345_2025_V1_0.txt", "x.txt", "_1_2_", "Win_Back_1_20260230"}
	for i, b := range fuzzSeedFiles(f) {
		f.Add(names[i%len(names)], b)
	}
	f.Fuzz(func(t *testing.T, name string, head []byte) {
		d, err := Detect(name, head)
		if err != nil {
			return
		}
		if d.Table == nil || (d.Table.Family != report.Sales && d.Table.Family != report.Finance) {
			t.Fatalf("detected %+v", d.Table)
		}
		if d.Table.Family != report.Sales {
			return
		}
		if d.Version == "" {
			t.Fatalf("%s: no version", d.Table.Name)
		}
		if d.Period != "" {
			if _, _, err := report.PeriodBounds(d.Table.Frequency(), d.Period); err != nil {
				t.Fatalf("%s: period %q: %v", d.Table.Name, d.Period, err)
			}
		}
	})
}

// importable are the tables a TSV file is read into (sales and finance; not the side
// tables built from a file's summary or footer, nor the Payments CSV: NewReader refuses
// those by design).
func importable() []*schemas.Table {
	var out []*schemas.Table
	for _, t := range schemas.All() {
		if (t.Family == report.Sales || t.Family == report.Finance) && t.Layout != schemas.Derived && t.Layout != schemas.PaymentsCSV {
			out = append(out, t)
		}
	}
	return out
}

// FuzzReader: the TSV reader never panics or leaks, stops only with a *ParseError, and
// never puts invalid UTF-8 into an Arrow string.
func FuzzReader(f *testing.F) {
	tables := importable()
	for i, b := range fuzzSeedFiles(f) {
		f.Add(uint8(i), b)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		tb := tables[int(which)%len(tables)]
		if d, err := Detect("x.txt", data); err == nil && which%2 == 0 && slices.Contains(tables, d.Table) {
			tb = d.Table // half the time the table the data looks like, to get past the header
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		r, err := NewReader(bytes.NewReader(data), tb, Options{Key: "fuzz", Alloc: mem, BatchRows: 7})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("NewReader: %T %v", err, err)
			}
			return
		}
		defer r.Release()
		for r.Next() {
			checkUTF8(t, r.RecordBatch())
		}
		if err := r.Err(); err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Err: %T %v", err, err)
			}
		}
	})
}

// A header repeating one unknown name is named a, a_2, a_3, … in linear time (the fuzzer
// found the quadratic version).
func TestUniqueNames(t *testing.T) {
	taken, next := map[string]bool{"a_3": true}, map[string]int{}
	var got []string
	for _, n := range []string{"a", "a", "a", "a", "b", "a_2"} {
		got = append(got, uniqueName(taken, next, n))
	}
	if want := []string{"a", "a_2", "a_4", "a_5", "b", "a_2_2"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	wide := bytes.Repeat([]byte("x\t"), 50000)
	res := load(t, bytes.NewReader(append(append([]byte(strings.Join(tableCols(t, "pre_order_summary_daily"), "\t")+"\t"), wide...), '\n')),
		table(t, "pre_order_summary_daily"), 0)
	if res.err != nil || len(res.drift.Unknown) != 50000 || len(res.schema.FieldIndices("x_50000")) != 1 {
		t.Errorf("wide header: %v, %d unknown", res.err, len(res.drift.Unknown))
	}
}

// FuzzAnalyticsSegments: typed and generic analytics parsers never panic or leak, stop only
// with a *ParseError, put only valid UTF-8 into strings, and give every month one schema.
func FuzzAnalyticsSegments(f *testing.F) {
	reports := []string{"App Downloads Detailed", "App Crashes Expanded", "Home Screen Widget Usage", "App Install Performance"}
	fixture, err := os.ReadFile(filepath.Join("testdata", "analytics", "app_downloads_detailed_segment_ingestr-fixture.tsv"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), fixture, []byte(""))
	f.Add(uint8(2), []byte(widgetSeg1), []byte(widgetSeg2))
	f.Add(uint8(1), []byte("Date,App Apple Identifier,Count\n2026-11-01,1,\"2\"\n"), []byte("Date,Count\n"))
	f.Add(uint8(3), []byte("Date\tInstalls\tAverage Install Duration\n2026-11-01\t3\t1.25\n\xff\t1\t2\n"), []byte("\n"))
	f.Fuzz(func(t *testing.T, which uint8, seg1, seg2 []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		inst := AnalyticsInstance{ID: "i", Granularity: "DAILY", ProcessingDate: "2026-11-02", AccessType: "ONGOING"}
		p, err := NewAnalyticsSegmentParser(reports[int(which)%len(reports)], inst, mem, extractedAt)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Release()
		for i, seg := range [][]byte{seg1, seg2} {
			if err := p.AddSegment(fmt.Sprintf("seg-%d", i), bytes.NewReader(seg)); err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("AddSegment: %T %v", err, err)
				}
				return
			}
		}
		var schema *arrow.Schema
		for _, m := range p.Months() {
			rec := p.Record(m)
			if schema != nil && !rec.Schema().Equal(schema) {
				t.Fatalf("month %s has another schema", m)
			}
			schema = rec.Schema()
			checkUTF8(t, rec)
			rec.Release()
		}
	})
}

func checkUTF8(t *testing.T, rec arrow.RecordBatch) {
	t.Helper()
	for c := 0; c < int(rec.NumCols()); c++ {
		s, ok := rec.Column(c).(*array.String)
		if !ok {
			continue
		}
		for i := 0; i < s.Len(); i++ {
			if s.IsValid(i) && !utf8.ValidString(s.Value(i)) {
				t.Fatalf("column %s row %d: invalid UTF-8 %q", rec.ColumnName(c), i, s.Value(i))
			}
		}
	}
}
