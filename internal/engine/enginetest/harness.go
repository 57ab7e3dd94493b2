// Package enginetest tests report families: a Harness runs the engine against the
// in-process simulator with a settable clock, and RunConformanceTests proves a Source the
// way gocloud's drivertest proves a blob driver — the same tests for every family.
package enginetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// Clock is a settable fake clock shared by the simulator, the client and the runner.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *Clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *Clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Start is Saturday 2026-11-21, noon Pacific: the harness clock's first reading.
var Start = time.Date(2026, 11, 21, 12, 0, 0, 0, report.Pacific)

// Harness is one installation under test: a simulator behind httptest, a client with a
// fresh key, an in-memory bucket and a config.
type Harness struct {
	T      testing.TB
	Clock  *Clock
	Sim    *simulator.Server
	Srv    *httptest.Server
	Bucket *blob.Bucket
	Store  *load.Store
	Cfg    *config.Config
	Alloc  *memory.CheckedAllocator
	Client *extract.Client
	Key    *ecdsa.PrivateKey
	// Sources makes the families of a pass from the config.
	Sources func(*config.Config) []engine.Source
	// API, when set, wraps the client for the next passes (fault injection).
	API func(engine.API) engine.API
}

// Options configure a Harness.
type Options struct {
	Sim     simulator.Options
	Config  func(*config.Config)
	Sources func(*config.Config) []engine.Source
}

// New builds a harness. The default config is config.yaml as shipped with small windows
// (4 days of sales, 2 fiscal months) and every family that reads per app off, for the
// test's Config to turn on.
func New(t testing.TB, opt Options) *Harness {
	t.Helper()
	h := &Harness{T: t, Clock: &Clock{t: Start}, Alloc: memory.NewCheckedAllocator(memory.DefaultAllocator), Sources: opt.Sources}
	simOpt := opt.Sim
	simOpt.Now = h.Clock.Now
	if simOpt.Seed == 0 {
		simOpt.Seed = 7
	}
	h.Sim = simulator.New(simOpt)
	key, _, err := simulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	h.Sim.AddKey("TESTKEY123", &key.PublicKey)
	h.Srv = httptest.NewServer(h.Sim)
	t.Cleanup(h.Srv.Close)
	cfg, err := config.Parse("test", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sales.InitialDays = 4
	cfg.Finance.InitialPeriods = 2
	cfg.Finance.Regions = []string{"ZZ", "US", "EU", "JP"}
	cfg.Reviews.Enabled, cfg.Metrics.Enabled, cfg.Catalog.Enabled, cfg.Analytics.Enabled = false, false, false, false
	if opt.Config != nil {
		opt.Config(cfg)
	}
	h.Cfg, h.Key = cfg, key
	h.Client = h.NewClient()
	h.Bucket = memblob.OpenBucket(nil)
	t.Cleanup(func() { h.Bucket.Close() })
	h.Store = load.New(h.Bucket)
	t.Cleanup(func() { h.Alloc.AssertSize(t, 0) })
	return h
}

// SimHost is the API host of every harness's clients; each connection goes to the
// harness's own simulator. Apple's host is the same for every installation, so payloads
// that carry absolute links (JSON:API pages, download URLs) are the same bytes in every
// harness, as they would be in every installation, whatever port httptest picked.
const SimHost = "asc.simulator.test"

// NewClient makes a fresh API client (a new process, as the next cron run would be).
func (h *Harness) NewClient() *extract.Client {
	h.T.Helper()
	addr := h.Srv.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
		MaxIdleConnsPerHost: 16,
	}
	h.T.Cleanup(tr.CloseIdleConnections)
	c, err := extract.NewClient(extract.Config{
		BaseURL: "http://" + SimHost, HTTPClient: &http.Client{Transport: tr},
		IssuerID: h.Sim.Options().IssuerID, KeyID: "TESTKEY123", Key: h.Key,
		Now: h.Clock.Now, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		MaxConcurrency: h.Cfg.API.MaxConcurrency,
	})
	if err != nil {
		h.T.Fatal(err)
	}
	return c
}

// Runner is a runner for one pass over the harness's sources.
func (h *Harness) Runner() *engine.Runner {
	var api engine.API = h.Client
	if h.API != nil {
		api = h.API(api)
	}
	return &engine.Runner{Cfg: h.Cfg, Store: h.Store, API: api, Sources: h.Sources(h.Cfg),
		Now: h.Clock.Now, Alloc: h.Alloc}
}

// Run is one `etl run`; it fails the test on an error (not on a partial exit code).
func (h *Harness) Run(ctx context.Context) *engine.Summary {
	h.T.Helper()
	sum, err := h.Runner().Run(ctx, engine.Window{})
	if err != nil {
		h.T.Fatalf("run: %v", err)
	}
	return sum
}

// RunOK is Run requiring exit code 0.
func (h *Harness) RunOK(ctx context.Context) *engine.Summary {
	h.T.Helper()
	sum := h.Run(ctx)
	if code := sum.ExitCode(); code != engine.ExitOK {
		h.T.Fatalf("run: exit %d:\n%s", code, Printed(sum))
	}
	return sum
}

// Printed is the summary as `etl` prints it.
func Printed(sum *engine.Summary) string {
	var b strings.Builder
	sum.Print(&b)
	return b.String()
}

// Snapshot maps every object key under prefix to the sha256 of its content.
func (h *Harness) Snapshot(prefix string) map[string]string {
	h.T.Helper()
	keys, err := h.Store.List(context.Background(), prefix)
	if err != nil {
		h.T.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		r, err := h.Bucket.NewReader(context.Background(), k, nil)
		if err != nil {
			h.T.Fatal(err)
		}
		s := sha256.New()
		io.Copy(s, r)
		r.Close()
		out[k] = hex.EncodeToString(s.Sum(nil))
	}
	return out
}

// Diff lists the keys whose content differs between two snapshots (added, removed or
// changed), sorted.
func Diff(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// DeletePrefix removes every object under prefix (a user deleting data/parquet).
func (h *Harness) DeletePrefix(prefix string) {
	h.T.Helper()
	keys, err := h.Store.List(context.Background(), prefix)
	if err != nil {
		h.T.Fatal(err)
	}
	for _, k := range keys {
		if err := h.Store.Delete(context.Background(), k); err != nil {
			h.T.Fatal(err)
		}
	}
}

// Entries lists the ledger under prefix.
func (h *Harness) Entries(prefix string) []load.Entry {
	h.T.Helper()
	es, err := h.Store.Ledger().List(context.Background(), prefix)
	if err != nil {
		h.T.Fatal(err)
	}
	return es
}
