package load

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob/memblob"
)

// salesBenchSchema mirrors the SALES/SUMMARY report: 27 Apple columns plus lineage.
func salesBenchSchema() *arrow.Schema {
	str := func(n string) arrow.Field {
		return arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	dec := func(n string) arrow.Field { return arrow.Field{Name: n, Type: testDecimal, Nullable: true} }
	date := func(n string) arrow.Field {
		return arrow.Field{Name: n, Type: arrow.FixedWidthTypes.Date32, Nullable: true}
	}
	return arrow.NewSchema([]arrow.Field{
		str("provider"), str("provider_country"), str("sku"), str("developer"), str("title"),
		str("version"), str("product_type_identifier"),
		{Name: "units", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		dec("developer_proceeds"), date("begin_date"), date("end_date"), str("customer_currency"),
		str("country_code"), str("currency_of_proceeds"), str("apple_identifier"), dec("customer_price"),
		str("promo_code"), str("parent_identifier"), str("subscription"), str("period"), str("category"),
		str("cmb"), str("device"), str("supported_platforms"), str("proceeds_reason"),
		str("preserved_pricing"), str("client"), str("order_type"),
		{Name: "_source_key", Type: arrow.BinaryTypes.String},
		{Name: "_source_line", Type: arrow.PrimitiveTypes.Int64},
		{Name: "_report_version", Type: arrow.BinaryTypes.String},
		{Name: "_extracted_at", Type: testTS},
	}, nil)
}

var (
	benchCountries  = []string{"US", "GB", "DE", "FR", "JP", "CN", "BR", "IN", "AU", "CA", "MX", "KR"}
	benchCurrencies = []string{"USD", "GBP", "EUR", "EUR", "JPY", "CNY", "BRL", "INR", "AUD", "CAD", "MXN", "KRW"}
	benchDevices    = []string{"iPhone", "iPad", "Desktop", "Apple TV", "Apple Watch"}
)

func salesBenchBatch(mem memory.Allocator, schema *arrow.Schema, start, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := start; i < start+n; i++ {
		app, c := i%400, i%len(benchCountries)
		for f := 0; f < schema.NumFields(); f++ {
			fb := b.Field(f)
			switch name := schema.Field(f).Name; name {
			case "units":
				fb.(*array.Int64Builder).Append(int64(i%13) - 1)
			case "developer_proceeds", "customer_price":
				fb.(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i%5000)*10_000 + 990_000))
			case "begin_date", "end_date":
				fb.(*array.Date32Builder).Append(arrow.Date32(20777))
			case "_source_line":
				fb.(*array.Int64Builder).Append(int64(i) + 2)
			case "_extracted_at":
				fb.(*array.TimestampBuilder).Append(wantTS())
			default:
				sb := fb.(*array.StringBuilder)
				switch name {
				case "sku":
					sb.Append(fmt.Sprintf("com.example.app%d.pack%d", app, i%7))
				case "title":
					sb.Append(fmt.Sprintf("Example App %d", app))
				case "apple_identifier":
					sb.Append(fmt.Sprintf("%d", 1_400_000_000+app))
				case "country_code":
					sb.Append(benchCountries[c])
				case "customer_currency", "currency_of_proceeds":
					sb.Append(benchCurrencies[c])
				case "device":
					sb.Append(benchDevices[i%len(benchDevices)])
				case "promo_code", "parent_identifier", "subscription", "period", "preserved_pricing", "client":
					sb.AppendNull()
				case "_source_key":
					sb.Append(wantKey())
				case "_report_version":
					sb.Append("1_0")
				default:
					sb.Append(name[:3] + "-value")
				}
			}
		}
	}
	return b.NewRecordBatch()
}

// BenchmarkWriteParquet measures the encoder alone: SALES-like batches already in memory
// into one Parquet object (MB/s of the batches' Arrow buffers).
func BenchmarkWriteParquet(b *testing.B) {
	const rows, batch = 200_000, 8192
	mem := memory.NewGoAllocator()
	schema := salesBenchSchema()
	var recs []arrow.RecordBatch
	var size int64
	for start := 0; start < rows; start += batch {
		rec := salesBenchBatch(mem, schema, start, min(batch, rows-start))
		size += recordBytes(rec)
		recs = append(recs, rec)
	}
	defer releaseAll(recs)
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	s := New(bucket)
	ctx := context.Background()

	b.SetBytes(size)
	b.ReportAllocs()
	var info WriteInfo
	for b.Loop() {
		var err error
		info, err = s.WriteParquet(ctx, testParquetKey, newSliceReader(schema, recs...), ParquetOptions{Alloc: mem})
		if err != nil {
			b.Fatal(err)
		}
	}
	if info.Rows != rows {
		b.Fatalf("wrote %d rows, want %d", info.Rows, rows)
	}
	b.ReportMetric(float64(info.Bytes), "parquet-bytes")
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// recordBytes is the size of the batch's buffers (arrow/util.TotalRecordSize needs a
// module this repo does not carry).
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		for _, buf := range col.Data().Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
	}
	return n
}
