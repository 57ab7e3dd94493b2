package schemas

import (
	"github.com/ascetl/etl/report"
)

// salesLayout is the column set and metadata shared by every frequency of one
// reportType/reportSubType.
type salesLayout struct {
	columns     []Column
	provisional bool
	units       string
	proceeds    *ProceedsSpec
}

// Header text below is exact (REFERENCE.md §A.6); order as observed.

func salesSummaryColumns() []Column {
	return cols(
		strs("Provider", "Provider Country", "SKU", "Developer", "Title", "Version",
			"Product Type Identifier"),
		one(col("Units", Int64), col("Developer Proceeds", Decimal),
			col("Begin Date", DateMDY), col("End Date", DateMDY)),
		strs("Customer Currency", "Country Code", "Currency of Proceeds", "Apple Identifier"),
		one(col("Customer Price", Decimal)),
		strs("Promo Code", "Parent Identifier", "Subscription", "Period", "Category", "CMB",
			"Device", "Supported Platforms", "Proceeds Reason", "Preserved Pricing", "Client",
			"Order Type"),
		one(opt("Contingent App Name", String)),
	)
}

func preOrderColumns() []Column {
	return cols(
		strs("Provider", "Title"),
		one(col("Pre-Order Start Date", DateMDY), col("Pre-Order End Date", DateMDY),
			// Decimal, not Int64: REFERENCE says the four counts are integers, but the
			// only public fixture has "10.2" and "5.5"; decimal loads both exactly.
			col("Ordered", Decimal), col("Canceled", Decimal),
			col("Cumulative Ordered", Decimal), col("Cumulative Canceled", Decimal),
			col("Start Date", DateMDY), col("End Date", DateMDY)),
		strs("Country Code", "Apple Identifier", "Category", "Device", "Supported Platforms",
			"Client", "Provider Country"),
	)
}

// offerName is the 1_3 header of the offer name column; 1_2 called it "Promotional Offer Name".
func offerName() Column {
	return col("Subscription Offer Name", String, "Promotional Offer Name")
}

func subscriptionColumns() []Column {
	ints := []string{
		"Active Standard Price Subscriptions",
		"Active Free Trial Introductory Offer Subscriptions",
		"Active Pay Up Front Introductory Offer Subscriptions",
		"Active Pay As You Go Introductory Offer Subscriptions",
		"Free Trial Promotional Offer Subscriptions",
		"Pay Up Front Promotional Offer Subscriptions",
		"Pay As You Go Promotional Offer Subscriptions",
		"Free Trial Offer Code Subscriptions",
		"Pay Up Front Offer Code Subscriptions",
		"Pay As You Go Offer Code Subscriptions",
		"Marketing Opt-Ins",
		"Billing Retry",
		"Grace Period",
		"Subscribers",
		"Free Trial Win-back Offers",
		"Pay Up Front Win-back Offers",
		"Pay As You Go Win-back Offers",
	}
	counts := make([]Column, len(ints))
	for i, h := range ints {
		counts[i] = col(h, Int64)
	}
	return cols(
		strs("App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
			"Subscription Group ID", "Standard Subscription Duration"),
		one(offerName(), col("Promotional Offer ID", String),
			col("Customer Price", Decimal), col("Customer Currency", String),
			col("Developer Proceeds", Decimal)),
		strs("Proceeds Currency", "Preserved Pricing", "Proceeds Reason", "Client", "Device",
			"State", "Country"),
		counts,
		// Appended by the 1_4 layout seen in the wild [P].
		one(col("Contingent App Name", String)),
	)
}

func subscriptionEventColumns() []Column {
	return cols(
		one(col("Event Date", DateISO)),
		strs("Event", "App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
			"Subscription Group ID", "Standard Subscription Duration", "Subscription Offer Type",
			"Subscription Offer Duration", "Marketing Opt-In", "Marketing Opt-In Duration",
			"Preserved Pricing", "Proceeds Reason"),
		one(offerName(), col("Promotional Offer ID", String),
			col("Consecutive Paid Periods", Int64), col("Original Start Date", DateISO)),
		strs("Device", "Client", "State", "Country", "Previous Subscription Name",
			"Previous Subscription Apple ID"),
		one(col("Days Before Canceling", Int64), col("Cancellation Reason", String),
			col("Days Canceled", Int64), col("Quantity", Int64),
			col("Paid Service Days Recovered", Int64)),
		// Appended by the 1_4 layout seen in the wild [P]; its absence from older versions
		// is told apart by the layout versions (sales_versions.go).
		one(col("Contingent App Name", String)),
	)
}

func subscriberColumns() []Column {
	return cols(
		one(col("Event Date", DateISO)),
		strs("App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
			"Subscription Group ID", "Standard Subscription Duration"),
		one(offerName()),
		strs("Promotional Offer ID", "Subscription Offer Type", "Subscription Offer Duration",
			"Marketing Opt-In Duration"),
		one(col("Customer Price", Decimal), col("Customer Currency", String),
			col("Developer Proceeds", Decimal)),
		strs("Proceeds Currency", "Preserved Pricing", "Proceeds Reason", "Client", "Device",
			"Country", "Subscriber ID", "Subscriber ID Reset", "Refund"),
		one(col("Purchase Date", DateISO), col("Units", Int64)),
		// Appended by the 1_4 layout seen in the wild [P].
		one(col("Contingent App Name", String)),
	)
}

