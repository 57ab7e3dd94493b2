package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/internal/report"
	"github.com/ascetl/etl/load"
)

func cmdRun(ctx context.Context, e *env, args []string) int {
	fs := e.flags("run")
	noViews := fs.Bool("no-views", false, "do not rebuild the DuckDB views after the run")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	return e.runPipeline(ctx, pipeline.Window{}, !*noViews)
}

func cmdBackfill(ctx context.Context, e *env, args []string) int {
	fs := e.flags("backfill")
	from := fs.String("from", "", "first day (YYYY-MM-DD), required")
	to := fs.String("to", "", "last day (YYYY-MM-DD), required")
	family := fs.String("family", "", "only this family: sales or finance (default: every enabled one)")
	force := fs.Bool("force", false, "re-fetch units already loaded or empty")
	noViews := fs.Bool("no-views", false, "do not rebuild the DuckDB views afterwards")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	w := pipeline.Window{Force: *force}
	var err error
	if w.From, err = time.Parse("2006-01-02", *from); err != nil {
		fmt.Fprintf(e.stderr, "etl backfill: --from %q must be a date YYYY-MM-DD\n", *from)
		return 2
	}
	if w.To, err = time.Parse("2006-01-02", *to); err != nil || w.To.Before(w.From) {
		fmt.Fprintf(e.stderr, "etl backfill: --to %q must be a date YYYY-MM-DD, not before --from\n", *to)
		return 2
	}
	switch *family {
	case "":
	case "sales", "finance":
		w.Families = []report.Family{report.Family(*family)}
	default:
		fmt.Fprintf(e.stderr, "etl backfill: --family %q must be sales or finance\n", *family)
		return 2
	}
	return e.runPipeline(ctx, w, !*noViews)
}

func (e *env) runPipeline(ctx context.Context, w pipeline.Window, views bool) int {
	return e.execute(ctx, true, views, func(p *pipeline.Pipeline) (*pipeline.Summary, error) {
		if w.From.IsZero() {
			return p.Run(ctx)
		}
		return p.Backfill(ctx, w)
	})
}

// progress reports units done on a terminal; elsewhere the per-unit log lines suffice.
func progress(w any) func(done, total int) {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	start := time.Now()
	return func(done, total int) {
		rate := float64(done) / time.Since(start).Seconds()
		fmt.Fprintf(f, "\r%d/%d units (%.1f/s)", done, total, rate)
		if done == total {
			fmt.Fprintln(f)
		}
	}
}

func cmdStatus(ctx context.Context, e *env, args []string) int {
	fs := e.flags("status")
	state := fs.String("state", "", "only units in this state: loaded, empty, pending, failed, expired")
	prefix := fs.String("prefix", "", "only units whose id starts with this, e.g. sales/SALES/ or finance/")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	_, _, store, code := e.setup(ctx)
	if code != 0 {
		return code
	}
	defer store.Bucket().Close()
	es, err := store.Ledger().List(ctx, *prefix)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 1
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "UNIT\tSTATE\tROWS\tVERSION\tATTEMPTS\tUPDATED\tERROR")
	counts := map[load.State]int{}
	for _, en := range es {
		if *state != "" && string(en.State) != *state {
			continue
		}
		counts[en.State]++
		msg := en.Error
		if len(msg) > 120 {
			msg = msg[:117] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\n", en.Unit.ID(), en.State, en.Rows, en.Version,
			en.Attempts, en.UpdatedAt.Format(time.RFC3339), msg)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d loaded, %d empty, %d pending, %d failed, %d expired\n",
		counts[load.Loaded], counts[load.Empty], counts[load.Pending], counts[load.Failed], counts[load.Expired])
	return 0
}

func cmdImport(ctx context.Context, e *env, args []string) int {
	fs := e.flags("import")
	var opt pipeline.ImportOptions
	fs.StringVar(&opt.Period, "period", "", "report period when the file cannot tell (2026-11-20, 2026-11, 2026; fiscal YYYY-MM for finance)")
	fs.StringVar(&opt.Region, "region", "", "finance region when the file name does not carry it (US, EU, ZZ, …)")
	fs.StringVar(&opt.Vendor, "vendor", "", "vendor number (default: the config's)")
	noViews := fs.Bool("no-views", false, "do not rebuild the DuckDB views afterwards")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	return e.execute(ctx, false, !*noViews, func(p *pipeline.Pipeline) (*pipeline.Summary, error) {
		return p.Import(ctx, fs.Args(), opt)
	})
}

