package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/load"
)

// counts renders a summary's non-zero unit counters: "loaded:1 unchanged:2".
func counts(t TableSummary) string {
	var out []string
	for _, c := range []struct {
		n string
		v int
	}{{"loaded", t.Loaded}, {"unchanged", t.Unchanged}, {"deferred", t.Deferred}, {"empty", t.Empty},
		{"pending", t.Pending}, {"failed", t.Failed}, {"expired", t.Expired}} {
		if c.v != 0 {
			out = append(out, fmt.Sprintf("%s:%d", c.n, c.v))
		}
	}
	return strings.Join(out, " ")
}

// The ledger after each answer Apple can give, for a unit the ledger does not know and for
// one already loaded (or empty).
func TestFetchOutcomes(t *testing.T) {
	budget := fmt.Errorf("sales report: %w", extract.ErrBudgetExhausted)
	for _, c := range []struct {
		name    string
		prior   answer // loaded first, when set
		a       answer
		state   load.State
		errText string // the entry's Error
		summary string
		exit    int
		kept    bool // the ledger entry and everything else stay as they were: nothing is written
	}{
		{name: "empty, new", a: answer{outcome: Empty, detail: "no sales"},
			state: load.Empty, summary: "empty:1"},
		{name: "empty, loaded", prior: data("r.txt", "a=1"), a: answer{outcome: Empty},
			state: load.Loaded, summary: "unchanged:1", kept: true},
		{name: "empty, empty", prior: answer{outcome: Empty}, a: answer{outcome: Empty},
			state: load.Empty, summary: "unchanged:1", kept: true},
		{name: "not yet, new", a: answer{outcome: NotYet, detail: "not published yet"},
			state: load.Pending, errText: "not published yet", summary: "pending:1"},
		{name: "not yet, loaded", prior: data("r.txt", "a=1"), a: answer{outcome: NotYet, detail: "not published yet"},
			state: load.Loaded, summary: "unchanged:1", kept: true},
		{name: "gone, new", a: answer{outcome: Gone, detail: "a snapshot of a past day cannot be taken"},
			state: load.Expired, errText: "a snapshot of a past day cannot be taken", summary: "expired:1"},
		{name: "gone, loaded", prior: data("r.txt", "a=1"), a: answer{outcome: Gone},
			state: load.Loaded, summary: "unchanged:1", kept: true},
		{name: "budget, new", a: answer{err: budget},
			state: load.Pending, errText: "request budget exhausted", summary: "pending:1", exit: ExitPartial},
		{name: "budget, loaded", prior: data("r.txt", "a=1"), a: answer{err: budget},
			state: load.Loaded, summary: "deferred:1", kept: true},
		{name: "error, new", a: answer{err: errors.New("HTTP 500")},
			state: load.Failed, errText: "HTTP 500", summary: "failed:1", exit: ExitFailed},
		{name: "error, loaded", prior: data("r.txt", "a=1"), a: answer{err: errors.New("HTTP 500")},
			state: load.Loaded, errText: "HTTP 500", summary: "failed:1", exit: ExitFailed},
		{name: "data without payloads, new", a: answer{outcome: Data},
			state: load.Failed, errText: "the source fetched no payload", summary: "failed:1", exit: ExitFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, src, u := oneUnit(t)
			var prior load.Entry
			if c.prior.outcome != Data || c.prior.payloads != nil {
				src.answer(u, c.prior)
				f.run(src)
				prior = f.entry(u)
				f.tick(time.Hour)
			}
			before := f.snapshot("")
			f.spy.writes()
			src.answer(u, c.a)
			sum := f.run(src)
			if got := counts(sum.Totals()); got != c.summary {
				t.Errorf("summary %q, want %q", got, c.summary)
			}
			if got := sum.ExitCode(); got != c.exit {
				t.Errorf("exit %d, want %d", got, c.exit)
			}
			e := f.entry(u)
			if e.State != c.state || !strings.Contains(e.Error, c.errText) || (c.errText == "") != (e.Error == "") {
				t.Errorf("entry: state %s, error %q; want %s, %q", e.State, e.Error, c.state, c.errText)
			}
			if c.kept {
				if w := f.spy.writes(); len(w) > 0 {
					t.Errorf("wrote %v", w)
				}
				if d := diff(before, f.snapshot("")); len(d) > 0 {
					t.Errorf("changed %v", d)
				}
			} else if prior.State == load.Loaded && (e.Attempts != prior.Attempts+1 || e.Loaded != prior.Loaded || e.Rows != prior.Rows) {
				t.Errorf("entry %+v after %+v", e, prior)
			}
			if c.name == "empty, loaded" && len(sum.NotesOf("kept")) != 1 {
				t.Errorf("notices %v, want one kept", sum.Notes)
			}
		})
	}
}

