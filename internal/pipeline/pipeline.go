// Package pipeline wires the engine to the report families: a Pipeline is the config, the
// bucket and the API client, and each of its passes (Run, Backfill, Import, Reparse) is
// one engine.Runner over the Sources the config enables (internal/sources). It holds no
// DuckDB code (views are built by the caller), so its tests stay fast.
package pipeline

import (
	"context"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// The engine's types, under the names the commands use.
type (
	Summary       = engine.Summary
	TableSummary  = engine.TableSummary
	Manifest      = engine.Manifest
	Counts        = engine.Counts
	LateUnit      = engine.LateUnit
	UnitDone      = engine.UnitDone
	Window        = engine.Window
	ImportOptions = engine.ImportHints
)

// Exit codes (DESIGN.md).
const (
	ExitOK      = engine.ExitOK
	ExitFailed  = engine.ExitFailed
	ExitUsage   = engine.ExitUsage
	ExitPartial = engine.ExitPartial
)

// Run manifests.
var (
	NewRunID      = engine.NewRunID
	NewManifest   = engine.NewManifest
	WriteManifest = engine.WriteManifest
	ListManifests = engine.ListManifests
	ManifestKey   = engine.ManifestKey
	BuildVersion  = engine.BuildVersion
	DueAt         = engine.DueAt
	RunsPrefix    = engine.RunsPrefix
)

// Pipeline is one configured installation. API may be nil for import and reparse.
type Pipeline struct {
	Cfg   *config.Config
	Store *load.Store
	API   engine.API
	Log   *slog.Logger
	Now   func() time.Time
	Alloc memory.Allocator
	// OnUnit, when set, is called after each unit of every family (progress).
	OnUnit func(UnitDone)
	// Sources overrides the families (tests); default sources.New(Cfg).
	Sources []engine.Source
	// NoCompact leaves months uncompacted (benchmarks of the daily layout).
	NoCompact bool
}

func (p *Pipeline) runner(all bool) *engine.Runner {
	srcs := p.Sources
	if srcs == nil {
		if all {
			srcs = sources.All(p.Cfg)
		} else {
			srcs = sources.New(p.Cfg)
		}
	}
	return &engine.Runner{Cfg: p.Cfg, Store: p.Store, API: p.API, Sources: srcs, Log: p.Log,
		Now: p.Now, Alloc: p.Alloc, OnUnit: p.OnUnit, NoCompact: p.NoCompact}
}

// Run is one scheduled pass: every enabled family, since the last loaded unit minus the
// configured lookback, plus every pending or failed unit.
func (p *Pipeline) Run(ctx context.Context) (*Summary, error) {
	return p.runner(false).Run(ctx, Window{})
}

// RunFamilies is Run restricted to some families (the jobs of `etl schedule`).
func (p *Pipeline) RunFamilies(ctx context.Context, fams []report.Family) (*Summary, error) {
	return p.runner(false).Run(ctx, Window{Families: fams})
}

// Backfill loads every unit whose period overlaps [w.From, w.To].
func (p *Pipeline) Backfill(ctx context.Context, w Window) (*Summary, error) {
	return p.runner(false).Run(ctx, w)
}

// Import loads files downloaded by hand and trees of the raw archive (engine.Runner.Import).
func (p *Pipeline) Import(ctx context.Context, files []string, opt ImportOptions) (*Summary, error) {
	return p.runner(true).Import(ctx, files, opt)
}

// Reparse rebuilds Parquet from the raw archive for the units whose id starts with prefix.
func (p *Pipeline) Reparse(ctx context.Context, prefix string) (*Summary, error) {
	return p.runner(true).Reparse(ctx, prefix)
}
