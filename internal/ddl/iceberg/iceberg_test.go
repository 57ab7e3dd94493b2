package iceberg

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/hadoop"
	"github.com/apache/iceberg-go/table"

	"github.com/ascetl/etl/internal/blobs"
	"github.com/ascetl/etl/internal/ddl"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
)

// record builds n rows of schema s, every column filled; units are 1..n.
func record(t *testing.T, s *arrow.Schema, n int) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, s)
	defer b.Release()
	day := arrow.Date32FromTime(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	for i := 0; i < n; i++ {
		for j, f := range s.Fields() {
			switch fb := b.Field(j).(type) {
			case *array.StringBuilder:
				fb.Append(fmt.Sprintf("%s-%d", f.Name, i))
			case *array.Int64Builder:
				fb.Append(int64(i + 1))
			case *array.Decimal128Builder:
				fb.Append(decimal128.FromI64(int64(1_500_000 * (i + 1)))) // 1.5 × (i+1)
			case *array.Date32Builder:
				fb.Append(day)
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(time.Date(2026, 11, 21, 3, 4, 5, 123456000, time.UTC).UnixMicro()))
			case *array.Float64Builder:
				fb.Append(float64(i) / 2)
			case *array.BooleanBuilder:
				fb.Append(i%2 == 0)
			default:
				t.Fatalf("no builder for %s", f.Type)
			}
		}
	}
	return b.NewRecordBatch()
}

