package load

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"gocloud.dev/blob/memblob"
)

const testParquetKey = "parquet/sales_summary_daily/vendor=85012345/month=2026-11/data.parquet"

func TestParquetKey(t *testing.T) {
	if got := ParquetKey("sales_summary_daily", "vendor=85012345/month=2026-11"); got != testParquetKey {
		t.Errorf("ParquetKey = %q", got)
	}
	got, err := UnitParquetKey(salesUnit("85012345", "2026-11-20"))
	if want := "parquet/sales_summary_daily/vendor=85012345/month=2026-11/2026-11-20.parquet"; err != nil || got != want {
		t.Errorf("UnitParquetKey = %q, %v; want %s", got, err, want)
	}
	if _, err := UnitParquetKey(salesUnit("../x", "2026-11-20")); err == nil {
		t.Error("UnitParquetKey accepted an invalid vendor")
	}
}

func TestWriteParquetRoundTrip(t *testing.T) {
	cases := []struct {
		name       string
		sizes      []int
		rgRows     int64
		wantGroups int
	}{
		{"multi batch across row groups", []int{1000, 2500, 0, 7}, 1024, 4},
		{"single batch default row groups", []int{3000}, 0, 1},
		{"zero rows", nil, 0, 0},
	}
	for _, be := range backends {
		for _, tc := range cases {
			t.Run(be.name+"/"+tc.name, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				ctx := context.Background()
				s := New(be.open(t))
				schema := testSchema()
				recs := makeBatches(mem, schema, tc.sizes...)
				defer releaseAll(recs)
				rows := 0
				for _, n := range tc.sizes {
					rows += n
				}

				info, err := s.WriteParquet(ctx, testParquetKey, newSliceReader(schema, recs...),
					ParquetOptions{RowGroupRows: tc.rgRows, Alloc: mem})
				if err != nil {
					t.Fatal(err)
				}
				data, err := s.Bucket().ReadAll(ctx, testParquetKey)
				if err != nil {
					t.Fatal(err)
				}
				if info.Key != testParquetKey || info.Rows != int64(rows) || info.Bytes != int64(len(data)) {
					t.Errorf("info = %+v, want %d rows, %d bytes", info, rows, len(data))
				}
				checkFileMeta(t, data, tc.wantGroups)

				tbl, err := s.ReadTable(ctx, testParquetKey, mem)
				if err != nil {
					t.Fatal(err)
				}
				defer tbl.Release()
				checkTable(t, tbl, rows)

				attrs, err := s.Bucket().Attributes(ctx, testParquetKey)
				if err != nil {
					t.Fatal(err)
				}
				if be.name == "memblob" && attrs.ContentType != "application/vnd.apache.parquet" {
					t.Errorf("content type %q", attrs.ContentType)
				}
			})
		}
	}
}

// checkFileMeta checks the physical layout: row groups, zstd, created_by, decimals as
// INT64, statistics present, Arrow schema stored.
func checkFileMeta(t *testing.T, data []byte, wantGroups int) {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	md := pf.MetaData()
	if got := pf.NumRowGroups(); got != wantGroups {
		t.Errorf("row groups = %d, want %d", got, wantGroups)
	}
	if !strings.HasPrefix(md.GetCreatedBy(), "ascetl") {
		t.Errorf("created_by = %q", md.GetCreatedBy())
	}
	if md.KeyValueMetadata().FindValue("ARROW:schema") == nil {
		t.Error("ARROW:schema not stored")
	}
	col := md.Schema.Column(2)
	if col.Name() != "developer_proceeds" || col.PhysicalType() != parquet.Types.Int64 {
		t.Errorf("decimal column %s stored as %s, want INT64", col.Name(), col.PhysicalType())
	}
	for g := 0; g < wantGroups; g++ {
		rg := md.RowGroup(g)
		for c := 0; c < rg.NumColumns(); c++ {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			if cc.Compression() != compress.Codecs.Zstd {
				t.Errorf("row group %d column %d compression %s", g, c, cc.Compression())
			}
			if ok, err := cc.StatsSet(); err != nil || !ok {
				t.Errorf("row group %d column %d has no statistics (%v)", g, c, err)
			}
		}
	}
}

