package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    engine.Shard
		wantErr string
	}{
		{"0/3", engine.Shard{Index: 0, Count: 3}, ""},
		{" 2/3 ", engine.Shard{Index: 2, Count: 3}, ""},
		{"0/1", engine.Shard{Index: 0, Count: 1}, ""},
		{"3/3", engine.Shard{}, "need 0 <= I < N"},
		{"-1/3", engine.Shard{}, "need 0 <= I < N"},
		{"1/0", engine.Shard{}, "need 0 <= I < N"},
		{"1", engine.Shard{}, "must be I/N"},
		{"a/b", engine.Shard{}, "whole numbers"},
		{"0/1001", engine.Shard{}, "N <= 1000"},
	} {
		got, err := engine.ParseShard(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseShard(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// Every key belongs to exactly one shard, the same one every time, and the shares are
// balanced.
func TestShardOwnsEachKeyOnce(t *testing.T) {
	const n, keys = 3, 3000
	counts := make([]int, n)
	for k := range keys {
		key := fmt.Sprintf("sales/SALES/SUMMARY/DAILY/85012345/2026-%02d-%02d/%d", k%12+1, k%28+1, k)
		owners := 0
		for i := range n {
			if (engine.Shard{Index: i, Count: n}).Owns(key) {
				owners++
				counts[i]++
			}
		}
		if owners != 1 {
			t.Fatalf("%s: %d owners", key, owners)
		}
	}
	for i, c := range counts {
		if c < keys/n*8/10 || c > keys/n*12/10 {
			t.Errorf("shard %d/%d owns %d of %d keys: unbalanced", i, n, c, keys)
		}
	}
	if !(engine.Shard{}).Owns("x") || !(engine.Shard{Index: 0, Count: 1}).Owns("x") {
		t.Error("no sharding must own everything")
	}
}

// Units of a merging family go by scope (they build the same partitions), the others by
// unit.
func TestShardKey(t *testing.T) {
	replace := &planSource{fam: report.Sales}
	merge := &planSource{fam: report.Reviews, tables: []*schemas.Table{mustTable(t, "customer_reviews")}}
	a := report.Unit{Family: report.Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "1400000001", Period: "2026-11-20"}
	b := a
	b.Period = "2026-11-21"
	if engine.ShardKey(merge, a) != engine.ShardKey(merge, b) {
		t.Error("two days of one app's reviews must go to the same shard")
	}
	s := salesUnit("2026-11-20")
	s2 := salesUnit("2026-11-21")
	if engine.ShardKey(replace, s) == engine.ShardKey(replace, s2) {
		t.Error("sales units must be sharded one by one")
	}
}

func mustTable(t *testing.T, name string) *schemas.Table {
	t.Helper()
	tb, ok := schemas.Lookup(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	return tb
}

func salesUnit(day string) report.Unit {
	return report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: "85012345", Period: day}
}

// planSource plans the units it is given and answers Empty for each (no payload).
type planSource struct {
	fam    report.Family
	tables []*schemas.Table
	units  []report.Unit
	mu     sync.Mutex
	got    []string
}

func (s *planSource) Family() report.Family    { return s.fam }
func (s *planSource) Tables() []*schemas.Table { return s.tables }
func (s *planSource) Plan(context.Context, *engine.PlanEnv) (engine.Plan, error) {
	var p engine.Plan
	for _, u := range s.units {
		p.Units = append(p.Units, engine.Planned{Unit: u})
	}
	return p, nil
}
func (s *planSource) Fetch(_ context.Context, _ *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	s.mu.Lock()
	s.got = append(s.got, p.Unit.ID())
	s.mu.Unlock()
	return engine.Fetched{Outcome: engine.NotYet, Detail: "not yet"}, nil
}
func (s *planSource) Parse(context.Context, *engine.ParseInput) (*engine.Parsed, error) {
	return nil, fmt.Errorf("no payloads")
}

// Three shards running at once over one bucket fetch every planned unit exactly once
// between them, each recorded once in the ledger.
func TestShardsSplitTheWork(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	store := load.New(b)
	var units []report.Unit
	for d := 1; d <= 30; d++ {
		units = append(units, salesUnit(fmt.Sprintf("2026-11-%02d", d)))
	}
	srcs := make([]*planSource, 3)
	var wg sync.WaitGroup
	for i := range srcs {
		srcs[i] = &planSource{fam: report.Sales, units: units}
		r := &engine.Runner{Store: store, API: noAPI{}, Sources: []engine.Source{srcs[i]}, Shard: engine.Shard{Index: i, Count: 3}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Run(ctx, engine.Window{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i, s := range srcs {
		if len(s.got) == 0 || len(s.got) == len(units) {
			t.Errorf("shard %d fetched %d of %d units", i, len(s.got), len(units))
		}
		for _, id := range s.got {
			seen[id]++
		}
	}
	for _, u := range units {
		if seen[u.ID()] != 1 {
			t.Errorf("%s fetched %d times", u.ID(), seen[u.ID()])
		}
	}
	es, err := store.Ledger().List(ctx, "")
	if err != nil || len(es) != len(units) {
		t.Fatalf("ledger: %d entries (%v), want %d", len(es), err, len(units))
	}
}

// A pass for one account records its account on every entry, leaves the units of another
// account alone (planned or pending) and re-polls only its own.
func TestAccountPassesKeepToTheirUnits(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	store := load.New(b)
	mine, theirs := salesUnit("2026-11-20"), salesUnit("2026-11-21")
	if err := store.Ledger().Put(ctx, load.Entry{Unit: theirs, Account: "globex", State: load.Pending}); err != nil {
		t.Fatal(err)
	}
	src := &planSource{fam: report.Sales, units: []report.Unit{mine, theirs}}
	r := &engine.Runner{Store: store, API: noAPI{}, Sources: []engine.Source{src}, Account: "acme"}
	sum, err := r.Run(ctx, engine.Window{})
	if err != nil {
		t.Fatal(err)
	}
	if len(src.got) != 1 || src.got[0] != mine.ID() {
		t.Errorf("acme fetched %v, want only %s", src.got, mine.ID())
	}
	e, _, _ := store.Ledger().Get(ctx, mine)
	if e.Account != "acme" {
		t.Errorf("entry account %q, want acme", e.Account)
	}
	if o, _, _ := store.Ledger().Get(ctx, theirs); o.Account != "globex" {
		t.Errorf("globex's entry now says %q", o.Account)
	}
	if !strings.Contains(engineNotes(sum), "recorded under account globex") {
		t.Errorf("no notice about globex's unit:\n%s", engineNotes(sum))
	}
	// A second account's pass re-polls its pending unit and not acme's.
	g := &planSource{fam: report.Sales}
	r2 := &engine.Runner{Store: store, API: noAPI{}, Sources: []engine.Source{g}, Account: "globex"}
	if _, err := r2.Run(ctx, engine.Window{}); err != nil {
		t.Fatal(err)
	}
	if len(g.got) != 1 || g.got[0] != theirs.ID() {
		t.Errorf("globex re-polled %v, want only %s", g.got, theirs.ID())
	}
}

func engineNotes(s *engine.Summary) string {
	var b strings.Builder
	for _, n := range s.Notes {
		b.WriteString(n.String() + "\n")
	}
	return b.String()
}

// gaugeSource is a planSource whose fetches measure how many run at once.
type gaugeSource struct {
	planSource
	now, peak *atomic.Int32
}

func (s *gaugeSource) Fetch(ctx context.Context, env *engine.FetchEnv, p engine.Planned) (engine.Fetched, error) {
	n := s.now.Add(1)
	defer s.now.Add(-1)
	for {
		old := s.peak.Load()
		if n <= old || s.peak.CompareAndSwap(old, n) {
			break
		}
	}
	time.Sleep(2 * time.Millisecond)
	return s.planSource.Fetch(ctx, env, p)
}

// Runners sharing Slots (one per account) never have more units in flight together than
// there are slots, however many workers each has.
func TestSlotsBoundUnitsAcrossRunners(t *testing.T) {
	ctx := context.Background()
	b := memblob.OpenBucket(nil)
	defer b.Close()
	store := load.New(b)
	var now, peak atomic.Int32
	slots := make(chan struct{}, 3)
	var wg sync.WaitGroup
	for a := range 4 {
		var units []report.Unit
		for d := 1; d <= 8; d++ {
			u := salesUnit(fmt.Sprintf("2026-11-%02d", d))
			u.Vendor = fmt.Sprint(85012340 + a)
			units = append(units, u)
		}
		src := &gaugeSource{planSource: planSource{fam: report.Sales, units: units}, now: &now, peak: &peak}
		r := &engine.Runner{Store: store, API: noAPI{}, Sources: []engine.Source{src}, Account: fmt.Sprint("a", a), Workers: 4, Slots: slots}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Run(ctx, engine.Window{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p < 2 || p > 3 {
		t.Errorf("%d units in flight at once with 3 slots", p)
	}
}
