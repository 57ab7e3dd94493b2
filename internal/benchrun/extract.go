package benchrun

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"gocloud.dev/blob/memblob"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// ExtractConfig configures Extract. The simulator's rate limit is a rolling hour of its
// own clock, so the benchmark runs the simulator, the client and the pipeline on a scaled
// clock (Scale simulated seconds per real second) while the latency stays real: a backfill
// that needs several hours of budget finishes in minutes.
type ExtractConfig struct {
	RateLimit   int           // requests per rolling simulated hour
	Scale       float64       // simulated seconds per real second
	Latency     time.Duration // real, added by the simulator to every request
	Days        int           // backfill length
	Concurrency int           // api.max_concurrency
	Pace        bool          // also run with the client refusing at the budget instead of waiting
	Log         io.Writer
}

// Phase is one measured part of the extraction benchmark.
type Phase struct {
	Name        string
	Passes      int // pipeline passes (a budget refusal leaves units pending for the next)
	Units       int // units planned by the first pass
	Requests    int64
	Throttled   int64 // 429 answers seen by the client
	SimLimited  int   // 429 answers sent by the simulator
	Refusals    int64 // requests the client did not send because its budget was used up
	Loaded      int
	Empty       int
	Other       int // pending, failed, expired at the end
	SimElapsed  time.Duration
	RealElapsed time.Duration
	NewUnits    int // daily run: units for the day that became available
}

// Fraction is the achieved request rate as a share of the rate the limit allows:
// LimitTime / SimElapsed, where LimitTime = floor((Requests-1)/R) hours is the least time in
// which a rolling-hour limit of R admits that many requests (R at once, then R more each
// hour). A client that keeps the window full gets close to 1 (it loses only the time of
// its last burst); one that spends R and then waits an hour without news before trying
// again gets about 1/(1 + burst/1h). 0 when the phase never needed more than one hour of
// budget: the limit did not bind and there is no rate to compare.
func (p Phase) Fraction(rateLimit int) float64 {
	lt := p.LimitTime(rateLimit)
	if lt == 0 || p.SimElapsed <= 0 {
		return 0
	}
	return lt.Hours() / p.SimElapsed.Hours()
}

// LimitTime is floor((Requests-1)/R) hours (see Fraction).
func (p Phase) LimitTime(rateLimit int) time.Duration {
	if p.Requests <= 0 {
		return 0
	}
	return time.Duration((p.Requests-1)/int64(rateLimit)) * time.Hour
}

// ExtractResult is the outcome of Extract.
type ExtractResult struct {
	Backfill      Phase
	PacedBackfill *Phase // with Pace: the client not waiting (max_budget_wait 0)
	Daily         Phase
}

// scaledClock runs Scale times faster than real time from base; Add jumps ahead.
type scaledClock struct {
	mu     sync.Mutex
	base   time.Time
	real0  time.Time
	scale  float64
	offset time.Duration
}

func (c *scaledClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(c.offset + time.Duration(float64(time.Since(c.real0))*c.scale))
}

func (c *scaledClock) Add(d time.Duration) { c.mu.Lock(); c.offset += d; c.mu.Unlock() }

// sleep waits d of simulated time.
func (c *scaledClock) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(time.Duration(float64(d) / c.scale))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// budgetWait is the client's MaxBudgetWait: the shipped default unless noWait.
func budgetWait(noWait bool) time.Duration {
	if noWait {
		return 0
	}
	return 65 * time.Minute
}

// dailyReports are all daily sales report kinds Apple publishes.
func dailyReports() []config.SalesReport {
	var out []config.SalesReport
	for _, c := range report.SalesCombos {
		if c.Frequency == report.Daily {
			out = append(out, config.SalesReport{Type: c.Type, SubType: c.SubType, Frequency: c.Frequency})
		}
	}
	return out
}

type extractEnv struct {
	clock  *scaledClock
	sim    *simulator.Server
	srv    *httptest.Server
	client *extract.Client
	pipe   *pipeline.Pipeline
}

// start is a Saturday noon, Pacific: yesterday's daily reports are out.
var extractStart = time.Date(2026, 11, 21, 12, 0, 0, 0, report.Pacific)