// A changed payload that fails to parse on a loaded unit keeps the unit loaded with its
// data: the new version is archived beside the loaded one, the error is on the entry and
// the version, and Parquet is untouched.
func TestFetchChangedPayloadFailsToParse(t *testing.T) {
	f, src, u := oneUnit(t, "a=1", "b=2")
	f.run(src)
	loaded := f.entry(u)
	parquet := f.snapshot("parquet/")
	f.tick(time.Hour)
	src.answer(u, data("r.txt", "a=1", "b"))
	f.spy.writes()
	sum := f.run(src)

	if got := counts(sum.Totals()); got != "failed:1" || sum.ExitCode() != ExitFailed {
		t.Errorf("summary %q, exit %d", got, sum.ExitCode())
	}
	e := f.entry(u)
	if e.State != load.Loaded || e.Loaded != loaded.Loaded || e.Rows != 2 || e.RawKey != loaded.RawKey {
		t.Errorf("entry %+v, want it loaded from %s", e, loaded.Loaded)
	}
	if len(e.Versions) != 2 || e.Versions[1].Error == "" || e.Versions[1].Loaded || !e.Versions[0].Loaded {
		t.Errorf("versions %+v", e.Versions)
	}
	newKey := load.RawDir(u) + e.Versions[1].ID + "/r.txt.gz"
	if want := newKey + ": line 2"; !strings.Contains(e.Error, want) || e.Error != e.Versions[1].Error {
		t.Errorf("error %q, want it to name %q", e.Error, want)
	}
	if vs := f.versionDirs(u); len(vs) != 2 {
		t.Errorf("archive holds %v, want both versions", vs)
	}
	if d := diff(parquet, f.snapshot("parquet/")); len(d) > 0 {
		t.Errorf("Parquet changed: %v", d)
	}
	for _, k := range f.spy.writes() {
		if strings.HasPrefix(k, "parquet/") {
			t.Errorf("wrote %s", k)
		}
	}
	if got := f.rows(src.parquetKey(u)); strings.Join(got, " ") != "a=1 b=2" {
		t.Errorf("rows %v", got)
	}
}

// An identical payload is Unchanged and writes nothing: no version, no Parquet, no ledger.
func TestFetchIdenticalPayload(t *testing.T) {
	f, src, u := oneUnit(t, "a=1")
	f.run(src)
	f.tick(time.Hour)
	f.spy.writes()
	sum := f.run(src)
	if got := counts(sum.Totals()); got != "unchanged:1" || sum.Totals().Written != 0 {
		t.Errorf("summary %q, %d written", got, sum.Totals().Written)
	}
	if w := f.spy.writes(); len(w) > 0 {
		t.Errorf("an identical payload wrote %v", w)
	}
	if n := src.fetchCount(u); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
	if got := src.parses(); len(got) != 1 {
		t.Errorf("parsed %v, want the first fetch only", got)
	}
}

// The same bytes as an archived version that failed are parsed again from the archive (the
// parser may have been fixed), without a second copy; the same bytes as the loaded version
// after a failed attempt clear the error and write only the ledger.
func TestFetchSameDigestAsArchived(t *testing.T) {
	f, src, u := oneUnit(t, "a=1")
	src.setBroken(true)
	if sum := f.run(src); counts(sum.Totals()) != "failed:1" {
		t.Fatalf("broken parser: %s", counts(sum.Totals()))
	}
	failed := f.entry(u)
	if failed.State != load.Failed || len(failed.Versions) != 1 || failed.Versions[0].Error == "" {
		t.Fatalf("entry %+v", failed)
	}
	v1 := failed.Versions[0].ID

	src.setBroken(false)
	f.tick(time.Hour)
	f.spy.writes()
	if sum := f.run(src); counts(sum.Totals()) != "loaded:1" {
		t.Fatalf("fixed parser: %s", counts(sum.Totals()))
	}
	e := f.entry(u)
	if e.State != load.Loaded || e.Loaded != v1 || len(e.Versions) != 1 || !e.Versions[0].Loaded || e.Versions[0].Error != "" || e.Error != "" {
		t.Errorf("entry %+v, want v1 %s loaded", e, v1)
	}
	for _, k := range f.spy.writes() {
		if strings.HasPrefix(k, "raw/") {
			t.Errorf("archived %s again", k)
		}
	}
	if got := src.parses(); len(got) != 2 || got[0] != got[1] {
		t.Errorf("parses %v, want v1 twice", got)
	}

	// A bad re-fetch, then the loaded bytes again.
	f.tick(time.Hour)
	src.answer(u, data("r.txt", "bad"))
	f.run(src)
	if e := f.entry(u); e.Error == "" || e.Loaded != v1 || len(e.Versions) != 2 {
		t.Fatalf("after a bad re-fetch: %+v", e)
	}
	f.tick(time.Hour)
	src.answer(u, data("r.txt", "a=1"))
	f.spy.writes()
	sum := f.run(src)
	e = f.entry(u)
	if counts(sum.Totals()) != "unchanged:1" || e.Error != "" || e.Loaded != v1 || len(e.Versions) != 2 {
		t.Errorf("the loaded bytes again: %s, entry %+v", counts(sum.Totals()), e)
	}
	if w := f.spy.writes(); !slices.Equal(w, []string{load.LedgerKey(u)}) {
		t.Errorf("wrote %v, want only the ledger entry", w)
	}
}

