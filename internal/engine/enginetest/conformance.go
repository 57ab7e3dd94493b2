package enginetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// Case describes one Source for the conformance suite.
type Case struct {
	// Family is the family under test; only its units are checked.
	Family report.Family
	// Options build each test's harness: Config turns the family on (and keeps it
	// small), Sources makes the family's Source from the config.
	Options Options
	// Corrupt, when set, wraps the API so that every payload of the family arrives
	// corrupted, while listings still work (default: CorruptPayloads).
	Corrupt func(engine.API) engine.API
	// Refetch is the window of a pass that fetches loaded units again (default: a forced
	// backfill of the three days before the clock).
	Refetch func(now time.Time) engine.Window
	// MinUnits is how many units the family must load in a first run (default 1).
	MinUnits int
}

// RunConformanceTests runs the same tests against one Source:
//
//   - Idempotent: a second run at the same moment writes no Parquet object and archives no
//     new version.
//   - ReparseIdentity: after data/parquet is deleted, `reparse` rebuilds every object byte
//     for byte, leaves no failed unit, and a following run changes nothing.
//   - FailureKeepsData: a re-fetch whose payloads do not parse changes no Parquet object,
//     keeps the good archived bytes, and leaves the units loaded with the failed attempt
//     noted; the pass exits partial.
//   - BadPayloadNamed: that failure names the archived payload's key and a line or field.
//   - Cancel: a pass cancelled at several points leaves every Parquet object readable and
//     every loaded ledger entry backed by its objects and version; the next run ends with
//     every object of an uninterrupted run, byte for byte.
func RunConformanceTests(t *testing.T, c Case) {
	t.Helper()
	if c.MinUnits == 0 {
		c.MinUnits = 1
	}
	if c.Corrupt == nil {
		c.Corrupt = CorruptPayloads
	}
	if c.Refetch == nil {
		c.Refetch = func(now time.Time) engine.Window {
			return engine.Window{From: now.AddDate(0, 0, -3), To: now, Force: true, Families: []report.Family{c.Family}}
		}
	}
	t.Run("Idempotent", func(t *testing.T) { testIdempotent(t, c) })
	t.Run("ReparseIdentity", func(t *testing.T) { testReparse(t, c) })
	t.Run("FailureKeepsData", func(t *testing.T) { testFailureKeepsData(t, c) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, c) })
}

func (c Case) harness(t *testing.T) *Harness {
	h := New(t, c.Options)
	return h
}

// firstRun runs once and checks the family loaded something.
func (c Case) firstRun(t *testing.T, h *Harness) *engine.Summary {
	t.Helper()
	sum := h.RunOK(context.Background())
	loaded := 0
	for _, e := range h.Entries(string(c.Family) + "/") {
		if e.State == load.Loaded {
			loaded++
		}
	}
	if loaded < c.MinUnits {
		t.Fatalf("first run loaded %d %s units, want at least %d:\n%s", loaded, c.Family, c.MinUnits, Printed(sum))
	}
	return sum
}

func testIdempotent(t *testing.T, c Case) {
	h := c.harness(t)
	c.firstRun(t, h)
	before := h.Snapshot("")
	sum := h.RunOK(context.Background())
	if d := Diff(before, h.Snapshot("parquet/")); len(nonPrefix(d, "parquet/")) > 0 {
		t.Errorf("second run changed Parquet objects: %v", nonPrefix(d, "parquet/"))
	}
	if d := nonPrefix(Diff(before, h.Snapshot("raw/")), "raw/"); len(d) > 0 {
		t.Errorf("second run archived new versions: %v", d)
	}
	if tot := sum.Totals(); tot.Written != 0 || tot.Failed != 0 {
		t.Errorf("second run: %d objects written, %d failed:\n%s", tot.Written, tot.Failed, Printed(sum))
	}
}

