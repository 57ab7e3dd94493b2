package load

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// salesTSV is a report of table t for day with n rows (variant changes the values, extra
// adds an unknown column).
func salesTSV(t *schemas.Table, day time.Time, n, variant int, extra bool) string {
	var b strings.Builder
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(c.Header)
	}
	if extra {
		b.WriteString("\tNew Thing")
	}
	b.WriteByte('\n')
	for r := 0; r < n; r++ {
		for i, c := range t.Columns {
			if i > 0 {
				b.WriteByte('\t')
			}
			switch c.Kind {
			case schemas.Int64:
				fmt.Fprintf(&b, "%d", (r+variant)%9)
			case schemas.Decimal:
				fmt.Fprintf(&b, "%d.%02d", r%5, variant%100)
			case schemas.DateMDY:
				b.WriteString(day.Format("01/02/2006"))
			case schemas.DateISO:
				b.WriteString(day.Format(time.DateOnly))
			default:
				if (r+i)%13 != 0 {
					fmt.Fprintf(&b, "%s-%d", c.Name[:min(3, len(c.Name))], (r*7+i+variant)%11)
				}
			}
		}
		if extra {
			fmt.Fprintf(&b, "\tx%d", r%3)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

type compactFixture struct {
	t     *testing.T
	s     *Store
	table *schemas.Table
	mem   *memory.CheckedAllocator
}

func newCompactFixture(t *testing.T) *compactFixture {
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	tb, _ := schemas.Lookup("sales_summary_daily")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return &compactFixture{t: t, s: New(b), table: tb, mem: mem}
}

func (f *compactFixture) unit(day time.Time) report.Unit {
	return report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Daily,
		Vendor: "1", Period: day.Format(time.DateOnly)}
}

// load loads a day the pipeline's way (transform stream, Input.Period) and records its
// ledger entry as the Runner does.
func (f *compactFixture) load(day time.Time, n, variant int, extra bool) Result {
	f.t.Helper()
	ctx := context.Background()
	u := f.unit(day)
	key := "raw/" + u.ID() + "/v1/S_D.txt.gz"
	rdr, err := transform.NewReader(strings.NewReader(salesTSV(f.table, day, n, variant, extra)), f.table,
		transform.Options{Key: key, Version: "1_0", ExtractedAt: extractedAt, ReportDate: day, BatchRows: 1000, Alloc: f.mem})
	if err != nil {
		f.t.Fatal(err)
	}
	defer rdr.Release()
	part, _ := u.Partition()
	res, err := f.s.Load(ctx, f.table, part, Input{Stream: rdr, Period: day}, ParquetOptions{Alloc: f.mem})
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.s.Ledger().Put(ctx, Entry{Unit: u, State: Loaded, Objects: []string{res.Key}, Rows: res.Rows}); err != nil {
		f.t.Fatal(err)
	}
	return res
}

func (f *compactFixture) compact(now time.Time) CompactResult {
	f.t.Helper()
	res, err := f.s.CompactMonth(context.Background(), f.table, "vendor=1/month=2025-01", CompactOptions{Now: now, SettleDays: 3, Alloc: f.mem})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func (f *compactFixture) keys() []string {
	ks, err := f.s.List(context.Background(), "parquet/")
	if err != nil {
		f.t.Fatal(err)
	}
	return ks
}

func (f *compactFixture) object(k string) []byte {
	b, err := f.s.Bucket().ReadAll(context.Background(), k)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func jan(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }

const janMonth = "parquet/sales_summary_daily/vendor=1/month=2025-01/data.parquet"

// TestCompactMonth: an open month keeps its daily objects; a complete one becomes one
// object with a row group per day (report_date statistics exact), its rows those of the
// days in order, the ledger pointing at it and the daily objects gone; a second
// compaction changes nothing.
func TestCompactMonth(t *testing.T) {
	f := newCompactFixture(t)
	days := []int{1, 2, 3, 5, 31}
	var want []string
	for _, d := range days {
		res := f.load(jan(d), 50+d, d, false)
		if want := PeriodKey(f.table.Name, "vendor=1/month=2025-01", jan(d)); res.Key != want {
			t.Fatalf("loaded into %s, want %s", res.Key, want)
		}
		want = append(want, objectRows(t, f.s, res.Key)...)
	}
	if res := f.compact(time.Date(2025, 2, 3, 12, 0, 0, 0, time.UTC)); len(res.Folded) != 0 {
		t.Fatalf("compacted a month still settling: %+v", res)
	}
	res := f.compact(time.Date(2025, 2, 4, 0, 0, 0, 0, time.UTC))
	if !res.Written || res.Periods != 5 || len(res.Folded) != 5 || res.Key != janMonth {
		t.Fatalf("result %+v", res)
	}
	if ks := f.keys(); len(ks) != 1 || ks[0] != janMonth {
		t.Fatalf("objects after compaction: %v", ks)
	}
	if got := objectRows(t, f.s, janMonth); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the month's rows differ from its days' (%d vs %d)", len(got), len(want))
	}
	checkDayGroups(t, f.object(janMonth), days)
	for _, d := range days {
		e, _, _ := f.s.Ledger().Get(context.Background(), f.unit(jan(d)))
		if len(e.Objects) != 1 || e.Objects[0] != janMonth {
			t.Errorf("day %d: ledger objects %v", d, e.Objects)
		}
	}
	before := f.object(janMonth)
	if res := f.compact(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)); len(res.Folded) != 0 || res.Written {
		t.Errorf("second compaction: %+v", res)
	}
	if !bytes.Equal(before, f.object(janMonth)) {
		t.Error("second compaction changed the month")
	}
}

// checkDayGroups: every row group holds one day, days in order, and its report_date
// statistics say so (min = max = the day), which is what a day filter prunes by.
func checkDayGroups(t *testing.T, data []byte, days []int) {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	col := pf.MetaData().Schema.ColumnIndexByName(schemas.SalesPeriodColumn)
	if pf.NumRowGroups() != len(days) {
		t.Fatalf("%d row groups for %d days", pf.NumRowGroups(), len(days))
	}
	for i, d := range days {
		cc, err := pf.MetaData().RowGroup(i).ColumnChunk(col)
		if err != nil {
			t.Fatal(err)
		}
		st, err := cc.Statistics()
		if err != nil || st == nil || !st.HasMinMax() {
			t.Fatalf("row group %d: no report_date statistics (%v)", i, err)
		}
		enc, _ := st.Encode()
		want := int32(jan(d).Unix() / 86400)
		lo, hi := int32(leU32(enc.Min)), int32(leU32(enc.Max))
		if lo != want || hi != want {
			t.Errorf("row group %d: report_date %d..%d, want %d", i, lo, hi, want)
		}
	}
}

func leU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// objectRows is every row of the object as text, in order.
func objectRows(t *testing.T, s *Store, key string) []string {
	t.Helper()
	tbl, err := s.ReadTable(context.Background(), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	n := int(tbl.NumRows())
	out := make([]string, n)
	for c := 0; c < int(tbl.NumCols()); c++ {
		name := tbl.Schema().Field(c).Name
		r := 0
		for _, ch := range tbl.Column(c).Data().Chunks() {
			for i := 0; i < ch.Len(); i++ {
				out[r] += name + "=" + ch.ValueStr(i) + ";"
				r++
			}
		}
	}
	return out
}

// TestCompactLateData: a day loaded into a compacted month waits where no reader looks
// (*.pending), then compaction rewrites only that month: the day's rows replaced, the
// others as they were; identical data rewrites nothing.
func TestCompactLateData(t *testing.T) {
	f := newCompactFixture(t)
	for _, d := range []int{1, 2, 3} {
		f.load(jan(d), 40, d, false)
	}
	feb := time.Date(2025, 2, 10, 0, 0, 0, 0, time.UTC)
	f.compact(feb)
	f.load(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), 10, 0, false) // another month
	unchanged := f.object(janMonth)

	res := f.load(jan(2), 40, 2, false) // the same report again (a reparse)
	if !strings.HasSuffix(res.Key, "/_2025-01-02.pending") {
		t.Fatalf("a day of a compacted month went to %s", res.Key)
	}
	if got := f.compact(feb); got.Written || len(got.Folded) != 1 {
		t.Fatalf("identical day: %+v", got)
	}
	if !bytes.Equal(unchanged, f.object(janMonth)) {
		t.Fatal("identical day rewrote the month")
	}

	f.load(jan(2), 25, 7, true) // a restatement, with a new column
	f.load(jan(4), 5, 4, false) // a late day
	if got := f.compact(feb); !got.Written || got.Periods != 4 {
		t.Fatalf("restatement: %+v", got)
	}
	// The same as compacting those days from scratch.
	g := newCompactFixture(t)
	g.load(jan(1), 40, 1, false)
	g.load(jan(2), 25, 7, true)
	g.load(jan(3), 40, 3, false)
	g.load(jan(4), 5, 4, false)
	g.compact(feb)
	if !bytes.Equal(f.object(janMonth), g.object(janMonth)) {
		t.Error("the month after late data differs from the month compacted from scratch")
	}
	// Back to the original day 2: the new column goes, and the month is as at first.
	f.load(jan(2), 40, 2, false)
	h := newCompactFixture(t)
	for _, d := range []int{1, 2, 3, 4} {
		n := 40
		if d == 4 {
			n = 5
		}
		h.load(jan(d), n, d, false)
	}
	h.compact(feb)
	f.compact(feb)
	if !bytes.Equal(f.object(janMonth), h.object(janMonth)) {
		t.Error("restating a day back did not give the month compacted from scratch")
	}
	for _, k := range f.keys() {
		if strings.HasSuffix(k, ".pending") {
			t.Errorf("left %s", k)
		}
	}
}

// TestCompactLegacy: an object of the layout before months is moved into it (report_date
// a column, the ledger repointed), then compacted with its month.
func TestCompactLegacy(t *testing.T) {
	f := newCompactFixture(t)
	ctx := context.Background()
	f.load(jan(1), 30, 1, false)
	// A legacy object: the same day's rows without report_date, at the old key.
	g := newCompactFixture(t)
	g.load(jan(2), 30, 2, false)
	newer := objectRows(t, g.s, PeriodKey(g.table.Name, "vendor=1/month=2025-01", jan(2)))
	old := "parquet/sales_summary_daily/vendor=1/report_date=2025-01-02/data.parquet"
	tbl, err := g.s.ReadTable(ctx, PeriodKey(g.table.Name, "vendor=1/month=2025-01", jan(2)), nil)
	if err != nil {
		t.Fatal(err)
	}
	idx := tbl.Schema().FieldIndices(schemas.SalesPeriodColumn)[0]
	var fields []arrow.Field
	var cols []arrow.Column
	for i := 0; i < int(tbl.NumCols()); i++ {
		if i != idx {
			fields = append(fields, tbl.Schema().Field(i))
			cols = append(cols, *tbl.Column(i))
		}
	}
	legacy := array.NewTable(arrow.NewSchema(fields, nil), cols, tbl.NumRows())
	tbl.Release()
	if _, err := f.s.WriteParquet(ctx, old, tableReader(t, legacy), ParquetOptions{}); err != nil {
		t.Fatal(err)
	}
	legacy.Release()
	if err := f.s.Ledger().Put(ctx, Entry{Unit: f.unit(jan(2)), State: Loaded, Objects: []string{old}}); err != nil {
		t.Fatal(err)
	}
	res, err := f.s.CompactTable(ctx, f.table, "", CompactOptions{Now: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), SettleDays: 3, Alloc: f.mem})
	if err != nil {
		t.Fatal(err)
	}
	if res.Migrated != 1 || len(res.Months) != 1 || res.Months[0].Periods != 2 {
		t.Fatalf("%+v", res)
	}
	if ks := f.keys(); len(ks) != 1 || ks[0] != janMonth {
		t.Fatalf("objects %v", ks)
	}
	got := objectRows(t, f.s, janMonth)
	if strings.Join(got[30:], "\n") != strings.Join(newer, "\n") {
		t.Error("the migrated day's rows differ from the same day loaded today")
	}
	e, _, _ := f.s.Ledger().Get(ctx, f.unit(jan(2)))
	if len(e.Objects) != 1 || e.Objects[0] != janMonth {
		t.Errorf("ledger objects %v", e.Objects)
	}
	if path.Base(janMonth) != MonthObject {
		t.Fatal(janMonth)
	}
}

