package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/blobs"
	"github.com/ascetl/etl/internal/blobs/bucketurl"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/opsmetrics"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/internal/schedule"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

func cmdRun(ctx context.Context, e *env, args []string) int {
	fs := e.flags("run")
	noViews := fs.Bool("no-views", false, "do not rebuild the DuckDB views after the run")
	allowShrink := allowShrinkFlag(fs)
	sf := scaleFlags(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	return e.runPipeline(ctx, pipeline.Window{}, !*noViews, *allowShrink, sf)
}

// scaleOpts are the flags of run and backfill for several accounts and shards.
type scaleOpts struct {
	shard, job, account *string
}

func scaleFlags(fs *flag.FlagSet) scaleOpts {
	return scaleOpts{
		shard:   fs.String("shard", "", "I/N: take shard I of N of the units (default: JOB_COMPLETION_INDEX of ETL_SHARDS, as in a Kubernetes Indexed Job)"),
		job:     fs.String("job", "", "with --shard: the id the N shards of this run share (default: ETL_JOB_ID, else the UTC day)"),
		account: fs.String("account", "", "only this account (config accounts:)"),
	}
}

// resolve fills the run's shard, job and account; a bad value is a usage error.
func (o scaleOpts) resolve(e *env, r *runSpec) bool {
	sh, err := pipeline.ResolveShard(*o.shard, os.Getenv)
	if err == nil && sh.Active() {
		r.shardJob, err = pipeline.ResolveJob(*o.job, os.Getenv, time.Now())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "etl %s: %v\n", r.command, err)
		return false
	}
	r.shard, r.account = sh, *o.account
	return true
}

func cmdBackfill(ctx context.Context, e *env, args []string) int {
	fs := e.flags("backfill")
	from := fs.String("from", "", "first day (YYYY-MM-DD), required")
	to := fs.String("to", "", "last day (YYYY-MM-DD), required")
	family := fs.String("family", "", "only this family: "+familyNames()+" (default: every enabled one)")
	force := fs.Bool("force", false, "re-fetch units already loaded or empty")
	noViews := fs.Bool("no-views", false, "do not rebuild the DuckDB views afterwards")
	sf := scaleFlags(fs)
	allowShrink := allowShrinkFlag(fs)
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
	if *family != "" {
		if !slices.Contains(config.Families, report.Family(*family)) {
			fmt.Fprintf(e.stderr, "etl backfill: --family %q must be one of %s\n", *family, familyNames())
			return 2
		}
		w.Families = []report.Family{report.Family(*family)}
	}
	return e.runPipeline(ctx, w, !*noViews, *allowShrink, sf)
}

// allowShrinkFlag is --allow-shrink of run, backfill, import and reparse (engine/shrink.go).
func allowShrinkFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("allow-shrink", false, "apply a version that would replace a loaded partition with far fewer rows "+
		"(none, or under half of 20 or more; otherwise it is archived, held and the exit code is 3)")
}

