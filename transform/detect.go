package transform

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/report/fiscal"
	"github.com/ascetl/etl/schemas"
)

// DetectHeadSize is how much of the decompressed file Detect wants to see.
const DetectHeadSize = 64 << 10

// minCoverage is the share of header cells a table must recognise to be chosen.
const minCoverage = 0.8

// Detected is what a hand-downloaded report file is.
type Detected struct {
	Table   *schemas.Table
	Version string // report version ("" for finance, which has none)
	// Layout is the layout version the header matched ("SALES/SUMMARY 2014"; "" for
	// tables without versions). Version is that layout's API version.
	Layout string
	Vendor string // from the file name, "" if not there
	Region string // finance region: from the file name; always Z1 for FINANCE_DETAIL
	Period string // API form for the unit ("" if not derivable)
}

// headLines splits head into lines (line endings removed), dropping a final partial line
// when head was cut at DetectHeadSize.
func headLines(head []byte) [][]byte {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if len(head) >= DetectHeadSize {
		if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
			head = head[:i]
		}
	}
	lines := bytes.Split(head, []byte{'\n'})
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte{'\r'})
	}
	return lines
}

func cellStrings(line []byte) []string {
	fs := splitTabs(nil, line)
	for len(fs) > 0 && len(trimSpaces(fs[len(fs)-1])) == 0 {
		fs = fs[:len(fs)-1]
	}
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(trimSpaces(f))
	}
	return out
}

// Detect works out which table a report file downloaded by hand belongs to, from its
// name and the first ≤ 64 KiB of its decompressed content. Only the tables a file can be
// imported into are considered (sales and finance). Detect never panics on any input.
func Detect(fileName string, head []byte) (Detected, error) {
	ni := parseName(fileName)
	lines := headLines(head)
	hi := -1
	for i, l := range lines {
		if !blank(l) {
			hi = i
			break
		}
	}
	if hi < 0 {
		return Detected{}, fmt.Errorf("detect %s: file is empty", fileName)
	}
	if d, ok := detectPayments(fileName, lines[hi:]); ok { // CSV: payments.go
		return d, nil
	}
	// FINANCE_DETAIL: a key/value preamble before the "Transaction Date" header.
	for i := hi; i < len(lines) && i < maxPreambleLines; i++ {
		for _, c := range cellStrings(lines[i]) {
			if schemas.ColumnName(c) == "transaction_date" {
				return detectFinanceDetail(ni, lines[hi:i]), nil
			}
		}
	}
	header := cellStrings(lines[hi])
	rows := dataRows(lines[hi+1:], len(header))
	cands, best, rec := bestTables(header)
	if len(cands) == 0 || best < minCoverage {
		// A table no file is imported as (an Analytics Reports segment): say so.
		if other, ob, _ := bestTablesOf(header, func(t *schemas.Table) bool { return t.Family == report.Analytics }); len(other) > 0 && ob >= minCoverage {
			cands, best = other, ob
		}
	}
	if len(cands) == 0 || best < minCoverage {
		name := "none"
		if len(cands) > 0 {
			name = cands[0].Name
		}
		return Detected{}, fmt.Errorf("detect %s: header matches no known report (best %s recognises %d of %d header cells)",
			fileName, name, rec, len(header))
	}
	switch cands[0].Family {
	case report.Sales, report.Finance:
	default:
		// An Analytics Reports segment (or another family's layout) looks like a report
		// but is not one a file can be imported as: its unit is an API instance.
		return Detected{}, fmt.Errorf("detect %s: the header looks like %s (%s), which is not imported from a file "+
			"(only Sales and Trends and finance reports are; analytics segments come back with `etl import data/raw`)",
			fileName, cands[0].Name, cands[0].Family)
	}
	if cands[0].Family == report.Finance {
		d := Detected{Table: cands[0], Vendor: ni.vendor, Region: ni.region}
		if day, ok := rowDate(cands[0], header, rows, "start_date"); ok {
			d.Period = fiscalPeriod(day)
		}
		return d, nil
	}
	cands = byNameType(cands, ni)
	t := chooseFrequency(cands, ni.freq, header, rows)
	d := Detected{Table: t, Vendor: ni.vendor, Period: namePeriod(t.Frequency(), ni.digits)}
	if d.Period == "" {
		d.Period = contentPeriod(t, header, rows)
	}
	if m, ok := t.MatchLayout(header, ni.version); ok {
		d.Layout, d.Version = m.Layout.Name, m.Layout.APIVersion
	} else if c, ok := report.LookupCombo(t.Type, t.SubType, t.Frequency()); ok && len(c.Versions) > 0 {
		d.Version = c.Latest()
	}
	return d, nil
}

// byNameType keeps the candidates of the report type (and subtype) the file name names,
// when there are any.
func byNameType(cands []*schemas.Table, ni nameInfo) []*schemas.Table {
	if ni.typ == "" {
		return cands
	}
	var same, sameSub []*schemas.Table
	for _, t := range cands {
		if t.Type == ni.typ {
			same = append(same, t)
			if t.SubType == ni.sub {
				sameSub = append(sameSub, t)
			}
		}
	}
	switch {
	case len(sameSub) > 0:
		return sameSub
	case len(same) > 0:
		return same
	}
	return cands
}