func offerCodeColumns() []Column {
	return cols(
		one(col("Date", DateISO)),
		strs("App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
			"Offer Reference Name", "Offer Code", "Territory"),
		one(col("Redemptions", Int64)),
	)
}

func winBackColumns() []Column {
	return cols(
		strs("App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
			"Subscription Group ID", "Standard Subscription Duration"),
		one(col("Paid Subscription Tenure", Int64), col("Time Since Last Subscribed", Int64),
			col("Has Previously Redeemed Win-Back Offer", String),
			col("Time Since Last Win-Back Offer", Int64), col("Territory", String),
			col("Churned Subscription Count", Int64)),
	)
}

func installsColumns() []Column {
	return cols(
		strs("Developer Name", "Reporting Month", "Reporting Date Range", "App Name",
			"Apple Identifier", "Territory"),
		one(col("First Annual Installs", Int64), col("Fee-Exempt First Annual Installs", Int64),
			col("Fee-Eligible First Annual Installs", Int64), col("Fee Per Install", Decimal),
			col("Core Technology Fee", Decimal), col("Fee Currency", String)),
	)
}

func firstAnnualColumns() []Column {
	return cols(
		strs("Developer", "App ID", "App Name"),
		one(col("Installs Above Threshold", Int64), col("First Annual Installs", Int64)),
	)
}

func newsstandColumns() []Column {
	return cols(
		strs("Provider", "Provider Country", "SKU", "Developer", "Title", "Version",
			"Product Type Identifier"),
		one(col("Units", Int64), col("Developer Proceeds", Decimal),
			col("Begin Date", DateMDY), col("End Date", DateMDY)),
		strs("Customer Currency", "Country Code", "Currency of Proceeds", "Apple Identifier"),
		one(col("Customer Price", Decimal)),
		strs("Subscription", "Period", "Device", "Supported Platforms"),
	)
}

// salesLayouts maps reportType/reportSubType to its layout; INSTALLS and FIRST_ANNUAL use
// one layout for every subtype (none is confirmed, see REFERENCE §A.6).
func salesLayoutFor(typ, subType string) salesLayout {
	perUnit := func(currency string) *ProceedsSpec {
		return &ProceedsSpec{Amount: "developer_proceeds", Quantity: "units", Currency: currency}
	}
	switch typ {
	case "SALES":
		return salesLayout{columns: salesSummaryColumns(), units: "units",
			proceeds: perUnit("currency_of_proceeds")}
	case "PRE_ORDER":
		return salesLayout{columns: preOrderColumns(), units: "ordered"}
	case "NEWSSTAND":
		return salesLayout{columns: newsstandColumns(), provisional: true, units: "units",
			proceeds: perUnit("currency_of_proceeds")}
	case "SUBSCRIPTION":
		return salesLayout{columns: subscriptionColumns(),
			units: "active_standard_price_subscriptions"}
	case "SUBSCRIPTION_EVENT":
		return salesLayout{columns: subscriptionEventColumns(), units: "quantity"}
	case "SUBSCRIBER":
		return salesLayout{columns: subscriberColumns(), units: "units",
			proceeds: perUnit("proceeds_currency")}
	case "SUBSCRIPTION_OFFER_CODE_REDEMPTION":
		return salesLayout{columns: offerCodeColumns(), provisional: true, units: "redemptions"}
	case "WIN_BACK_ELIGIBILITY":
		return salesLayout{columns: winBackColumns(), provisional: true,
			units: "churned_subscription_count"}
	case "INSTALLS":
		return salesLayout{columns: installsColumns(), provisional: true,
			units: "first_annual_installs"}
	case "FIRST_ANNUAL":
		return salesLayout{columns: firstAnnualColumns(), provisional: true,
			units: "first_annual_installs"}
	}
	panic("schemas: no layout for sales report type " + typ + "/" + subType)
}

// salesPartition: sales tables are partitioned by vendor and month; report_date (the first
// day a report covers) is a column of every file (Table.PeriodColumn), so a completed month
// can live in one object (README "Layout").
func salesPartition() []PartitionKey {
	return []PartitionKey{{Name: "vendor", DuckType: "VARCHAR"}, {Name: "month", DuckType: "VARCHAR"}}
}

// SalesPeriodColumn is the date column of every sales file: the first day the report covers.
const SalesPeriodColumn = "report_date"

func salesTables() []*Table {
	tables := make([]*Table, 0, len(report.SalesCombos))
	for _, c := range report.SalesCombos {
		l := salesLayoutFor(c.Type, c.SubType)
		versions := salesVersionsFor(c.Type, c.SubType)
		if versions == nil {
			versions = singleVersions(c, l.columns, l.provisional)
		}
		tables = append(tables, &Table{
			Name:         report.TableName(report.Sales, c.Type, c.SubType, c.Frequency),
			Family:       report.Sales,
			Type:         c.Type,
			SubType:      c.SubType,
			Frequencies:  []string{c.Frequency},
			Layout:       Plain,
			Columns:      l.columns,
			Partition:    salesPartition(),
			PeriodColumn: SalesPeriodColumn,
			Provisional:  l.provisional,
			UnitsColumn:  l.units,
			Proceeds:     l.proceeds,
			Versions:     versions,
		})
	}
	return tables
}
