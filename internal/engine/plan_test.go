package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

func TestInclude(t *testing.T) {
	run, backfill := Window{}, Window{From: t0, To: t0}
	forced, forcedBackfill := Window{Force: true}, Window{From: t0, To: t0, Force: true}
	st := func(s load.State) load.Entry { return load.Entry{State: s} }
	for _, c := range []struct {
		name  string
		w     Window
		final bool
		e     load.Entry
		known bool
		want  bool
	}{
		{"unknown, run", run, false, load.Entry{}, false, true},
		{"unknown final, backfill", backfill, true, load.Entry{}, false, true},
		{"pending, run", run, true, st(load.Pending), true, true},
		{"failed, run", run, true, st(load.Failed), true, true},
		{"pending, backfill", backfill, true, st(load.Pending), true, true},
		{"failed, backfill", backfill, false, st(load.Failed), true, true},
		{"expired, run", run, false, st(load.Expired), true, false},
		{"expired, backfill", backfill, false, st(load.Expired), true, false},
		{"expired, forced", forced, true, st(load.Expired), true, true},
		{"loaded, run", run, false, st(load.Loaded), true, true},
		{"loaded final, run", run, true, st(load.Loaded), true, false},
		{"empty, run", run, false, st(load.Empty), true, true},
		{"empty final, run", run, true, st(load.Empty), true, false},
		{"loaded, backfill", backfill, false, st(load.Loaded), true, false},
		{"empty, backfill", backfill, false, st(load.Empty), true, false},
		{"loaded final, forced", forced, true, st(load.Loaded), true, true},
		{"loaded final, forced backfill", forcedBackfill, true, st(load.Loaded), true, true},
		{"empty, forced backfill", forcedBackfill, false, st(load.Empty), true, true},
	} {
		if got := include(c.w, Planned{Final: c.final}, c.e, c.known); got != c.want {
			t.Errorf("%s: include = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPrioritise(t *testing.T) {
	j := func(period string, known bool, s load.State) job {
		return job{p: Planned{Unit: salesUnit(period)}, known: known, prior: load.Entry{State: s}}
	}
	jobs := []job{
		j("2026-11-18", true, load.Loaded),
		j("2026-11-20", false, ""),
		j("2026-11-16", true, load.Empty),
		j("2026-11-19", true, load.Pending),
		j("2026-11-20", true, load.Loaded),
		j("2026-11-10", true, load.Failed),
		j("2026-11-15", false, ""),
		j("2026-11-19", true, load.Expired), // forced: not a re-check of loaded data
	}
	prioritise(jobs)
	var got []string
	for _, x := range jobs {
		got = append(got, fmt.Sprintf("%s:%s", x.p.Unit.Period[8:], x.prior.State))
	}
	want := "10:failed 15: 19:pending 19:expired 20: 20:loaded 18:loaded 16:empty"
	if strings.Join(got, " ") != want {
		t.Errorf("order %s\nwant  %s", strings.Join(got, " "), want)
	}
}

// markPlanned records every unit the ledger does not know as pending, and nothing else.
func TestMarkPlanned(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	loaded := load.Entry{Unit: salesUnit("2026-11-18"), State: load.Loaded, Rows: 3, UpdatedAt: t0, FirstSeen: t0}
	if err := f.store.Ledger().Put(ctx, loaded); err != nil {
		t.Fatal(err)
	}
	before := f.snapshot("_etl/")
	jobs := []job{
		{p: Planned{Unit: salesUnit("2026-11-18")}, prior: loaded, known: true},
		{p: Planned{Unit: salesUnit("2026-11-19"), Ref: "ref-19"}},
		{p: Planned{Unit: salesUnit("2026-11-20")}, reload: true}, // an import: read when it starts
	}
	f.tick(1)
	r := f.runner()
	if err := r.markPlanned(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	es, err := f.store.Ledger().List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 {
		t.Fatalf("ledger has %d entries, want 2: %+v", len(es), es)
	}
	if d := diff(before, f.snapshot("_etl/ledger/"+salesUnit("2026-11-18").ID())); len(d) != 0 {
		t.Errorf("the known entry changed: %v", d)
	}
	e := f.entry(salesUnit("2026-11-19"))
	if e.State != load.Pending || e.Ref != "ref-19" || e.Attempts != 0 || !e.FirstSeen.Equal(f.clock()) || e.Error == "" {
		t.Errorf("planned entry %+v", e)
	}
	if !jobs[1].known || jobs[1].prior.State != load.Pending || jobs[0].prior.Rows != 3 || jobs[2].known {
		t.Errorf("jobs after markPlanned: %+v", jobs)
	}
}

// A run fetches what include selects, once per unit, re-polls the family's pending and
// failed units the plan left out (not a backfill), and turns a failing Plan into one failed
// scope.
func TestPlanRun(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	src := newPlainSource()
	for _, e := range []load.Entry{
		{Unit: salesUnit("2026-11-01"), State: load.Pending},
		{Unit: salesUnit("2026-11-02"), State: load.Failed},
		{Unit: salesUnit("2026-11-03"), State: load.Loaded},
		{Unit: salesUnit("2026-11-04"), State: load.Expired},
		{Unit: salesUnit("2026-11-20"), State: load.Loaded},
	} {
		if err := f.store.Ledger().Put(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	src.mu.Lock()
	src.units = []Planned{
		{Unit: salesUnit("2026-11-20"), Final: true},
		{Unit: salesUnit("2026-11-21")},
		{Unit: salesUnit("2026-11-21")}, // twice: once
	}
	src.mu.Unlock()
	other := newMergeSource()
	other.planErr = errors.New("listing failed")
	for _, c := range []struct {
		w    Window
		want string
	}{
		{Window{}, "2026-11-01 2026-11-02 2026-11-21"},
		{Window{From: t0, To: t0}, "2026-11-21"},
		{Window{Force: true}, "2026-11-01 2026-11-02 2026-11-21 2026-11-20"},
	} {
		jobs, fails, err := f.runner(src, other).plan(ctx, c.w)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, j := range jobs {
			got = append(got, j.p.Unit.Period)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%+v: jobs %v, want %s", c.w, got, c.want)
		}
		if len(fails) != 1 || fails[0].Unit.Family != report.Reviews || fails[0].Unit.Type != "REVIEWS_PLAN" ||
			!strings.Contains(fails[0].Err.Error(), "plan reviews: listing failed") {
			t.Errorf("failures %+v", fails)
		}
	}
	jobs, _, _ := f.runner(src).plan(ctx, Window{Families: []report.Family{report.Reviews}})
	if len(jobs) != 0 {
		t.Errorf("a window of other families planned %d units", len(jobs))
	}
}

// diff lists the keys whose content differs between two snapshots.
func diff(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
