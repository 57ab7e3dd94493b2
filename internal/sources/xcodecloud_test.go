package sources_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
)

func xcodeConfig(runs int) func(*config.Config) {
	return enginetest.Family(report.XcodeCloud, func(c *config.Config) { c.XcodeCloud.Runs = runs })
}

func TestConformanceXcodeCloud(t *testing.T) {
	enginetest.RunConformanceTests(t, enginetest.Case{
		Family:  report.XcodeCloud,
		Options: enginetest.Options{Config: xcodeConfig(4), Sources: sourcesNew},
		Corrupt: corruptValues,
	})
}

// The runs and actions equal the simulator's; a re-run rewrites nothing; the next day
// reads no action of a run already loaded as complete, keeps those actions, and
// duplicates no run.
func TestXcodeCloudEqualsTruth(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{Config: xcodeConfig(4), Sources: sourcesNew})
	ctx := context.Background()
	h.RunOK(ctx)
	live := len(h.Sim.AppIDs())
	check := func(when string) (complete int) {
		t.Helper()
		rt, runs := tableRows(h, schemas.XcodeCloudRunsTable)
		ct, actions := tableRows(h, schemas.XcodeCloudActionsTable)
		xc := h.Sim.TruthXcodeCloud()
		truthRuns := map[string]simulator.TruthCIRun{}
		for _, r := range xc.Runs {
			truthRuns[r.ID] = r
		}
		actionErrors := map[string]int64{}
		seen := map[string]bool{}
		for _, a := range actions {
			v, _ := a.Get(ct, "errors").(int64)
			actionErrors[a.Str(ct, "build_run_id")] += v
			if id := a.Str(ct, "action_id"); seen[id] {
				t.Errorf("%s: duplicate action %s", when, id)
			}
			seen[a.Str(ct, "action_id")] = true
		}
		if len(runs) == 0 || len(actions) < len(runs) {
			t.Fatalf("%s: %d runs, %d actions", when, len(runs), len(actions))
		}
		for _, r := range runs {
			id := r.Str(rt, "build_run_id")
			tr, ok := truthRuns[id]
			errs, _ := r.Get(rt, "errors").(int64)
			if !ok || errs != int64(tr.Errors) || actionErrors[id] != errs || r.Str(rt, "execution_progress") != tr.Progress {
				t.Errorf("%s: run %v: truth %+v, actions' errors %d", when, r.Vals, tr, actionErrors[id])
			}
			if seen[id] {
				t.Errorf("%s: duplicate run %s", when, id)
			}
			seen[id] = true
			if tr.Progress == "COMPLETE" {
				complete++
			}
		}
		return complete
	}
	complete := check("first run")
	if rows := len(h.Entries("xcode_cloud/")); rows != 1 {
		t.Errorf("%d units, want one per vendor and day", rows)
	}
	if _, runs := tableRows(h, schemas.XcodeCloudRunsTable); len(runs) > 4*live || complete == 0 {
		t.Fatalf("%d runs (%d complete) for %d apps", len(runs), complete, live)
	}

	before := h.Snapshot("")
	h.RunOK(ctx)
	sameObjects(t, "re-run", before, h.Snapshot(""))

	// The next day: the runs complete yesterday are not read again.
	e := h.Entries("xcode_cloud/")[0]
	var cur struct{ Complete []string }
	if err := json.Unmarshal([]byte(e.Cursor), &cur); err != nil || len(cur.Complete) != complete {
		t.Fatalf("cursor %q (%v): want the %d complete runs", e.Cursor, err, complete)
	}
	h.Clock.Add(24 * time.Hour)
	reads := map[string]int{}
	for _, id := range cur.Complete {
		reads[id] = h.Sim.Stats().ByPath["/v1/ciBuildRuns/"+id+"/actions"]
	}
	h.RunOK(ctx)
	for _, id := range cur.Complete {
		if n := h.Sim.Stats().ByPath["/v1/ciBuildRuns/"+id+"/actions"]; n != reads[id] {
			t.Errorf("actions of complete run %s read again", id)
		}
	}
	check("next day")
	if es := h.Entries("xcode_cloud/"); len(es) != 2 || es[1].Cursor == "" {
		t.Errorf("ledger: %+v", es)
	}
	// Replaying both days (the second without the complete runs' actions) rebuilds the
	// same objects.
	want := h.Snapshot("parquet/")
	h.DeletePrefix("parquet/")
	if _, err := h.Runner().Reparse(ctx, ""); err != nil {
		t.Fatal(err)
	}
	sameObjects(t, "reparse of both days", want, h.Snapshot("parquet/"))
}
