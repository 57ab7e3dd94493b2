package simulator

// Header literals, exact text and order (REFERENCE.md §A.6, §B.2, provisional layouts fixed
// by the lead). The simulator is the oracle: it holds its own copy and does not import the
// project's schemas package.

var salesHeader = []string{
	"Provider", "Provider Country", "SKU", "Developer", "Title", "Version",
	"Product Type Identifier", "Units", "Developer Proceeds", "Begin Date", "End Date",
	"Customer Currency", "Country Code", "Currency of Proceeds", "Apple Identifier",
	"Customer Price", "Promo Code", "Parent Identifier", "Subscription", "Period", "Category",
	"CMB", "Device", "Supported Platforms", "Proceeds Reason", "Preserved Pricing", "Client",
	"Order Type",
}

const contingentAppName = "Contingent App Name"

var preOrderHeader = []string{
	"Provider", "Title", "Pre-Order Start Date", "Pre-Order End Date", "Ordered", "Canceled",
	"Cumulative Ordered", "Cumulative Canceled", "Start Date", "End Date", "Country Code",
	"Apple Identifier", "Category", "Device", "Supported Platforms", "Client", "Provider Country",
}

var subscriptionHeader13 = []string{
	"App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
	"Subscription Group ID", "Standard Subscription Duration", "Subscription Offer Name",
	"Promotional Offer ID", "Customer Price", "Customer Currency", "Developer Proceeds",
	"Proceeds Currency", "Preserved Pricing", "Proceeds Reason", "Client", "Device", "State",
	"Country", "Active Standard Price Subscriptions",
	"Active Free Trial Introductory Offer Subscriptions",
	"Active Pay Up Front Introductory Offer Subscriptions",
	"Active Pay As You Go Introductory Offer Subscriptions",
	"Free Trial Promotional Offer Subscriptions", "Pay Up Front Promotional Offer Subscriptions",
	"Pay As You Go Promotional Offer Subscriptions", "Free Trial Offer Code Subscriptions",
	"Pay Up Front Offer Code Subscriptions", "Pay As You Go Offer Code Subscriptions",
	"Marketing Opt-Ins", "Billing Retry", "Grace Period", "Subscribers",
	"Free Trial Win-back Offers", "Pay Up Front Win-back Offers", "Pay As You Go Win-back Offers",
}

var subscriptionEventHeader13 = []string{
	"Event Date", "Event", "App Name", "App Apple ID", "Subscription Name",
	"Subscription Apple ID", "Subscription Group ID", "Standard Subscription Duration",
	"Subscription Offer Type", "Subscription Offer Duration", "Marketing Opt-In",
	"Marketing Opt-In Duration", "Preserved Pricing", "Proceeds Reason",
	"Subscription Offer Name", "Promotional Offer ID", "Consecutive Paid Periods",
	"Original Start Date", "Device", "Client", "State", "Country", "Previous Subscription Name",
	"Previous Subscription Apple ID", "Days Before Canceling", "Cancellation Reason",
	"Days Canceled", "Quantity", "Paid Service Days Recovered",
}

var subscriberHeader13 = []string{
	"Event Date", "App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
	"Subscription Group ID", "Standard Subscription Duration", "Subscription Offer Name",
	"Promotional Offer ID", "Subscription Offer Type", "Subscription Offer Duration",
	"Marketing Opt-In Duration", "Customer Price", "Customer Currency", "Developer Proceeds",
	"Proceeds Currency", "Preserved Pricing", "Proceeds Reason", "Client", "Device", "Country",
	"Subscriber ID", "Subscriber ID Reset", "Refund", "Purchase Date", "Units",
}

var offerCodeHeader = []string{
	"Date", "App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
	"Offer Reference Name", "Offer Code", "Territory", "Redemptions",
}

var winBackHeader = []string{
	"App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
	"Subscription Group ID", "Standard Subscription Duration", "Paid Subscription Tenure",
	"Time Since Last Subscribed", "Has Previously Redeemed Win-Back Offer",
	"Time Since Last Win-Back Offer", "Territory", "Churned Subscription Count",
}

var installsHeader = []string{
	"Developer Name", "Reporting Month", "Reporting Date Range", "App Name", "Apple Identifier",
	"Territory", "First Annual Installs", "Fee-Exempt First Annual Installs",
	"Fee-Eligible First Annual Installs", "Fee Per Install", "Core Technology Fee", "Fee Currency",
}

