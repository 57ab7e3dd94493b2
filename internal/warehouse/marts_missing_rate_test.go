package warehouse

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ascetl/etl/internal/blobs"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/engine/enginetest"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// TestMissingRateIsNullAndCounted: with sales only (no Payments report, no rates file, no
// analytics), every line in a currency other than the reporting one has no rate: its
// proceeds_reporting is NULL — never 0 — and it is counted in missing_rate and in
// mart_fx_coverage.
func TestMissingRateIsNullAndCounted(t *testing.T) {
	ctx := context.Background()
	f := &martsFixture{root: t.TempDir()}
	f.h = enginetest.New(t, enginetest.Options{
		Config:  enginetest.Family(report.Sales, func(c *config.Config) { c.Sales.InitialDays = 3 }),
		Sources: func(c *config.Config) []engine.Source { return sources.New(c) },
	})
	b, err := blobs.Open(ctx, "file://"+filepath.ToSlash(f.root)+"?metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	f.bucket, f.h.Bucket, f.h.Store = b, b, load.New(b)
	f.h.RunOK(ctx)
	if f.entries, err = f.h.Store.Ledger().List(ctx, ""); err != nil {
		t.Fatal(err)
	}
	f.buildViews(t, nil, "zstd")
	res := query(t, f.db, `SELECT
    count(*) FILTER (WHERE currency <> 'USD' AND proceeds <> 0),
    count(*) FILTER (WHERE currency <> 'USD' AND proceeds <> 0 AND proceeds_reporting IS NULL AND missing_rate > 0),
    count(*) FILTER (WHERE currency <> 'USD' AND proceeds <> 0 AND proceeds_reporting = 0),
    (SELECT sum(missing_rate) FROM mart_revenue_daily),
    (SELECT sum(missing_rate) FROM mart_fx_coverage WHERE mart = 'mart_revenue_daily')
  FROM mart_revenue_daily`)
	r := rowStrings(res)[0]
	if r[0] == "0" || r[0] != r[1] || r[2] != "0" || r[3] == "0" || r[3] != r[4] {
		t.Errorf("groups with proceeds in another currency %s, of them NULL and counted %s, converted to 0 %s; missing_rate %s, in coverage %s",
			r[0], r[1], r[2], r[3], r[4])
	}
}