// TestWriteParquetAtomic: a failing or cancelled write leaves the previous object (or no
// object) and nothing else in the bucket.
func TestWriteParquetAtomic(t *testing.T) {
	cases := []struct {
		name    string
		prior   bool
		prepare func(r *sliceReader, cancel context.CancelFunc)
		wantErr error
	}{
		{"reader fails after first batch, replace", true,
			func(r *sliceReader, _ context.CancelFunc) { r.failAfter = 1 }, errBoom},
		{"reader fails after first batch, new", false,
			func(r *sliceReader, _ context.CancelFunc) { r.failAfter = 1 }, errBoom},
		{"reader fails before any batch, replace", true,
			func(r *sliceReader, _ context.CancelFunc) { r.failAfter = 0 }, errBoom},
		{"cancelled mid-write, new", false, func(r *sliceReader, cancel context.CancelFunc) {
			r.onNext = func(i int) {
				if i == 1 {
					cancel()
				}
			}
		}, context.Canceled},
		{"cancelled mid-write, replace", true, func(r *sliceReader, cancel context.CancelFunc) {
			r.onNext = func(i int) {
				if i == 2 {
					cancel()
				}
			}
		}, context.Canceled},
		{"cancelled after last batch", false, func(r *sliceReader, cancel context.CancelFunc) {
			r.onNext = func(i int) {
				if i == len(r.recs)-1 {
					cancel()
				}
			}
		}, context.Canceled},
		{"cancelled before start", true,
			func(_ *sliceReader, cancel context.CancelFunc) { cancel() }, context.Canceled},
	}
	for _, be := range backends {
		for _, tc := range cases {
			t.Run(be.name+"/"+tc.name, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				s := New(be.open(t))
				schema := testSchema()
				opt := ParquetOptions{RowGroupRows: 500, Alloc: mem}

				var v1 []byte
				if tc.prior {
					recs := makeBatches(mem, schema, 100)
					_, err := s.WriteParquet(context.Background(), testParquetKey, newSliceReader(schema, recs...), opt)
					releaseAll(recs)
					if err != nil {
						t.Fatal(err)
					}
					if v1, err = s.Bucket().ReadAll(context.Background(), testParquetKey); err != nil {
						t.Fatal(err)
					}
				}

				recs := makeBatches(mem, schema, 700, 700, 700)
				defer releaseAll(recs)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				rr := newSliceReader(schema, recs...)
				tc.prepare(rr, cancel)
				_, err := s.WriteParquet(ctx, testParquetKey, rr, opt)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), testParquetKey) {
					t.Errorf("error %q does not name the key", err)
				}
				assertObject(t, s, testParquetKey, v1)
			})
		}
	}
}

// TestWriteParquetBadBatch: a batch the Parquet writer rejects aborts the write.
func TestWriteParquetBadBatch(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s := New(be.open(t))
			schema := testSchema()
			good := makeBatch(mem, schema, 0, 10)
			defer good.Release()
			other := arrow.NewSchema(schema.Fields()[:3], nil)
			bad := makeBatch(mem, schema, 10, 10)
			defer bad.Release()
			wrong := array.NewRecordBatch(other, bad.Columns()[:3], bad.NumRows())
			defer wrong.Release()

			_, err := s.WriteParquet(context.Background(), testParquetKey,
				newSliceReader(schema, good, wrong), ParquetOptions{Alloc: mem})
			if err == nil {
				t.Fatal("write with a mismatched batch succeeded")
			}
			assertObject(t, s, testParquetKey, nil)
		})
	}
}

// assertObject checks that key holds want (nil = absent) and nothing else exists.
func assertObject(t *testing.T, s *Store, key string, want []byte) {
	t.Helper()
	ctx := context.Background()
	keys, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var wantKeys []string
	if want != nil {
		wantKeys = []string{key}
	}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("bucket holds %q, want %q", keys, wantKeys)
	}
	ok, err := s.Exists(ctx, key)
	if err != nil || ok != (want != nil) {
		t.Fatalf("Exists = %v, %v; want %v", ok, err, want != nil)
	}
	if want == nil {
		return
	}
	got, err := s.Bucket().ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("object changed: %d bytes, want the previous %d bytes", len(got), len(want))
	}
}

// TestWriteParquetCompression: parquet.compression reaches every column chunk, and the rows
// read back the same whatever the codec.
func TestWriteParquetCompression(t *testing.T) {
	for _, tc := range []struct {
		name string
		want compress.Compression
	}{
		{"", compress.Codecs.Zstd}, {"zstd", compress.Codecs.Zstd}, {"snappy", compress.Codecs.Snappy},
		{"gzip", compress.Codecs.Gzip}, {"none", compress.Codecs.Uncompressed},
	} {
		t.Run("codec "+tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			s := New(memblob.OpenBucket(nil))
			schema := testSchema()
			recs := makeBatches(mem, schema, 500)
			defer releaseAll(recs)
			if _, err := s.WriteParquet(ctx, testParquetKey, newSliceReader(schema, recs...),
				ParquetOptions{Alloc: mem, Compression: tc.name}); err != nil {
				t.Fatal(err)
			}
			data, err := s.Bucket().ReadAll(ctx, testParquetKey)
			if err != nil {
				t.Fatal(err)
			}
			pf, err := file.NewParquetReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			rg := pf.MetaData().RowGroup(0)
			for c := 0; c < rg.NumColumns(); c++ {
				cc, err := rg.ColumnChunk(c)
				if err != nil {
					t.Fatal(err)
				}
				if cc.Compression() != tc.want {
					t.Errorf("column %d compression %s, want %s", c, cc.Compression(), tc.want)
				}
			}
			tbl, err := s.ReadTable(ctx, testParquetKey, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			checkTable(t, tbl, 500)
		})
	}
	s := New(memblob.OpenBucket(nil))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := makeBatches(mem, testSchema(), 3)
	defer releaseAll(recs)
	_, err := s.WriteParquet(context.Background(), testParquetKey, newSliceReader(testSchema(), recs...),
		ParquetOptions{Alloc: mem, Compression: "lzo"})
	if err == nil || !strings.Contains(err.Error(), `unknown Parquet compression "lzo"`) {
		t.Errorf("unknown codec: %v", err)
	}
	if ok, _ := s.Exists(context.Background(), testParquetKey); ok {
		t.Error("a write with an unknown codec left an object")
	}
}