// contentPeriod derives the period from the rows: the most common date of the report's
// date column, or an INSTALLS "Reporting Month" (YYYY-MM or YYYY).
func contentPeriod(t *schemas.Table, header []string, rows [][]string) string {
	for _, name := range []string{"begin_date", "event_date", "date", "start_date"} {
		if day, ok := rowDate(t, header, rows, name); ok {
			return report.PeriodFor(t.Frequency(), day)
		}
	}
	for i, h := range header {
		if ci := t.ColumnIndex(h); ci < 0 || t.Columns[ci].Name != "reporting_month" {
			continue
		}
		for _, r := range rows {
			v := strings.ReplaceAll(r[i], "-", "")
			if (len(v) == 6 || len(v) == 4) && digitsRE.MatchString(v) {
				if p := namePeriod(t.Frequency(), v); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

func detectFinanceDetail(ni nameInfo, preamble [][]byte) Detected {
	t, _ := schemas.Lookup("finance_detail")
	d := Detected{Table: t, Vendor: ni.vendor, Region: "Z1"}
	for _, l := range preamble {
		cs := cellStrings(l)
		if len(cs) >= 2 && schemas.ColumnName(cs[0]) == "start_date" {
			if day, err := parseDateMDY([]byte(cs[1])); err == nil {
				d.Period = fiscalPeriod(time.Unix(int64(day)*86400, 0).UTC())
			}
		}
	}
	return d
}

// fiscalPeriod is the Apple fiscal period of day, "" for a day outside the years the
// fiscal calendar covers (a file dated 0010 is not a finance report of that year).
func fiscalPeriod(day time.Time) string {
	if y := day.Year(); y < 1901 || y > 9998 {
		return ""
	}
	return fiscal.Of(day).String()
}

// dataRows returns the head's complete rows with the header's field count.
func dataRows(lines [][]byte, n int) [][]string {
	var rows [][]string
	for _, l := range lines {
		if blank(l) {
			continue
		}
		fs := splitTabs(nil, l)
		if len(fs) < n {
			continue
		}
		row := make([]string, n)
		for i := range row {
			row[i] = string(trimSpaces(fs[i]))
		}
		rows = append(rows, row)
	}
	return rows
}

// bestTables scores every table by the share of header cells it recognises, then by the
// share of its required columns present; it returns the tables tied for best.
func bestTables(header []string) (cands []*schemas.Table, best float64, recognised int) {
	return bestTablesOf(header, func(t *schemas.Table) bool {
		// analytics, reviews, metrics, catalog, derived finance tables: no TSV file of their own
		return (t.Family == report.Sales || t.Family == report.Finance) && t.Layout != schemas.Derived && t.Layout != schemas.PaymentsCSV
	})
}

// bestTablesOf is bestTables over the tables keep accepts.
func bestTablesOf(header []string, keep func(*schemas.Table) bool) (cands []*schemas.Table, best float64, recognised int) {
	bestTbl := -1.0
	for _, t := range schemas.All() {
		if !keep(t) {
			continue
		}
		used := map[int]bool{}
		req := 0
		for _, h := range header {
			if i := t.ColumnIndex(h); i >= 0 && !used[i] {
				used[i] = true
				if !t.Columns[i].Optional {
					req++
				}
			}
		}
		total := 0
		for _, c := range t.Columns {
			if !c.Optional {
				total++
			}
		}
		hc := float64(len(used)) / float64(max(len(header), 1))
		tc := float64(req) / float64(max(total, 1))
		switch {
		case hc > best || (hc == best && tc > bestTbl):
			cands, best, bestTbl, recognised = []*schemas.Table{t}, hc, tc, len(used)
		case hc == best && tc == bestTbl:
			cands = append(cands, t)
		}
	}
	return cands, best, recognised
}

// chooseFrequency picks among equally good tables (same columns, different frequency or
// subtype): the file name's frequency, else the span of the first row's begin/end dates,
// else DAILY, else the first in schemas.All order.
func chooseFrequency(cands []*schemas.Table, nameFreq string, header []string, rows [][]string) *schemas.Table {
	pick := func(freq string) *schemas.Table {
		for _, t := range cands {
			if t.Frequency() == freq {
				return t
			}
		}
		return nil
	}
	if t := pick(nameFreq); t != nil {
		return t
	}
	for _, pair := range [][2]string{{"begin_date", "end_date"}, {"start_date", "end_date"}} {
		b, ok1 := rowDate(cands[0], header, rows, pair[0])
		e, ok2 := rowDate(cands[0], header, rows, pair[1])
		if !ok1 || !ok2 {
			continue
		}
		days := int(e.Sub(b).Hours()/24) + 1
		freq := ""
		switch {
		case days == 1:
			freq = report.Daily
		case days == 7:
			freq = report.Weekly
		case days >= 28 && days <= 31 && b.Day() == 1:
			freq = report.Monthly
		case days >= 365 && days <= 366 && b.YearDay() == 1:
			freq = report.Yearly
		}
		if t := pick(freq); t != nil {
			return t
		}
	}
	if t := pick(report.Daily); t != nil {
		return t
	}
	return cands[0]
}

// rowDate is the most common value of the date column name among the head's rows (ties:
// the earliest), parsed by the column's kind.
func rowDate(t *schemas.Table, header []string, rows [][]string, name string) (time.Time, bool) {
	idx, kind := -1, schemas.String
	for i, h := range header {
		if ci := t.ColumnIndex(h); ci >= 0 && t.Columns[ci].Name == name {
			idx, kind = i, t.Columns[ci].Kind
			break
		}
	}
	if idx < 0 || (kind != schemas.DateMDY && kind != schemas.DateISO) {
		return time.Time{}, false
	}
	count := map[int32]int{}
	bestN, bestDay := 0, int32(0)
	for _, r := range rows {
		parse := parseDateISO
		if kind == schemas.DateMDY {
			parse = parseDateMDY
		}
		d, err := parse([]byte(r[idx]))
		if err != nil {
			continue
		}
		n := count[int32(d)] + 1
		count[int32(d)] = n
		if n > bestN || (n == bestN && int32(d) < bestDay) {
			bestN, bestDay = n, int32(d)
		}
	}
	if bestN == 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(bestDay)*86400, 0).UTC(), true
}
