package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/pipeline"
	"github.com/ascetl/etl/load"
)

// Several accounts and shards, as the commands see them (README "Several accounts",
// "Scale-out on Kubernetes"): a client per account (setup.go), a line per account in the
// summary and in etl status, and the views of a sharded run rebuilt by its last shard.

// sumStats adds up the clients' counters (the run manifest's requests).
func sumStats(clients map[string]*extract.Client) extract.Stats {
	var t extract.Stats
	t.RateLimit, t.RateRemaining = -1, -1
	for _, c := range clients {
		s := c.Stats()
		t.Requests += s.Requests
		t.Retries += s.Retries
		t.Throttled += s.Throttled
		t.ServerErrors += s.ServerErrors
		t.BudgetRefusals += s.BudgetRefusals
		t.BudgetWaits += s.BudgetWaits
		t.BytesDownloaded += s.BytesDownloaded
		if len(clients) == 1 {
			t.RateLimit, t.RateRemaining = s.RateLimit, s.RateRemaining
		}
	}
	return t
}

// printAccountRequests prints each account's requests: each key has its own budget.
func printAccountRequests(w io.Writer, c *config.Config, clients map[string]*extract.Client) {
	var parts []string
	for _, a := range c.AccountList() {
		cl, ok := clients[a.Name]
		if !ok {
			parts = append(parts, a.Name+" (no client)")
			continue
		}
		s := cl.Stats()
		rem := ""
		if s.RateRemaining >= 0 {
			rem = fmt.Sprintf(", %d of %d left this hour", s.RateRemaining, s.RateLimit)
		}
		parts = append(parts, fmt.Sprintf("%s %d (%d throttled%s)", a.Name, s.Requests, s.Throttled, rem))
	}
	fmt.Fprintf(w, "requests per account: %s\n", strings.Join(parts, "; "))
}

// shardViews records that this shard finished and, only when it is the shard that
// completes the job's set (pipeline.ShardDone), compacts the months every shard loaded
// into (pipeline.CompactAfterShards: shards never compact while another may load) and
// rebuilds the views (r.views): once per sharded run.
func (e *env) shardViews(ctx context.Context, c *config.Config, store *load.Store, p *pipeline.Pipeline, r runSpec, runID string, sum *pipeline.Summary) error {
	code := pipeline.ExitOK
	if sum != nil {
		code = sum.ExitCode()
	}
	last, done, err := pipeline.ShardDone(ctx, store, r.shardJob, r.shard, runID, code, time.Now())
	if err != nil {
		return err
	}
	if !last {
		fmt.Fprintf(e.stdout, "views: left to the last shard of job %s (%d of %d shards done)\n", r.shardJob, done, r.shard.Count)
		return nil
	}
	cs, err := p.CompactAfterShards(ctx)
	if err != nil {
		return fmt.Errorf("compaction after the shards of job %s: %w", r.shardJob, err)
	}
	fmt.Fprintf(e.stdout, "compacted after the shards: %d month objects written, %d period objects folded into months\n", cs.Compacted, cs.Folded)
	if sum != nil {
		sum.Compacted, sum.Folded, sum.Migrated = sum.Compacted+cs.Compacted, sum.Folded+cs.Folded, sum.Migrated+cs.Migrated
		sum.CompactErrors = append(sum.CompactErrors, cs.CompactErrors...)
	}
	if !r.views {
		return nil
	}
	fmt.Fprintf(e.stdout, "views: shard %s completes job %s (%d of %d shards done): rebuilding\n", r.shard, r.shardJob, done, r.shard.Count)
	return refreshViews(ctx, c, store, e.stdout)
}

// accountOf is an entry's account as etl status shows it.
func accountOf(e load.Entry) string {
	if e.Account == "" {
		return config.DefaultAccount
	}
	return e.Account
}

// printAccountCounts prints the ledger's states per account.
func printAccountCounts(w io.Writer, c *config.Config, counts map[string]map[load.State]int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tLOADED\tEMPTY\tPENDING\tFAILED\tEXPIRED")
	names := []string{}
	for _, a := range c.AccountList() {
		names = append(names, a.Name)
	}
	for n := range counts {
		if !contains(names, n) {
			names = append(names, n) // entries of an account no longer configured
		}
	}
	for _, n := range names {
		m := counts[n]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", n, m[load.Loaded], m[load.Empty], m[load.Pending], m[load.Failed], m[load.Expired])
	}
	tw.Flush()
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// simulateAccounts prints how to configure each account of the simulator and writes each
// account's key next to keyOut (simulator-key-<account>.p8).
func simulateAccounts(w io.Writer, sim *simInstance, c *config.Config, keyOut string, write func(string, []byte) error) error {
	fmt.Fprintf(w, "simulator listening on %s (%d accounts)\nconfigure:\n  api:\n    base_url: %s\n  accounts:\n", sim.Base, len(c.Accounts), sim.Base)
	ext := filepath.Ext(keyOut)
	for _, a := range c.Accounts {
		k := sim.Accounts[a.Name]
		path := strings.TrimSuffix(keyOut, ext) + "-" + a.Name + ext
		if err := write(path, k.PEM); err != nil {
			return err
		}
		fmt.Fprintf(w, "    - name: %s\n      issuer_id: %s\n      key_id: %s\n      key_path: %s\n      vendor_numbers: [%s]\n",
			a.Name, k.Issuer, k.KeyID, path, strings.Join(quoted(a.VendorNumbers), ", "))
	}
	return nil
}

func quoted(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}
