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
	Shard         = engine.Shard
	API           = engine.API
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
	// API is the client of the single-account form (with accounts:, the client of any
	// account APIs lacks).
	API engine.API
	// APIs are the clients of the accounts (config accounts:), by name: one request
	// budget per key. AccountErrs holds why an account has none (its key cannot be read):
	// that account's pass fails with it while the others run.
	APIs        map[string]engine.API
	AccountErrs map[string]error
	// Account, with accounts:, restricts a pass to one account ("" every account; an
	// import needs one when there are several, see importAccount).
	Account string
	// Shard restricts run and backfill to a share of the units (etl run --shard I/N); Job
	// is the id its run's shards share (they work from one plan, shards.go).
	Shard engine.Shard
	Job   string
	Log   *slog.Logger
	Now   func() time.Time
	Alloc memory.Allocator
	// OnUnit, when set, is called after each unit of every family (progress).
	OnUnit func(UnitDone)
	// Sources overrides the families (tests); default sources.New(Cfg).
	Sources []engine.Source
	// AllowShrink applies versions that would replace loaded partitions with far fewer
	// rows (--allow-shrink; engine.Runner.AllowShrink).
	AllowShrink bool
	// NoCompact leaves months uncompacted (benchmarks of the daily layout).
	NoCompact bool
}

// Run is one scheduled pass: every enabled family, since the last loaded unit minus the
// configured lookback, plus every pending or failed unit.
func (p *Pipeline) Run(ctx context.Context) (*Summary, error) {
	return p.runWindow(ctx, Window{})
}

func (p *Pipeline) runWindow(ctx context.Context, w Window) (*Summary, error) {
	return p.runPasses(ctx, false, p.Account, func(r *engine.Runner) (*Summary, error) { return r.Run(ctx, w) })
}

// RunFamilies is Run restricted to some families (the jobs of `etl schedule`).
func (p *Pipeline) RunFamilies(ctx context.Context, fams []report.Family) (*Summary, error) {
	return p.runWindow(ctx, Window{Families: fams})
}

// Backfill loads every unit whose period overlaps [w.From, w.To].
func (p *Pipeline) Backfill(ctx context.Context, w Window) (*Summary, error) {
	return p.runWindow(ctx, w)
}

// Import loads files downloaded by hand and trees of the raw archive (engine.Runner.Import).
func (p *Pipeline) Import(ctx context.Context, files []string, opt ImportOptions) (*Summary, error) {
	acct, err := p.importAccount(opt)
	if err != nil {
		return nil, err
	}
	return p.runPasses(ctx, true, acct, func(r *engine.Runner) (*Summary, error) { return r.Import(ctx, files, opt) })
}

// Reparse rebuilds Parquet from the raw archive for the units whose id starts with prefix.
func (p *Pipeline) Reparse(ctx context.Context, prefix string) (*Summary, error) {
	return p.runPasses(ctx, true, p.Account, func(r *engine.Runner) (*Summary, error) { return r.Reparse(ctx, prefix) })
}
