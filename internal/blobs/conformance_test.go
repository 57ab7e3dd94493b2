package blobs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// TestConformance runs the whole load path — Parquet partition write, atomic replace,
// raw archive, ledger, create-if-absent lock object, listing for views, interrupted
// upload, delete — against every backend through blobs.Open: memblob, fileblob, an S3
// server (gofakes3), a GCS server (fake-gcs-server) and Azurite. Each case runs under
// its own key prefix, which also exercises prefix-wrapped buckets.
func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, be backend, b *blob.Bucket)
	}{
		{"parquet_partition", testParquetPartition},
		{"atomic_replace", testAtomicReplace},
		{"raw_archive", testRawArchive},
		{"ledger", testLedger},
		{"lock_create_if_absent", testCreateIfAbsent},
		{"listing_for_views", testListing},
		{"interrupted_upload", testInterruptedUpload},
		{"delete", testDelete},
		{"prefix_isolation", nil}, // handled below: needs two buckets
	}
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			open, skip := be.start(t)
			if skip != "" {
				t.Skip(skip)
			}
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					prefix := fmt.Sprintf("conf-%d-%s", i, c.name)
					if c.run == nil {
						testPrefixIsolation(t, open, prefix)
						return
					}
					c.run(t, be, open(t, prefix))
				})
			}
		})
	}
}

var (
	decType = &arrow.Decimal128Type{Precision: 18, Scale: 6}
	schema  = arrow.NewSchema([]arrow.Field{
		{Name: "sku", Type: arrow.BinaryTypes.String},
		{Name: "units", Type: arrow.PrimitiveTypes.Int64},
		{Name: "proceeds", Type: decType},
	}, nil)
	partKey = load.ParquetKey("sales_summary_daily", "vendor=85012345/report_date=2026-11-20")
)

// batch builds n rows whose values depend on gen, so versions are told apart.
func batch(gen, n int) arrow.RecordBatch {
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	for i := range n {
		bld.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("v%d-sku-%d", gen, i))
		bld.Field(1).(*array.Int64Builder).Append(int64(gen*1000 + i))
		bld.Field(2).(*array.Decimal128Builder).Append(decimalOf(int64(gen*1000+i) * 10_000))
	}
	return bld.NewRecordBatch()
}

func decimalOf(v int64) decimal128.Num { return decimal128.FromI64(v) }

// reader is a load.RecordReader over batches; before batch i it calls hook (if set),
// and a non-nil error from the hook ends the stream with that error.
type reader struct {
	recs []arrow.RecordBatch
	hook func(i int) error
	i    int
	cur  arrow.RecordBatch
	err  error
}

func (r *reader) Schema() *arrow.Schema          { return schema }
func (r *reader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *reader) Err() error                     { return r.err }
func (r *reader) Next() bool {
	if r.i >= len(r.recs) {
		return false
	}
	if r.hook != nil {
		if err := r.hook(r.i); err != nil {
			r.err = err
			return false
		}
	}
	r.cur = r.recs[r.i]
	r.i++
	return true
}

func writeGen(ctx context.Context, st *load.Store, key string, gen, rows int) (load.WriteInfo, error) {
	rec := batch(gen, rows)
	defer rec.Release()
	return st.WriteParquet(ctx, key, &reader{recs: []arrow.RecordBatch{rec}}, load.ParquetOptions{})
}

// readGen reads key and returns its generation and row count, checking every value.
func readGen(t *testing.T, st *load.Store, key string) (gen, rows int) {
	t.Helper()
	tbl, err := st.ReadTable(context.Background(), key, nil)
	if err != nil {
		t.Fatalf("ReadTable %s: %v", key, err)
	}
	defer tbl.Release()
	if !tbl.Schema().Equal(schema) {
		t.Fatalf("schema = %s", tbl.Schema())
	}
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	gen = -1
	for tr.Next() {
		rec := tr.RecordBatch()
		skus := rec.Column(0).(*array.String)
		units := rec.Column(1).(*array.Int64)
		proc := rec.Column(2).(*array.Decimal128)
		for j := 0; j < int(rec.NumRows()); j, rows = j+1, rows+1 {
			var g, i int
			if _, err := fmt.Sscanf(skus.Value(j), "v%d-sku-%d", &g, &i); err != nil {
				t.Fatalf("row %d: sku %q", rows, skus.Value(j))
			}
			if gen == -1 {
				gen = g
			}
			if g != gen || i != rows || units.Value(j) != int64(g*1000+i) || proc.Value(j) != decimalOf(int64(g*1000+i)*10_000) {
				t.Fatalf("row %d mixes versions or is wrong: %s %d %v", rows, skus.Value(j), units.Value(j), proc.Value(j))
			}
		}
	}
	return gen, rows
}