// nonPrefix keeps the keys under prefix (Diff of a full snapshot against a partial one).
func nonPrefix(keys []string, prefix string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

func testReparse(t *testing.T, c Case) {
	h := c.harness(t)
	c.firstRun(t, h)
	want := h.Snapshot("parquet/")
	h.DeletePrefix("parquet/")
	sum, err := h.Runner().Reparse(context.Background(), "")
	if err != nil {
		t.Fatalf("reparse: %v", err)
	}
	if code := sum.ExitCode(); code != engine.ExitOK {
		t.Fatalf("reparse: exit %d:\n%s", code, Printed(sum))
	}
	if d := Diff(want, h.Snapshot("parquet/")); len(d) > 0 {
		t.Errorf("reparse did not rebuild these objects byte for byte: %v", d)
	}
	for _, e := range h.Entries("") {
		if e.State == load.Failed {
			t.Errorf("after reparse: %s failed: %s", e.Unit.ID(), e.Error)
		}
	}
	before := h.Snapshot("")
	sum = h.RunOK(context.Background())
	if d := nonPrefix(Diff(before, h.Snapshot("")), "parquet/"); len(d) > 0 || sum.Totals().Written != 0 {
		t.Errorf("run after reparse changed %v (%d written)", d, sum.Totals().Written)
	}
}

func testFailureKeepsData(t *testing.T, c Case) {
	h := c.harness(t)
	c.firstRun(t, h)
	parquet, raw := h.Snapshot("parquet/"), h.Snapshot("raw/")
	h.API = c.Corrupt
	sum, err := h.Runner().Run(context.Background(), c.Refetch(h.Clock.Now()))
	if err != nil {
		t.Fatalf("corrupted pass: %v", err)
	}
	if code := sum.ExitCode(); code != engine.ExitPartial && code != engine.ExitFailed {
		t.Fatalf("corrupted pass: exit %d, want 3 or 1:\n%s", code, Printed(sum))
	}
	if d := Diff(parquet, h.Snapshot("parquet/")); len(d) > 0 {
		t.Errorf("corrupted pass changed Parquet: %v", d)
	}
	after := h.Snapshot("raw/")
	for k, v := range raw {
		if after[k] != v {
			t.Errorf("corrupted pass replaced archived bytes of %s", k)
		}
	}
	noted := 0
	for _, e := range h.Entries(string(c.Family) + "/") {
		if e.Error != "" && e.State == load.Loaded {
			noted++
		}
		if e.Error != "" && e.State != load.Loaded && e.State != load.Failed && e.State != load.Pending {
			t.Errorf("%s: state %s with error %s", e.Unit.ID(), e.State, e.Error)
		}
	}
	if noted == 0 {
		t.Errorf("no loaded unit notes the failed attempt")
	}
	// BadPayloadNamed: the error names the archived key and a line or field.
	named := false
	for _, f := range sum.Failures {
		if strings.Contains(f, "raw/"+string(c.Family)+"/") && (strings.Contains(f, "line") || strings.Contains(f, "field") ||
			strings.Contains(f, "column") || strings.Contains(f, "offset") || strings.Contains(f, "gzip")) {
			named = true
		}
	}
	if !named {
		t.Errorf("no failure names the payload key and a line or field: %v", sum.Failures)
	}
	// The good archive still loads: a reparse gives the same Parquet.
	h.API = nil
	h.DeletePrefix("parquet/")
	if _, err := h.Runner().Reparse(context.Background(), ""); err != nil {
		t.Fatalf("reparse: %v", err)
	}
	if d := Diff(parquet, h.Snapshot("parquet/")); len(d) > 0 {
		t.Errorf("reparse after the failed attempt differs: %v", d)
	}
}

func testCancel(t *testing.T, c Case) {
	ref := c.harness(t)
	c.firstRun(t, ref)
	want := ref.Snapshot("parquet/")
	for _, after := range []int{1, 3, 7, 15} {
		h := c.harness(t)
		ctx, cancel := context.WithCancel(context.Background())
		h.API = func(api engine.API) engine.API { return CancelAfter(api, after, cancel) }
		_, _ = h.Runner().Run(ctx, engine.Window{})
		cancel()
		checkConsistent(t, h)
		h.API = nil
		h.RunOK(context.Background())
		// Every object of the uninterrupted run is there, byte for byte. (The resumed
		// run may load more: its lookback starts from the newest unit the interrupted
		// pass loaded.)
		got := h.Snapshot("parquet/")
		for k, v := range want {
			if got[k] != v {
				t.Errorf("cancel after %d calls, then run: %s differs from an uninterrupted run", after, k)
			}
		}
	}
}

// checkConsistent checks what an interrupted pass left: readable Parquet, and every
// loaded unit backed by its objects and its version manifest.
func checkConsistent(t *testing.T, h *Harness) {
	t.Helper()
	ctx := context.Background()
	keys, _ := h.Store.List(ctx, "parquet/")
	for _, k := range keys {
		tbl, err := h.Store.ReadTable(ctx, k, h.Alloc)
		if err != nil {
			t.Errorf("unreadable object %s: %v", k, err)
			continue
		}
		tbl.Release()
	}
	all, _ := h.Store.List(ctx, "")
	for _, k := range all {
		if !strings.HasPrefix(k, "parquet/") && !strings.HasPrefix(k, "raw/") && !strings.HasPrefix(k, "_etl/") {
			t.Errorf("stray object %s", k)
		}
	}
	for _, e := range h.Entries("") {
		if e.State != load.Loaded {
			continue
		}
		for _, o := range e.Objects {
			if ok, _ := h.Store.Exists(ctx, o); !ok {
				t.Errorf("%s: loaded, but object %s is missing", e.Unit.ID(), o)
			}
		}
		if e.Loaded != "" {
			if ok, _ := h.Store.Exists(ctx, load.RawDir(e.Unit)+e.Loaded+"/"+load.VersionManifest); !ok {
				t.Errorf("%s: loaded from version %s, whose manifest is missing", e.Unit.ID(), e.Loaded)
			}
		}
	}
}

// Family enables one family in the harness config and disables the others.
func Family(f report.Family, more func(*config.Config)) func(*config.Config) {
	return func(c *config.Config) {
		c.Sales.Enabled = f == report.Sales
		c.Finance.Enabled = f == report.Finance
		c.Reviews.Enabled = f == report.Reviews
		c.Metrics.Enabled = f == report.Metrics
		c.Analytics.Enabled = f == report.Analytics
		c.Catalog.Enabled = f == report.Catalog
		c.TestFlight.Enabled = f == report.TestFlight
		c.XcodeCloud.Enabled = f == report.XcodeCloud
		if more != nil {
			more(c)
		}
	}
}
