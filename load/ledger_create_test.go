package load

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// Of several stores creating one unit's entry at once (shards, or two runs), exactly one
// succeeds, and the entry read back is the winner's, whole.
func TestLedgerCreateOnce(t *testing.T) {
	u := salesUnit("85012345", "2026-11-20")
	for _, be := range lockBackends {
		t.Run(be.name, func(t *testing.T) {
			ctx := context.Background()
			stores := be.contenders(t, 12)
			var created atomic.Int64
			var winner atomic.Value
			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					e := Entry{Unit: u, State: Pending, Error: fmt.Sprintf("shard %d", i), Account: fmt.Sprintf("a%d", i)}
					ok, err := s.Ledger().Create(ctx, e)
					if err != nil {
						t.Error(err)
					}
					if ok {
						created.Add(1)
						winner.Store(e.Error)
					}
				}()
			}
			wg.Wait()
			if n := created.Load(); n != 1 {
				t.Fatalf("%d creates succeeded, want 1", n)
			}
			got, ok, err := stores[0].Ledger().Get(ctx, u)
			if err != nil || !ok {
				t.Fatalf("Get = %v, %v", ok, err)
			}
			if got.Error != winner.Load() || got.Account == "" {
				t.Errorf("entry %q (account %q), want the winner's %q", got.Error, got.Account, winner.Load())
			}
			if ok, err := stores[1].Ledger().Create(ctx, Entry{Unit: u, State: Pending}); ok || err != nil {
				t.Errorf("create over an existing entry = %v, %v; want false, nil", ok, err)
			}
			if _, err := stores[1].Ledger().Create(ctx, Entry{Unit: u, State: "done"}); err == nil {
				t.Error("create with an unknown state succeeded")
			}
		})
	}
}
