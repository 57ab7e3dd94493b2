package engine

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

func (f *fixture) deletePrefix(prefix string) {
	f.t.Helper()
	keys, err := f.store.List(context.Background(), prefix)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, k := range keys {
		if err := f.store.Delete(context.Background(), k); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) reparse(prefix string, srcs ...Source) *Summary {
	f.t.Helper()
	sum, err := f.runner(srcs...).Reparse(context.Background(), prefix)
	if err != nil {
		f.t.Fatalf("reparse: %v", err)
	}
	return sum
}

// short is "<unit period> <version index>" of a Parse record, for readable orders.
func short(parses []string, ids map[string]string) string {
	var out []string
	for _, p := range parses {
		out = append(out, ids[p])
	}
	return strings.Join(out, " ")
}

// mergeHistory runs three passes of a merging family whose two units of one app share a
// partition, interleaving their versions in time: April's v1, May's v1, April's v2. It
// returns the units and names for their Parse records.
func mergeHistory(t *testing.T, f *fixture, src *fakeSource) (report.Unit, report.Unit, map[string]string) {
	apr, may := reviewUnit("2026-04"), reviewUnit("2026-05")
	src.plan(apr)
	src.answer(apr, data("page-00001.json", "a=1", "b=1"))
	f.run(src)
	f.tick(time.Hour)
	src.plan(may)
	src.answer(may, data("page-00001.json", "a=2"))
	f.run(src)
	f.tick(time.Hour)
	src.plan(apr)
	src.answer(apr, data("page-00001.json", "a=3", "b=1"))
	f.run(src)
	av, mv := f.entry(apr).Versions, f.entry(may).Versions
	if len(av) != 2 || len(mv) != 1 {
		t.Fatalf("versions: April %d, May %d; want 2 and 1", len(av), len(mv))
	}
	names := map[string]string{apr.ID() + " " + av[0].ID: "apr1", apr.ID() + " " + av[1].ID: "apr2", may.ID() + " " + mv[0].ID: "may1"}
	return apr, may, names
}

// A merging family is replayed in fetch order across its units, so the merge comes back as
// it was built (per unit, April's two versions first, May's a=2 would win).
func TestReplayMergingFetchOrder(t *testing.T) {
	for _, prefix := range []string{"", reviewUnit("2026-05").ID()} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			f := newFixture(t)
			src := newMergeSource()
			apr, _, names := mergeHistory(t, f, src)
			key := src.parquetKey(apr)
			if got := strings.Join(f.rows(key), " "); got != "a=3 b=1" {
				t.Fatalf("after the runs: rows %s", got)
			}
			want := f.snapshot("parquet/")
			f.deletePrefix("parquet/")
			src.resetParses()
			f.tick(time.Hour)
			sum := f.reparse(prefix, src)
			if got := short(src.parses(), names); got != "apr1 may1 apr2" {
				t.Errorf("replay order %s, want apr1 may1 apr2", got)
			}
			if d := diff(want, f.snapshot("parquet/")); len(d) > 0 {
				t.Errorf("reparse differs from the runs: %v", d)
			}
			if sum.ExitCode() != ExitOK || sum.Published != 1 || counts(sum.Totals()) != "loaded:2" {
				t.Errorf("reparse: exit %d, %d published, %s", sum.ExitCode(), sum.Published, counts(sum.Totals()))
			}
		})
	}
}

// An interrupted merging replay publishes nothing and leaves the ledger as it was, at
// whatever step or write it is interrupted; the next reparse rebuilds everything.
func TestReplayMergingInterrupted(t *testing.T) {
	setup := func(t *testing.T) (*fixture, *fakeSource) {
		f := newFixture(t)
		src := newMergeSource()
		mergeHistory(t, f, src)
		// A second app: a second staged object, published after the first.
		other := report.Unit{Family: report.Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "2", Period: "2026-04"}
		src.plan(other)
		src.answer(other, data("page-00001.json", "z=1"))
		f.run(src)
		f.tick(time.Hour)
		return f, src
	}
	ref, _ := setup(t)
	want := ref.snapshot("parquet/")
	if len(want) != 2 {
		t.Fatalf("the runs left %d objects, want 2", len(want))
	}
	for _, at := range []string{"parse 1", "parse 2", "parse 4", "publish 1", "publish 2"} {
		t.Run(at, func(t *testing.T) {
			f, src := setup(t)
			f.deletePrefix("parquet/")
			ledger := f.snapshot("_etl/")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var n atomic.Int32
			var step int32
			if strings.HasPrefix(at, "parse") {
				step = int32(at[len(at)-1] - '0')
				src.onParse = func(*ParseInput) {
					if n.Add(1) == step {
						cancel()
					}
				}
			} else {
				step = int32(at[len(at)-1] - '0')
				f.spy.setBefore(func(key string) error {
					if strings.HasPrefix(key, "parquet/") && n.Add(1) == step {
						cancel()
					}
					return nil
				})
			}
			_, err := f.runner(src).Reparse(ctx, "")
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v", err)
			}
			f.spy.setBefore(nil)
			src.onParse = nil
			if got := f.snapshot("parquet/"); len(got) > 0 && len(diff(want, got)) > 0 {
				t.Errorf("an interrupted replay published %d of %d objects", len(got), len(want))
			}
			if len(f.snapshot("parquet/")) == 0 && len(diff(ledger, f.snapshot("_etl/"))) > 0 {
				t.Errorf("an interrupted replay that published nothing changed the ledger: %v", diff(ledger, f.snapshot("_etl/")))
			}
			f.reparse("", src)
			if d := diff(want, f.snapshot("parquet/")); len(d) > 0 {
				t.Errorf("the next reparse left %v different", d)
			}
		})
	}
}

