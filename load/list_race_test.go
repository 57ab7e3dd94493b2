package load

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// Listing a directory while other processes write into it (temporaries beside their
// targets, renamed into place) never fails: a vanished temporary is listed again.
func TestListWhileOthersWrite(t *testing.T) {
	ctx := context.Background()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			s := New(be.open(t))
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if err := s.PutBytes(ctx, fmt.Sprintf("_etl/runs/job/w%d-%d.done", w, i%50), []byte("x"), "text/plain"); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			for range 200 {
				if _, err := s.List(ctx, "_etl/runs/job/"); err != nil {
					t.Error(err)
					break
				}
			}
			close(stop)
			wg.Wait()
		})
	}
}
