package pipeline

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// lateAPI answers "not available yet" for the SALES report of one day.
type lateAPI struct {
	*extract.Client
	period string
}

func (a lateAPI) SalesReport(ctx context.Context, u report.Unit, version string) (*extract.Report, error) {
	if u.Type == "SALES" && u.Period == a.period {
		return &extract.Report{Outcome: extract.NotYet, Detail: "The report you requested is not available yet."}, nil
	}
	return a.Client.SalesReport(ctx, u, version)
}

func TestFreshnessMakesLatePendingUnitsPartial(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule config.FreshnessRule
		late bool
	}{
		// 2026-11-20's report is due 2026-11-21 08:00 Pacific; it is noon.
		{"within grace", config.FreshnessRule{By: "08:00", TimeZone: "America/Los_Angeles", Grace: config.Duration(24 * time.Hour)}, false},
		{"past due", config.FreshnessRule{By: "08:00", TimeZone: "America/Los_Angeles"}, true},
		{"due later in UTC", config.FreshnessRule{By: "23:00", TimeZone: "UTC"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, simulator.Options{}, func(c *config.Config) {
				c.Finance.Enabled, c.Reviews.Enabled, c.Metrics.Enabled = false, false, false
				c.Freshness["sales"] = tc.rule
			})
			p := h.pipeline()
			p.API = lateAPI{h.client, "2026-11-20"}
			sum, err := p.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			fs := sum.Families[report.Sales]
			if fs == nil || fs.Pending != 1 || fs.Loaded == 0 {
				t.Fatalf("sales: %+v", fs)
			}
			wantCode := ExitOK
			if tc.late {
				wantCode = ExitPartial
			}
			if sum.ExitCode() != wantCode || (len(sum.Late) == 1) != tc.late {
				t.Fatalf("exit %d (want %d), late %v", sum.ExitCode(), wantCode, sum.Late)
			}
			m := NewManifest(NewRunID(h.clock.Now()), "run", h.cfg, start)
			st := h.client.Stats()
			m.Finish(h.cfg, sum, &st, sum.ExitCode(), nil, h.clock.Now())
			if tc.late {
				want := time.Date(2026, 11, 21, 8, 0, 0, 0, report.Pacific)
				if len(m.Late) != 1 || !strings.Contains(m.Late[0].Unit, "2026-11-20") || !m.Late[0].Due.Equal(want) {
					t.Errorf("manifest late: %+v", m.Late)
				}
				var b strings.Builder
				sum.Print(&b)
				if !strings.Contains(b.String(), "1 unit(s)") {
					t.Errorf("summary does not report the late unit:\n%s", b.String())
				}
			}
		})
	}
}

func TestManifestCountsPerFamilyAndListsNewestFirst(t *testing.T) {
	h := newHarness(t, simulator.Options{}, func(c *config.Config) { c.Metrics.Enabled = false })
	p := h.pipeline()
	var mu sync.Mutex
	last := map[report.Family]UnitDone{}
	var whole UnitDone
	p.OnUnit = func(d UnitDone) {
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := last[d.Unit.Family]; ok && d.FamilyDone != prev.FamilyDone+1 {
			t.Errorf("%s: done %d after %d", d.Unit.Family, d.FamilyDone, prev.FamilyDone)
		}
		if d.FamilyDone > d.FamilyPlanned {
			t.Errorf("%s: done %d of %d", d.Unit.Family, d.FamilyDone, d.FamilyPlanned)
		}
		// The pass's totals: one more unit each time, of a total known from the start.
		if d.Done != whole.Done+1 || whole.Planned != 0 && d.Planned != whole.Planned {
			t.Errorf("pass: %d of %d after %d of %d", d.Done, d.Planned, whole.Done, whole.Planned)
		}
		whole = d
		last[d.Unit.Family] = d
	}
	ctx := context.Background()
	sum, err := p.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Done != whole.Planned || whole.Planned != sum.Planned {
		t.Errorf("progress ended at %d of %d, %d planned", whole.Done, whole.Planned, sum.Planned)
	}
	for _, f := range []report.Family{report.Sales, report.Finance} {
		fs := sum.Families[f]
		if fs == nil || fs.Loaded == 0 || fs.Dur <= 0 {
			t.Errorf("%s: %+v", f, fs)
			continue
		}
		if d := last[f]; d.FamilyDone != d.FamilyPlanned {
			t.Errorf("%s: progress ended at %d of %d", f, d.FamilyDone, d.FamilyPlanned)
		}
	}
	if fs := sum.Families[report.Sales]; sum.FamilyPlanned[report.Sales] != fs.Loaded+fs.Empty {
		t.Errorf("sales planned %d, outcomes %+v", sum.FamilyPlanned[report.Sales], fs)
	}

	st := h.client.Stats()
	first := NewManifest(NewRunID(start), "run", h.cfg, start)
	first.Finish(h.cfg, sum, &st, sum.ExitCode(), nil, h.clock.Now())
	if err := WriteManifest(ctx, h.store, first); err != nil {
		t.Fatal(err)
	}
	second := NewManifest(NewRunID(start.Add(time.Hour)), "backfill", h.cfg, start.Add(time.Hour))
	second.Finish(h.cfg, nil, nil, ExitFailed, errors.New("boom"), start.Add(2*time.Hour))
	if err := WriteManifest(ctx, h.store, second); err != nil {
		t.Fatal(err)
	}
	ms, err := ListManifests(ctx, h.store, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].ID != second.ID || ms[1].ID != first.ID {
		t.Fatalf("manifests %v", ms)
	}
	m := ms[1]
	if m.Planned != sum.Planned || m.Totals.Loaded != sum.Totals().Loaded || m.PerFam["finance"].Loaded == 0 ||
		m.Requests == 0 || m.Requests != st.Requests || m.ConfigHash != h.cfg.Hash() || m.ExitCode != ExitOK {
		t.Errorf("manifest %+v", m)
	}
	if !strings.HasPrefix(m.ID, "20261121T200000Z-") {
		t.Errorf("run id %q", m.ID)
	}
	if ms[0].Error != "boom" || ms[0].ExitCode != ExitFailed {
		t.Errorf("failed run manifest %+v", ms[0])
	}
	if ms, _ := ListManifests(ctx, h.store, 1); len(ms) != 1 || ms[0].ID != second.ID {
		t.Errorf("limit 1: %v", ms)
	}
	if keys, _ := h.store.List(ctx, RunsPrefix); len(keys) != 2 {
		t.Errorf("run objects %v", keys)
	}
}