// A replace family's unit is rebuilt from the ledger's loaded version; when that fails,
// from the newest one that parses, with a "kept" notice.
func TestReplayPlainVersionChoice(t *testing.T) {
	u := salesUnit("2026-11-20")
	for _, c := range []struct {
		name    string
		fetches []string // one version each, in order
		reject  string   // what the parser rejects at reparse
		order   string   // versions tried, by index
		rows    string
		summary string
		kept    bool
	}{
		{name: "the loaded version, not the newer failed one", fetches: []string{"a=1", "bad"},
			order: "v1", rows: "a=1", summary: "loaded:1"},
		{name: "the newest version, loaded", fetches: []string{"a=1", "a=2"},
			order: "v2", rows: "a=2", summary: "loaded:1"},
		{name: "falls back to an older version", fetches: []string{"a=1", "a=2"}, reject: "a=2",
			order: "v2 v1", rows: "a=1", summary: "loaded:1", kept: true},
		{name: "loaded first, then newest first", fetches: []string{"a=1", "a=2", "bad"}, reject: "a=2",
			order: "v2 v3 v1", rows: "a=1", summary: "loaded:1", kept: true},
		{name: "no version parses", fetches: []string{"a=1", "a=2"}, reject: "a=",
			order: "v2 v1", summary: "failed:1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			src := newPlainSource()
			src.plan(u)
			for _, body := range c.fetches {
				src.answer(u, data("r.txt", body))
				f.run(src)
				f.tick(time.Hour)
			}
			names := map[string]string{}
			for i, v := range f.entry(u).Versions {
				names[u.ID()+" "+v.ID] = "v" + string(rune('1'+i))
			}
			f.deletePrefix("parquet/")
			src.resetParses()
			src.setReject(c.reject)
			sum := f.reparse("", src)
			if got := short(src.parses(), names); got != c.order {
				t.Errorf("tried %s, want %s", got, c.order)
			}
			if got := counts(sum.Totals()); got != c.summary {
				t.Errorf("summary %s, want %s", got, c.summary)
			}
			if c.rows != "" {
				if got := strings.Join(f.rows(src.parquetKey(u)), " "); got != c.rows {
					t.Errorf("rows %s, want %s", got, c.rows)
				}
				if e := f.entry(u); e.State != load.Loaded || names[u.ID()+" "+e.Loaded] != c.order[len(c.order)-2:] {
					t.Errorf("entry loaded from %s, want %s", names[u.ID()+" "+e.Loaded], c.order[len(c.order)-2:])
				}
			}
			if got := len(sum.NotesOf("kept")); (got == 1) != c.kept {
				t.Errorf("kept notices %v", sum.NotesOf("kept"))
			}
		})
	}
}

// A merging family's fetch that brings back the bytes of an earlier version that is not
// the loaded one (a value that flipped back; a payload that failed before and parses now)
// is applied now, so it is archived as a version of now: a reparse, which replays in
// fetch order, then rebuilds what the runs left.
func TestReplayMergingRefetchOfEarlierBytes(t *testing.T) {
	apr, may := reviewUnit("2026-04"), reviewUnit("2026-05")
	for _, c := range []struct {
		name   string
		passes []report.Unit // the unit each pass plans (a failed one is re-polled too)
		bodies [][]string    // what the unit answers in that pass
		reject string        // the parser rejects it until the last pass
	}{
		{name: "a value that flipped back", passes: []report.Unit{apr, apr, apr},
			bodies: [][]string{{"a=1"}, {"a=2"}, {"a=1"}}},
		{name: "a payload that failed before", passes: []report.Unit{apr, may, apr},
			bodies: [][]string{{"a=1"}, {"a=2"}, {"a=1"}}, reject: "a=1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			src := newMergeSource()
			src.setReject(c.reject)
			for i, u := range c.passes {
				if i == len(c.passes)-1 {
					src.setReject("")
				}
				src.plan(u)
				src.answer(u, data("page-00001.json", c.bodies[i]...))
				f.run(src)
				f.tick(time.Hour)
			}
			key := src.parquetKey(apr)
			if got := strings.Join(f.rows(key), " "); got != "a=1" {
				t.Fatalf("after the runs: rows %s, want a=1", got)
			}
			if e := f.entry(apr); e.Loaded != e.Versions[len(e.Versions)-1].ID {
				t.Errorf("April: versions %+v, loaded %s; want the re-fetch archived and loaded", e.Versions, e.Loaded)
			}
			want := f.snapshot("parquet/")
			f.deletePrefix("parquet/")
			f.reparse("", src)
			if got := strings.Join(f.rows(key), " "); got != "a=1" || len(diff(want, f.snapshot("parquet/"))) > 0 {
				t.Errorf("reparse: rows %s, want the runs' a=1 byte for byte", got)
			}
		})
	}
}
