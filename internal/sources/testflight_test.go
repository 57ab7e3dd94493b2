package sources_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

func testflightConfig(more func(*config.Config)) func(*config.Config) {
	return enginetest.Family(report.TestFlight, func(c *config.Config) {
		c.TestFlight.Builds = 2
		if more != nil {
			more(c)
		}
	})
}

func TestConformanceTestFlight(t *testing.T) {
	enginetest.RunConformanceTests(t, enginetest.Case{
		Family:   report.TestFlight,
		Options:  enginetest.Options{Config: testflightConfig(nil), Sources: sourcesNew},
		Corrupt:  corruptValues,
		MinUnits: 2,
	})
}

// TestFlight runs without the catalog, for the apps on sale; the usage equals the
// simulator's; a re-run rewrites nothing, the next day adds a day and duplicates nothing.
func TestTestFlightEqualsTruth(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{Config: testflightConfig(nil), Sources: sourcesNew})
	ctx := context.Background()
	h.RunOK(ctx)
	tu, usage := tableRows(h, schemas.TestFlightTesterUsageTable)
	var sessions, truthSessions, rows int
	live := 0
	for _, a := range h.Sim.TruthCatalog().Apps {
		if !a.Live {
			continue
		}
		live++
		days, err := h.Sim.TruthBetaTesterUsages(a.ID, "P30D")
		if err != nil {
			t.Fatal(err)
		}
		rows += len(days)
		for _, d := range days {
			truthSessions += d.Sessions
		}
	}
	seen := map[string]bool{}
	for _, r := range usage {
		sessions += int(r.Get(tu, "session_count").(int64))
		if seen[r.Str(tu, "usage_key")] {
			t.Errorf("duplicate %s", r.Str(tu, "usage_key"))
		}
		seen[r.Str(tu, "usage_key")] = true
	}
	if len(usage) != rows || sessions != truthSessions || rows == 0 {
		t.Errorf("tester usage: %d rows %d sessions; truth %d rows %d sessions", len(usage), sessions, rows, truthSessions)
	}
	if n := len(h.Entries("testflight/")); n != live {
		t.Errorf("%d TestFlight units for %d apps on sale", n, live)
	}
	bu, buildUsage := tableRows(h, schemas.TestFlightBuildUsageTable)
	perBuild := map[string]int{}
	for _, r := range buildUsage {
		perBuild[r.Str(bu, "build_id")] += int(r.Get(bu, "install_count").(int64))
	}
	if len(perBuild) == 0 || len(perBuild) > 2*live {
		t.Errorf("build usage for %d builds", len(perBuild))
	}
	for b, n := range perBuild {
		days, err := h.Sim.TruthBetaBuildUsages(b)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, d := range days {
			want += d.Installs
		}
		if n != want {
			t.Errorf("build %s: %d installs, truth %d", b, n, want)
		}
	}

	// Same clock: nothing rewritten or archived. A day later: no duplicate rows.
	before := h.Snapshot("")
	h.RunOK(ctx)
	sameObjects(t, "re-run", before, h.Snapshot(""))
	h.Clock.Add(24 * time.Hour)
	h.RunOK(ctx)
	_, usage = tableRows(h, schemas.TestFlightTesterUsageTable)
	seen = map[string]bool{}
	for _, r := range usage {
		if seen[r.Str(tu, "usage_key")] {
			t.Errorf("duplicate %s after the next day's run", r.Str(tu, "usage_key"))
		}
		seen[r.Str(tu, "usage_key")] = true
	}
	if len(usage) <= rows {
		t.Errorf("next day: %d usage rows, was %d", len(usage), rows)
	}
}

// The apps are listed once per pass, whichever families need them; configured apps are
// used as they are, with no listing.
func TestAppDiscoveryOncePerPass(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{Config: testflightConfig(func(c *config.Config) {
		c.XcodeCloud.Enabled, c.XcodeCloud.Runs = true, 4
	}), Sources: sourcesNew})
	ctx := context.Background()
	h.RunOK(ctx)
	if n := h.Sim.Stats().ByPath["/v1/apps"]; n != 1 {
		t.Errorf("one pass with TestFlight and Xcode Cloud listed the apps %d times", n)
	}
	want := h.Sim.AppIDs()
	apps := &sources.Apps{Vendor: h.Cfg.VendorNumber}
	env := &engine.PlanEnv{API: h.Client, Now: h.Clock.Now(), Log: discardLog(), Note: func(engine.Note) {}}
	first, fail := apps.List(ctx, env, nil)
	if fail != nil || !slices.Equal(first, want) {
		t.Fatalf("List = %v, %v; want %v", first, fail, want)
	}
	n := h.Sim.Stats().Requests
	if again, _ := apps.List(ctx, env, nil); !slices.Equal(again, want) || h.Sim.Stats().Requests != n {
		t.Errorf("second call in the same pass listed the apps again")
	}
	if got, _ := apps.List(ctx, env, []string{"123"}); !slices.Equal(got, []string{"123"}) {
		t.Errorf("configured apps: %v", got)
	}
	// A failed listing is one failed scope for the pass, and no unit.
	h.API = failing("/v1/apps")
	h.Clock.Add(24 * time.Hour)
	sum := h.Run(ctx)
	if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0], "APP_DISCOVERY") {
		t.Errorf("failures: %v", sum.Failures)
	}
}

// A unit whose usage cannot be read fails; the next day it is expired (a snapshot of a
// past day cannot be taken) and the new day's unit loads.
func TestTestFlightPastDayExpires(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{Config: testflightConfig(nil), Sources: sourcesNew})
	ctx := context.Background()
	h.API = failing("/metrics/betaTesterUsages")
	if sum := h.Run(ctx); sum.ExitCode() != engine.ExitFailed {
		t.Fatalf("exit %d", sum.ExitCode())
	}
	h.API = nil
	h.Clock.Add(24 * time.Hour)
	sum := h.RunOK(ctx)
	states := map[load.State]int{}
	for _, e := range h.Entries("testflight/") {
		states[e.State]++
	}
	live := len(h.Sim.AppIDs())
	if states[load.Expired] != live || states[load.Loaded] != live {
		t.Errorf("ledger states %v for %d apps:\n%s", states, live, enginetest.Printed(sum))
	}
}

// A build Apple answers 404 for has no TestFlight usage: no rows, no failure.
func TestTestFlightBuildWithoutUsage(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{Config: testflightConfig(nil), Sources: sourcesNew})
	h.API = answering("/metrics/betaBuildUsages", http.StatusNotFound)
	h.RunOK(context.Background())
	if _, rows := tableRows(h, schemas.TestFlightBuildUsageTable); len(rows) != 0 {
		t.Errorf("%d build usage rows for builds without usage", len(rows))
	}
	if _, rows := tableRows(h, schemas.TestFlightTesterUsageTable); len(rows) == 0 {
		t.Error("no tester usage")
	}
	for _, e := range h.Entries("testflight/") {
		if v, err := h.Store.ReadVersion(context.Background(), load.RawDir(e.Unit)+e.Loaded+"/"+load.VersionManifest); err != nil || len(v.Payloads) != 2 {
			t.Errorf("%s: version %+v, %v: want the testers page and the builds listing", e.Unit.ID(), v, err)
		}
	}
}
