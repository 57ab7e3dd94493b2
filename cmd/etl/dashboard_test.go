package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/dashboard/browsertest"
)

// TestDashboard: after 90 days against the simulator, `etl dashboard` draws every chart
// with data from the marts; Chromium loads the file from file:// without a console error
// or a request, and every chart lays out its marks (screenshot kept for a person to look
// at). /dashboard builds the page on its first request and serves it.
func TestDashboard(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "initial_days: 3", "initial_days: 90")
	code, out, errs := runCLI(t, "run", "--config", cfg)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	report := filepath.Join(dir, "out", "report.html")
	code, out, errs = runCLI(t, "dashboard", "--config", cfg, "--out", report)
	if code != 0 || !strings.Contains(out, "(9 charts with data, 0 without)") || errs != "" {
		t.Fatalf("dashboard: exit %d\n%s\n%s", code, out, errs)
	}
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Kachit Notes", "Café Übung", "旅行日記", "Revenue per day by app", "reporting currency USD",
		`id="revenue-daily"`, `id="ledger"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(string(html), `data-empty=`) {
		t.Error("a chart is empty")
	}

	t.Run("browser", func(t *testing.T) {
		chromium := browsertest.Chromium(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		res, err := browsertest.Load(ctx, chromium, "file://"+filepath.ToSlash(report), browsertest.PageExpr, 1320)
		if err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(browsertest.ArtifactDir(t), "dashboard.png")
		if err := os.WriteFile(shot, res.PNG, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", shot, len(res.PNG))
		for _, e := range res.Errors {
			t.Errorf("browser: %s", e)
		}
		for _, u := range res.Requests {
			t.Errorf("the page requested %s", u)
		}
		page, err := browsertest.ParsePage(res)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Charts) != 9 || page.Scripts != 0 {
			t.Errorf("%d charts, %d scripts", len(page.Charts), page.Scripts)
		}
		for _, c := range page.Charts {
			if c.Empty != "" || c.Drawn == 0 || c.Drawn != c.Declared {
				t.Errorf("chart %s: %d of %d marks laid out (empty: %q)", c.ID, c.Drawn, c.Declared, c.Empty)
			}
		}
	})

	t.Run("served", func(t *testing.T) {
		c, err := config.Load(cfg)
		if err != nil {
			t.Fatal(err)
		}
		d := newDashboardFile(c, slog.New(slog.DiscardHandler))
		if _, err := os.Stat(d.path); err == nil {
			t.Fatalf("%s exists before the first request", d.path)
		}
		srv := httptest.NewServer(d)
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/dashboard")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
			!strings.Contains(string(body), `id="revenue-monthly"`) {
			t.Errorf("/dashboard: %d %s\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		before, err := os.Stat(d.path)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
		if err := d.rebuild(context.Background()); err != nil {
			t.Fatal(err)
		}
		if after, err := os.Stat(d.path); err != nil || !after.ModTime().After(before.ModTime()) {
			t.Errorf("rebuild did not rewrite %s: %v", d.path, err)
		}
	})
}

// A remote bucket has no views database to draw from: /dashboard says so.
func TestDashboardRemoteBucket(t *testing.T) {
	c := &config.Config{}
	c.Storage.Bucket, c.Storage.DuckDB = "s3://bucket/prefix", filepath.Join(t.TempDir(), "asc.duckdb")
	d := newDashboardFile(c, slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest("GET", "/dashboard", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "local bucket") {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
	if err := d.rebuild(context.Background()); err != nil {
		t.Errorf("rebuild on a remote bucket: %v", err)
	}
}
