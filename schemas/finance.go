package schemas

import "github.com/ascetl/etl/report"

// Header text is exact (REFERENCE.md §B.2). The two finance layouts spell two headers
// differently ("Sales or Return"/"Country Of Sale" vs "Sale or Return"/"Country of Sale");
// case differences match anyway, the singular/plural one is an alias.

func financialColumns() []Column {
	return cols(
		one(col("Start Date", DateMDY), col("End Date", DateMDY)),
		strs("UPC", "ISRC/ISBN", "Vendor Identifier"),
		one(col("Quantity", Int64), col("Partner Share", Decimal),
			col("Extended Partner Share", Decimal), col("Partner Share Currency", String),
			col("Sales or Return", String, "Sale or Return")),
		strs("Apple Identifier", "Artist/Show/Developer/Author", "Title",
			"Label/Studio/Network/Developer/Publisher", "Grid", "Product Type Identifier",
			"ISAN/Other Identifier", "Country Of Sale", "Pre-order Flag", "Promo Code"),
		one(col("Customer Price", Decimal), col("Customer Currency", String)),
	)
}

func financeDetailColumns() []Column {
	return cols(
		one(col("Transaction Date", DateMDY), col("Settlement Date", DateMDY)),
		strs("Apple Identifier", "SKU", "Title", "Developer Name", "Product Type Identifier",
			"Country of Sale"),
		one(col("Quantity", Int64), col("Partner Share", Decimal),
			col("Extended Partner Share", Decimal), col("Partner Share Currency", String),
			col("Customer Price", Decimal), col("Customer Currency", String),
			col("Sale or Return", String, "Sales or Return")),
		strs("Promo Code", "Order Type", "Region"),
	)
}

// Tables derived from finance files other than the FINANCIAL and FINANCE_DETAIL rows.
const (
	// FinanceSummaryTable holds the per-country summary tables Apple appends to a
	// FINANCE_DETAIL file and to the consolidated (ZZ) FINANCIAL file, one row per country
	// and currency as Apple wrote it. It shares the partition of the report it came from
	// (vendor, region ZZ or Z1, fiscal period), so the two reports of one period never
	// share an object; report_type says which report the row came from.
	FinanceSummaryTable = "finance_summary"
	// FinancePaymentsTable holds Apple's "Payments and Financial Reports" CSV, one row per
	// region and currency. The file carries no vendor number: the vendor partition comes
	// from the caller (config or --vendor), like any import, so one bucket can hold several
	// accounts; fiscal_period comes from the title month (see transform.ParsePayments).
	FinancePaymentsTable = "finance_payments"
	// FinanceFootersTable keeps a FINANCIAL file's Total_ footers, one row per block, beside
	// what the block's rows add up to (the loader checks them; reconciliation reads them).
	FinanceFootersTable = "finance_footers"
)

// Report types of the derived finance tables (Table.Type).
const (
	FinanceSummaryType = "FINANCE_SUMMARY"
	PaymentsType       = "PAYMENTS"
	FinanceFootersType = "FINANCE_FOOTERS"
)

func financeSummaryColumns() []Column {
	return cols(
		one(col("Report Type", String)), // FINANCIAL (ZZ) or FINANCE_DETAIL (Z1)
		strs("Country Of Sale", "Partner Share Currency"),
		one(col("Quantity", Int64), col("Extended Partner Share", Decimal)),
	)
}

// paymentsColumns: the 2014 layout is Region (Currency), Units Sold, Earned, Pre-Tax
// Subtotal, Input Tax, Adjustments, Withholding Tax, Total Owed, Exchange Rate, Proceeds,
// Bank Account Currency (REFERENCE.md §B.9). The parser splits "Region (Currency)" into
// region and currency. App Store Connect's later payments pages name the same fields
// "Country or Region (Currency)", "Input Taxes", … and add "Beginning Balance" and "Taxes
// and Adjustments" (Apple's "Payment information" help page): those are aliases and
// optional columns. The paid_* columns come from the lines after the table, not from a
// header cell.
func paymentsColumns() []Column {
	return cols(
		one(col("Region", String, "Country or Region", "Region (Currency)", "Country or Region (Currency)"),
			col("Currency", String, "Region Currency"),
			col("Units Sold", Int64, "Units"),
			opt("Beginning Balance", Decimal),
			col("Earned", Decimal),
			col("Pre-Tax Subtotal", Decimal, "Pre Tax Subtotal", "Total"),
			col("Input Tax", Decimal, "Input Taxes"),
			col("Adjustments", Decimal, "Adjustment"),
			col("Withholding Tax", Decimal, "Withholding Taxes"),
			opt("Taxes and Adjustments", Decimal),
			col("Total Owed", Decimal),
			// decimal(18,10): Apple prints rates to 5 places ("0.80030"); 10 places keep any
			// rate a later layout prints for a weak currency (IDR→EUR 0.0000576) exactly.
			col("Exchange Rate", Rate),
			col("Proceeds", Decimal),
			col("Bank Account Currency", String),
			opt("Paid Amount", Decimal),
			opt("Paid Currency", String),
			opt("Paid To", String)),
	)
}

