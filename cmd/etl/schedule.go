package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/opsmetrics"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/internal/schedule"
	"github.com/ascetl/etl/report"
)

// cmdSchedule is `etl schedule`: each schedule.jobs entry on its cron expression, under
// the bucket lock (jobs wait for each other and for CronJob runs), with /healthz and
// /metrics on schedule.listen. SIGTERM stops new runs; a run in flight gets
// schedule.shutdown_grace to finish, then is aborted (nothing half-written).
func cmdSchedule(ctx context.Context, e *env, args []string) int {
	fs := e.flags("schedule")
	listen := fs.String("listen", "", "address of /healthz and /metrics (default: schedule.listen)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	if *listen != "" {
		c.Schedule.Listen = *listen
	}
	log := e.logger(c) // also sets up the terminal line once, before jobs run concurrently
	m := opsmetrics.New()
	dash := newDashboardFile(c, log)
	var jobs []schedule.Job
	for _, j := range c.Schedule.Jobs {
		var fams []report.Family
		for _, f := range j.Families {
			if c.FamilyEnabled(f) {
				fams = append(fams, report.Family(f))
			}
		}
		if len(fams) == 0 {
			log.Info("job not scheduled: its families are disabled", "job", j.Name)
			continue
		}
		sched, err := config.ParseCron(j.Cron, j.Location())
		if err != nil { // validated with the config; kept for safety
			fmt.Fprintf(e.stderr, "etl: schedule job %s: %v\n", j.Name, err)
			return 2
		}
		spec := runSpec{command: "schedule:" + j.Name, job: j.Name, api: true, views: true,
			families: fams, metrics: m, lockMode: config.LockWait}
		jobs = append(jobs, schedule.Job{Name: j.Name, Schedule: sched, Spec: j.Cron + " " + j.TimeZone,
			Run: func(ctx context.Context) error {
				code := e.execute(ctx, spec, func(ctx context.Context, p *pipeline.Pipeline) (*pipeline.Summary, error) {
					return p.RunFamilies(ctx, fams)
				})
				if code != pipeline.ExitUsage && ctx.Err() == nil {
					dash.rebuild(ctx) // the views were rebuilt (or kept): draw /dashboard again
				}
				if code != pipeline.ExitOK {
					return fmt.Errorf("exit code %d", code)
				}
				return nil
			}})
	}
	if len(jobs) == 0 {
		fmt.Fprintln(e.stderr, "etl: schedule: no job to run (every job's families are disabled)")
		return 2
	}
	s, err := schedule.New(jobs, schedule.Options{Log: log, Metrics: m, Grace: time.Duration(c.Schedule.ShutdownGrace),
		Dashboard: dash})
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	served := make(chan error, 1)
	if c.Schedule.Listen != "" {
		ln, err := net.Listen("tcp", c.Schedule.Listen)
		if err != nil {
			fmt.Fprintf(e.stderr, "etl: schedule.listen %s: %v\n", c.Schedule.Listen, err)
			return 2
		}
		log.Info("serving /healthz, /metrics and /dashboard", "addr", ln.Addr().String())
		fmt.Fprintf(e.stdout, "schedule: /healthz, /metrics and /dashboard on http://%s\n", ln.Addr())
		go func() { served <- s.Serve(ctx, ln) }()
	} else {
		served <- nil
	}
	s.Run(ctx)
	if err := <-served; err != nil {
		fmt.Fprintln(e.stderr, "etl: metrics server:", err)
		return 1
	}
	return 0
}