// writeSales writes one sales_summary_daily object per entry of rows (object under the
// table's directory → rows) through load.Store, as the loader does: sales tables are
// stored by month, a period's object named by its day (load.PeriodKey).
func writeSales(t *testing.T, root string, rows map[string]int) *schemas.Table {
	t.Helper()
	ctx := context.Background()
	b, err := blobs.Open(ctx, "file://"+filepath.ToSlash(root)+"?metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sales, _ := schemas.Lookup("sales_summary_daily")
	for p, n := range rows {
		rec := record(t, sales.ArrowSchema(nil), n)
		rr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := load.New(b).WriteParquet(ctx, "parquet/"+sales.Name+"/"+p, rr, load.ParquetOptions{}); err != nil {
			t.Fatal(err)
		}
		rr.Release()
		rec.Release()
	}
	return sales
}

func TestWriteAndReadBack(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "data")
	rows := map[string]int{
		"vendor=85012345/month=2026-11/2026-11-20.parquet": 2,
		"vendor=85012345/month=2026-11/2026-11-21.parquet": 3,
		"vendor=85099999/month=2026-11/data.parquet":       4,
	}
	sales := writeSales(t, root, rows)
	reviews, _ := schemas.Lookup(schemas.ReviewsTable) // no files: an empty table
	tables, err := ddl.FromSchemas([]*schemas.Table{sales, reviews})
	if err != nil {
		t.Fatal(err)
	}
	wh := filepath.Join(root, "iceberg")
	for run := 1; run <= 2; run++ { // a second run replaces the metadata, never adds to it
		res, err := Write(ctx, root, wh, "appstore", tables)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0].Files != 3 || res[1].Files != 0 {
			t.Fatalf("run %d: %+v", run, res)
		}
		if _, err := os.Stat(res[0].Metadata); err != nil {
			t.Fatalf("run %d: metadata: %v", run, err)
		}
	}

	cat, err := hadoop.NewCatalog("read", wh, iceberg.Properties{})
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	tbl, err := cat.LoadTable(ctx, table.Identifier{"appstore", sales.Name})
	if err != nil {
		t.Fatal(err)
	}
	if got := tbl.Properties()["gc.enabled"]; got != "false" {
		t.Errorf("gc.enabled = %q", got)
	}
	spec := tbl.Spec()
	if f := spec.Field(1); f.Name != "month" || f.Transform.String() != "identity" {
		t.Errorf("second partition field %s %s", f.Name, f.Transform)
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 3 {
		t.Fatalf("%d files planned, want 3", len(tasks))
	}
	for _, tk := range tasks {
		path := strings.TrimPrefix(tk.File.FilePath(), "file://")
		rel, _ := filepath.Rel(filepath.Join(root, "parquet", sales.Name), filepath.FromSlash(path))
		rel = filepath.ToSlash(rel)
		part := rel[:strings.LastIndex(rel, "/")]
		want := map[int]any{1000: strings.TrimPrefix(strings.Split(part, "/")[0], "vendor="), 1001: part[strings.LastIndex(part, "=")+1:]}
		if fmt.Sprint(tk.File.Partition()) != fmt.Sprint(want) || tk.File.Count() != int64(rows[rel]) {
			t.Errorf("%s: partition %v rows %d, want %v %d", rel, tk.File.Partition(), tk.File.Count(), want, rows[rel])
		}
	}

	// Every row reads back with its values; a filter on a partition key prunes files
	// and keeps that partition's rows.
	sum := func(scan *table.Scan) (n, units int64, proceeds float64) {
		t.Helper()
		at, err := scan.ToArrowTable(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer at.Release()
		tr := array.NewTableReader(at, 64)
		defer tr.Release()
		for tr.Next() {
			rec := tr.RecordBatch()
			u := rec.Column(rec.Schema().FieldIndices("units")[0]).(*array.Int64)
			d := rec.Column(rec.Schema().FieldIndices("developer_proceeds")[0]).(*array.Decimal128)
			ts := rec.Column(rec.Schema().FieldIndices("_extracted_at")[0]).(*array.Timestamp)
			for i := 0; i < int(rec.NumRows()); i++ {
				units += u.Value(i)
				proceeds += d.Value(i).ToFloat64(6)
				if got := ts.Value(i).ToTime(arrow.Microsecond); !got.Equal(time.Date(2026, 11, 21, 3, 4, 5, 123456000, time.UTC)) {
					t.Errorf("_extracted_at %s", got)
				}
			}
			n += rec.NumRows()
		}
		return n, units, proceeds
	}
	if n, units, proceeds := sum(tbl.Scan()); n != 9 || units != 3+6+10 || proceeds != 1.5*19 {
		t.Errorf("full scan: %d rows, %d units, %v proceeds; want 9, 19, 28.5", n, units, proceeds)
	}
	filtered := tbl.Scan(table.WithRowFilter(iceberg.EqualTo(iceberg.Reference("vendor"), "85099999")))
	if tasks, err := filtered.PlanFiles(ctx); err != nil || len(tasks) != 1 {
		t.Errorf("vendor filter planned %d files (%v), want 1", len(tasks), err)
	}
	if n, units, _ := sum(filtered); n != 4 || units != 10 {
		t.Errorf("vendor filter: %d rows, %d units; want 4, 10", n, units)
	}

	empty, err := cat.LoadTable(ctx, table.Identifier{"appstore", reviews.Name})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := func() (int64, int64, float64) {
		at, err := empty.Scan().ToArrowTable(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer at.Release()
		return at.NumRows(), 0, 0
	}(); n != 0 {
		t.Errorf("empty table has %d rows", n)
	}
}

func TestWriteRefusesOverlap(t *testing.T) {
	root := t.TempDir()
	sales, _ := schemas.Lookup("sales_summary_daily")
	tbl, _ := ddl.FromSchema(sales)
	for _, wh := range []string{root, filepath.Join(root, "parquet"), filepath.Join(root, "parquet", "x")} {
		if _, err := Write(context.Background(), root, wh, "appstore", []ddl.Table{tbl}); err == nil || !strings.Contains(err.Error(), "overlaps") {
			t.Errorf("warehouse %s: err %v, want overlap", wh, err)
		}
	}
}

func TestWriteRefusesStrayLayout(t *testing.T) {
	root := t.TempDir()
	sales := writeSales(t, root, map[string]int{"vendor=1/data.parquet": 1}) // one key level short
	tbl, _ := ddl.FromSchema(sales)
	_, err := Write(context.Background(), root, filepath.Join(root, "iceberg"), "appstore", []ddl.Table{tbl})
	if err == nil || !strings.Contains(err.Error(), "partition directories") {
		t.Errorf("err %v, want a partition-depth error", err)
	}
}

// FuzzPartitionValues: any path either fails or gives one value per key that prints back
// into the same directories.
func FuzzPartitionValues(f *testing.F) {
	keys := []ddl.Key{{Name: "vendor", Type: arrow.BinaryTypes.String}, {Name: "report_date", Type: arrow.FixedWidthTypes.Date32}}
	for _, s := range []string{"vendor=85012345/report_date=2026-11-20/data.parquet", "vendor=1/data.parquet",
		"vendor=/report_date=2026-02-30/x", "report_date=2026-11-20/vendor=1/x", "vendor=a=b/report_date=1970-01-01/d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		vals, err := partitionValues(rel, keys, []int{1000, 1001})
		if err != nil {
			return
		}
		day := time.Unix(int64(vals[1001].(iceberg.Date))*86400, 0).UTC().Format("2006-01-02")
		back := "vendor=" + vals[1000].(string) + "/report_date=" + day + "/"
		if !strings.HasPrefix(rel, back) {
			t.Fatalf("%q parsed as %v, which prints as %q", rel, vals, back)
		}
	})
}
