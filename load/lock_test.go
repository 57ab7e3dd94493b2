package load

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// contenders returns n stores over the same storage, each with its own bucket handle (as
// separate processes would have). For file buckets each store knows its directory, as the
// CLI sets it up.
type lockBackend struct {
	name       string
	contenders func(t *testing.T, n int) []*Store
}

var lockBackends = []lockBackend{
	{"memblob", func(t *testing.T, n int) []*Store {
		b := memblob.OpenBucket(nil)
		t.Cleanup(func() { b.Close() })
		out := make([]*Store, n)
		for i := range out {
			out[i] = New(b)
		}
		return out
	}},
	{"fileblob", func(t *testing.T, n int) []*Store {
		dir := t.TempDir()
		out := make([]*Store, n)
		for i := range out {
			b, err := blob.OpenBucket(context.Background(), "file://"+filepath.ToSlash(dir)+"?metadata=skip&no_tmp_dir=1")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			out[i] = New(b)
			out[i].UseLocalDir(dir)
		}
		return out
	}},
}

// setLockClock makes the lock protocol read a clock the test moves.
func setLockClock(t *testing.T, start time.Time) (advance func(time.Duration)) {
	var mu sync.Mutex
	now := start
	lockNow = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	t.Cleanup(func() { lockNow = time.Now })
	return func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
}

func TestPutIfAbsentCreatesOnce(t *testing.T) {
	for _, be := range lockBackends {
		t.Run(be.name, func(t *testing.T) {
			stores := be.contenders(t, 16)
			var created atomic.Int64
			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := s.PutIfAbsent(context.Background(), "_etl/test/once.json", []byte(fmt.Sprintf(`{"writer":%d}`, i)))
					if err != nil {
						t.Error(err)
					}
					if ok {
						created.Add(1)
					}
				}()
			}
			wg.Wait()
			if created.Load() != 1 {
				t.Fatalf("%d writers created the object, want exactly 1", created.Load())
			}
			keys, err := stores[0].List(context.Background(), "_etl/test/")
			if err != nil || len(keys) != 1 {
				t.Fatalf("keys %v, err %v (a temporary file left behind?)", keys, err)
			}
		})
	}
}

