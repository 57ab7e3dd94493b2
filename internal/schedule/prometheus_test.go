package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/internal/opsmetrics"
	"github.com/ascetl/etl/load"
)

// A real Prometheus scrapes /metrics of a scheduler whose job runs the pipeline against
// the simulator, and the test reads the loaded units back through Prometheus's API.
// scripts/services/prometheus.sh installs Prometheus and sets ETL_TEST_PROMETHEUS.
func TestPrometheusScrapesScheduleMetrics(t *testing.T) {
	bin := os.Getenv("ETL_TEST_PROMETHEUS")
	if bin == "" {
		t.Skip("ETL_TEST_PROMETHEUS is not set (scripts/services/prometheus.sh sets it)")
	}
	cfg := testConfig(t)
	newClient := simAPI(t, cfg)
	b := memblob.OpenBucket(nil)
	defer b.Close()
	store := load.New(b)
	m := opsmetrics.New()
	x := pipelineExec(cfg, store, newClient, nil)
	x.Metrics, x.Job, x.Command, x.LockMode = m, "sales", "schedule:sales", "wait"
	jobs := []Job{{Name: "sales", Spec: "@every 1s", Schedule: every(t, "@every 1s"), Run: func(ctx context.Context) error {
		r := x.Do(ctx)
		if r.Code != 0 {
			t.Logf("run: exit %d %v %+v", r.Code, r.Err, r.Manifest)
		}
		return r.Err
	}}}
	s, err := New(jobs, Options{Metrics: m, Grace: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { s.Serve(ctx, ln); done <- struct{}{} }()
	go func() { s.Run(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	// Prometheus with a generated config, its own storage and a free port.
	dir := t.TempDir()
	conf := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: etl\n    static_configs:\n      - targets: ['%s']\n", ln.Addr())
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := pl.Addr().String()
	pl.Close()
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+promAddr)
	logf, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Logf("prometheus log:\n%s", b)
		}
	}()

	query := func(q string) (float64, bool) {
		resp, err := http.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		var r struct {
			Status string
			Data   struct {
				Result []struct {
					Value [2]any
				}
			}
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil || r.Status != "success" || len(r.Data.Result) == 0 {
			return 0, false
		}
		s, _ := r.Data.Result[0].Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		up, ok1 := query(`up{job="etl"}`)
		loaded, ok2 := query(`sum(etl_units_total{family="sales",state="loaded"})`)
		runs, ok3 := query(`sum(etl_runs_total{etl_job="sales",result="ok"})`)
		if ok1 && ok2 && ok3 && up == 1 && loaded > 0 && runs >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never saw the run: up=%v loaded=%v runs=%v", up, loaded, runs)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if v, ok := query(`etl_last_success_timestamp_seconds{family="sales"}`); !ok || v < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("last success %v %v", v, ok)
	}
}
