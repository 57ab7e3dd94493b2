package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/report"
)

// A configuration with accounts: runs one engine.Runner per account, each with the
// account's own API client (one request budget per key; APIs) and Sources built from the
// account's configuration views (config.ForAccount: every family for its first vendor
// number, sales and finance for the others). The accounts' passes run at once, since
// their keys and units are disjoint, and are reported as one summary with a line per
// account. The single-account form is one pass over Cfg and API, exactly as before.

// pass is one account's share of a pass.
type pass struct {
	account string // "" in the single-account form
	runner  *engine.Runner
	err     error // the account cannot run (its client could not be made)
}

// passes builds the Runners of a pass; all selects every Source (import, reparse).
func (p *Pipeline) passes(all bool) []pass {
	if !p.Cfg.MultiAccount() {
		return []pass{{runner: p.runnerFor(p.Cfg, p.API, p.sourcesOf([]*config.Config{p.Cfg}, all), "")}}
	}
	var out []pass
	for _, a := range p.Cfg.AccountList() {
		views := p.Cfg.ForAccount(a)
		api, err := p.APIs[a.Name], p.AccountErrs[a.Name]
		if api == nil && err == nil && p.API != nil {
			api = p.API
		}
		if api != nil {
			api = guardKey(api)
		}
		out = append(out, pass{account: a.Name, err: err,
			runner: p.runnerFor(views[0], api, p.sourcesOf(views, all), a.Name)})
	}
	return out
}

// sourcesOf lists the Sources of an account's views: every family of the first, sales and
// finance of the others (each view is one vendor number).
func (p *Pipeline) sourcesOf(views []*config.Config, all bool) []engine.Source {
	if p.Sources != nil {
		return p.Sources
	}
	var out []engine.Source
	for i, v := range views {
		srcs := sources.New(v)
		if all {
			srcs = sources.All(v)
		}
		for _, s := range srcs {
			if i == 0 || s.Family() == report.Sales || s.Family() == report.Finance {
				out = append(out, s)
			}
		}
	}
	return out
}

func (p *Pipeline) runnerFor(cfg *config.Config, api engine.API, srcs []engine.Source, account string) *engine.Runner {
	r := &engine.Runner{Cfg: cfg, Store: p.Store, API: api, Sources: srcs, Log: p.logFor(account),
		Now: p.Now, Alloc: p.Alloc, OnUnit: p.OnUnit, Account: account, Shard: p.Shard, AllowShrink: p.AllowShrink,
		NoCompact: p.NoCompact}
	if p.Shard.Active() && p.Job != "" {
		r.SharePlan = p.sharePlan(account)
	}
	return r
}

// runPasses runs each account's pass at once and merges their summaries; the
// single-account form returns its one summary as it is.
// only, when set, runs that account alone.
func (p *Pipeline) runPasses(ctx context.Context, all bool, only string, run func(*engine.Runner) (*Summary, error)) (*Summary, error) {
	ps := p.passes(all)
	if only != "" && p.Cfg.MultiAccount() {
		ps = slices.DeleteFunc(ps, func(x pass) bool { return x.account != only })
		if len(ps) == 0 {
			return nil, fmt.Errorf("no account %q in %s", only, p.Cfg.File())
		}
	}
	if !p.Cfg.MultiAccount() {
		return run(ps[0].runner)
	}
	sums := make([]*Summary, len(ps))
	errs := make([]error, len(ps))
	progress := &progressOf{on: p.OnUnit}
	slots := make(chan struct{}, unitsInFlight(p.Cfg))
	var wg sync.WaitGroup
	for i, x := range ps {
		if x.err != nil {
			errs[i] = x.err
			continue
		}
		if p.OnUnit != nil {
			x.runner.OnUnit = progress.account(x.account)
		}
		x.runner.Slots = slots
		if all { // import and reparse: one account after the other (each stages its merges in memory)
			sums[i], errs[i] = run(x.runner)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[i], errs[i] = run(x.runner)
		}()
	}
	wg.Wait()
	sum := &Summary{}
	for i, x := range ps {
		sum.Merge(x.account, sums[i], errs[i])
		if errs[i] != nil {
			p.logFor(x.account).Error("account pass failed", "err", errs[i].Error())
		}
	}
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("run interrupted: %w", err)
	}
	return sum, nil
}

