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

func financeTables() []*Table {
	proceeds := func() *ProceedsSpec {
		return &ProceedsSpec{Amount: "extended_partner_share", Currency: "partner_share_currency"}
	}
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
			Proceeds:    proceeds(),
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
			Proceeds:    proceeds(),
		},
	}
}
