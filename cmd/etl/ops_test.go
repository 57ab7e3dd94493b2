package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ascetl/etl/load"
)

// opsConfig is the default config in dir with only sales, slowed down so a run lasts.
func opsConfig(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	repl := []string{
		"finance:\n  enabled: true", "finance:\n  enabled: false",
		"reviews:\n  enabled: true", "reviews:\n  enabled: false",
		"metrics:               # power & performance metrics and diagnostics, one snapshot a day\n  enabled: true",
		"metrics:               # power & performance metrics and diagnostics, one snapshot a day\n  enabled: false",
		"catalog:               # dimension tables (dim_apps, dim_app_versions, dim_builds, dim_in_app_purchases, dim_subscriptions)\n  enabled: true",
		"catalog:               # dimension tables (dim_apps, dim_app_versions, dim_builds, dim_in_app_purchases, dim_subscriptions)\n  enabled: false",
		"latency: 0s", "latency: 30ms",
	}
	return writeConfig(t, dir, append(repl, extra...)...)
}

// TestHelperProcessETL is not a test: it is the etl binary when re-executed by a test
// (the test binary already links everything; building cmd/etl again would not).
func TestHelperProcessETL(t *testing.T) {
	if os.Getenv("ETL_HELPER_PROCESS") != "1" {
		return
	}
	args := strings.Split(os.Getenv("ETL_HELPER_ARGS"), "\x1f")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func etlProcess(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessETL$")
	cmd.Env = append(os.Environ(), "ETL_HELPER_PROCESS=1", "ETL_HELPER_ARGS="+strings.Join(args, "\x1f"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSIGTERMMidRunLeavesNoPartialObjectAndNextRunCompletes(t *testing.T) {
	dir := t.TempDir()
	cfg := opsConfig(t, dir, "initial_days: 3", "initial_days: 20")
	data := filepath.Join(dir, "data")
	cmd, out := etlProcess(t, "run", "--config", cfg, "--no-views")
	parquets := func() (n int) {
		filepath.WalkDir(filepath.Join(data, "parquet"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".parquet") {
				n++
			}
			return nil
		})
		return n
	}
	waitUntil(t, "the first unit to load", func() bool { return parquets() > 0 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("interrupted run: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "interrupted") {
		t.Errorf("no interruption message:\n%s", out)
	}
	// No temporary or partial file anywhere; every Parquet object is recorded in the ledger.
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(p, ".tmp") || strings.Contains(filepath.Base(p), ".tmp")) {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
	b, err := openBucket(context.Background(), "file://"+filepath.ToSlash(data)+"?metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	store := load.New(b)
	es, _ := store.Ledger().List(context.Background(), "")
	recorded := map[string]bool{}
	for _, e := range es {
		for _, k := range e.Objects {
			recorded[k] = true
		}
	}
	keys, _ := store.List(context.Background(), "parquet/")
	if len(keys) == 0 || len(keys) != len(recorded) {
		t.Errorf("%d parquet objects, %d recorded", len(keys), len(recorded))
	}
	for _, k := range keys {
		if !recorded[k] {
			t.Errorf("%s not in the ledger", k)
		}
	}
	// The lock was released (the next run does not wait for the TTL) and the run completes.
	code, stdout, errs := runCLI(t, "run", "--config", cfg, "--no-views")
	if code != 0 {
		t.Fatalf("next run: %d\n%s\n%s", code, stdout, errs)
	}
	code, stdout, _ = runCLI(t, "status", "--config", cfg, "--runs")
	if code != 0 || strings.Count(stdout, "  run  ") != 2 || !strings.Contains(stdout, "run interrupted") || !strings.Contains(stdout, "lock: free") {
		t.Errorf("status --runs: %d\n%s", code, stdout)
	}
}

func TestTwoRunsOnOneBucketNeverBothLoad(t *testing.T) {
	dir := t.TempDir()
	cfg := opsConfig(t, dir)
	var wg sync.WaitGroup
	type res struct {
		code      int
		out, errs string
	}
	rs := make([]res, 2)
	for i := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o, e bytes.Buffer
			rs[i].code = realMain(context.Background(), []string{"run", "--config", cfg, "--no-views"}, &o, &e)
			rs[i].out, rs[i].errs = o.String(), e.String()
		}()
	}
	wg.Wait()
	ok, locked := 0, 0
	for _, r := range rs {
		switch {
		case r.code == 0 && strings.Contains(r.out, "sales_summary_daily"):
			ok++
		case r.code == 1 && strings.Contains(r.errs, "another etl run is writing to this bucket") && strings.Contains(r.errs, "lock.mode: wait"):
			locked++
			if strings.Contains(r.out, "sales_summary_daily") {
				t.Errorf("the locked-out run printed a summary:\n%s", r.out)
			}
		default:
			t.Errorf("exit %d\n%s\n%s", r.code, r.out, r.errs)
		}
	}
	if ok != 1 || locked != 1 {
		t.Fatalf("%d runs loaded, %d were locked out", ok, locked)
	}
	// With lock.mode wait the second run waits, then runs.
	cfgWait := opsConfig(t, dir, "mode: exit", "mode: wait")
	for i := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var o, e bytes.Buffer
			rs[i].code = realMain(context.Background(), []string{"run", "--config", cfgWait, "--no-views"}, &o, &e)
			rs[i].out, rs[i].errs = o.String(), e.String()
		}()
	}
	wg.Wait()
	for _, r := range rs {
		if r.code != 0 {
			t.Errorf("waiting runs: exit %d\n%s\n%s", r.code, r.out, r.errs)
		}
	}
}

func TestScheduleRunsJobsAndServesHealthAndMetrics(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := opsConfig(t, dir, `listen: ":9090"`, `listen: "`+addr+`"`,
		`- {families: [sales], cron: "30 9 * * *", time_zone: America/Los_Angeles}`, `- {families: [sales], cron: "@every 1s"}`,
		"latency: 30ms", "latency: 0s")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var out, errs bytes.Buffer
	var outMu sync.Mutex
	go func() {
		code := realMain(ctx, []string{"schedule", "--config", cfg}, lockedWriter{&outMu, &out}, lockedWriter{&outMu, &errs})
		done <- code
	}()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cancel()
			<-done
			outMu.Lock()
			t.Logf("schedule output:\n%s\n%s", out.String(), errs.String())
			outMu.Unlock()
		}
	})
	get := func(path string) string {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	last := ""
	defer func() {
		if t.Failed() {
			t.Logf("last /healthz: %q", last)
		}
	}()
	waitUntil(t, "two runs of the sales job", func() bool {
		var h struct {
			Jobs []struct {
				Name string
				Runs int
			}
		}
		last = get("/healthz")
		json.Unmarshal([]byte(last), &h)
		for _, j := range h.Jobs {
			if j.Name == "sales" && j.Runs >= 2 {
				return true
			}
		}
		return false
	})
	metrics := get("/metrics")
	for _, want := range []string{`etl_units_total{family="sales",state="loaded"}`, `etl_runs_total{etl_job="sales",result="ok"}`,
		"etl_api_requests_total", `etl_last_success_timestamp_seconds{family="sales"}`, `etl_freshness_lag_seconds{family="sales"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The dashboard is drawn after each run (only sales here: the other charts say "no data").
	if page := get("/dashboard"); !strings.Contains(page, `id="revenue-daily" viewBox`) || !strings.Contains(page, `data-empty="mart_ratings_weekly has no rows`) {
		t.Errorf("/dashboard: %.300q", page)
	}
	cancel()
	stopped = true
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("schedule exit %d\n%s", code, errs.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("schedule did not stop on cancel")
	}
	code, stdout, _ := runCLI(t, "status", "--config", cfg, "--runs")
	if code != 0 || !strings.Contains(stdout, "schedule:sales") {
		t.Errorf("status --runs: %d\n%s", code, stdout)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
