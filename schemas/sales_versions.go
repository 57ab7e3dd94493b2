package schemas

import (
	"slices"

	"github.com/ascetl/etl/report"
)

// Layout versions of the sales and subscription reports (see layouts.go). Header text is
// exact; where a version is inferred rather than seen in a real file the comment says [I].

// salesSummary2014 is the Sales Summary before 2016: 22 columns ending at CMB, checked
// against real 2015 daily files (REFERENCE.md §B.9; empty cells are a single space).
var salesSummary2014 = []string{
	"Provider", "Provider Country", "SKU", "Developer", "Title", "Version",
	"Product Type Identifier", "Units", "Developer Proceeds", "Begin Date", "End Date",
	"Customer Currency", "Country Code", "Currency of Proceeds", "Apple Identifier",
	"Customer Price", "Promo Code", "Parent Identifier", "Subscription", "Period", "Category",
	"CMB",
}

var (
	// [I] Sales and Trends reports gained the device columns with the 2016 redesign.
	salesSummary2016 = with(salesSummary2014, "Device", "Supported Platforms")
	// [I] Proceeds Reason, Preserved Pricing and Client came with the subscription
	// pricing changes (rate after one year, preserved prices) of 2016–2017.
	salesSummary2017 = with(salesSummary2016, "Proceeds Reason", "Preserved Pricing", "Client")
	// The documented 1_0 layout (REFERENCE.md §A.6; the fixture's 28 columns). Recent files
	// append "Contingent App Name", an optional column of the table, so not drift.
	salesSummary10 = with(salesSummary2017, "Order Type")
)

