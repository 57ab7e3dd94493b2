// Package fiscal models Apple's fiscal calendar, which finance reports are keyed by.
//
// Facts (REFERENCE.md §B.1, practitioner-confirmed): a finance reportDate "YYYY-MM" is a
// fiscal year and a fiscal period number, not a calendar month. The fiscal year ends on the
// last Saturday of September, so FY2026 runs from Sunday 2025-09-28 to Saturday 2026-09-26.
// Periods are whole Sunday–Saturday weeks in a 5-4-4 pattern per quarter; period 12 of
// FY2026 is 2026-08-30 … 2026-09-26, which matches a FINANCE_DETAIL file seen in the wild.
//
// Decision [I]: in a 53-week year the extra week is added to period 3 (making Q1 14 weeks,
// as Apple's own 53-week Q1s are). Nothing in the reference pack confirms which month gets it.
package fiscal

import (
	"fmt"
	"time"
)

// Period is one Apple fiscal month. Start is a Sunday and End a Saturday, both dates at
// 00:00 UTC; End is inclusive.
type Period struct {
	Year   int // fiscal year, e.g. 2026 for Oct 2025 … Sep 2026
	Number int // 1 … 12; 1 is roughly October
	Start  time.Time
	End    time.Time
}

var weeks = [12]int{5, 4, 4, 5, 4, 4, 5, 4, 4, 5, 4, 4}

// YearEnd returns the last day (a Saturday) of fiscal year fy: the last Saturday of September.
func YearEnd(fy int) time.Time {
	d := time.Date(fy, time.September, 30, 0, 0, 0, 0, time.UTC)
	for d.Weekday() != time.Saturday {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// YearStart returns the first day (a Sunday) of fiscal year fy.
func YearStart(fy int) time.Time { return YearEnd(fy-1).AddDate(0, 0, 1) }

// New returns period number n (1–12) of fiscal year fy.
func New(fy, n int) (Period, error) {
	if n < 1 || n > 12 {
		return Period{}, fmt.Errorf("fiscal period %d out of range 1-12", n)
	}
	if fy < 1900 || fy > 9999 {
		return Period{}, fmt.Errorf("fiscal year %d out of range", fy)
	}
	start := YearStart(fy)
	extra := int(YearEnd(fy).Sub(start).Hours()/24+1)/7 - 52 // 0 or 1
	for i := 0; i < 12; i++ {
		w := weeks[i]
		if i == 2 {
			w += extra
		}
		end := start.AddDate(0, 0, 7*w-1)
		if i == n-1 {
			return Period{Year: fy, Number: n, Start: start, End: end}, nil
		}
		start = end.AddDate(0, 0, 1)
	}
	panic("unreachable")
}

// Of returns the fiscal period containing the calendar date d (its Y/M/D are used, in d's location).
func Of(d time.Time) Period {
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	fy := day.Year()
	if day.After(YearEnd(fy)) {
		fy++
	}
	for n := 1; n <= 12; n++ {
		p, _ := New(fy, n)
		if !day.After(p.End) {
			return p
		}
	}
	panic("unreachable")
}

// Parse reads the API form "YYYY-MM" (fiscal year, period number).
func Parse(s string) (Period, error) {
	var fy, n int
	if len(s) != 7 || s[4] != '-' {
		return Period{}, fmt.Errorf("fiscal period %q: want YYYY-MM", s)
	}
	if _, err := fmt.Sscanf(s, "%4d-%2d", &fy, &n); err != nil {
		return Period{}, fmt.Errorf("fiscal period %q: want YYYY-MM", s)
	}
	p, err := New(fy, n)
	if err != nil {
		return Period{}, fmt.Errorf("fiscal period %q: %w", s, err)
	}
	return p, nil
}

// String is the API form, "YYYY-MM".
func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, p.Number) }

// Next returns the following period.
func (p Period) Next() Period {
	if p.Number == 12 {
		q, _ := New(p.Year+1, 1)
		return q
	}
	q, _ := New(p.Year, p.Number+1)
	return q
}

// Prev returns the preceding period.
func (p Period) Prev() Period {
	if p.Number == 1 {
		q, _ := New(p.Year-1, 12)
		return q
	}
	q, _ := New(p.Year, p.Number-1)
	return q
}

// AvailableFrom is the first Friday after the period ends: Apple publishes a fiscal month's
// finance reports by then (REFERENCE.md §B.3). The date is a calendar day in Pacific time.
func (p Period) AvailableFrom() time.Time {
	d := p.End.AddDate(0, 0, 1)
	for d.Weekday() != time.Friday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}