func tableReader(t *testing.T, tbl arrow.Table) RecordReader {
	tr := array.NewTableReader(tbl, 1<<20)
	t.Cleanup(tr.Release)
	return tr
}

// BenchmarkCompactMonth measures compacting a month of 30 daily objects (BENCH_ROWS rows
// in all, default 300000) into one; MB/s is of the daily objects' Parquet bytes.
func BenchmarkCompactMonth(b *testing.B) {
	rows := 300_000
	if v := os.Getenv("BENCH_ROWS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			rows = n
		}
	}
	t := &testing.T{}
	f := &compactFixture{t: t, s: New(memblob.OpenBucket(nil)), mem: memory.NewCheckedAllocator(memory.NewGoAllocator())}
	f.table, _ = schemas.Lookup("sales_summary_daily")
	ctx := context.Background()
	days := map[string][]byte{}
	var size int64
	for d := 1; d <= 30; d++ {
		res := f.load(jan(d), rows/30, d, false)
		data := f.object(res.Key)
		days[res.Key] = data
		size += int64(len(data))
	}
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for k, data := range days {
			if err := f.s.PutBytes(ctx, k, data, "application/vnd.apache.parquet"); err != nil {
				b.Fatal(err)
			}
		}
		_ = f.s.Delete(ctx, janMonth)
		b.StartTimer()
		res, err := f.s.CompactMonth(ctx, f.table, "vendor=1/month=2025-01", CompactOptions{Now: now, SettleDays: 3})
		if err != nil || !res.Written || res.Rows != int64(rows/30*30) {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