// unitsInFlight bounds the units in flight across the accounts of a pass (each holds a
// report, parsed and encoded, in memory): twice api.max_concurrency, so two accounts run
// as two single-account passes would, and twenty accounts fit the same pod.
func unitsInFlight(c *config.Config) int { return 2 * max(c.API.MaxConcurrency, 1) }

// progressOf adds up the accounts' progress per family, so that the progress line counts
// every account's units of a family together.
type progressOf struct {
	on            func(UnitDone)
	mu            sync.Mutex
	done, planned map[string]map[report.Family]int // by account
}

func (g *progressOf) account(name string) func(UnitDone) {
	return func(d UnitDone) {
		g.mu.Lock()
		if g.done == nil {
			g.done, g.planned = map[string]map[report.Family]int{}, map[string]map[report.Family]int{}
		}
		for _, m := range []map[string]map[report.Family]int{g.done, g.planned} {
			if m[name] == nil {
				m[name] = map[report.Family]int{}
			}
		}
		g.done[name][d.Unit.Family], g.planned[name][d.Unit.Family] = d.FamilyDone, d.FamilyPlanned
		d.FamilyDone, d.FamilyPlanned = 0, 0
		for a := range g.done {
			d.FamilyDone += g.done[a][d.Unit.Family]
			d.FamilyPlanned += g.planned[a][d.Unit.Family]
		}
		g.mu.Unlock()
		g.on(d)
	}
}

// importAccount is the account files are imported for: Pipeline.Account, else the only
// account, else the one that lists the --vendor given.
func (p *Pipeline) importAccount(opt ImportOptions) (string, error) {
	if !p.Cfg.MultiAccount() || p.Account != "" {
		return p.Account, nil
	}
	as := p.Cfg.AccountList()
	switch {
	case len(as) == 1:
		return as[0].Name, nil
	case opt.Vendor != "" && p.Cfg.AccountOf(opt.Vendor) != "":
		return p.Cfg.AccountOf(opt.Vendor), nil
	}
	return "", errors.New("import: the configuration has several accounts: pass --account NAME (or --vendor of one of its vendor numbers)")
}

func (p *Pipeline) logFor(account string) *slog.Logger {
	if p.Log == nil || account == "" {
		return p.Log
	}
	return p.Log.With("account", account)
}

// guardKey stops using a key Apple has rejected: after a 401 (the key revoked, or its
// issuer wrong), the account's further requests fail at once with that error instead of
// each being sent and refused, so a revoked key costs its account one request, not one per
// unit. Other answers pass through.
func guardKey(api engine.API) engine.API { return &keyGuard{api: api} }

type keyGuard struct {
	api      engine.API
	rejected atomic.Pointer[error]
}

// ErrKeyRejected marks the requests a keyGuard did not send.
var ErrKeyRejected = errors.New("the account's API key was rejected (401) earlier in this run; request not sent")

func (g *keyGuard) check() error {
	if e := g.rejected.Load(); e != nil {
		return fmt.Errorf("%w: %v", ErrKeyRejected, *e)
	}
	return nil
}

func (g *keyGuard) seen(err error) error {
	var ae *extract.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		g.rejected.CompareAndSwap(nil, &err)
	}
	return err
}

func (g *keyGuard) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	b, err := g.api.GetJSON(ctx, target, q)
	return b, g.seen(err)
}

func (g *keyGuard) SalesReport(ctx context.Context, u report.Unit, version string) (*extract.Report, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	r, err := g.api.SalesReport(ctx, u, version)
	return r, g.seen(err)
}

func (g *keyGuard) FinanceReport(ctx context.Context, u report.Unit) (*extract.Report, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	r, err := g.api.FinanceReport(ctx, u)
	return r, g.seen(err)
}

func (g *keyGuard) PostJSON(ctx context.Context, path string, body []byte) ([]byte, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	b, err := g.api.PostJSON(ctx, path, body)
	return b, g.seen(err)
}

func (g *keyGuard) Delete(ctx context.Context, path string) error {
	if err := g.check(); err != nil {
		return err
	}
	return g.seen(g.api.Delete(ctx, path))
}

// Download fetches pre-signed URLs, which carry no key: never refused.
func (g *keyGuard) Download(ctx context.Context, rawURL string) ([]byte, error) {
	return g.api.Download(ctx, rawURL)
}
