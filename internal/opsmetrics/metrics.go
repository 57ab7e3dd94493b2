// Package opsmetrics holds the Prometheus collectors of the pipeline's operations: units
// by state, rows, bytes, API requests, retries and 429s, durations, last success and
// freshness per family, and the scheduler's own counters. Collectors live in a private
// registry (never the global one), so tests and several pipelines in one process do not
// collide.
package opsmetrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/report"
)

// Metrics are the collectors, registered in Registry.
type Metrics struct {
	Registry *prometheus.Registry

	Units        *prometheus.CounterVec   // family, state
	Rows         *prometheus.CounterVec   // family
	Bytes        *prometheus.CounterVec   // family
	UnitSeconds  *prometheus.CounterVec   // family: summed unit durations
	Requests     prometheus.Counter       // HTTP requests to the API, retries included
	Retries      prometheus.Counter       //
	Throttled    prometheus.Counter       // 429 answers
	ServerErrors prometheus.Counter       // 5xx answers
	Runs         *prometheus.CounterVec   // job, result (ok, partial, failed, locked)
	RunSeconds   *prometheus.HistogramVec // job
	LastRun      *prometheus.GaugeVec     // job: unix time the last run ended
	LastSuccess  *prometheus.GaugeVec     // family: unix time of the last run with no failure
	Late         *prometheus.GaugeVec     // family: units pending past their due time
	LagSeconds   *prometheus.GaugeVec     // family: how far past due the latest-due late unit is
	Running      *prometheus.GaugeVec     // etl_job (not "job": Prometheus owns that label): 1 while it runs
	NextRun      *prometheus.GaugeVec     // job: unix time of the next fire
	Skipped      *prometheus.CounterVec   // job: fires skipped because the job was still running
	Panics       *prometheus.CounterVec   // job: panics recovered
}