// newExtractEnv builds the simulator and client. The client paces itself as the product
// does (api.max_budget_wait): when the budget is spent it waits for the rolling hour. With
// noWait it refuses instead (max_budget_wait 0), for comparison.
func newExtractEnv(cfg ExtractConfig, noWait bool) (*extractEnv, error) {
	clock := &scaledClock{base: extractStart, real0: time.Now(), scale: cfg.Scale}
	sim := simulator.New(simulator.Options{Seed: 1, Now: clock.Now, RateLimit: cfg.RateLimit, Latency: cfg.Latency})
	key, _, err := simulator.GenerateKey()
	if err != nil {
		return nil, err
	}
	sim.AddKey("BENCHKEY01", &key.PublicKey)
	srv := httptest.NewServer(sim)
	client, err := extract.NewClient(extract.Config{
		BaseURL: srv.URL, IssuerID: sim.Options().IssuerID, KeyID: "BENCHKEY01", Key: key,
		Now: clock.Now, MaxConcurrency: cfg.Concurrency, Sleep: clock.sleep, MaxBudgetWait: budgetWait(noWait),
		HTTPClient: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency * 2}},
	})
	if err != nil {
		srv.Close()
		return nil, err
	}
	c, err := config.Parse("(bench)", etl.DefaultConfig)
	if err != nil {
		srv.Close()
		return nil, err
	}
	c.API.MaxConcurrency = cfg.Concurrency
	c.API.BudgetReserve = 0
	c.Sales.Reports = dailyReports()
	c.Finance.Enabled = false
	p := &pipeline.Pipeline{Cfg: c, Store: load.New(memblob.OpenBucket(nil)), API: client, Now: clock.Now}
	return &extractEnv{clock: clock, sim: sim, srv: srv, client: client, pipe: p}, nil
}

func (e *extractEnv) close() { e.srv.Close() }

// measure runs pass until a pass has no budget refusals, polling every simulated minute.
func (e *extractEnv) measure(ctx context.Context, name string, pass func() (*pipeline.Summary, error), log func(string, ...any)) (Phase, error) {
	ph := Phase{Name: name}
	c0, s0 := e.client.Stats(), e.sim.Stats()
	sim0, real0 := e.clock.Now(), time.Now()
	var sum *pipeline.Summary
	for {
		before := e.client.Stats()
		var err error
		sum, err = pass()
		if err != nil {
			return ph, err
		}
		ph.Passes++
		if ph.Passes == 1 {
			ph.Units = sum.Planned
		}
		after := e.client.Stats()
		if after.BudgetRefusals == before.BudgetRefusals {
			break
		}
		if after.Requests > before.Requests {
			log("  %s pass %d: %d requests, %d refused; waiting for the client to try again (sim %s)",
				name, ph.Passes, after.Requests-before.Requests, after.BudgetRefusals-before.BudgetRefusals,
				e.clock.Now().Sub(sim0).Round(time.Second))
		}
		if err := e.clock.sleep(ctx, time.Minute); err != nil {
			return ph, err
		}
	}
	ph.SimElapsed, ph.RealElapsed = e.clock.Now().Sub(sim0), time.Since(real0)
	c1, s1 := e.client.Stats(), e.sim.Stats()
	ph.Requests = c1.Requests - c0.Requests
	ph.Throttled = c1.Throttled - c0.Throttled
	ph.Refusals = c1.BudgetRefusals - c0.BudgetRefusals
	ph.SimLimited = s1.RateLimited - s0.RateLimited
	_ = sum
	es, err := e.pipe.Store.Ledger().List(ctx, "sales/")
	if err != nil {
		return ph, err
	}
	for _, en := range es {
		switch en.State {
		case load.Loaded:
			ph.Loaded++
		case load.Empty:
			ph.Empty++
		default:
			ph.Other++
		}
	}
	return ph, nil
}

// Extract runs the extraction benchmark: a backfill of cfg.Days days of every daily sales
// report kind, then (a simulated day later) a steady-state daily run.
func Extract(ctx context.Context, cfg ExtractConfig) (*ExtractResult, error) {
	if cfg.RateLimit <= cfg.Concurrency || cfg.Scale <= 0 || cfg.Days <= 0 || cfg.Concurrency <= 0 {
		return nil, fmt.Errorf("bench: need rate limit > concurrency > 0, scale > 0, days > 0")
	}
	log := func(format string, a ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", a...)
		}
	}
	res := &ExtractResult{}
	for _, pace := range []bool{false, true} {
		if pace && !cfg.Pace {
			continue
		}
		e, err := newExtractEnv(cfg, pace)
		if err != nil {
			return nil, err
		}
		day := time.Date(extractStart.Year(), extractStart.Month(), extractStart.Day(), 0, 0, 0, 0, time.UTC)
		w := pipeline.Window{From: day.AddDate(0, 0, -cfg.Days), To: day.AddDate(0, 0, -1), Families: []report.Family{report.Sales}}
		name := "backfill"
		if pace {
			name = "backfill, client not waiting"
		}
		log("%s: %d days x %d daily report kinds, limit %d/h, latency %s, concurrency %d, clock x%g",
			name, cfg.Days, len(dailyReports()), cfg.RateLimit, cfg.Latency, cfg.Concurrency, cfg.Scale)
		bf, err := e.measure(ctx, name, func() (*pipeline.Summary, error) { return e.pipe.Backfill(ctx, w) }, log)
		if err != nil {
			e.close()
			return nil, err
		}
		if pace {
			res.PacedBackfill = &bf
			e.close()
			continue
		}
		res.Backfill = bf
		// Steady state: the next day, one scheduled run.
		e.clock.Add(24 * time.Hour)
		log("daily run, one simulated day later")
		d, err := e.measure(ctx, "daily", func() (*pipeline.Summary, error) { return e.pipe.Run(ctx) }, log)
		e.close()
		if err != nil {
			return nil, err
		}
		d.NewUnits = len(dailyReports())
		res.Daily = d
	}
	return res, nil
}