func cmdReparse(ctx context.Context, e *env, args []string) int {
	fs := e.flags("reparse")
	prefix := fs.String("prefix", "", "only units whose id starts with this")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	return e.execute(ctx, false, true, func(p *pipeline.Pipeline) (*pipeline.Summary, error) {
		return p.Reparse(ctx, *prefix)
	})
}

// execute sets up config, logger and store (and, with api, the API client), runs work,
// prints its summary, rebuilds the views and turns the outcome into an exit code.
func (e *env) execute(ctx context.Context, api, views bool, work func(*pipeline.Pipeline) (*pipeline.Summary, error)) int {
	c, log, store, code := e.setup(ctx)
	if code != 0 {
		return code
	}
	defer store.Bucket().Close()
	p := &pipeline.Pipeline{Cfg: c, Store: store, Log: log}
	var client *extract.Client
	if api {
		var stop func()
		var err error
		if client, stop, err = apiClient(c, log); err != nil {
			fmt.Fprintln(e.stderr, "etl:", err)
			return pipeline.ExitUsage
		}
		defer stop()
		p.API, p.Progress = client, progress(e.stderr)
	}
	sum, err := work(p)
	if sum != nil {
		sum.Print(e.stdout)
		if client != nil {
			st := client.Stats()
			fmt.Fprintf(e.stdout, "requests %d, retries %d, throttled (429) %d\n", st.Requests, st.Retries, st.Throttled)
		}
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return pipeline.ExitFailed
	}
	if views {
		if err := refreshViews(ctx, c, e.stdout); err != nil {
			fmt.Fprintln(e.stderr, "etl: views:", err)
			return pipeline.ExitPartial
		}
	}
	return sum.ExitCode()
}

func cmdViews(ctx context.Context, e *env, args []string) int {
	fs := e.flags("views")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	if err := refreshViews(ctx, c, e.stdout); err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 1
	}
	return 0
}

func cmdSimulate(ctx context.Context, e *env, args []string) int {
	fs := e.flags("simulate")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	keyOut := fs.String("key-out", "simulator-key.p8", "where to write the generated .p8 key for clients")
	seed := fs.Int64("seed", 0, "data seed (default: the config's simulator.seed)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	if *seed != 0 {
		c.Simulator.Seed = *seed
	}
	sim, err := startSimulator(c, *addr)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 1
	}
	defer sim.Stop()
	if err := os.WriteFile(*keyOut, sim.PEM, 0o600); err != nil {
		fmt.Fprintln(e.stderr, "etl: write key:", err)
		return 1
	}
	fmt.Fprintf(e.stdout, "simulator listening on %s (vendor %s)\nconfigure:\n  api:\n    base_url: %s\n    issuer_id: %s\n    key_id: %s\n    key_path: %s\n",
		sim.Base, c.VendorNumber, sim.Base, sim.Issuer, sim.KeyID, *keyOut)
	<-ctx.Done()
	return 0
}

func cmdCheckConfig(ctx context.Context, e *env, args []string) int {
	fs := e.flags("check-config")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	if !c.UsesSimulator() {
		if _, err := loadKey(c); err != nil {
			fmt.Fprintln(e.stderr, "etl:", err)
			return 2
		}
	}
	b, err := openBucket(ctx, c.Storage.Bucket)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	b.Close()
	fmt.Fprintf(e.stdout, "%s: ok (%s, vendor %s, %d sales report(s), finance %v)\n",
		c.File(), apiName(c), c.VendorNumber, len(c.Sales.Reports), c.Finance.Enabled)
	return 0
}

func apiName(c *config.Config) string {
	if c.UsesSimulator() {
		return "embedded simulator"
	}
	return c.API.BaseURL
}