func financeProceeds() *ProceedsSpec {
	return &ProceedsSpec{Amount: "extended_partner_share", Currency: "partner_share_currency"}
}

func financeTables() []*Table {
	return []*Table{
		{
			Name:    report.TableName(report.Finance, report.Financial, "", ""),
			Family:  report.Finance,
			Type:    report.Financial,
			Layout:  Financial,
			Columns: financialColumns(),
			Partition: []PartitionKey{{Name: "vendor", DuckType: "VARCHAR"},
				{Name: "region", DuckType: "VARCHAR"}, {Name: "fiscal_period", DuckType: "VARCHAR"}},
			UnitsColumn: "quantity",
			Proceeds:    financeProceeds(),
		},
		{
			Name:    report.TableName(report.Finance, report.FinanceDetail, "", ""),
			Family:  report.Finance,
			Type:    report.FinanceDetail,
			Layout:  FinanceDetail,
			Columns: financeDetailColumns(),
			Partition: []PartitionKey{{Name: "vendor", DuckType: "VARCHAR"},
				{Name: "fiscal_period", DuckType: "VARCHAR"}},
			UnitsColumn: "quantity",
			Proceeds:    financeProceeds(),
		},
	}
}

// financeFootersColumns: the footer values as Apple wrote them (null for a Total_ line the
// block lacks: a ZZ file has Total_Rows only) and what the block's rows add up to.
func financeFootersColumns() []Column {
	return []Column{
		{Name: "block", Header: "(block of the file, from 1)", Kind: Int64},
		{Name: "total_rows", Header: "Total_Rows", Kind: Int64},
		{Name: "total_amount", Header: "Total_Amount", Kind: Decimal},
		{Name: "total_units", Header: "Total_Units", Kind: Int64},
		{Name: "rows", Header: "(data rows of the block)", Kind: Int64},
		{Name: "sale_units", Header: "(units of the sale rows)", Kind: Int64},
		{Name: "net_units", Header: "(units of all rows, refunds included)", Kind: Int64},
		{Name: "net_amount", Header: "(extended partner share of all rows)", Kind: Decimal},
	}
}

// financeDerivedTables are the finance tables not loaded from a FINANCIAL or FINANCE_DETAIL
// file's rows. They are listed apart so that their schema has its own fingerprint test.
func financeDerivedTables() []*Table {
	return []*Table{
		{
			Name:    FinanceFootersTable,
			Family:  report.Finance,
			Type:    FinanceFootersType,
			Layout:  Derived,
			Columns: financeFootersColumns(),
			Partition: []PartitionKey{{Name: "vendor", DuckType: "VARCHAR"},
				{Name: "region", DuckType: "VARCHAR"}, {Name: "fiscal_period", DuckType: "VARCHAR"}},
		},
		{
			Name:    FinanceSummaryTable,
			Family:  report.Finance,
			Type:    FinanceSummaryType,
			Layout:  Derived,
			Columns: financeSummaryColumns(),
			Partition: []PartitionKey{{Name: "vendor", DuckType: "VARCHAR"},
				{Name: "region", DuckType: "VARCHAR"}, {Name: "fiscal_period", DuckType: "VARCHAR"}},
			UnitsColumn: "quantity",
			Proceeds:    financeProceeds(),
		},
		{
			Name:    FinancePaymentsTable,
			Family:  report.Finance,
			Type:    PaymentsType,
			Layout:  PaymentsCSV,
			Columns: paymentsColumns(),
			Partition: []PartitionKey{{Name: "vendor", DuckType: "VARCHAR"},
				{Name: "fiscal_period", DuckType: "VARCHAR"}},
			UnitsColumn: "units_sold",
			Proceeds:    &ProceedsSpec{Amount: "proceeds", Currency: "bank_account_currency"},
		},
	}
}
