package warehouse

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/queries"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// TableViews describes one view per loaded table (schemas.All) over <parquetDir>/<table>,
// then the derived tables (DerivedViews).
func TableViews(parquetDir string) []View {
	var out []View
	for _, t := range schemas.All() {
		v := View{Name: t.Name, Dir: filepath.Join(parquetDir, t.Name)}
		for _, pk := range t.Partition {
			v.Partition = append(v.Partition, Col{Name: pk.Name, DuckType: pk.DuckType})
		}
		for _, f := range t.ArrowSchema(nil).Fields() {
			v.Columns = append(v.Columns, Col{Name: f.Name, DuckType: arrowDuckType(f.Type)})
		}
		out = append(out, v)
	}
	out = append(out, genericAnalyticsViews(parquetDir)...)
	return append(out, DerivedViews(parquetDir)...)
}

// genericAnalyticsViews are the views of the analytics tables loaded without a typed
// schema (reports Apple lists that schemas has no table for): every
// <parquetDir>/analytics_* directory that is not a known table, partitioned like every
// analytics table, its columns as the files hold them.
func genericAnalyticsViews(parquetDir string) []View {
	ents, err := os.ReadDir(parquetDir)
	if err != nil {
		return nil
	}
	var out []View
	for _, e := range ents {
		name := e.Name()
		if _, known := schemas.Lookup(name); known || !e.IsDir() || !strings.HasPrefix(name, "analytics_") || !schemas.SafeValue(name) {
			continue
		}
		v := View{Name: name, Dir: filepath.Join(parquetDir, name)}
		for _, pk := range schemas.AnalyticsPartition() {
			v.Partition = append(v.Partition, Col{Name: pk.Name, DuckType: pk.DuckType})
		}
		out = append(out, v)
	}
	return out
}

func arrowDuckType(t arrow.DataType) string {
	switch tt := t.(type) {
	case *arrow.Int64Type:
		return "BIGINT"
	case *arrow.Float64Type:
		return "DOUBLE"
	case *arrow.BooleanType:
		return "BOOLEAN"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d,%d)", tt.Precision, tt.Scale)
	case *arrow.Date32Type:
		return "DATE"
	case *arrow.TimestampType:
		if tt.TimeZone != "" {
			return "TIMESTAMP WITH TIME ZONE"
		}
		return "TIMESTAMP"
	}
	return "VARCHAR"
}

// AnalyticsLatest is the <table>_latest view of every analytics table, created after the
// table views and before the views that read them.
func AnalyticsLatest() ([]queries.Query, error) {
	var ls []Latest
	for _, r := range schemas.AnalyticsReports() {
		ls = append(ls, Latest{Table: r.Table, Date: r.DateColumn, FinalDays: r.FinalDays})
	}
	return LatestQueries(ls)
}

// LocalSpec is the views database over a local data root: every table under
// <root>/parquet, the latest views, the marts and the curated queries.
func LocalSpec(root, reportingCurrency string, builtAt time.Time) (Spec, error) {
	latest, err := AnalyticsLatest()
	if err != nil {
		return Spec{}, err
	}
	return Spec{Tables: TableViews(filepath.Join(root, "parquet")), Latest: latest, Queries: queries.All(),
		ReportingCurrency: reportingCurrency, BuiltAt: builtAt}, nil
}

// LedgerRows turns ledger entries into etl_ledger rows. due says when a unit still waiting
// is late (engine.DueAt under the config's freshness rules; ok false: no rule); a pending
// or failed unit past it at now is late.
func LedgerRows(es []load.Entry, due func(report.Unit) (time.Time, bool), now time.Time) []LedgerRow {
	out := make([]LedgerRow, 0, len(es))
	for _, e := range es {
		u := e.Unit
		start, end, _ := u.Bounds()
		r := LedgerRow{UnitID: u.ID(), Family: string(u.Family), Dataset: u.Table(), Type: u.Type,
			SubType: u.SubType, Frequency: u.Frequency, Region: u.Region, Vendor: u.Vendor, Period: u.Period,
			PeriodStart: start, PeriodEnd: end, State: string(e.State), Rows: e.Rows, Attempts: int64(e.Attempts),
			Error: e.Error, ReportVersion: e.Version, FirstSeen: e.FirstSeen, UpdatedAt: e.UpdatedAt, LoadedAt: e.LoadedAt}
		if due != nil {
			if d, ok := due(u); ok {
				r.DueAt = d
				r.Late = (e.State == load.Pending || e.State == load.Failed) && now.After(d)
			}
		}
		out = append(out, r)
	}
	return out
}