// Subscription family. 1_2 is the public fixture (samples/sales/*legacy-1_2*), 1_3 is
// REFERENCE.md §A.6, 1_4 is 1_3 with "Contingent App Name" appended (as the simulator
// serves it). 1_0 and 1_1 are [I]: nothing public shows them. We take 1_1 as 1_2 without
// the promotional-offer columns (Apple introduced promotional offers with 1_2 in 2019)
// and 1_0 as 1_1 without the introductory-offer types (pay up front / pay as you go).
var (
	subscription12 = []string{
		"App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
		"Subscription Group ID", "Standard Subscription Duration", "Promotional Offer Name",
		"Promotional Offer ID", "Customer Price", "Customer Currency", "Developer Proceeds",
		"Proceeds Currency", "Preserved Pricing", "Proceeds Reason", "Client", "Device", "State",
		"Country", "Active Standard Price Subscriptions",
		"Active Free Trial Introductory Offer Subscriptions",
		"Active Pay Up Front Introductory Offer Subscriptions",
		"Active Pay As You Go Introductory Offer Subscriptions",
		"Free Trial Promotional Offer Subscriptions", "Pay Up Front Promotional Offer Subscriptions",
		"Pay As You Go Promotional Offer Subscriptions", "Marketing Opt-Ins", "Billing Retry",
		"Grace Period",
	}
	subscription11 = without(subscription12, "Promotional Offer Name", "Promotional Offer ID",
		"Free Trial Promotional Offer Subscriptions", "Pay Up Front Promotional Offer Subscriptions",
		"Pay As You Go Promotional Offer Subscriptions")
	subscription10 = without(subscription11, "Active Pay Up Front Introductory Offer Subscriptions",
		"Active Pay As You Go Introductory Offer Subscriptions")
	subscription13 = []string{
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

	subscriptionEvent12 = []string{
		"Event Date", "Event", "App Name", "App Apple ID", "Subscription Name",
		"Subscription Apple ID", "Subscription Group ID", "Standard Subscription Duration",
		"Promotional Offer Name", "Promotional Offer ID", "Subscription Offer Type",
		"Subscription Offer Duration", "Marketing Opt-In", "Marketing Opt-In Duration",
		"Preserved Pricing", "Proceeds Reason", "Consecutive Paid Periods", "Original Start Date",
		"Client", "Device", "State", "Country", "Previous Subscription Name",
		"Previous Subscription Apple ID", "Days Before Canceling", "Cancellation Reason",
		"Days Canceled", "Quantity",
	}
	subscriptionEvent11 = without(subscriptionEvent12, "Promotional Offer Name", "Promotional Offer ID")
	subscriptionEvent10 = without(subscriptionEvent11, "Subscription Offer Type", "Subscription Offer Duration")
	// 1_3 reorders the offer columns and appends Paid Service Days Recovered.
	subscriptionEvent13 = []string{
		"Event Date", "Event", "App Name", "App Apple ID", "Subscription Name",
		"Subscription Apple ID", "Subscription Group ID", "Standard Subscription Duration",
		"Subscription Offer Type", "Subscription Offer Duration", "Marketing Opt-In",
		"Marketing Opt-In Duration", "Preserved Pricing", "Proceeds Reason",
		"Subscription Offer Name", "Promotional Offer ID", "Consecutive Paid Periods",
		"Original Start Date", "Device", "Client", "State", "Country", "Previous Subscription Name",
		"Previous Subscription Apple ID", "Days Before Canceling", "Cancellation Reason",
		"Days Canceled", "Quantity", "Paid Service Days Recovered",
	}

	subscriber12 = []string{
		"Event Date", "App Name", "App Apple ID", "Subscription Name", "Subscription Apple ID",
		"Subscription Group ID", "Standard Subscription Duration", "Promotional Offer Name",
		"Promotional Offer ID", "Subscription Offer Type", "Subscription Offer Duration",
		"Marketing Opt-In Duration", "Customer Price", "Customer Currency", "Developer Proceeds",
		"Proceeds Currency", "Preserved Pricing", "Proceeds Reason", "Client", "Device", "Country",
		"Subscriber ID", "Subscriber ID Reset", "Refund", "Purchase Date", "Units",
	}
	subscriber11 = without(subscriber12, "Promotional Offer Name", "Promotional Offer ID")
	subscriber10 = without(subscriber11, "Subscription Offer Type", "Subscription Offer Duration")
	subscriber13 = rename(subscriber12, "Promotional Offer Name", "Subscription Offer Name")
)

const contingentApp = "Contingent App Name"

// salesVersionsFor returns the layout versions of a report type, oldest first; nil for
// types with one layout (see singleVersions).
func salesVersionsFor(typ, subType string) []LayoutVersion {
	name := typ + "/" + subType
	v := func(label, api string, provisional bool, headers []string) LayoutVersion {
		return LayoutVersion{Name: name + " " + label, Label: label, APIVersion: api, Headers: headers, Provisional: provisional}
	}
	family := func(h10, h11, h12, h13 []string) []LayoutVersion {
		return []LayoutVersion{v("1_0", "1_0", true, h10), v("1_1", "1_1", true, h11), v("1_2", "1_2", false, h12),
			v("1_3", "1_3", false, h13), v("1_4", "1_4", false, with(h13, contingentApp))}
	}
	switch typ {
	case "SALES":
		return []LayoutVersion{v("2014", "1_0", false, salesSummary2014), v("2016", "1_0", true, salesSummary2016),
			v("2017", "1_0", true, salesSummary2017), v("1_0", "1_0", false, salesSummary10)}
	case "SUBSCRIPTION":
		return family(subscription10, subscription11, subscription12, subscription13)
	case "SUBSCRIPTION_EVENT":
		return family(subscriptionEvent10, subscriptionEvent11, subscriptionEvent12, subscriptionEvent13)
	case "SUBSCRIBER":
		return family(subscriber10, subscriber11, subscriber12, subscriber13)
	}
	return nil
}

// singleVersions gives a report with one known layout one version per API version of its
// combination, all with the table's headers.
func singleVersions(c report.Combo, columns []Column, provisional bool) []LayoutVersion {
	var hs []string
	for _, col := range columns {
		hs = append(hs, col.Header)
	}
	out := make([]LayoutVersion, 0, len(c.Versions))
	for _, ver := range c.Versions {
		out = append(out, LayoutVersion{Name: c.Type + "/" + c.SubType + " " + ver, Label: ver, APIVersion: ver,
			Headers: hs, Provisional: provisional})
	}
	return out
}

func with(h []string, add ...string) []string { return append(slices.Clone(h), add...) }

func without(h []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(h), func(s string) bool { return slices.Contains(drop, s) })
}

func rename(h []string, from, to string) []string {
	out := slices.Clone(h)
	if i := slices.Index(out, from); i >= 0 {
		out[i] = to
	}
	return out
}