// familyNames lists the families, for flag help and messages.
func familyNames() string {
	names := make([]string, len(config.Families))
	for i, f := range config.Families {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

func (e *env) runPipeline(ctx context.Context, w pipeline.Window, views, allowShrink bool, sf scaleOpts) int {
	r := runSpec{command: "run", api: true, views: views, families: w.Families, progress: true}
	if !w.From.IsZero() {
		r.command, r.from, r.to = "backfill", w.From, w.To
	}
	if !sf.resolve(e, &r) {
		return 2
	}
	return e.execute(ctx, r, func(ctx context.Context, p *pipeline.Pipeline) (*pipeline.Summary, error) {
		p.AllowShrink = allowShrink
		if w.From.IsZero() {
			return p.Run(ctx)
		}
		return p.Backfill(ctx, w)
	})
}

func cmdStatus(ctx context.Context, e *env, args []string) int {
	fs := e.flags("status")
	state := fs.String("state", "", "only units in this state: loaded, empty, pending, failed, expired")
	prefix := fs.String("prefix", "", "only units whose id starts with this, e.g. sales/SALES/ or finance/")
	runs := fs.Bool("runs", false, "list the run manifests (_etl/runs/), newest first, and the bucket lock")
	limit := fs.Int("limit", 20, "with --runs: at most this many runs (0: all)")
	account := fs.String("account", "", "with accounts:, only this account's units")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, _, store, code := e.setup(ctx)
	if code != 0 {
		return code
	}
	defer store.Bucket().Close()
	if *runs {
		return e.statusRuns(ctx, store, *limit)
	}
	es, err := store.Ledger().List(ctx, *prefix)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 1
	}
	multi := c.MultiAccount()
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	if multi {
		fmt.Fprint(tw, "ACCOUNT\t")
	}
	fmt.Fprintln(tw, "UNIT\tSTATE\tROWS\tVERSION\tATTEMPTS\tUPDATED\tERROR")
	counts := map[load.State]int{}
	perAccount := map[string]map[load.State]int{}
	for _, en := range es {
		if (*state != "" && string(en.State) != *state) || (*account != "" && accountOf(en) != *account) {
			continue
		}
		counts[en.State]++
		if perAccount[accountOf(en)] == nil {
			perAccount[accountOf(en)] = map[load.State]int{}
		}
		perAccount[accountOf(en)][en.State]++
		if multi {
			fmt.Fprint(tw, accountOf(en)+"\t")
		}
		msg := en.Error
		if len(msg) > 120 {
			msg = msg[:117] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\n", en.Unit.ID(), en.State, en.Rows, en.Version,
			en.Attempts, en.UpdatedAt.Format(time.RFC3339), msg)
	}
	tw.Flush()
	if multi {
		printAccountCounts(e.stdout, c, perAccount)
	}
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
	account := fs.String("account", "", "with accounts:, the account the files are imported for (default: the one listing --vendor)")
	noViews := fs.Bool("no-views", false, "do not rebuild the DuckDB views afterwards")
	allowShrink := allowShrinkFlag(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	return e.execute(ctx, runSpec{command: "import", views: !*noViews, account: *account, progress: true}, func(ctx context.Context, p *pipeline.Pipeline) (*pipeline.Summary, error) {
		p.AllowShrink = *allowShrink
		return p.Import(ctx, fs.Args(), opt)
	})
}

func cmdReparse(ctx context.Context, e *env, args []string) int {
	fs := e.flags("reparse")
	prefix := fs.String("prefix", "", "only units whose id starts with this")
	account := fs.String("account", "", "with accounts:, only this account's units")
	allowShrink := allowShrinkFlag(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	return e.execute(ctx, runSpec{command: "reparse", views: true, account: *account, progress: true}, func(ctx context.Context, p *pipeline.Pipeline) (*pipeline.Summary, error) {
		p.AllowShrink = *allowShrink
		return p.Reparse(ctx, *prefix)
	})
}

// runSpec says how execute runs a pass.
type runSpec struct {
	command  string // run, backfill, import, reparse, schedule:<job>
	api      bool   // needs the API client
	views    bool   // rebuild the DuckDB views afterwards
	progress bool   // progress: a bar on a terminal, periodic log records elsewhere
	families []report.Family
	from, to time.Time
	// For etl schedule: the job name, its metrics and the lock mode (wait).
	job      string
	metrics  *opsmetrics.Metrics
	lockMode string
	// Several accounts and shards: one account only, this run's shard and its job id.
	account  string
	shard    pipeline.Shard
	shardJob string
}

// execute sets up config, logger and store (and, with api, the API client), then runs
// work under the bucket lock (schedule.Exec: lock, run manifest, metrics), rebuilds the
// views, prints the summary and turns the outcome into an exit code.
func (e *env) execute(ctx context.Context, r runSpec, work func(context.Context, *pipeline.Pipeline) (*pipeline.Summary, error)) int {
	c, log, store, code := e.setup(ctx)
	if code != 0 {
		return code
	}
	defer store.Bucket().Close()
	useLocalDir(store, c)
	if r.account != "" && !slices.ContainsFunc(c.AccountList(), func(a config.Account) bool { return a.Name == r.account }) {
		fmt.Fprintf(e.stderr, "etl %s: --account %q is not an account of %s\n", r.command, r.account, c.File())
		return pipeline.ExitUsage
	}
	p := &pipeline.Pipeline{Cfg: c, Store: store, Log: log, Now: clock, Account: r.account, Shard: r.shard, Job: r.shardJob}
	x := &schedule.Exec{Cfg: c, Store: store, Log: log, Metrics: r.metrics, Command: r.command, Job: r.job,
		Families: r.families, From: r.from, To: r.to, LockMode: r.lockMode, ID: pipeline.NewRunID(time.Now())}
	if r.shard.Active() {
		x.LockName = pipeline.ShardLock(r.shard)
		log = log.With("shard", r.shard.String())
		p.Log, x.Log = log, log
	}
	var clients map[string]*extract.Client
	if r.api {
		var stop func()
		var errs map[string]error
		var err error
		if clients, errs, stop, err = apiClients(c, log, r.shard.Count); err != nil {
			fmt.Fprintln(e.stderr, "etl:", err)
			return pipeline.ExitUsage
		}
		defer stop()
		p.API, p.AccountErrs = clients[config.DefaultAccount], errs
		p.APIs = map[string]pipeline.API{}
		for n, cl := range clients {
			p.APIs[n] = cl
		}
		for n, err := range errs {
			fmt.Fprintf(e.stderr, "etl: account %s: %v\n", n, err)
		}
		x.Stats = func() extract.Stats { return sumStats(clients) }
	}
	if r.progress { // progress.go: a bar on a terminal, a record per tenth elsewhere
		if e.status != nil {
			p.OnUnit = e.status.unit
		} else {
			p.OnUnit = newProgressLog(log).unit
		}
	}
	x.Work = func(ctx context.Context) (*pipeline.Summary, error) {
		sweepTemporaries(c, r.lockMode, r.shard.Count > 1, log) // under the lock, before anything is written (sweep.go)
		return work(ctx, p)
	}
	var views *viewsJob
	if r.shard.Active() && !r.views { // the last shard still compacts (shardViews)
		x.After = func(ctx context.Context, sum *pipeline.Summary) error {
			return e.shardViews(ctx, c, store, p, r, x.ID, sum)
		}
	}
	if r.views {
		x.After = func(ctx context.Context, sum *pipeline.Summary) error {
			if e.status != nil {
				e.status.finish() // the progress line goes before the views print
			}
			if r.shard.Active() {
				return e.shardViews(ctx, c, store, p, r, x.ID, sum)
			}
			views = &viewsJob{cfg: c, store: store, sum: sum, from: r.from, to: r.to, out: e.stdout, now: time.Now()}
			return views.run(ctx)
		}
	}
	res := x.Do(ctx)
	if e.status != nil {
		e.status.finish()
	}
	if res.Summary != nil {
		res.Summary.Print(e.stdout)
		if views != nil {
			printHeadline(e.stdout, views.headline)
		}
		if len(clients) > 0 {
			st := sumStats(clients)
			fmt.Fprintf(e.stdout, "requests %d, retries %d, throttled (429) %d\n", st.Requests, st.Retries, st.Throttled)
		}
		if c.MultiAccount() && len(clients) > 0 {
			printAccountRequests(e.stdout, c, clients)
		}
		fmt.Fprintf(e.stdout, "run %s (manifest %s)\n", res.ID, pipeline.ManifestKey(res.ID))
	}
	if res.Err != nil {
		fmt.Fprintln(e.stderr, "etl:", res.Err)
	}
	if res.AfterErr != nil {
		fmt.Fprintln(e.stderr, "etl: views:", res.AfterErr)
	}
	return res.Code
}

// useLocalDir gives a file:// bucket's store its directory, so that the bucket lock is
// atomic across processes (load.Store.PutIfAbsent).
func useLocalDir(store *load.Store, c *config.Config) {
	u, err := bucketurl.Parse(c.Storage.Bucket)
	if err != nil || u.Scheme != "file" {
		return
	}
	dir, err := blobs.LocalDir(u)
	if err != nil {
		return
	}
	store.UseLocalDir(filepath.Join(dir, filepath.FromSlash(u.Prefix)))
}

// statusRuns prints the run manifests, newest first, and who holds the bucket lock.
func (e *env) statusRuns(ctx context.Context, store *load.Store, limit int) int {
	ms, err := pipeline.ListManifests(ctx, store, limit)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 1
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tCOMMAND\tSTARTED\tDURATION\tEXIT\tPLANNED\tLOADED\tEMPTY\tPENDING\tFAILED\tLATE\tROWS\tREQUESTS\t429\tERROR")
	for _, m := range ms {
		msg := m.Error
		if len(msg) > 80 {
			msg = msg[:77] + "..."
		}
		t := m.Totals
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", m.ID, m.Command,
			m.Started.Format(time.RFC3339), time.Duration(m.DurationSeconds*float64(time.Second)).Round(time.Millisecond),
			m.ExitCode, m.Planned, t.Loaded, t.Empty, t.Pending, t.Failed, len(m.Late), t.Rows, m.Requests, m.Throttle, msg)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "%d run(s) shown\n", len(ms))
	info, ok, err := store.ReadLock(ctx, schedule.RunLock)
	switch {
	case err != nil:
		fmt.Fprintln(e.stderr, "etl: lock:", err)
		return 1
	case ok && info.Held(time.Now()):
		fmt.Fprintf(e.stdout, "lock: held by %s since %s (expires %s)\n", info.Owner,
			info.Since.Format(time.RFC3339), info.Expires.Format(time.RFC3339))
	default:
		fmt.Fprintln(e.stdout, "lock: free")
	}
	return 0
}

func cmdViews(ctx context.Context, e *env, args []string) int {
	fs := e.flags("views")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, _, store, code := e.setup(ctx)
	if code != 0 {
		return code
	}
	defer store.Bucket().Close()
	if err := refreshViews(ctx, c, store, e.stdout); err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 1
	}
	return 0
}
