package transform

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
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
	Vendor  string // from the file name, "" if not there
	Region  string // finance region: from the file name; always Z1 for FINANCE_DETAIL
	Period  string // API form for the unit ("" if not derivable)
}

var (
	// S_D_85012345_20201005, S_W_…_20201011, S_M_…_202010, S_Y_…_2020 (and other
	// single-letter report prefixes with the same shape).
	salesNameRE = regexp.MustCompile(`^[A-Za-z]_([DWMY])_([0-9]+)_([0-9]{4,8})(?:$|[_.])`)
	// Subscription_85012345_20201005_V1_3, Subscription_Event_…, Subscriber_…
	subsNameRE = regexp.MustCompile(`^(?i:subscription_event|subscription|subscriber)_([0-9]+)_([0-9]{8})(?:$|[_.])`)
	versionRE  = regexp.MustCompile(`_[Vv]([0-9]+)_([0-9]+)(?:$|[_.])`)
	// 85012345_0920_US
	financeNameRE = regexp.MustCompile(`^([0-9]+)_([0-9]{4})_([A-Z0-9]{2})(?:$|[_.])`)
)

var freqLetter = map[string]string{"D": report.Daily, "W": report.Weekly, "M": report.Monthly, "Y": report.Yearly}

// nameInfo is what a file name says.
type nameInfo struct {
	freq, vendor, region, period, version string
}

func parseName(fileName string) nameInfo {
	base := path.Base(strings.ReplaceAll(fileName, `\`, "/"))
	for _, ext := range []string{".gz", ".txt", ".tsv", ".csv"} {
		base = strings.TrimSuffix(base, ext)
	}
	var ni nameInfo
	if m := versionRE.FindStringSubmatch(base); m != nil {
		ni.version = m[1] + "_" + m[2]
	}
	if m := salesNameRE.FindStringSubmatch(base); m != nil {
		ni.freq, ni.vendor = freqLetter[strings.ToUpper(m[1])], m[2]
		ni.period = namePeriod(ni.freq, m[3])
		return ni
	}
	if m := subsNameRE.FindStringSubmatch(base); m != nil {
		ni.freq, ni.vendor = report.Daily, m[1]
		ni.period = namePeriod(report.Daily, m[2])
		return ni
	}
	if m := financeNameRE.FindStringSubmatch(base); m != nil {
		if _, ok := report.FinanceRegions[m[3]]; ok {
			ni.vendor, ni.region = m[1], m[3]
		}
	}
	return ni
}

// namePeriod converts a file-name date (YYYYMMDD, YYYYMM, YYYY) to the API period.
func namePeriod(freq, s string) string {
	layouts := map[int]string{8: "20060102", 6: "200601", 4: "2006"}
	d, err := time.Parse(layouts[len(s)], s)
	if err != nil {
		return ""
	}
	want := map[string]int{report.Daily: 8, report.Weekly: 8, report.Monthly: 6, report.Yearly: 4}
	if want[freq] != len(s) {
		return ""
	}
	return report.PeriodFor(freq, d)
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
// name and the first ≤ 64 KiB of its decompressed content.
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
			d.Period = fiscal.Of(day).String()
		}
		return d, nil
	}
	t := chooseFrequency(cands, ni.freq, header, rows)
	d := Detected{Table: t, Vendor: ni.vendor, Period: ni.period, Version: ni.version}
	if d.Period == "" {
		for _, name := range []string{"begin_date", "event_date", "date", "start_date"} {
			if day, ok := rowDate(t, header, rows, name); ok {
				d.Period = report.PeriodFor(t.Frequency(), day)
				break
			}
		}
	}
	switch t.Type {
	case "SUBSCRIPTION", "SUBSCRIPTION_EVENT", "SUBSCRIBER":
		for _, h := range header {
			if schemas.ColumnName(h) == "promotional_offer_name" {
				d.Version = "1_2"
			}
		}
	}
	if d.Version == "" {
		if c, ok := report.LookupCombo(t.Type, t.SubType, t.Frequency()); ok && len(c.Versions) > 0 {
			d.Version = c.Latest()
		}
	}
	return d, nil
}

func detectFinanceDetail(ni nameInfo, preamble [][]byte) Detected {
	t, _ := schemas.Lookup("finance_detail")
	d := Detected{Table: t, Vendor: ni.vendor, Region: "Z1"}
	for _, l := range preamble {
		cs := cellStrings(l)
		if len(cs) >= 2 && schemas.ColumnName(cs[0]) == "start_date" {
			if day, err := parseDateMDY([]byte(cs[1])); err == nil {
				d.Period = fiscal.Of(time.Unix(int64(day)*86400, 0).UTC()).String()
			}
		}
	}
	return d
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
	bestTbl := -1.0
	for _, t := range schemas.All() {
		if t.Layout == schemas.Derived || t.Layout == schemas.PaymentsCSV {
			continue // no TSV file of their own
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
