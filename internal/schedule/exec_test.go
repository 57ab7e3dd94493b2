package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// simAPI serves a simulator over httptest and returns a client factory for it.
func simAPI(t *testing.T, cfg *config.Config) func() *extract.Client {
	t.Helper()
	sim := simulator.New(simulator.Options{Seed: 3})
	key, _, err := simulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sim.AddKey("TESTKEY123", &key.PublicKey)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg.Reviews.Apps = sim.AppIDs()
	return func() *extract.Client {
		c, err := extract.NewClient(extract.Config{BaseURL: srv.URL, IssuerID: sim.Options().IssuerID,
			KeyID: "TESTKEY123", Key: key, MaxConcurrency: cfg.API.MaxConcurrency,
			MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sales.InitialDays = 2
	cfg.Finance.Enabled, cfg.Metrics.Enabled, cfg.Catalog.Enabled, cfg.Analytics.Enabled = false, false, false, false
	cfg.Lock.TTL = config.Duration(10 * time.Second)
	return cfg
}

// pipelineExec is an Exec of a real run of the sales family against the simulator.
func pipelineExec(cfg *config.Config, store *load.Store, newClient func() *extract.Client, gate func()) *Exec {
	x := &Exec{Cfg: cfg, Store: store, Command: "run", Families: []report.Family{report.Sales}}
	x.Work = func(ctx context.Context) (*pipeline.Summary, error) {
		if gate != nil {
			gate()
		}
		c := newClient()
		x.Stats = c.Stats
		p := &pipeline.Pipeline{Cfg: cfg, Store: store, API: c}
		return p.Backfill(ctx, pipeline.Window{From: time.Now().AddDate(0, 0, -3), To: time.Now(), Families: x.Families})
	}
	return x
}

func TestConcurrentRunsOnOneBucketNeverBothLoad(t *testing.T) {
	for _, be := range []struct {
		name   string
		stores func(t *testing.T) (*load.Store, *load.Store)
	}{
		{"memblob", func(t *testing.T) (*load.Store, *load.Store) {
			b := memblob.OpenBucket(nil)
			t.Cleanup(func() { b.Close() })
			return load.New(b), load.New(b)
		}},
		{"fileblob", func(t *testing.T) (*load.Store, *load.Store) {
			dir := t.TempDir()
			open := func() *load.Store {
				b, err := blob.OpenBucket(context.Background(), "file://"+filepath.ToSlash(dir)+"?metadata=skip&no_tmp_dir=1")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { b.Close() })
				s := load.New(b)
				s.UseLocalDir(dir)
				return s
			}
			return open(), open()
		}},
	} {
		t.Run(be.name, func(t *testing.T) {
			cfg := testConfig(t)
			newClient := simAPI(t, cfg)
			s1, s2 := be.stores(t)
			// Both start together; whichever gets the lock holds it until the other has tried.
			var worked atomic.Int64
			tried := make(chan struct{})
			var once sync.Once
			gate := func() {
				worked.Add(1)
				<-tried
			}
			var wg sync.WaitGroup
			results := make([]Result, 2)
			for i, s := range []*load.Store{s1, s2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = pipelineExec(cfg, s, newClient, gate).Do(context.Background())
					if results[i].Err != nil {
						once.Do(func() { close(tried) })
					}
				}()
			}
			wg.Wait()
			if worked.Load() != 1 {
				t.Fatalf("%d runs did work", worked.Load())
			}
			var ok, locked int
			for _, r := range results {
				switch {
				case r.Err == nil && r.Code == pipeline.ExitOK && r.Summary.Totals().Loaded > 0:
					ok++
				case errors.Is(r.Err, load.ErrLocked) && r.Code == pipeline.ExitFailed:
					locked++
					if !strings.Contains(r.Err.Error(), "another etl run") || !strings.Contains(r.Err.Error(), "etl run host=") {
						t.Errorf("message: %v", r.Err)
					}
				default:
					t.Errorf("result %+v", r)
				}
			}
			if ok != 1 || locked != 1 {
				t.Fatalf("%d runs loaded, %d were locked out", ok, locked)
			}
			// One manifest: the run that worked; the lock is released.
			ms, err := pipeline.ListManifests(context.Background(), s1, 0)
			if err != nil || len(ms) != 1 || ms[0].Totals.Loaded == 0 || ms[0].Requests == 0 {
				t.Fatalf("manifests %+v %v", ms, err)
			}
			if info, _, _ := s1.ReadLock(context.Background(), RunLock); !info.Released {
				t.Errorf("lock not released: %+v", info)
			}
		})
	}
}

func TestStaleLockOfACrashedRunIsTakenOver(t *testing.T) {
	cfg := testConfig(t)
	newClient := simAPI(t, cfg)
	b := memblob.OpenBucket(nil)
	defer b.Close()
	store := load.New(b)
	// A run crashed an hour ago holding generation 7.
	crashed, _ := json.Marshal(load.LockInfo{Name: RunLock, Generation: 7, Owner: "etl run host=gone pid=1",
		Since: time.Now().Add(-time.Hour), Expires: time.Now().Add(-50 * time.Minute)})
	if ok, err := store.PutIfAbsent(context.Background(), "_etl/lock/run/00000000000000000007.json", crashed); !ok || err != nil {
		t.Fatal(ok, err)
	}
	r := pipelineExec(cfg, store, newClient, nil).Do(context.Background())
	if r.Err != nil || r.Code != pipeline.ExitOK {
		t.Fatalf("run after a crash: %+v", r)
	}
	info, _, _ := store.ReadLock(context.Background(), RunLock)
	if info.Generation <= 7 || !info.Released || !strings.Contains(info.Owner, r.ID) {
		t.Errorf("lock after the run: %+v", info)
	}
	// A live lock, by contrast, stops the run (mode exit) and it does nothing.
	l, err := store.AcquireLock(context.Background(), RunLock, "someone else", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	x := pipelineExec(cfg, store, newClient, func() { t.Error("work ran under somebody else's lock") })
	if r := x.Do(context.Background()); !errors.Is(r.Err, load.ErrLocked) || r.Code != pipeline.ExitFailed {
		t.Fatalf("run under a live lock: %+v", r)
	}
}

func TestCancelledRunLeavesNoPartialObjectAndNextRunCompletes(t *testing.T) {
	cfg := testConfig(t)
	cfg.Sales.InitialDays = 6
	newClient := simAPI(t, cfg)
	b := memblob.OpenBucket(nil)
	defer b.Close()
	store := load.New(b)
	ctx, cancel := context.WithCancel(context.Background())
	x := &Exec{Cfg: cfg, Store: store, Command: "run", Families: []report.Family{report.Sales}}
	x.Work = func(ctx context.Context) (*pipeline.Summary, error) {
		p := &pipeline.Pipeline{Cfg: cfg, Store: store, API: newClient()}
		p.OnUnit = func(d pipeline.UnitDone) {
			if d.State == load.Loaded {
				cancel() // SIGTERM after the first unit loads
			}
		}
		return p.Run(ctx)
	}
	r := x.Do(ctx)
	if r.Err == nil || r.Code != pipeline.ExitFailed {
		t.Fatalf("cancelled run: %+v", r)
	}
	// Every Parquet object is complete and recorded; the manifest says interrupted.
	es, err := store.Ledger().List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	for _, e := range es {
		for _, k := range e.Objects {
			recorded[k] = true
		}
	}
	keys, _ := store.List(context.Background(), "parquet/")
	for _, k := range keys {
		if !recorded[k] {
			t.Errorf("%s is not recorded in the ledger", k)
		}
		tbl, err := store.ReadTable(context.Background(), k, nil)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		tbl.Release()
	}
	ms, _ := pipeline.ListManifests(context.Background(), store, 1)
	if len(ms) != 1 || !strings.Contains(ms[0].Error, "interrupted") || ms[0].ExitCode != pipeline.ExitFailed {
		t.Fatalf("manifest of the interrupted run: %+v", ms)
	}
	// The lock was released, and the next run completes.
	x.Work = func(ctx context.Context) (*pipeline.Summary, error) {
		return (&pipeline.Pipeline{Cfg: cfg, Store: store, API: newClient()}).Run(ctx)
	}
	r = x.Do(context.Background())
	if r.Err != nil || r.Code != pipeline.ExitOK || r.Summary.Totals().Loaded == 0 {
		t.Fatalf("next run: %+v", r)
	}
}
