package pipeline

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
)

// clock is a settable fake clock shared by the simulator, the client and the pipeline.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type harness struct {
	t      *testing.T
	clock  *clock
	sim    *simulator.Server
	srv    *httptest.Server
	bucket *blob.Bucket
	store  *load.Store
	cfg    *config.Config
	alloc  *memory.CheckedAllocator
	client *extract.Client
	key    *ecdsa.PrivateKey
}

// newClientFor makes a fresh API client (a new process, as the next cron run would be).
func newClientFor(t *testing.T, h *harness) *extract.Client {
	t.Helper()
	c, err := extract.NewClient(extract.Config{
		BaseURL: h.srv.URL, IssuerID: h.sim.Options().IssuerID, KeyID: "TESTKEY123", Key: h.key,
		Now: h.clock.Now, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		MaxConcurrency: h.cfg.API.MaxConcurrency,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// start is Saturday 2026-11-21, noon Pacific.
var start = time.Date(2026, 11, 21, 12, 0, 0, 0, report.Pacific)

func newHarness(t *testing.T, simOpt simulator.Options, mutate func(*config.Config)) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{t: start}, alloc: memory.NewCheckedAllocator(memory.DefaultAllocator)}
	simOpt.Now = h.clock.Now
	if simOpt.Seed == 0 {
		simOpt.Seed = 7
	}
	h.sim = simulator.New(simOpt)
	key, _, err := simulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	h.sim.AddKey("TESTKEY123", &key.PublicKey)
	h.srv = httptest.NewServer(h.sim)
	t.Cleanup(h.srv.Close)

	cfg, err := config.Parse("test", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sales.InitialDays = 4
	cfg.Finance.InitialPeriods = 2
	cfg.Finance.Regions = []string{"ZZ", "US", "EU", "JP"}
	// Families that read every app (discovered from GET /v1/apps when none are listed) stay
	// off unless a test turns them on.
	cfg.Reviews.Enabled, cfg.Metrics.Enabled, cfg.Catalog.Enabled, cfg.Analytics.Enabled = false, false, false, false
	if mutate != nil {
		mutate(cfg)
	}
	h.cfg = cfg
	h.key = key
	h.client = newClientFor(t, h)
	h.bucket = memblob.OpenBucket(nil)
	t.Cleanup(func() { h.bucket.Close() })
	h.store = load.New(h.bucket)
	t.Cleanup(func() { h.alloc.AssertSize(t, 0) })
	return h
}

func (h *harness) pipeline() *Pipeline {
	return &Pipeline{Cfg: h.cfg, Store: h.store, API: h.client, Now: h.clock.Now, Alloc: h.alloc}
}

func (h *harness) run(ctx context.Context) *Summary {
	h.t.Helper()
	sum, err := h.pipeline().Run(ctx)
	if err != nil {
		h.t.Fatalf("run: %v", err)
	}
	return sum
}

// snapshot maps every object key in the bucket to the sha256 of its content.
func (h *harness) snapshot() map[string]string {
	h.t.Helper()
	keys, err := h.store.List(context.Background(), "")
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		r, err := h.bucket.NewReader(context.Background(), k, nil)
		if err != nil {
			h.t.Fatal(err)
		}
		sum := sha256.New()
		io.Copy(sum, r)
		r.Close()
		out[k] = hex.EncodeToString(sum.Sum(nil))
	}
	return out
}

// totals reads a loaded unit's Parquet back and computes rows, units and proceeds the
// same way the simulator's ground truth defines them.
type totals struct {
	Rows     int64
	Units    int64
	Proceeds map[string]int64 // micro-units
}

func (h *harness) parquetTotals(u report.Unit) totals {
	h.t.Helper()
	key, err := load.UnitParquetKey(u)
	if err != nil {
		h.t.Fatal(err)
	}
	return totalsAt(h.t, h.store, h.alloc, u, key)
}

// totalsAt is parquetTotals for the object at key (an account's partition).
func totalsAt(t testing.TB, st *load.Store, alloc memory.Allocator, u report.Unit, key string) totals {
	t.Helper()
	table, err := schemas.ForUnit(u)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := st.ReadTable(context.Background(), key, alloc)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 4096)
	defer tr.Release()
	out := totals{Rows: tbl.NumRows()}
	idx := func(rec arrow.RecordBatch, name string) int {
		is := rec.Schema().FieldIndices(name)
		if len(is) != 1 {
			t.Fatalf("%s: column %q not found", key, name)
		}
		return is[0]
	}
	for tr.Next() {
		rec := tr.RecordBatch()
		units := rec.Column(idx(rec, table.UnitsColumn))
		for i := 0; i < int(rec.NumRows()); i++ {
			out.Units += intValue(units, i)
		}
		if table.Proceeds == nil {
			continue
		}
		if out.Proceeds == nil {
			out.Proceeds = map[string]int64{}
		}
		amt := rec.Column(idx(rec, table.Proceeds.Amount)).(*array.Decimal128)
		cur := rec.Column(idx(rec, table.Proceeds.Currency)).(*array.String)
		var qty arrow.Array
		if table.Proceeds.Quantity != "" {
			qty = rec.Column(idx(rec, table.Proceeds.Quantity))
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			if amt.IsNull(i) || cur.IsNull(i) {
				continue // blank currency of proceeds: free rows, no proceeds (as the truth defines)
			}
			v := int64(amt.Value(i).LowBits()) // scale 6 = micro-units; values fit in int64
			if qty != nil {
				v *= intValue(qty, i)
			}
			out.Proceeds[cur.Value(i)] += v
		}
	}
	return out
}

