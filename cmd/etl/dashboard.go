package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/dashboard"
)

const dashboardHelp = `etl dashboard [--config FILE] [--out report.html] [--days N]

One self-contained HTML file (SVG charts, data inline, no script, nothing loaded from the
network) drawn from the marts of the views database: revenue per day and month by app in
the reporting currency, units by country, active subscriptions and churn, downloads by
source, ratings per week, crash rate per version, data freshness and ledger status. Run
etl run, backfill or views first; etl schedule serves it at /dashboard.`

func cmdDashboard(ctx context.Context, e *env, args []string) int {
	fs := e.flags("dashboard")
	out := fs.String("out", "report.html", "the HTML file to write")
	days := fs.Int("days", dashboard.DefaultDays, "days shown by the daily charts (up to each mart's newest day)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	r, err := writeDashboard(ctx, c, *out, *days)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl: dashboard:", err)
		return 1
	}
	for _, w := range r.Warnings {
		fmt.Fprintln(e.stderr, "etl: dashboard: query failed:", w)
	}
	drawn, empty := 0, 0
	for _, p := range r.Panels {
		if p.Chart == nil {
			continue
		}
		if p.Chart.Empty != "" {
			empty++
		} else {
			drawn++
		}
	}
	fmt.Fprintf(e.stdout, "dashboard: %s (%d charts with data, %d without)\n", *out, drawn, empty)
	return 0
}

// buildDashboard reads the marts from the views database and draws the page.
func buildDashboard(ctx context.Context, c *config.Config, days int) (*dashboard.Report, []byte, error) {
	db, err := openForQuery(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	d, err := dashboard.Load(ctx, db.PlainRows, days)
	if err != nil {
		return nil, nil, err
	}
	r := dashboard.Build(d)
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		return nil, nil, err
	}
	return r, b.Bytes(), nil
}

// writeDashboard draws the page into path: a new file renamed into place, so a reader
// (the /dashboard handler, a browser) never sees half of it.
func writeDashboard(ctx context.Context, c *config.Config, path string, days int) (*dashboard.Report, error) {
	r, html, err := buildDashboard(ctx, c, days)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".dashboard-*.html")
	if err != nil {
		return nil, err
	}
	_, werr := f.Write(html)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	return r, nil
}

// dashboardFile is `etl schedule`'s /dashboard: the page, kept as a file beside the views
// database (dashboard.html), rebuilt after each run and on the first request when absent.
type dashboardFile struct {
	cfg  *config.Config
	path string
	log  *slog.Logger
	// unavailable says why no page can be drawn (a remote bucket: the marts are only a
	// script there); "" when it can.
	unavailable string
	mu          sync.Mutex // one build at a time
}

func newDashboardFile(c *config.Config, log *slog.Logger) *dashboardFile {
	d := &dashboardFile{cfg: c, log: log, path: filepath.Join(filepath.Dir(c.Storage.DuckDB), "dashboard.html")}
	if _, err := localDir(c.Storage.Bucket); err != nil {
		d.unavailable = "the dashboard needs a local bucket (file://): on " + c.Storage.Bucket + " the marts are a DuckDB script, not a database"
	}
	return d
}

// rebuild draws the page again; a failure is logged and the previous page kept.
func (d *dashboardFile) rebuild(ctx context.Context) error {
	if d.unavailable != "" {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, err := writeDashboard(ctx, d.cfg, d.path, dashboard.DefaultDays); err != nil {
		d.log.Warn("dashboard not rebuilt", "path", d.path, "err", err)
		return err
	}
	d.log.Info("dashboard rebuilt", "path", d.path)
	return nil
}

func (d *dashboardFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.unavailable != "" {
		http.Error(w, d.unavailable, http.StatusServiceUnavailable)
		return
	}
	b, err := os.ReadFile(d.path)
	if errors.Is(err, os.ErrNotExist) {
		if err = d.rebuild(r.Context()); err == nil {
			b, err = os.ReadFile(d.path)
		}
	}
	if err != nil {
		http.Error(w, "dashboard: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	w.Write(b)
}
