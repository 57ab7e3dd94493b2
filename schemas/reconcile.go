package schemas

// ReconcileResultsTable holds the results of `etl reconcile` (internal/reconcile): one row
// per check, scope and measure of one reconciliation run. No report family loads it; the
// reconcile command writes one partition per run (run=<run id>) through load.Store.Load, so
// the history of runs stays queryable and a BI tool reading Parquet sees it like any table.
const ReconcileResultsTable = "reconcile_results"

// ReconcileType is Table.Type of reconcile_results.
const ReconcileType = "RECONCILE"

// reconcileColumns: every column is inside the file (the run id too), so a reader that
// ignores the hive path loses nothing. Figures are DECIMAL(18,6); units are figures too.
func reconcileColumns() []Column {
	c := func(name string, k Kind) Column { return Column{Name: name, Header: "(" + name + ")", Kind: k} }
	return []Column{
		c("run_id", String),        // the reconcile run, e.g. 20261203T152603Z-1a2b3c4d
		c("checked_at", Timestamp), // when the run started (UTC)
		c("check_name", String),    // finance_vs_sales, zz_vs_regional, ...
		c("vendor", String),        // the vendor number, when the check has one
		c("fiscal_period", String), // Apple fiscal month YYYY-MM (of the day, for daily scopes)
		c("scope", String),         // the rest of the scope, e.g. "currency=EUR", "app=123 date=2026-11-20"
		c("currency", String),      // the scope's currency, if any
		c("measure", String),       // units, proceeds, rows, amount, purchases
		c("expected", Decimal),     // the reference figure (see the check)
		c("actual", Decimal),       // the figure compared with it
		c("difference", Decimal),   // actual - expected
		c("allowed", Decimal),      // the largest |difference| the tolerance allows here
		c("tolerance", String),     // the tolerance as written, e.g. "±1% of expected"
		c("result", String),        // pass, fail or skip
		c("note", String),          // why a scope is skipped, or what a difference may mean
	}
}

func reconcileTables() []*Table {
	return []*Table{{
		Name:      ReconcileResultsTable,
		Type:      ReconcileType,
		Layout:    Derived,
		Columns:   reconcileColumns(),
		Partition: []PartitionKey{{Name: "run", DuckType: "VARCHAR"}},
	}}
}
