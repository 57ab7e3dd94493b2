package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// pagesSource fetches the pages it is given as one unit (a crawl).
type pagesSource struct {
	pages       []string
	incremental bool
}

var crawlUnit = report.Unit{Family: report.Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "1", Period: "2026-11-21"}

func (s *pagesSource) Family() report.Family    { return report.Reviews }
func (s *pagesSource) Tables() []*schemas.Table { return nil }

func (s *pagesSource) Plan(context.Context, *engine.PlanEnv) (engine.Plan, error) {
	return engine.Plan{Units: []engine.Planned{{Unit: crawlUnit}}}, nil
}

func (s *pagesSource) Fetch(_ context.Context, env *engine.FetchEnv, _ engine.Planned) (engine.Fetched, error) {
	for i, p := range s.pages {
		if err := env.Put("page-"+string(rune('1'+i))+".json", strings.NewReader(p)); err != nil {
			return engine.Fetched{}, err
		}
	}
	return engine.Fetched{Outcome: engine.Data, Incremental: s.incremental}, nil
}

func (s *pagesSource) Parse(context.Context, *engine.ParseInput) (*engine.Parsed, error) {
	return &engine.Parsed{}, nil
}

// noAPI is an API no call of these tests reaches.
type noAPI struct{ engine.API }

// An incremental fetch whose every page equals the same-named page of the loaded version
// archives nothing; any other fetch with new bytes is a new version.
func TestIncrementalFetchCoveredByLoadedVersion(t *testing.T) {
	b := memblob.OpenBucket(nil)
	defer b.Close()
	st := load.New(b)
	now := time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)
	for i, step := range []struct {
		pages       []string
		incremental bool
		versions    int // archived after the pass
	}{
		{[]string{"a", "b"}, true, 1},
		{[]string{"a"}, true, 1},       // the head of what is loaded
		{[]string{"a", "b"}, true, 1},  // all of it
		{[]string{"a"}, false, 2},      // not incremental: a version of its own
		{[]string{"a2"}, true, 3},      // the head changed
		{[]string{"a2", "c"}, true, 4}, // reads further than the loaded version
		{[]string{"a2"}, true, 4},
	} {
		now = now.Add(time.Minute)
		r := &engine.Runner{Store: st, API: noAPI{}, Sources: []engine.Source{&pagesSource{step.pages, step.incremental}},
			Now: func() time.Time { return now }}
		sum, err := r.Run(context.Background(), engine.Window{})
		if err != nil {
			t.Fatal(err)
		}
		if code := sum.ExitCode(); code != engine.ExitOK {
			t.Fatalf("pass %d: exit %d", i+1, code)
		}
		e, _, err := st.Ledger().Get(context.Background(), crawlUnit)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Versions) != step.versions || e.State != load.Loaded {
			t.Errorf("pass %d %v: %d versions, state %s; want %d versions", i+1, step.pages, len(e.Versions), e.State, step.versions)
		}
	}
}