// New makes the collectors in a fresh registry (with the Go and process collectors).
func New() *Metrics {
	r := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	m := &Metrics{
		Registry:     r,
		Units:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "etl_units_total", Help: "Units of work finished, by family and outcome (loaded, unchanged, deferred, empty, pending, failed, expired)."}, []string{"family", "state"}),
		Rows:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "etl_rows_total", Help: "Rows loaded into Parquet."}, []string{"family"}),
		Bytes:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "etl_bytes_total", Help: "Parquet bytes written."}, []string{"family"}),
		UnitSeconds:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "etl_unit_seconds_total", Help: "Time spent on units (summed over parallel workers)."}, []string{"family"}),
		Requests:     prometheus.NewCounter(prometheus.CounterOpts{Name: "etl_api_requests_total", Help: "HTTP requests sent to App Store Connect, retries included."}),
		Retries:      prometheus.NewCounter(prometheus.CounterOpts{Name: "etl_api_retries_total", Help: "Requests retried (429, 5xx, network errors)."}),
		Throttled:    prometheus.NewCounter(prometheus.CounterOpts{Name: "etl_api_throttled_total", Help: "429 Too Many Requests answers."}),
		ServerErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "etl_api_server_errors_total", Help: "5xx answers."}),
		Runs:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "etl_runs_total", Help: "Runs finished, by job and result (ok, partial, failed, locked)."}, []string{"etl_job", "result"}),
		RunSeconds:   prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "etl_run_duration_seconds", Help: "Wall time of runs.", Buckets: prometheus.ExponentialBuckets(1, 3, 10)}, []string{"etl_job"}),
		LastRun:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "etl_last_run_timestamp_seconds", Help: "When the job's last run ended (unix time)."}, []string{"etl_job"}),
		LastSuccess:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "etl_last_success_timestamp_seconds", Help: "When a run of the family last ended without a failed unit (unix time)."}, []string{"family"}),
		Late:         prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "etl_late_units", Help: "Units still pending past their freshness due time, as of the family's last run."}, []string{"family"}),
		LagSeconds:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "etl_freshness_lag_seconds", Help: "How long past its due time the most overdue pending unit is (0: nothing late)."}, []string{"family"}),
		Running:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "etl_job_running", Help: "1 while the job runs."}, []string{"etl_job"}),
		NextRun:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "etl_job_next_run_timestamp_seconds", Help: "When the job fires next (unix time)."}, []string{"etl_job"}),
		Skipped:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "etl_schedule_skipped_total", Help: "Fires skipped because the previous run of the job was still running."}, []string{"etl_job"}),
		Panics:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "etl_schedule_panics_total", Help: "Panics recovered in jobs."}, []string{"etl_job"}),
	}
	for _, c := range []prometheus.Collector{m.Units, m.Rows, m.Bytes, m.UnitSeconds, m.Requests, m.Retries,
		m.Throttled, m.ServerErrors, m.Runs, m.RunSeconds, m.LastRun, m.LastSuccess, m.Late, m.LagSeconds,
		m.Running, m.NextRun, m.Skipped, m.Panics,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Run is one finished run, as ObserveRun records it.
type Run struct {
	Job      string
	Families []report.Family // the families the run covered (for last success, lag)
	Summary  *pipeline.Summary
	Stats    extract.Stats // the run's API client counters
	Result   string        // ok, partial, failed, locked
	Err      error
	Started  time.Time
	Finished time.Time
}

// Results of a run.
const (
	ResultOK      = "ok"
	ResultPartial = "partial"
	ResultFailed  = "failed"
	ResultLocked  = "locked"
)

// Result maps an exit code to a run result.
func Result(code int) string {
	switch code {
	case pipeline.ExitOK:
		return ResultOK
	case pipeline.ExitPartial:
		return ResultPartial
	}
	return ResultFailed
}

// ObserveRun adds a finished run to the collectors. cfg supplies the freshness rules.
func (m *Metrics) ObserveRun(cfg *config.Config, r Run) {
	m.Runs.WithLabelValues(r.Job, r.Result).Inc()
	m.RunSeconds.WithLabelValues(r.Job).Observe(r.Finished.Sub(r.Started).Seconds())
	m.LastRun.WithLabelValues(r.Job).Set(float64(r.Finished.Unix()))
	m.Requests.Add(float64(r.Stats.Requests))
	m.Retries.Add(float64(r.Stats.Retries))
	m.Throttled.Add(float64(r.Stats.Throttled))
	m.ServerErrors.Add(float64(r.Stats.ServerErrors))
	sum := r.Summary
	if sum == nil {
		return
	}
	for f, t := range sum.Families {
		fam := string(f)
		for state, n := range map[string]int{"loaded": t.Loaded, "unchanged": t.Unchanged, "deferred": t.Deferred,
			"empty": t.Empty, "pending": t.Pending, "failed": t.Failed, "expired": t.Expired} {
			if n > 0 {
				m.Units.WithLabelValues(fam, state).Add(float64(n))
			}
		}
		m.Rows.WithLabelValues(fam).Add(float64(t.Rows))
		m.Bytes.WithLabelValues(fam).Add(float64(t.Bytes))
		m.UnitSeconds.WithLabelValues(fam).Add(t.Dur.Seconds())
	}
	if r.Err != nil || r.Result == ResultLocked {
		return // an interrupted run says nothing about freshness or success
	}
	late := map[report.Family]int{}
	lag := map[report.Family]float64{}
	for _, u := range sum.Late {
		late[u.Family]++
		if due, ok := pipeline.DueAt(cfg, u); ok {
			lag[u.Family] = max(lag[u.Family], r.Finished.Sub(due).Seconds())
		}
	}
	fams := r.Families
	if len(fams) == 0 {
		for f := range sum.Families {
			fams = append(fams, f)
		}
	}
	for _, f := range fams {
		fam := string(f)
		m.Late.WithLabelValues(fam).Set(float64(late[f]))
		m.LagSeconds.WithLabelValues(fam).Set(lag[f])
		if t := sum.Families[f]; t == nil || t.Failed == 0 {
			m.LastSuccess.WithLabelValues(fam).Set(float64(r.Finished.Unix()))
		}
	}
}
