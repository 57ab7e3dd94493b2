package schedule

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/robfig/cron/v3"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/opsmetrics"
)

func every(t *testing.T, spec string) cron.Schedule {
	t.Helper()
	s, err := config.ParseCron(spec, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls cond for up to a generous minute (the jobs fire every second).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func start(t *testing.T, jobs []Job, grace time.Duration) (*Scheduler, *opsmetrics.Metrics, func()) {
	t.Helper()
	m := opsmetrics.New()
	s, err := New(jobs, Options{Metrics: m, Grace: grace})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	return s, m, func() { cancel(); <-done }
}

// The chain alone, without cron's timing: after a panic the next call must run the job.
// With the other order (Recover outside Skip) it would be skipped forever.
func TestChainOrderSurvivesPanic(t *testing.T) {
	calls := 0
	job := cron.FuncJob(func() {
		calls++
		if calls == 1 {
			panic("first run fails")
		}
	})
	l := cron.DiscardLogger
	wrapped := Chain(l).Then(job)
	wrapped.Run()
	wrapped.Run()
	if calls != 2 {
		t.Fatalf("job ran %d times after a panic, want 2", calls)
	}
	// The trap, shown: the wrong order runs once and then skips forever.
	calls = 0
	wrong := cron.NewChain(cron.Recover(l), cron.SkipIfStillRunning(l)).Then(job)
	wrong.Run()
	wrong.Run()
	if calls != 1 {
		t.Fatalf("wrong order ran %d times; the trap this test guards against is gone?", calls)
	}
}

func TestJobsFireAndSurviveAPanic(t *testing.T) {
	var calls atomic.Int64
	jobs := []Job{{Name: "flaky", Spec: "@every 1s", Schedule: every(t, "@every 1s"), Run: func(ctx context.Context) error {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return nil
	}}}
	s, m, stop := start(t, jobs, time.Second)
	waitFor(t, "a run after the panic", func() bool { return calls.Load() >= 3 })
	stop()
	st := s.Status()[0]
	if st.Panics != 1 || st.Runs < 3 || st.Running {
		t.Errorf("status %+v", st)
	}
	if got := testutil.ToFloat64(m.Panics.WithLabelValues("flaky")); got != 1 {
		t.Errorf("panics metric %v", got)
	}
	if got := testutil.ToFloat64(m.Running.WithLabelValues("flaky")); got != 0 {
		t.Errorf("running gauge %v after a panic", got)
	}
}

func TestJobNeverOverlapsItself(t *testing.T) {
	var inside, maxInside, runs atomic.Int64
	var s *Scheduler
	var once sync.Once
	release := make(chan struct{})
	jobs := []Job{{Name: "slow", Spec: "@every 1s", Schedule: every(t, "@every 1s"), Run: func(ctx context.Context) error {
		n := inside.Add(1)
		defer inside.Add(-1)
		if n > maxInside.Load() {
			maxInside.Store(n)
		}
		if runs.Add(1) == 1 {
			<-release // the first run outlasts the next fires
		}
		return nil
	}}}
	s, m, stop := start(t, jobs, time.Second)
	waitFor(t, "a skipped fire", func() bool { return s.Status()[0].Skipped >= 2 })
	once.Do(func() { close(release) })
	waitFor(t, "a run after the slow one", func() bool { return runs.Load() >= 2 })
	stop()
	if maxInside.Load() != 1 {
		t.Fatalf("%d runs of one job at once", maxInside.Load())
	}
	if got := testutil.ToFloat64(m.Skipped.WithLabelValues("slow")); got < 2 {
		t.Errorf("skipped metric %v", got)
	}
}

func TestShutdownLetsAJobFinishThenAbortsAfterGrace(t *testing.T) {
	started := make(chan struct{}, 1)
	var finished, aborted atomic.Bool
	jobs := []Job{{Name: "long", Spec: "@every 1s", Schedule: every(t, "@every 1s"), Run: func(ctx context.Context) error {
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			aborted.Store(true)
			return ctx.Err()
		case <-time.After(time.Hour):
			finished.Store(true)
			return nil
		}
	}}}
	_, _, stop := start(t, jobs, 200*time.Millisecond)
	<-started
	stop() // returns only once the job has returned
	if !aborted.Load() || finished.Load() {
		t.Fatalf("after the grace the job should be aborted: aborted=%v finished=%v", aborted.Load(), finished.Load())
	}

	// A job that ends within the grace is not cancelled.
	started2 := make(chan struct{}, 1)
	var ctxErr atomic.Value
	jobs = []Job{{Name: "short", Spec: "@every 1s", Schedule: every(t, "@every 1s"), Run: func(ctx context.Context) error {
		select {
		case started2 <- struct{}{}:
		default:
		}
		time.Sleep(100 * time.Millisecond)
		ctxErr.Store(ctx.Err() == nil)
		return nil
	}}}
	_, _, stop = start(t, jobs, time.Minute)
	<-started2
	stop()
	if ok, _ := ctxErr.Load().(bool); !ok {
		t.Fatal("a job finishing within the grace saw its context cancelled")
	}
}