// ExtractReport prints the figures and the targets.
func ExtractReport(w io.Writer, cfg ExtractConfig, res *ExtractResult) {
	fmt.Fprintf(w, "\nExtraction: %d-day backfill of %d daily sales report kinds; simulator limit %d requests per rolling hour, latency %s, concurrency %d, clock x%g\n",
		cfg.Days, len(dailyReports()), cfg.RateLimit, cfg.Latency, cfg.Concurrency, cfg.Scale)
	phases := []Phase{res.Backfill}
	if res.PacedBackfill != nil {
		phases = append(phases, *res.PacedBackfill)
	}
	fmt.Fprintf(w, "%-16s %6s %6s %8s %5s %8s %7s %6s %6s %10s %10s %8s %9s\n", "phase", "units", "passes", "requests",
		"429s", "refused", "loaded", "empty", "other", "sim time", "limit time", "real", "of rate")
	for _, p := range append(phases, res.Daily) {
		fmt.Fprintf(w, "%-16s %6d %6d %8d %5d %8d %7d %6d %6d %10s %10s %7.1fs %8.1f%%\n", p.Name, p.Units, p.Passes,
			p.Requests, max(p.Throttled, int64(p.SimLimited)), p.Refusals, p.Loaded, p.Empty, p.Other,
			p.SimElapsed.Round(time.Second), p.LimitTime(cfg.RateLimit), p.RealElapsed.Seconds(),
			100*p.Fraction(cfg.RateLimit))
	}
	fmt.Fprintln(w, `("of rate" = limit time / sim time: limit time = floor((requests-1)/limit) hours, the least time the rolling-hour limit allows for that many requests; 0 = the limit never bound; loaded/empty/other are ledger totals after the phase)`)
	for _, p := range phases {
		fr := p.Fraction(cfg.RateLimit)
		fmt.Fprintf(w, "%s: %.1f%% of the allowed request rate, %d 429s  [target >= 95%% and zero 429s: %s]\n",
			p.Name, 100*fr, max(p.Throttled, int64(p.SimLimited)), verdict(fr >= 0.95 && p.Throttled == 0 && p.SimLimited == 0))
	}
	d := res.Daily
	fmt.Fprintf(w, "daily run: %d requests for %d planned units (%d new days' reports + lookback re-checks)  [target requests <= units: %s]\n",
		d.Requests, d.Units, d.NewUnits, verdict(d.Requests <= int64(d.Units)))
}

// ExtractMarkdown writes the extraction section of BENCHMARKS.md.
func ExtractMarkdown(w io.Writer, cfg ExtractConfig, res *ExtractResult) {
	fmt.Fprintf(w, "## Results: extraction\n\n")
	fmt.Fprintf(w, "`etl bench --extract`: the simulator over `httptest` with %s real latency per request and a limit\n", cfg.Latency)
	fmt.Fprintf(w, "of %d requests per rolling hour; simulator, client and pipeline share a scaled clock (1 real\n", cfg.RateLimit)
	fmt.Fprintf(w, "second = %g simulated seconds; the client's retry sleeps are scaled too). A backfill of %d days\n", cfg.Scale, cfg.Days)
	fmt.Fprintf(w, "of all %d daily sales report kinds, with %d concurrent requests; when the client refuses requests\n", len(dailyReports()), cfg.Concurrency)
	fmt.Fprintf(w, "for lack of budget the units stay pending and the backfill runs again every simulated minute\n")
	fmt.Fprintf(w, "until nothing is refused. Then the clock jumps a day and one `pipeline.Run` is measured.\n\n")
	fmt.Fprintf(w, "\"Rate\" is the achieved rate as a share of what the limit allows: the least time a rolling-hour\n")
	fmt.Fprintf(w, "limit of R needs for N requests is floor((N−1)/R) hours, so rate = that / the measured (simulated)\n")
	fmt.Fprintf(w, "time. 1.0 = never slower than the limit forces.\n\n```\n")
	ExtractReport(w, cfg, res)
	fmt.Fprintf(w, "```\n\n")
	fmt.Fprintf(w, "The client paces itself at the budget (`api.max_budget_wait`): when the announced budget is used\n")
	fmt.Fprintf(w, "up it waits until its own oldest request of the hour leaves Apple's rolling window, timing\n")
	fmt.Fprintf(w, "requests by their answers. With Apple's real budget (3,500/h minus the reserve) such a\n")
	fmt.Fprintf(w, "backfill fits in one hour's budget and runs at the client's latency-bound speed.\n")
}
