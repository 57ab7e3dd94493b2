package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/blobs"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/simulator"
)

func TestResolveShard(t *testing.T) {
	for _, tc := range []struct {
		flag, idx, n string
		want         engine.Shard
		wantErr      string
	}{
		{"", "", "", engine.Shard{}, ""},
		{"1/3", "", "", engine.Shard{Index: 1, Count: 3}, ""},
		{"1/3", "2", "4", engine.Shard{Index: 1, Count: 3}, ""}, // the flag wins
		{"", "2", "4", engine.Shard{Index: 2, Count: 4}, ""},
		{"", "2", "", engine.Shard{}, "ETL_SHARDS is not"},
		{"", "", "4", engine.Shard{}, "JOB_COMPLETION_INDEX is not"},
		{"", "4", "4", engine.Shard{}, "need 0 <= I < N"},
		{"", "0", "x", engine.Shard{}, "must be a number"},
		{"3", "", "", engine.Shard{}, "must be I/N"},
	} {
		env := map[string]string{EnvShardIndex: tc.idx, EnvShards: tc.n}
		got, err := ResolveShard(tc.flag, func(k string) string { return env[k] })
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: err %v, want %q", tc, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v: %v %v, want %v", tc, got, err, tc.want)
		}
	}
}

func TestResolveJob(t *testing.T) {
	now := time.Date(2026, 11, 21, 23, 30, 0, 0, time.UTC)
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if id, _ := ResolveJob("", get, now); id != "2026-11-21" {
		t.Errorf("default job %q", id)
	}
	env[EnvJobID] = "etl-backfill-x7k2p"
	if id, _ := ResolveJob("", get, now); id != "etl-backfill-x7k2p" {
		t.Errorf("job from the environment %q", id)
	}
	if id, _ := ResolveJob("mine", get, now); id != "mine" {
		t.Errorf("job from the flag %q", id)
	}
	if _, err := ResolveJob("../x", get, now); err == nil {
		t.Error("a job id with a slash passed")
	}
}

// Of N shards finishing at once, exactly one completes the set (and rebuilds the views);
// one finishing early never does.
func TestShardDoneOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, be := range []string{"memblob", "fileblob"} {
		t.Run(be, func(t *testing.T) {
			stores := shardStores(t, be, 8)
			if last, done, err := ShardDone(ctx, stores[0], "early", engine.Shard{Index: 0, Count: 8}, "r0", 0, now); last || done != 1 || err != nil {
				t.Fatalf("first of 8: last %v done %d err %v", last, done, err)
			}
			for round := range 3 {
				job := fmt.Sprintf("job-%d", round)
				var lasts atomic.Int32
				var wg sync.WaitGroup
				for i, st := range stores {
					wg.Add(1)
					go func() {
						defer wg.Done()
						last, done, err := ShardDone(ctx, st, job, engine.Shard{Index: i, Count: 8}, fmt.Sprint("r", i), 0, now)
						if err != nil {
							t.Error(err)
						}
						if last {
							lasts.Add(1)
							if done != 8 {
								t.Errorf("the last shard saw %d of 8 done", done)
							}
						}
					}()
				}
				wg.Wait()
				if n := lasts.Load(); n != 1 {
					t.Errorf("%s: %d shards completed the set, want 1", job, n)
				}
				// A retried shard finds the set complete and the views taken.
				if last, _, _ := ShardDone(ctx, stores[3], job, engine.Shard{Index: 3, Count: 8}, "retry", 3, now); last {
					t.Errorf("%s: a retried shard rebuilt the views again", job)
				}
			}
		})
	}
}

