package engine

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// AccountKey is the leading hive partition key of every table of an installation with
// several accounts (config accounts:): parquet/<table>/account=<name>/<partition>/. The
// single-account form has no account partition (its layout is unchanged).
const AccountKey = "account"

// Several accounts (Runner.Account): a run over several accounts is one Runner per
// account, each with its own API client (one request budget per key) and Sources built
// from the account's configuration view. Unit ids stay globally unique (vendor numbers
// and App Apple IDs are), so the accounts share the ledger and the raw archive; what the
// Runner adds for an account is:
//   - every ledger entry it writes carries the account, and it takes only units whose
//     entries carry it (re-polls, reparse, imports), so two accounts never work the same
//     unit, and a reparse rebuilds each account's partitions from its own units;
//   - a planned unit whose entry belongs to another account (an app moved between teams)
//     is left to that account, with a notice;
//   - every partition it loads sits under account=<name>/.

// owns reports whether an entry is this pass's account's (in the single-account form,
// Account is "" on both sides).
func (r *Runner) owns(e load.Entry) bool { return e.Account == r.Account }

// partition is where a Source's partition of this pass's account lives in its table.
func (r *Runner) partition(p string) string {
	if r.Account == "" {
		return p
	}
	if p == "" {
		return AccountKey + "=" + r.Account
	}
	return AccountKey + "=" + r.Account + "/" + p
}

// noteForeign tells once per family that planned units belong to another account.
func (r *Runner) noteForeign(e load.Entry) {
	other := e.Account
	if other == "" {
		other = "the single-account form"
	}
	r.notes.add(Note{Kind: "account", Table: e.Unit.Table(), Subject: "foreign " + string(e.Unit.Family) + " " + other,
		Detail: fmt.Sprintf("%s units planned for this account are recorded under account %s; left to it", e.Unit.Family, other),
		Unit:   e.Unit.ID()})
}

// foreignErr is the error of a unit (an import, a re-poll) whose entry belongs to another
// account.
func (r *Runner) foreignErr(e load.Entry) error {
	return fmt.Errorf("unit %s belongs to account %q, not %q", e.Unit.ID(), e.Account, r.Account)
}

// processInSlot runs a unit once it holds one of the shared Slots (none: at once).
func (r *Runner) processInSlot(ctx context.Context, j job) outcome {
	if r.Slots == nil {
		return r.process(ctx, j)
	}
	select {
	case r.Slots <- struct{}{}:
		defer func() { <-r.Slots }()
		return r.process(ctx, j)
	case <-ctx.Done():
		return outcome{Unit: j.p.Unit, State: j.prior.State, Err: ctx.Err()}
	}
}

// AccountSummary is one account's share of a run over several accounts.
type AccountSummary struct {
	TableSummary
	Planned int
	Err     string `json:",omitempty"` // the account's pass failed as a whole
}

// Merge adds the summary of account name's pass (o, which may be nil when the pass did
// not start; err is its error) into s: a run over several accounts is one pass per
// account, reported as one run with a line per account.
func (s *Summary) Merge(name string, o *Summary, err error) {
	if s.Accounts == nil {
		s.Accounts = map[string]*AccountSummary{}
	}
	a := &AccountSummary{}
	if err != nil {
		a.Err = err.Error()
	}
	s.Accounts[name] = a
	if o == nil {
		return
	}
	a.TableSummary, a.Planned = o.Totals(), o.Planned
	if s.Started.IsZero() || o.Started.Before(s.Started) {
		s.Started = o.Started
	}
	if o.Finished.After(s.Finished) {
		s.Finished = o.Finished
	}
	s.Planned += o.Planned
	s.Published += o.Published
	s.Overdue += o.Overdue
	s.Compacted += o.Compacted
	s.Folded += o.Folded
	s.Migrated += o.Migrated
	s.CompactErrors = append(s.CompactErrors, o.CompactErrors...)
	s.Late = append(s.Late, o.Late...)
	s.Failures = append(s.Failures, o.Failures...)
	if s.Tables == nil {
		s.Tables = map[string]*TableSummary{}
	}
	for n, t := range o.Tables {
		s.Tables[n] = addCounts(s.Tables[n], t)
	}
	if s.Families == nil {
		s.Families, s.FamilyPlanned = map[report.Family]*TableSummary{}, map[report.Family]int{}
	}
	for f, t := range o.Families {
		s.Families[f] = addCounts(s.Families[f], t)
	}
	for f, n := range o.FamilyPlanned {
		s.FamilyPlanned[f] += n
	}
	s.Notes = mergeNotes(s.Notes, o.Notes)
}

func addCounts(into, t *TableSummary) *TableSummary {
	if into == nil {
		into = &TableSummary{}
	}
	into.Loaded += t.Loaded
	into.Unchanged += t.Unchanged
	into.Deferred += t.Deferred
	into.Empty += t.Empty
	into.Pending += t.Pending
	into.Failed += t.Failed
	into.Expired += t.Expired
	into.Held += t.Held
	into.Rows += t.Rows
	into.Bytes += t.Bytes
	into.Written += t.Written
	into.Dur += t.Dur
	return into
}

// mergeNotes adds the notices of another pass: the same notice (kind, table, subject) is
// one line, with the units of both.
func mergeNotes(a, b []NoteCount) []NoteCount {
	var ns notes
	for _, list := range [][]NoteCount{a, b} {
		for _, n := range list {
			ns.addCount(n)
		}
	}
	return ns.list()
}

// printAccounts writes one line per account (nothing for a single account).
func (s *Summary) printAccounts(w io.Writer) {
	if len(s.Accounts) == 0 {
		return
	}
	names := make([]string, 0, len(s.Accounts))
	for n := range s.Accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "account\tplanned\tloaded\tunchanged\tdeferred\tempty\tpending\tfailed\texpired\trows\t")
	for _, n := range names {
		a := s.Accounts[n]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", n, a.Planned, a.Loaded, a.Unchanged, a.Deferred,
			a.Empty, a.Pending, a.Failed, a.Expired, a.Rows)
	}
	tw.Flush()
	for _, n := range names {
		if e := s.Accounts[n].Err; e != "" {
			fmt.Fprintf(w, "account %s: %s\n", n, e)
		}
	}
}