func TestLockMutualExclusion(t *testing.T) {
	for _, be := range lockBackends {
		t.Run(be.name, func(t *testing.T) {
			const workers, rounds = 6, 5
			stores := be.contenders(t, workers)
			var inside, maxInside, acquired atomic.Int64
			var wg sync.WaitGroup
			for w, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := 0; r < rounds; r++ {
						l, err := s.AcquireLockWait(context.Background(), "run", fmt.Sprintf("worker-%d", w), 10*time.Second, time.Minute)
						if err != nil {
							t.Error(err)
							return
						}
						n := inside.Add(1)
						for {
							m := maxInside.Load()
							if n <= m || maxInside.CompareAndSwap(m, n) {
								break
							}
						}
						acquired.Add(1)
						time.Sleep(time.Millisecond)
						inside.Add(-1)
						if err := l.Release(context.Background()); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			if maxInside.Load() != 1 || acquired.Load() != workers*rounds {
				t.Fatalf("max holders at once %d (want 1), acquisitions %d (want %d)", maxInside.Load(), acquired.Load(), workers*rounds)
			}
			// The chain is pruned: only the released tombstone is left.
			keys, _ := stores[0].List(context.Background(), LockPrefix)
			if len(keys) != 1 {
				t.Errorf("lock objects left: %v", keys)
			}
			info, ok, err := stores[0].ReadLock(context.Background(), "run")
			if err != nil || !ok || !info.Released {
				t.Errorf("final state %+v ok=%v err=%v", info, ok, err)
			}
		})
	}
}

func TestLockHeldNamesHolder(t *testing.T) {
	for _, be := range lockBackends {
		t.Run(be.name, func(t *testing.T) {
			s := be.contenders(t, 2)
			ctx := context.Background()
			l, err := s[0].AcquireLock(ctx, "run", "etl run host=a pid=1", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s[1].AcquireLock(ctx, "run", "etl run host=b pid=2", time.Minute)
			var le *LockedError
			if !errors.Is(err, ErrLocked) || !errors.As(err, &le) || le.Holder != "etl run host=a pid=1" {
				t.Fatalf("second acquire: %v", err)
			}
			if !strings.Contains(err.Error(), "host=a") || !strings.Contains(err.Error(), "_etl/lock/run/") {
				t.Errorf("message: %v", err)
			}
			if err := l.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if err := l.Release(ctx); err != nil {
				t.Fatal(err)
			}
			l2, err := s[1].AcquireLock(ctx, "run", "etl run host=b pid=2", time.Minute)
			if err != nil {
				t.Fatalf("after release: %v", err)
			}
			l2.Release(ctx)
		})
	}
}

func TestStaleLockIsTakenOverOnce(t *testing.T) {
	for _, be := range lockBackends {
		t.Run(be.name, func(t *testing.T) {
			advance := setLockClock(t, time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
			ctx := context.Background()
			const takers = 8
			s := be.contenders(t, takers+1)
			crashed, err := s[0].AcquireLock(ctx, "run", "crashed run", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			// Within the TTL the lock holds.
			advance(59 * time.Second)
			if _, err := s[1].AcquireLock(ctx, "run", "early", time.Minute); !errors.Is(err, ErrLocked) {
				t.Fatalf("before expiry: %v", err)
			}
			// Past it, takers race: exactly one gets it, the others see it held by the winner.
			advance(2 * time.Second)
			var wins atomic.Int64
			var winner atomic.Value
			var wg sync.WaitGroup
			for i := 1; i <= takers; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					owner := fmt.Sprintf("taker-%d", i)
					_, err := s[i].AcquireLock(ctx, "run", owner, time.Minute)
					switch {
					case err == nil:
						wins.Add(1)
						winner.Store(owner)
					case !errors.Is(err, ErrLocked):
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d takers won the stale lock, want 1", wins.Load())
			}
			info, _, _ := s[0].ReadLock(ctx, "run")
			if info.Owner != winner.Load() || !info.Held(lockNow()) {
				t.Errorf("lock state %+v, winner %v", info, winner.Load())
			}
			// The crashed holder, if it comes back, has lost the lock and cannot release it.
			if err := crashed.Refresh(ctx); !errors.Is(err, ErrLockLost) {
				t.Errorf("refresh of a taken-over lock: %v", err)
			}
			if err := crashed.Release(ctx); !errors.Is(err, ErrLockLost) {
				t.Errorf("release of a taken-over lock: %v", err)
			}
			if info2, _, _ := s[0].ReadLock(ctx, "run"); info2.Owner != info.Owner || info2.Released {
				t.Errorf("the old holder changed the lock: %+v", info2)
			}
		})
	}
}

func TestKeepRefreshesAndReportsLoss(t *testing.T) {
	s := lockBackends[0].contenders(t, 2)
	ctx := context.Background()
	l, err := s[0].AcquireLock(ctx, "run", "keeper", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	first := l.Info().Expires
	lost := make(chan error, 1)
	stop := l.Keep(ctx, func(err error) { lost <- err })
	// Wait (generously) for a refresh to move the expiry.
	deadline := time.Now().Add(30 * time.Second)
	for !l.Info().Expires.After(first) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !l.Info().Expires.After(first) {
		t.Fatal("Keep never refreshed the lock")
	}
	// Someone takes the lock over (as if it had expired): Keep reports the loss.
	cur := l.Info()
	stolen := cur
	stolen.Generation++
	stolen.Owner, stolen.Token = "thief", "x"
	if _, err := (&Lock{s: s[1], ttl: time.Minute}).advance(ctx, stolen); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-lost:
		if !errors.Is(err, ErrLockLost) {
			t.Errorf("lost with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Keep did not report the lost lock")
	}
	stop()
}