func list(t *testing.T, st *load.Store, prefix string) []string {
	t.Helper()
	keys, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List %q: %v", prefix, err)
	}
	return keys
}

func wantKeys(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("keys =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func testParquetPartition(t *testing.T, _ backend, b *blob.Bucket) {
	st := load.New(b)
	info, err := writeGen(context.Background(), st, partKey, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	if info.Rows != 50 || info.Bytes <= 0 || info.Key != partKey {
		t.Fatalf("WriteInfo = %+v", info)
	}
	attrs, err := b.Attributes(context.Background(), partKey)
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Size != info.Bytes {
		t.Fatalf("object size %d, WriteInfo.Bytes %d", attrs.Size, info.Bytes)
	}
	if gen, rows := readGen(t, st, partKey); gen != 1 || rows != 50 {
		t.Fatalf("read gen %d rows %d, want 1, 50", gen, rows)
	}
	wantKeys(t, list(t, st, ""), partKey)
}

func testAtomicReplace(t *testing.T, _ backend, b *blob.Bucket) {
	ctx := context.Background()
	st := load.New(b)
	if _, err := writeGen(ctx, st, partKey, 1, 30); err != nil {
		t.Fatal(err)
	}
	if _, err := writeGen(ctx, st, partKey, 2, 40); err != nil {
		t.Fatal(err)
	}
	if gen, rows := readGen(t, st, partKey); gen != 2 || rows != 40 {
		t.Fatalf("after replace: gen %d rows %d, want 2, 40", gen, rows)
	}

	// A rewrite in progress is invisible: while it is parked between batches (after
	// the first batch went to the writer), readers still get the complete old version.
	recs := []arrow.RecordBatch{batch(3, 25), batch(3, 25)}
	defer recs[0].Release()
	defer recs[1].Release()
	parked, resume := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var werr error
	go func() {
		defer wg.Done()
		_, werr = st.WriteParquet(ctx, partKey, &reader{recs: recs, hook: func(i int) error {
			if i == 1 {
				close(parked)
				<-resume
			}
			return nil
		}}, load.ParquetOptions{RowGroupRows: 25})
	}()
	<-parked
	if gen, rows := readGen(t, st, partKey); gen != 2 || rows != 40 {
		t.Errorf("during rewrite: gen %d rows %d, want the old 2, 40", gen, rows)
	}
	close(resume)
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	// The second batch of gen 3 restarts its row numbering; check the total only.
	tbl, err := st.ReadTable(ctx, partKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.NumRows() != 50 {
		t.Fatalf("after rewrite: %d rows, want 50", tbl.NumRows())
	}
	tbl.Release()

	// A failed rewrite (the stream errors mid-way) keeps the last committed version.
	if _, err := writeGen(ctx, st, partKey, 4, 10); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	_, err = st.WriteParquet(ctx, partKey, &reader{recs: recs, hook: func(i int) error {
		if i == 1 {
			return boom
		}
		return nil
	}}, load.ParquetOptions{RowGroupRows: 25})
	if !errors.Is(err, boom) {
		t.Fatalf("failed rewrite: err = %v, want boom", err)
	}
	if gen, rows := readGen(t, st, partKey); gen != 4 || rows != 10 {
		t.Fatalf("after failed rewrite: gen %d rows %d, want 4, 10", gen, rows)
	}
	// No temporary object is left behind anywhere in the bucket.
	wantKeys(t, list(t, st, ""), partKey)
}

var unit = report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY",
	Vendor: "85012345", Period: "2026-11-20"}

func testRawArchive(t *testing.T, _ backend, b *blob.Bucket) {
	ctx := context.Background()
	st := load.New(b)
	payload := bytes.Repeat([]byte("Provider\tProvider Country\tSKU\n"), 5000)
	key := load.RawKey(unit, "S_D_85012345_20261120.txt.gz")
	info, err := st.PutRaw(ctx, key, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	if info.Bytes != int64(len(payload)) || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("RawInfo = %+v", info)
	}
	r, err := st.OpenRaw(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("round trip: %d bytes, err %v; want %d bytes", len(got), err, len(payload))
	}
	if _, err := st.OpenRaw(ctx, key+".missing"); !load.IsNotFound(err) {
		t.Fatalf("OpenRaw missing: err = %v, want not found", err)
	}
	wantKeys(t, list(t, st, "raw/"), key)
}

func testLedger(t *testing.T, _ backend, b *blob.Bucket) {
	ctx := context.Background()
	l := load.New(b).Ledger()
	if _, ok, err := l.Get(ctx, unit); err != nil || ok {
		t.Fatalf("Get before Put: ok %v err %v", ok, err)
	}
	other := unit
	other.Period = "2026-11-21"
	at := time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	for _, e := range []load.Entry{
		{Unit: unit, State: load.Pending, UpdatedAt: at},
		{Unit: other, State: load.Empty, UpdatedAt: at},
		{Unit: unit, State: load.Loaded, Rows: 42, Objects: []string{partKey}, UpdatedAt: at.Add(time.Hour)},
	} {
		if err := l.Put(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	e, ok, err := l.Get(ctx, unit)
	if err != nil || !ok || e.State != load.Loaded || e.Rows != 42 || e.Objects[0] != partKey || !e.UpdatedAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("Get = %+v ok %v err %v", e, ok, err)
	}
	all, err := l.List(ctx, "")
	if err != nil || len(all) != 2 || all[0].Unit != unit || all[1].Unit != other || all[1].State != load.Empty {
		t.Fatalf("List = %+v err %v", all, err)
	}
	some, err := l.List(ctx, "sales/SALES/SUMMARY/DAILY/85012345/2026-11-21")
	if err != nil || len(some) != 1 || some[0].Unit != other {
		t.Fatalf("List(prefix) = %+v err %v", some, err)
	}
}

// newStore is load.New with the local directory set for a fileblob bucket.
func newStore(b *blob.Bucket) *load.Store {
	st := load.New(b)
	if dir, ok := localDirs.Load(b); ok {
		st.UseLocalDir(dir.(string))
	}
	return st
}

// testCreateIfAbsent checks the primitive the run lock relies on — a write that succeeds
// only if the key does not exist, exactly once among concurrent writers — and the lock
// built on it (load.AcquireLock / Release).
func testCreateIfAbsent(t *testing.T, _ backend, b *blob.Bucket) {
	ctx := context.Background()
	st := newStore(b)
	const key = "_etl/test/create-if-absent"
	const writers = 4
	var wg sync.WaitGroup
	created := make([]bool, writers)
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			created[i], errs[i] = st.PutIfAbsent(ctx, key, []byte(fmt.Sprintf("owner-%d", i)))
		}()
	}
	wg.Wait()
	winner := -1
	for i := range writers {
		switch {
		case errs[i] != nil:
			t.Fatalf("writer %d: %v", i, errs[i])
		case created[i] && winner >= 0:
			t.Fatalf("writers %d and %d both created %s", winner, i, key)
		case created[i]:
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no writer created the key")
	}
	got, err := b.ReadAll(ctx, key)
	if err != nil || string(got) != fmt.Sprintf("owner-%d", winner) {
		t.Fatalf("content %q err %v, want owner-%d", got, err, winner)
	}

	l, err := st.AcquireLock(ctx, "run", "conformance-a", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AcquireLock(ctx, "run", "conformance-b", time.Hour); !errors.Is(err, load.ErrLocked) {
		t.Fatalf("second AcquireLock: err = %v, want ErrLocked", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	l2, err := st.AcquireLock(ctx, "run", "conformance-b", time.Hour)
	if err != nil {
		t.Fatalf("AcquireLock after Release: %v", err)
	}
	if err := l2.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// testListing checks what `etl views` needs: the tables that have Parquet objects,
// each table's partition objects, and nothing from raw/ or _etl/ mixed in.
func testListing(t *testing.T, _ backend, b *blob.Bucket) {
	ctx := context.Background()
	st := load.New(b)
	keys := []string{
		load.ParquetKey("sales_summary_daily", "vendor=1/report_date=2026-11-19"),
		load.ParquetKey("sales_summary_daily", "vendor=1/report_date=2026-11-20"),
		load.ParquetKey("subscription_summary_daily", "vendor=1/report_date=2026-11-20"),
	}
	for i, k := range keys {
		if _, err := writeGen(ctx, st, k, i, 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.PutRaw(ctx, "raw/sales/x/vendor=1/2026-11-20/a.gz", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if err := st.Ledger().Put(ctx, load.Entry{Unit: unit, State: load.Empty}); err != nil {
		t.Fatal(err)
	}
	wantKeys(t, list(t, st, "parquet/sales_summary_daily/"), keys[0], keys[1])
	wantKeys(t, list(t, st, "parquet/"), keys...)
	wantKeys(t, list(t, st, "parquet/finance_financial/"))

	// One level down with a delimiter: the table "directories".
	var tables []string
	it := b.List(&blob.ListOptions{Prefix: "parquet/", Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if obj.IsDir {
			tables = append(tables, obj.Key)
		}
	}
	wantKeys(t, tables, "parquet/sales_summary_daily/", "parquet/subscription_summary_daily/")
}

// slowCancel yields size bytes of incompressible data, then cancels the context and
// fails, the way a killed run or a lost connection interrupts a download being archived.
type slowCancel struct {
	n, size int
	cancel  context.CancelFunc
	wait    func() // runs once before cancelling (e.g. wait for a part to reach the server)
	seed    uint32
}

func (s *slowCancel) Read(p []byte) (int, error) {
	if s.n >= s.size {
		if s.wait != nil {
			s.wait()
			s.wait = nil
		}
		s.cancel()
		return 0, errors.New("connection reset")
	}
	if len(p) > s.size-s.n {
		p = p[:s.size-s.n]
	}
	for i := range p {
		s.seed = s.seed*1664525 + 1013904223
		p[i] = byte(s.seed >> 24)
	}
	s.n += len(p)
	return len(p), nil
}

// testInterruptedUpload cancels a large upload in the middle — past S3's 16 MiB
// multipart threshold, several GCS resumable chunks and Azure blocks — and checks that
// nothing becomes visible and nothing is left listed.
func testInterruptedUpload(t *testing.T, be backend, b *blob.Bucket) {
	st := load.New(b)
	key := load.RawKey(unit, "big.gz")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &slowCancel{size: 28 << 20, cancel: cancel, seed: 7}
	var before int64
	if be.parts != nil {
		before = be.parts()
		src.wait = func() {
			// Let at least one part reach the server so a multipart upload really is
			// in progress when we cancel (bounded; the assertion below checks it).
			for i := 0; i < 400 && be.parts() == before; i++ {
				time.Sleep(25 * time.Millisecond)
			}
		}
	}
	_, err := st.PutRaw(ctx, key, src)
	if err == nil {
		t.Fatal("interrupted PutRaw succeeded")
	}
	if be.parts != nil && be.parts() == before {
		t.Fatal("no multipart part reached the server before the cancel; the test did not exercise multipart")
	}
	bg := context.Background()
	if ok, err := b.Exists(bg, key); err != nil || ok {
		t.Fatalf("after interrupted upload: Exists = %v, %v; want false", ok, err)
	}
	wantKeys(t, list(t, st, ""))
	if be.pending != nil {
		if p := be.pending(t, b); len(p) != 0 {
			t.Errorf("unfinished multipart uploads left on the server: %v", p)
		}
	}
	// The same key can be written normally afterwards.
	if _, err := st.PutRaw(bg, key, strings.NewReader("ok")); err != nil {
		t.Fatal(err)
	}
}

func testDelete(t *testing.T, _ backend, b *blob.Bucket) {
	ctx := context.Background()
	st := load.New(b)
	if _, err := writeGen(ctx, st, partKey, 1, 5); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, partKey); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Exists(ctx, partKey); err != nil || ok {
		t.Fatalf("Exists after Delete = %v, %v", ok, err)
	}
	if err := st.Delete(ctx, partKey); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	wantKeys(t, list(t, st, ""))
}

// testPrefixIsolation checks that two prefixes in one bucket do not see each other.
func testPrefixIsolation(t *testing.T, open func(*testing.T, string) *blob.Bucket, prefix string) {
	ctx := context.Background()
	a, b := open(t, prefix+"/a"), open(t, prefix+"/b")
	if err := a.WriteAll(ctx, "k", []byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Exists(ctx, "k"); err != nil || ok {
		t.Fatalf("prefix b sees prefix a's key: %v %v", ok, err)
	}
	wantKeys(t, list(t, load.New(a), ""), "k")
}
