package ddl

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// keyRule says how Athena projects one partition key (by name, the same in every table).
type keyRule int

const (
	ruleID       keyRule = iota // vendor number or app id: enum of Options.Values, else injected
	ruleRegion                  // finance region: enum of Apple's region codes
	ruleDate                    // a day, yyyy-MM-dd; sales step by the table's frequency
	ruleMonth                   // a calendar month, yyyy-MM
	ruleFiscal                  // an Apple fiscal period, yyyy-MM (fiscal year and period 01..12)
	ruleInjected                // any other string key
)

// keyRules names every partition key the loader writes (a test checks that schemas has
// no other); a new key falls back to injected (strings) or daily (dates).
var keyRules = map[string]keyRule{
	"account":       ruleID, // issue 18: data partitioned by account (not yet in schemas)
	"vendor":        ruleID,
	"app_id":        ruleID,
	"region":        ruleRegion,
	"report_date":   ruleDate,
	"snapshot_date": ruleDate,
	"month":         ruleMonth,
	"fiscal_period": ruleFiscal,
	"run":           ruleInjected, // reconcile_results: one partition per etl reconcile, ids unbounded
}

// projection is the TBLPROPERTIES of Athena's partition projection for t, in order.
//
// Date ranges run from Options.Since to NOW (UTC, at query time). The steps follow what
// the loader writes: report_date is the first day a sales report covers — every day of a
// daily table, the Monday of a weekly one, the 1st of a monthly one and January 1st of a
// yearly one — so each range starts on such a day and steps by the frequency, and
// Athena lists only prefixes that can exist. Fiscal periods run ahead of the calendar
// (Apple's fiscal year 2027 starts in late September 2026), hence NOW+1YEARS.
func (g *generator) projection(t Table) ([][2]string, error) {
	if len(t.Partition) == 0 {
		return nil, nil
	}
	since := g.opt.since()
	props := [][2]string{{"projection.enabled", "true"}}
	add := func(k, key, v string) { props = append(props, [2]string{"projection." + k + "." + key, v}) }
	template := g.tableLocation(t)
	for i, k := range t.Partition {
		if i > 0 {
			template += "/"
		}
		template += k.Name + "=${" + k.Name + "}"
		rule, ok := keyRules[k.Name]
		if !ok {
			rule = ruleInjected
			if arrow.TypeEqual(k.Type, arrow.FixedWidthTypes.Date32) {
				rule = ruleDate
			}
		}
		switch rule {
		case ruleID, ruleInjected:
			vals := g.opt.Values[k.Name]
			if len(vals) == 0 {
				add(k.Name, "type", "injected")
				continue
			}
			for _, v := range vals {
				if !schemas.SafeValue(v) {
					return nil, fmt.Errorf("partition %s: value %q is not a partition value", k.Name, v)
				}
			}
			add(k.Name, "type", "enum")
			add(k.Name, "values", strings.Join(vals, ","))
		case ruleRegion:
			add(k.Name, "type", "enum")
			add(k.Name, "values", strings.Join(regions(), ","))
		case ruleDate:
			start, unit := dateStep(k.Name, t.Frequency, since)
			add(k.Name, "type", "date")
			add(k.Name, "format", "yyyy-MM-dd")
			add(k.Name, "range", start.Format("2006-01-02")+",NOW")
			add(k.Name, "interval", "1")
			add(k.Name, "interval.unit", unit)
		case ruleMonth, ruleFiscal:
			start, end := since.Format("2006-01"), "NOW"
			if rule == ruleFiscal {
				start, end = fmt.Sprintf("%04d-01", since.Year()), "NOW+1YEARS"
			}
			add(k.Name, "type", "date")
			add(k.Name, "format", "yyyy-MM")
			add(k.Name, "range", start+","+end)
			add(k.Name, "interval", "1")
			add(k.Name, "interval.unit", "MONTHS")
		}
	}
	props = append(props, [2]string{"storage.location.template", template + "/"})
	return props, nil
}

// dateStep is the first projected day on or before since and the step of a date key.
func dateStep(key, freq string, since time.Time) (time.Time, string) {
	d := time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC)
	if key != "report_date" {
		return d, "DAYS"
	}
	switch freq {
	case report.Weekly:
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)), "WEEKS" // back to Monday
	case report.Monthly:
		return d.AddDate(0, 0, 1-d.Day()), "MONTHS"
	case report.Yearly:
		return time.Date(d.Year(), 1, 1, 0, 0, 0, 0, time.UTC), "YEARS"
	}
	return d, "DAYS"
}

// regions are Apple's finance region codes, sorted.
func regions() []string {
	out := make([]string, 0, len(report.FinanceRegions))
	for r := range report.FinanceRegions {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