// shardStores opens n stores on one bucket, as n processes would.
func shardStores(t *testing.T, kind string, n int) []*load.Store {
	t.Helper()
	ctx := context.Background()
	var open func() *load.Store
	switch kind {
	case "memblob":
		st := load.New(memblobBucket(t))
		open = func() *load.Store { return st }
	case "fileblob":
		dir := t.TempDir()
		open = func() *load.Store {
			b, err := blobs.Open(ctx, "file://"+filepath.ToSlash(dir)+"?metadata=skip")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			st := load.New(b)
			st.UseLocalDir(dir)
			return st
		}
	case "s3":
		be := s3mem.New()
		srv := httptest.NewServer(gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
		t.Cleanup(srv.Close)
		if err := be.CreateBucket("lake"); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
		t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		u := "s3://lake/asc?region=us-east-1&use_path_style=true&disable_https=true&endpoint=" + url.QueryEscape(srv.URL)
		open = func() *load.Store {
			b, err := blobs.Open(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return load.New(b)
		}
	default:
		t.Fatalf("backend %s", kind)
	}
	out := make([]*load.Store, n)
	for i := range out {
		out[i] = open()
	}
	return out
}

// objects maps every key under prefix to the sha256 of its bytes.
func objects(t *testing.T, st *load.Store, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := st.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		b, err := st.Bucket().ReadAll(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		out[k] = hex.EncodeToString(s[:])
	}
	return out
}

// Three shards started at the same moment on one bucket, two accounts, each shard with
// its own client per account holding a third of every key's budget, give exactly the
// tables, raw archive and ledger of one unsharded run: no duplicates, no lost units, no
// 429s, and no Parquet object written by two shards. Shards started one after another
// (a slow pod) still do exactly one run's units: they share the first shard's plan, where
// on its own a later shard would see the others' loaded days and plan other windows.
func TestShardedRunsMatchOneRun(t *testing.T) {
	for _, tc := range []struct {
		be        string
		staggered bool
	}{{"fileblob", false}, {"s3", false}, {"fileblob", true}} {
		be := tc.be
		name := be
		if tc.staggered {
			name += "/staggered"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			const n = 3
			const rateLimit = 600
			simOpt := simulator.Options{ReviewsPerApp: 30, RateLimit: rateLimit}

			ref := newMultiHarness(t, simOpt, twoAccountsConfig(t, nil))
			refSum := ref.run(ctx)
			if refSum.ExitCode() != ExitOK {
				t.Fatalf("unsharded run: exit %d\n%s", refSum.ExitCode(), printedSummary(refSum))
			}
			refRequests := ref.multi.Stats().Requests

			h := newMultiHarness(t, simOpt, twoAccountsConfig(t, nil))
			stores := shardStores(t, be, n)
			sums := make([]*Summary, n)
			clients := make([]map[string]*extract.Client, n)
			startGate := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				clients[i] = h.clients(n)
				p := h.pipeline(stores[i], clients[i])
				p.Shard, p.Job = engine.Shard{Index: i, Count: n}, "job-"+name
				wg.Add(1)
				run := func() {
					s, err := p.Run(ctx)
					if err != nil {
						t.Errorf("shard %d: %v", i, err)
					}
					sums[i] = s
				}
				if tc.staggered {
					run()
					continue
				}
				go func() {
					defer wg.Done()
					<-startGate
					run()
				}()
			}
			if tc.staggered {
				wg.Add(-n)
			}
			close(startGate)
			wg.Wait()
			if t.Failed() {
				return
			}
			planned := 0
			for i, s := range sums {
				if s.ExitCode() != ExitOK || s.Planned == 0 {
					t.Errorf("shard %d: exit %d, %d planned\n%s", i, s.ExitCode(), s.Planned, printedSummary(s))
				}
				planned += s.Planned
				for acct, c := range clients[i] {
					if st := c.Stats(); st.Throttled != 0 || st.Requests > rateLimit/n {
						t.Errorf("shard %d, %s: %d requests (%d throttled); its slice is %d", i, acct, st.Requests, st.Throttled, rateLimit/n)
					}
				}
			}
			if planned != refSum.Planned {
				t.Errorf("shards planned %d units together, the unsharded run %d", planned, refSum.Planned)
			}
			if st := h.multi.Stats(); st.RateLimited != 0 || st.ByStatus[403] != 0 {
				t.Errorf("simulator: %d 429s, %d 403s", st.RateLimited, st.ByStatus[403])
			}

			for _, prefix := range []string{"parquet/", "raw/", "_etl/ledger/"} {
				want, got := objects(t, ref.store, prefix), objects(t, stores[0], prefix)
				if len(want) == 0 {
					t.Fatalf("the unsharded run wrote nothing under %s", prefix)
				}
				if diff := diffKeys(want, got); len(diff) > 0 {
					t.Errorf("%s: %d objects differ from the unsharded run, e.g. %v", prefix, len(diff), diff[:min(5, len(diff))])
				}
			}
			// No object is written by two shards: each unit's objects belong to one shard.
			es, err := stores[0].Ledger().List(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			writer := map[string]int{}
			for _, e := range es {
				i := shardOf(t, h, e, n)
				for _, o := range e.Objects {
					if w, ok := writer[o]; ok && w != i {
						t.Errorf("%s: written by shards %d and %d", o, w, i)
					}
					writer[o] = i
				}
			}
			t.Logf("%s: %d units over %d shards (%v planned), %d Parquet objects identical to one run; requests: unsharded %d, sharded %d",
				name, planned, n, []int{sums[0].Planned, sums[1].Planned, sums[2].Planned}, len(writer), refRequests, h.multi.Stats().Requests)
		})
	}
}

// shardOf finds which of n shards owns an entry's unit, through the Sources of its account.
func shardOf(t *testing.T, h *multiHarness, e load.Entry, n int) int {
	t.Helper()
	p := &Pipeline{Cfg: h.cfg}
	for _, ps := range p.passes(false) {
		if ps.account != e.Account {
			continue
		}
		for _, src := range ps.runner.Sources {
			if src.Family() != e.Unit.Family {
				continue
			}
			for i := range n {
				if (engine.Shard{Index: i, Count: n}).Owns(engine.ShardKey(src, e.Unit)) {
					return i
				}
			}
		}
	}
	t.Fatalf("%s: no shard", e.Unit.ID())
	return -1
}

func diffKeys(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k+" (extra)")
		}
	}
	slices.Sort(out)
	return out
}

func memblobBucket(t *testing.T) *blob.Bucket {
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	return b
}
