package simulator

import "github.com/ascetl/etl/report"

// noDataError is the answer for a published period without data. Decision (practitioners'
// reports, REFERENCE.md issue 15): the subscription family (SUBSCRIPTION,
// SUBSCRIPTION_EVENT, SUBSCRIBER) does not answer Apple's 404 "There were no sales for the
// date specified." on a day without subscription data, but 400 PARAMETER_ERROR.INVALID
// "Invalid vendor number." for filter[vendorNumber], the same answer as a vendor number
// that is really wrong. Every other report, and finance, answers the 404.
func noDataError(u report.Unit) *httpError {
	if u.Family == report.Sales && subscriptionFamily[u.Type] {
		return errVendor()
	}
	return errNoSales()
}