var firstAnnualHeader = []string{
	"Developer", "App ID", "App Name", "Installs Above Threshold", "First Annual Installs",
}

var newsstandHeader = []string{
	"Provider", "Provider Country", "SKU", "Developer", "Title", "Version",
	"Product Type Identifier", "Units", "Developer Proceeds", "Begin Date", "End Date",
	"Customer Currency", "Country Code", "Currency of Proceeds", "Apple Identifier",
	"Customer Price", "Subscription", "Period", "Device", "Supported Platforms",
}

var financialHeader = []string{
	"Start Date", "End Date", "UPC", "ISRC/ISBN", "Vendor Identifier", "Quantity",
	"Partner Share", "Extended Partner Share", "Partner Share Currency", "Sales or Return",
	"Apple Identifier", "Artist/Show/Developer/Author", "Title",
	"Label/Studio/Network/Developer/Publisher", "Grid", "Product Type Identifier",
	"ISAN/Other Identifier", "Country Of Sale", "Pre-order Flag", "Promo Code", "Customer Price",
	"Customer Currency",
}

var financeDetailHeader = []string{
	"Transaction Date", "Settlement Date", "Apple Identifier", "SKU", "Title", "Developer Name",
	"Product Type Identifier", "Country of Sale", "Quantity", "Partner Share",
	"Extended Partner Share", "Partner Share Currency", "Customer Price", "Customer Currency",
	"Sale or Return", "Promo Code", "Order Type", "Region",
}

var financeDetailSummaryHeader = []string{
	"Country Of Sale", "Partner Share Currency", "Quantity", "Extended Partner Share",
}

// subscriptionFamily are the report types whose 1_4 header is the 1_3 header with
// "Contingent App Name" appended (Options.Accept14).
var subscriptionFamily = map[string]bool{"SUBSCRIPTION": true, "SUBSCRIPTION_EVENT": true, "SUBSCRIBER": true}

// salesLayout returns the header of a sales report type at a version. version must be one
// the server accepts.
func (s *Server) salesLayout(typ, version string) []string {
	var h []string
	switch typ {
	case "SALES":
		h = salesHeader
		if s.opt.ContingentAppName {
			h = append(append([]string(nil), h...), contingentAppName)
		}
		return h
	case "PRE_ORDER":
		h = preOrderHeader
	case "NEWSSTAND":
		h = newsstandHeader
	case "SUBSCRIPTION":
		h = subscriptionHeader13
	case "SUBSCRIPTION_EVENT":
		h = subscriptionEventHeader13
	case "SUBSCRIBER":
		h = subscriberHeader13
	case "SUBSCRIPTION_OFFER_CODE_REDEMPTION":
		h = offerCodeHeader
	case "WIN_BACK_ELIGIBILITY":
		h = winBackHeader
	case "INSTALLS":
		h = installsHeader
	case "FIRST_ANNUAL":
		h = firstAnnualHeader
	}
	if version == "1_4" && subscriptionFamily[typ] {
		h = append(append([]string(nil), h...), contingentAppName)
	}
	return h
}

// truthSpec says which columns give a layout's units and proceeds (see Truth).
type truthSpec struct {
	units    string
	proceeds string // per-unit unless extended
	currency string
	extended bool
}

var truthSpecs = map[string]truthSpec{
	"SALES":                              {units: "Units", proceeds: "Developer Proceeds", currency: "Currency of Proceeds"},
	"PRE_ORDER":                          {units: "Ordered"},
	"NEWSSTAND":                          {units: "Units", proceeds: "Developer Proceeds", currency: "Currency of Proceeds"},
	"SUBSCRIPTION":                       {units: "Active Standard Price Subscriptions"},
	"SUBSCRIPTION_EVENT":                 {units: "Quantity"},
	"SUBSCRIBER":                         {units: "Units", proceeds: "Developer Proceeds", currency: "Proceeds Currency"},
	"SUBSCRIPTION_OFFER_CODE_REDEMPTION": {units: "Redemptions"},
	"WIN_BACK_ELIGIBILITY":               {units: "Churned Subscription Count"},
	"INSTALLS":                           {units: "First Annual Installs"},
	"FIRST_ANNUAL":                       {units: "First Annual Installs"},
	"FINANCIAL":                          {units: "Quantity", proceeds: "Extended Partner Share", currency: "Partner Share Currency", extended: true},
	"FINANCE_DETAIL":                     {units: "Quantity", proceeds: "Extended Partner Share", currency: "Partner Share Currency", extended: true},
}