// A pass cancelled inside Fetch or Parse leaves the ledger as it was, and the next pass
// does the unit.
func TestFetchCancelled(t *testing.T) {
	for _, where := range []string{"fetch", "parse"} {
		t.Run(where, func(t *testing.T) {
			f, src, u := oneUnit(t, "a=1")
			f.run(src)
			f.tick(time.Hour)
			ledger, parquet := f.snapshot("_etl/"), f.snapshot("parquet/")

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			changed := data("r.txt", "a=2")
			if where == "fetch" {
				changed.during = cancel
			} else {
				src.onParse = func(*ParseInput) { cancel() }
			}
			src.answer(u, changed, data("r.txt", "a=2"))
			sum, err := f.runner(src).Run(ctx, Window{})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v", err)
			}
			if d := diff(ledger, f.snapshot("_etl/")); len(d) > 0 {
				t.Errorf("a cancelled pass changed the ledger: %v", d)
			}
			if d := diff(parquet, f.snapshot("parquet/")); len(d) > 0 {
				t.Errorf("a cancelled pass changed Parquet: %v", d)
			}
			if tot := sum.Totals(); counts(tot) != "" {
				t.Errorf("an interrupted unit was counted: %s", counts(tot))
			}

			src.onParse = nil
			f.run(src)
			if got := f.rows(src.parquetKey(u)); strings.Join(got, " ") != "a=2" {
				t.Errorf("next pass: rows %v", got)
			}
		})
	}
}

// A pass cancelled at any write leaves every loaded entry backed by its version and its
// Parquet object, each object as it was or as the uninterrupted pass leaves it, and the
// next pass ends where an uninterrupted one does.
func TestFetchCancelAtEveryWrite(t *testing.T) {
	u1, u2 := salesUnit("2026-11-19"), salesUnit("2026-11-20")
	setup := func(t *testing.T) (*fixture, *fakeSource) {
		f := newFixture(t)
		src := newPlainSource()
		src.plan(u1)
		src.answer(u1, data("r.txt", "a=1"))
		f.run(src)
		f.tick(time.Hour)
		src.plan(u1, u2)
		src.answer(u1, data("r.txt", "a=2"))
		src.answer(u2, data("r.txt", "b=1"))
		return f, src
	}
	ref, refSrc := setup(t)
	ref.run(refSrc)
	want := ref.snapshot("parquet/")
	for n := 1; ; n++ {
		f, src := setup(t)
		before := f.snapshot("parquet/")
		ctx, cancel := context.WithCancel(context.Background())
		var count atomic.Int32
		f.spy.setBefore(func(string) error {
			if count.Add(1) == int32(n) {
				cancel()
			}
			return nil
		})
		_, err := f.runner(src).Run(ctx, Window{})
		cancel()
		f.spy.setBefore(nil)
		for k, sum := range f.snapshot("parquet/") {
			if sum != before[k] && sum != want[k] {
				t.Errorf("n=%d: %s is neither as it was nor as it ends", n, k)
			}
		}
		for _, e := range f.entriesOf(src) {
			if e.State != load.Loaded {
				continue
			}
			if ok, _ := f.store.Exists(context.Background(), versionKey(e.Unit, e.Loaded)); !ok {
				t.Errorf("n=%d: %s is loaded from version %s, which is not archived", n, e.Unit.ID(), e.Loaded)
			}
			if ok, _ := f.store.Exists(context.Background(), src.parquetKey(e.Unit)); !ok {
				t.Errorf("n=%d: %s is loaded without its Parquet", n, e.Unit.ID())
			}
		}
		f.run(src)
		if d := diff(want, f.snapshot("parquet/")); len(d) > 0 {
			t.Errorf("n=%d: the next pass left %v different", n, d)
		}
		if err == nil {
			t.Logf("the pass makes %d writes", n-1)
			break
		}
		if n > 50 {
			t.Fatal("the pass never completed")
		}
	}
}

func (f *fixture) entriesOf(src Source) []load.Entry {
	f.t.Helper()
	es, err := f.store.Ledger().List(context.Background(), string(src.Family())+"/")
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}