// intValue reads an int64 count, or a decimal count as whole units (PRE_ORDER counts are
// decimal because a public fixture carries fractions).
func intValue(a arrow.Array, i int) int64 {
	if a.IsNull(i) {
		return 0
	}
	switch c := a.(type) {
	case *array.Int64:
		return c.Value(i)
	case *array.Decimal128:
		return int64(c.Value(i).LowBits()) / 1_000_000
	}
	panic("unexpected units column type " + a.DataType().String())
}

// checkTruth asserts every ledger entry agrees with the simulator's ground truth, exactly.
func (h *harness) checkTruth() (loaded int) {
	h.t.Helper()
	es, err := h.store.Ledger().List(context.Background(), "")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range es {
		truth, err := h.sim.Truth(e.Unit, e.Version)
		if err != nil {
			h.t.Fatalf("%s: truth: %v", e.Unit.ID(), err)
		}
		switch e.State {
		case load.Loaded:
			loaded++
			got := h.parquetTotals(e.Unit)
			if got.Rows != truth.Rows || got.Units != truth.Units || got.Rows != e.Rows {
				h.t.Errorf("%s: rows %d units %d (ledger rows %d); truth rows %d units %d",
					e.Unit.ID(), got.Rows, got.Units, e.Rows, truth.Rows, truth.Units)
			}
			if len(got.Proceeds) != len(truth.Proceeds) {
				h.t.Errorf("%s: proceeds currencies %v, truth %v", e.Unit.ID(), got.Proceeds, truth.Proceeds)
			}
			for cur, v := range truth.Proceeds {
				if got.Proceeds[cur] != v {
					h.t.Errorf("%s: proceeds %s = %d micro, truth %d", e.Unit.ID(), cur, got.Proceeds[cur], v)
				}
			}
		case load.Empty:
			// 400: a subscription-family day without data ("Invalid vendor number.").
			if (truth.Status != 404 && truth.Status != 400) || truth.Rows != 0 {
				h.t.Errorf("%s: ledger empty, truth status %d rows %d", e.Unit.ID(), truth.Status, truth.Rows)
			}
		default:
			h.t.Errorf("%s: state %s (%s)", e.Unit.ID(), e.State, e.Error)
		}
	}
	return loaded
}
