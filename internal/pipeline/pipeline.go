// Package pipeline runs units of work end to end: plan from the config and the ledger,
// fetch from the API, archive the raw payload, transform it to Arrow, load it as Parquet,
// and record the outcome in the ledger. It holds no DuckDB code (views are built by the
// caller), so its tests stay fast.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// Fetcher is the part of the API client the pipeline needs.
type Fetcher interface {
	SalesReport(ctx context.Context, u report.Unit, version string) (*extract.Report, error)
	FinanceReport(ctx context.Context, u report.Unit) (*extract.Report, error)
	GetJSON(ctx context.Context, target string, query url.Values) ([]byte, error)
	PostJSON(ctx context.Context, path string, body []byte) ([]byte, error)
	Delete(ctx context.Context, path string) error
	Download(ctx context.Context, rawURL string) ([]byte, error)
}

// Pipeline wires the stages together. API may be nil for import and reparse.
type Pipeline struct {
	Cfg   *config.Config
	Store *load.Store
	API   Fetcher
	Log   *slog.Logger
	Now   func() time.Time
	Alloc memory.Allocator
	// Progress, when set, is called after each unit with the count done and planned.
	Progress func(done, total int)
	// OnUnit, when set, is called after each unit of every family (progress.go).
	OnUnit func(UnitDone)

	mu         sync.Mutex
	versions   map[string]string // report kind -> version in use this run (adopted ones included)
	discovered discovery         // apps listed from GET /v1/apps, once per run (catalog.go)
}

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pipeline) alloc() memory.Allocator {
	if p.Alloc != nil {
		return p.Alloc
	}
	return memory.DefaultAllocator
}

func (p *Pipeline) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Window bounds a backfill; zero values mean "as configured".
type Window struct {
	From, To time.Time
	Force    bool // re-fetch units already loaded or empty
	Families []report.Family
}

// Run is one scheduled pass: every enabled family, since the last loaded unit minus the
// configured lookback, plus every pending or failed unit still within Apple's retention.
func (p *Pipeline) Run(ctx context.Context) (*Summary, error) {
	return p.execute(ctx, Window{})
}

// Backfill loads every unit whose period overlaps [w.From, w.To].
func (p *Pipeline) Backfill(ctx context.Context, w Window) (*Summary, error) {
	if w.From.IsZero() || w.To.IsZero() || w.To.Before(w.From) {
		return nil, fmt.Errorf("backfill: need --from <= --to")
	}
	return p.execute(ctx, w)
}

func (p *Pipeline) execute(ctx context.Context, w Window) (*Summary, error) {
	if p.API == nil {
		return nil, errors.New("pipeline: no API client")
	}
	start := p.now()
	plan, err := p.plan(ctx, w)
	if err != nil {
		return nil, err
	}
	sum := newSummary(start)
	sum.Planned = len(plan)
	p.track(sum, plan)
	p.log().Info("plan", "units", len(plan))

	jobs := make(chan planned)
	results := make(chan outcome)
	var wg sync.WaitGroup
	workers := p.Cfg.API.MaxConcurrency
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pu := range jobs {
				results <- p.process(ctx, pu)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, pu := range plan {
			select {
			case jobs <- pu:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	done := 0
	for o := range results {
		done++
		sum.add(o)
		if p.Progress != nil {
			p.Progress(done, len(plan))
		}
	}
	if p.Cfg.Reviews.Enabled && w.From.IsZero() && p.wants(w, report.Reviews) && ctx.Err() == nil {
		if err := p.runReviews(ctx, sum); err != nil && ctx.Err() == nil {
			return sum, err
		}
	}
	if p.Cfg.Metrics.Enabled && w.From.IsZero() && p.wants(w, report.Metrics) && ctx.Err() == nil {
		if err := p.runMetrics(ctx, sum); err != nil && ctx.Err() == nil {
			return sum, err
		}
	}
	if p.Cfg.Catalog.Enabled && w.From.IsZero() && p.wants(w, report.Catalog) && ctx.Err() == nil {
		if err := p.runCatalog(ctx, sum); err != nil && ctx.Err() == nil {
			return sum, err
		}
	}
	if p.Cfg.Analytics.Enabled && w.From.IsZero() && p.wants(w, report.Analytics) && ctx.Err() == nil {
		if err := p.runAnalytics(ctx, sum); err != nil && ctx.Err() == nil {
			return sum, err
		}
	}
	sum.Finished = p.now()
	sum.Adopted = p.adopted()
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("run interrupted after %d of %d units: %w", done, len(plan), err)
	}
	return sum, nil
}

// version returns the version to request for a sales report kind.
func (p *Pipeline) version(kind string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.versions[kind]
}

func (p *Pipeline) setVersion(kind, v string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.versions == nil {
		p.versions = map[string]string{}
	}
	p.versions[kind] = v
}

// adopted lists versions changed this run because Apple named a different latest version.
func (p *Pipeline) adopted() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, r := range p.Cfg.Sales.Reports {
		kind := kindOf(r.Type, r.SubType, r.Frequency)
		want := r.Version
		if want == "" {
			continue
		}
		if got := p.versions[kind]; got != "" && got != want {
			out = append(out, fmt.Sprintf("%s: %s -> %s", kind, want, got))
		}
	}
	sort.Strings(out)
	return out
}

func kindOf(typ, sub, freq string) string { return typ + "/" + sub + "/" + freq }
