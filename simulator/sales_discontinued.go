package simulator

import (
	"fmt"

	"github.com/ascetl/etl/report"
)

// Discontinued reports. Apple stopped generating the INSTALLS report (Core Technology Fee
// "first annual installs") in 2026: report.Combo.Until is its last period (2025-12 monthly,
// 2025 yearly). Apple's exact answer for a later period is not public. We answer as for a
// period past retention — HTTP 410, code NOT_FOUND, the same title — so a client that only
// knows 410 ends the unit, with a detail of its own that says why and names the last period:
//
//	The INSTALLS report is no longer generated. The last period available is 2025-12.
//
// The check comes before availability ("not available yet") and data: a future INSTALLS
// period is discontinued, not pending. An omitted reportDate serves the last period.

// detailDiscontinuedFormat is the detail of the 410 for a discontinued report; extract
// recognises "is no longer generated".
const detailDiscontinuedFormat = "The %s report is no longer generated. The last period available is %s."

// errDiscontinued is the answer for a period after the combination's Until, nil otherwise.
func errDiscontinued(u report.Unit) *httpError {
	c, ok := report.LookupCombo(u.Type, u.SubType, u.Frequency)
	if u.Family != report.Sales || !ok || !c.Discontinued(u.Period) {
		return nil
	}
	return &httpError{status: 410, code: "NOT_FOUND", title: "The requested resource is no longer available",
		detail: fmt.Sprintf(detailDiscontinuedFormat, u.Type, c.Until)}
}

// lastPublished clamps a period to the combination's last one (for an omitted reportDate).
func lastPublished(u report.Unit, period string) string {
	if c, ok := report.LookupCombo(u.Type, u.SubType, u.Frequency); ok && c.Discontinued(period) {
		return c.Until
	}
	return period
}
