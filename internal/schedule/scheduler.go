// Package schedule runs pipeline jobs unattended: a cron scheduler whose jobs never
// overlap themselves and survive panics, an HTTP server for /healthz and /metrics, and
// Exec, one pass of the pipeline under the bucket lock, recorded in a run manifest and in
// the metrics. It holds no DuckDB code: the caller passes views in as a hook.
package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/ascetl/etl/internal/opsmetrics"
)

// Job is one scheduled job.
type Job struct {
	Name     string
	Schedule cron.Schedule // e.g. config.ParseCron(spec, location)
	Spec     string        // for /healthz
	// Run does the work. ctx is cancelled when the scheduler aborts it (shutdown grace
	// over); it is not cancelled by the shutdown signal itself.
	Run func(ctx context.Context) error
}

// Options configure a Scheduler.
type Options struct {
	Log     *slog.Logger
	Metrics *opsmetrics.Metrics // nil: none
	// Grace is how long running jobs may continue after shutdown begins before their
	// context is cancelled.
	Grace time.Duration
	// Dashboard, when set, serves /dashboard (etl dashboard's page).
	Dashboard http.Handler
}

// Scheduler runs jobs on their schedules.
type Scheduler struct {
	opt  Options
	cron *cron.Cron
	jobs []Job

	mu     sync.Mutex
	status map[string]*JobStatus
	ids    map[string]cron.EntryID
}

// JobStatus is a job's state, as /healthz reports it.
type JobStatus struct {
	Name      string    `json:"name"`
	Spec      string    `json:"spec"`
	Running   bool      `json:"running"`
	Runs      int       `json:"runs"`
	Skipped   int       `json:"skipped"`
	Panics    int       `json:"panics"`
	LastStart time.Time `json:"last_start,omitzero"`
	LastEnd   time.Time `json:"last_end,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	NextRun   time.Time `json:"next_run,omitzero"`
}

// New makes a scheduler; Run starts it.
func New(jobs []Job, opt Options) (*Scheduler, error) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{opt: opt, jobs: jobs, status: map[string]*JobStatus{}, ids: map[string]cron.EntryID{}}
	s.cron = cron.New(cron.WithLogger(cronLogger{log: opt.Log}))
	for _, j := range jobs {
		if _, dup := s.status[j.Name]; dup {
			return nil, fmt.Errorf("schedule: job %q twice", j.Name)
		}
		if j.Schedule == nil || j.Run == nil {
			return nil, fmt.Errorf("schedule: job %q has no schedule or no work", j.Name)
		}
		s.status[j.Name] = &JobStatus{Name: j.Name, Spec: j.Spec}
	}
	return s, nil
}

// Chain wraps a job the way every scheduled job is wrapped. The order matters (DESIGN.md):
// SkipIfStillRunning must be OUTSIDE Recover. robfig/cron v3.0.1's SkipIfStillRunning
// puts its token back only when the inner job returns normally; with Recover inside, a
// panic is recovered before it gets there, so the next fire runs. The other order would
// leave the token taken and skip the job forever after one panic.
func Chain(l cron.Logger) cron.Chain {
	return cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l))
}

// Run schedules the jobs and blocks until ctx is done; then it stops firing, gives
// running jobs Options.Grace to finish, cancels them, and returns once they have.
func (s *Scheduler) Run(ctx context.Context) error {
	jobCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
	defer abort()
	for _, j := range s.jobs {
		l := jobLogger{log: s.opt.Log.With("job", j.Name), s: s, job: j.Name}
		inner := cron.FuncJob(func() { s.runJob(jobCtx, j) })
		id := s.cron.Schedule(j.Schedule, Chain(l).Then(inner))
		s.mu.Lock()
		s.ids[j.Name] = id
		s.mu.Unlock()
		s.opt.Log.Info("job scheduled", "job", j.Name, "spec", j.Spec, "next", j.Schedule.Next(time.Now()).Format(time.RFC3339))
	}
	s.cron.Start()
	s.updateNext()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			s.updateNext()
		}
	}
	s.opt.Log.Info("shutting down: no new runs", "grace", s.opt.Grace.String())
	stopped := s.cron.Stop()
	select {
	case <-stopped.Done():
	case <-time.After(s.opt.Grace):
		s.opt.Log.Warn("shutdown grace over: aborting running jobs (units in flight are abandoned, nothing half-written)")
		abort()
		<-stopped.Done()
	}
	s.opt.Log.Info("scheduler stopped")
	return nil
}

func (s *Scheduler) runJob(ctx context.Context, j Job) {
	m := s.opt.Metrics
	s.mu.Lock()
	st := s.status[j.Name]
	st.Running, st.LastStart = true, time.Now()
	s.mu.Unlock()
	if m != nil {
		m.Running.WithLabelValues(j.Name).Set(1)
	}
	defer func() { // also on panic, before Recover sees it
		s.mu.Lock()
		st.Running, st.LastEnd = false, time.Now()
		st.Runs++
		s.mu.Unlock()
		if m != nil {
			m.Running.WithLabelValues(j.Name).Set(0)
		}
	}()
	s.opt.Log.Info("job start", "job", j.Name)
	err := j.Run(ctx)
	s.mu.Lock()
	st.LastError = ""
	if err != nil {
		st.LastError = err.Error()
	}
	s.mu.Unlock()
	if err != nil {
		s.opt.Log.Warn("job end", "job", j.Name, "err", err.Error())
		return
	}
	s.opt.Log.Info("job end", "job", j.Name)
}

func (s *Scheduler) updateNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, id := range s.ids {
		next := s.cron.Entry(id).Next
		s.status[name].NextRun = next
		if s.opt.Metrics != nil && !next.IsZero() {
			s.opt.Metrics.NextRun.WithLabelValues(name).Set(float64(next.Unix()))
		}
	}
}

// Status returns every job's state, by name.
func (s *Scheduler) Status() []JobStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]JobStatus, 0, len(s.status))
	for _, st := range s.status {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Handler serves /healthz (200 and the jobs' state as JSON), /metrics and, with
// Options.Dashboard, /dashboard.
func (s *Scheduler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": "ok", "jobs": s.Status()})
	})
	if s.opt.Metrics != nil {
		mux.Handle("/metrics", s.opt.Metrics.Handler())
	}
	if s.opt.Dashboard != nil {
		mux.Handle("/dashboard", s.opt.Dashboard)
	}
	return mux
}

// Serve serves Handler on ln until ctx is done.
func (s *Scheduler) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// cronLogger adapts slog to cron.Logger for the scheduler's own messages.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// jobLogger is a job's cron.Logger: it counts the skips and panics the chain reports.
type jobLogger struct {
	log *slog.Logger
	s   *Scheduler
	job string
}

func (l jobLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.s.mu.Lock()
		l.s.status[l.job].Skipped++
		l.s.mu.Unlock()
		if m := l.s.opt.Metrics; m != nil {
			m.Skipped.WithLabelValues(l.job).Inc()
		}
		l.log.Warn("job still running: this fire is skipped")
		return
	}
	l.log.Debug("cron: "+msg, kv...)
}

func (l jobLogger) Error(err error, msg string, kv ...any) {
	if msg == "panic" {
		l.s.mu.Lock()
		l.s.status[l.job].Panics++
		l.s.status[l.job].LastError = fmt.Sprintf("panic: %v", err)
		l.s.mu.Unlock()
		if m := l.s.opt.Metrics; m != nil {
			m.Panics.WithLabelValues(l.job).Inc()
		}
	}
	l.log.Error("job "+msg, append(kv, "err", err)...)
}
