package transform

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/report/fiscal"
	"github.com/ascetl/etl/schemas"
)

// Apple's "Payments and Financial Reports" CSV (one per fiscal month; REFERENCE.md §B.9):
//
//	"iTunes Connect - Payments and Financial Reports	(September, 2014)"
//	,,,,,,,,,,
//	Region (Currency),Units Sold,Earned,Pre-Tax Subtotal,Input Tax,Adjustments,Withholding Tax,Total Owed,Exchange Rate,Proceeds,Bank Account Currency
//	Switzerland (CHF),"29","33.15","33.15","0","0","0","33.15","0.80030","26.53","EUR"
//	,,,,,,,,,,
//	,,,,,,,,,,"234.58" EUR
//	Paid to <bank> -****1299
//
// Columns are mapped by header (schemas.FinancePaymentsTable, with the later App Store
// Connect names as aliases); unknown columns are kept as text and reported as drift.
// Decisions: the title month is Apple's fiscal month of that name ("September, 2014" is
// fiscal 2014-12, the period ending the last Saturday of September); a file without a
// recognisable title month loads with Period "" and the caller must supply the period.
// The paid-total line ("<amount> <currency>" in any cell of a line whose first cell is
// empty) and the "Paid to" line are copied onto every row paid in that currency; with
// several paid totals, a row takes the one in its bank account currency. Lines the parser
// does not recognise are noted in Checks, never silently dropped.

// maxPaymentsBytes bounds the file: a Payments report has one line per region.
const maxPaymentsBytes = 16 << 20

// PaidTotal is one paid-total line of a Payments file and the "Paid to" line after it.
type PaidTotal struct {
	Line     int            // line of the amount ("" Currency: a Paid to line without amount)
	Amount   decimal128.Num // unscaled at schemas.DecimalScale
	Currency string
	PaidTo   string // "Paid to <bank> -****1299", as written
}

// PaymentsResult is one parsed Payments file.
type PaymentsResult struct {
	// Record has the rows of schemas.FinancePaymentsTable, then unknown columns as text,
	// then lineage. The caller releases it (Release).
	Record     arrow.RecordBatch
	Period     string // Apple fiscal period (YYYY-MM) of the title month; "" if unknown
	Title      string // the title cell, as written
	Rows       int64
	Paid       []PaidTotal
	Drift      Drift
	HeaderHash string   // hex SHA-256 of the header line
	Checks     []string // notes that did not stop the load: totals that disagree, skipped lines
}

// Release frees the record.
func (p *PaymentsResult) Release() {
	if p != nil && p.Record != nil {
		p.Record.Release()
		p.Record = nil
	}
}

// ParsePayments reads a (decompressed) Payments and Financial Reports CSV. key names the
// file in errors and lineage (_source_key); extractedAt is the lineage _extracted_at. A bad
// value fails with a *ParseError naming key, line and column.
func ParsePayments(key string, r io.Reader, alloc memory.Allocator, extractedAt time.Time) (*PaymentsResult, error) {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	data, err := io.ReadAll(io.LimitReader(r, maxPaymentsBytes+1))
	if err != nil {
		return nil, &ParseError{Key: key, Line: 1, Err: fmt.Errorf("read: %w", err)}
	}
	if len(data) > maxPaymentsBytes {
		return nil, &ParseError{Key: key, Line: 1, Err: fmt.Errorf("file larger than %d bytes: not a Payments report", maxPaymentsBytes)}
	}
	t, _ := schemas.Lookup(schemas.FinancePaymentsTable)
	p := &paymentsParser{key: key, t: t, res: &PaymentsResult{}}
	if err := p.parse(data); err != nil {
		return nil, err
	}
	p.assignPaid()
	p.check()
	p.res.Record = p.record(alloc, extractedAt)
	p.res.Rows = int64(len(p.rows))
	p.res.Checks = append(p.res.Checks, p.notes...)
	return p.res, nil
}

// pval is one parsed cell: text, or an unscaled number (int64, decimal or rate).
type pval struct {
	null bool
	s    string
	n    int64
}

type paymentsParser struct {
	key string
	t   *schemas.Table
	res *PaymentsResult

	cols      []int // per header cell: output column (table column or extra)
	splitReg  bool  // the region cell is "Region (Currency)"
	headers   []string
	extra     []string
	explicitC bool // the header has its own Currency column
	rows      [][]pval
	lines     []int
	notes     []string
	dec       textDecoder
	tmp       []byte
}

var titleMonthRE = regexp.MustCompile(`\(\s*([A-Za-z]{3,9})\.?,?\s+([0-9]{4})\s*\)`)

// parse walks the lines: title, header, rows, paid lines.
func (p *paymentsParser) parse(data []byte) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var cells [][]byte
	var buf []byte
	header := false
	for n, raw := range bytes.Split(data, []byte{'\n'}) {
		line := p.dec.decode(bytes.TrimSuffix(raw, []byte{'\r'}), n+1)
		var bad int
		var err error
		cells, buf, bad, err = splitCSV(cells, buf, line)
		if err != nil {
			v := line[bytes.LastIndexByte(line, '"'):] // the open quote, near enough for the message
			return &ParseError{Key: p.key, Line: n + 1, Column: p.headerAt(bad), Value: string(v[:min(len(v), 40)]), Err: err}
		}
		if allCellsBlank(cells) {
			continue
		}
		switch {
		case !header && p.res.Title == "" && p.isTitle(line, cells):
			p.title(cells)
		case !header:
			if p.isHeader(cells) {
				p.setup(line, cells)
				header = true
				continue
			}
			p.notes = append(p.notes, fmt.Sprintf("line %d: skipped before the header: %.60q", n+1, line))
		default:
			if err := p.line(cells, n+1); err != nil {
				return err
			}
		}
	}
	if !header {
		return &ParseError{Key: p.key, Line: 1, Err: fmt.Errorf("%w: no Payments header (Region (Currency), Units Sold, …, Proceeds) found", ErrHeader)}
	}
	if p.res.Period == "" {
		p.notes = append(p.notes, fmt.Sprintf("no month in a title line (%q): the fiscal period must be given", p.res.Title))
	}
	if n := p.dec.note(); n != "" {
		p.notes = append([]string{n}, p.notes...)
	}
	return nil
}

func (p *paymentsParser) headerAt(i int) string {
	if i >= 0 && i < len(p.headers) {
		return p.headers[i]
	}
	return ""
}

func allCellsBlank(cells [][]byte) bool {
	for _, c := range cells {
		if len(trimCell(c)) > 0 {
			return false
		}
	}
	return true
}

// isTitle: the first non-blank line before the header, when it is not the header itself.
func (p *paymentsParser) isTitle(line []byte, cells [][]byte) bool {
	return bytes.Contains(bytes.ToLower(line), []byte("payments")) || titleMonthRE.Match(line) && !p.isHeader(cells)
}

func (p *paymentsParser) title(cells [][]byte) {
	var parts []string
	for _, c := range cells {
		if c = trimCell(c); len(c) > 0 {
			parts = append(parts, string(c))
		}
	}
	p.res.Title = strings.Join(parts, " ")
	if per, ok := titlePeriod(p.res.Title); ok {
		p.res.Period = per
	}
}

var monthNames = map[string]time.Month{}

func init() {
	for m := time.January; m <= time.December; m++ {
		monthNames[strings.ToLower(m.String())] = m
		monthNames[strings.ToLower(m.String()[:3])] = m
	}
	monthNames["sept"] = time.September
}

// titlePeriod maps "(September, 2014)" to the fiscal period of that month: Apple names its
// fiscal months after the calendar month they mostly cover, October being period 1 of the
// next fiscal year ("October, 2014" is 2015-01; "September, 2014" is 2014-12).
func titlePeriod(title string) (string, bool) {
	m := titleMonthRE.FindStringSubmatch(title)
	if m == nil {
		return "", false
	}
	month, ok := monthNames[strings.ToLower(m[1])]
	if !ok {
		return "", false
	}
	var year int
	fmt.Sscanf(m[2], "%d", &year)
	fy, n := year, (int(month)+2)%12+1
	if month >= time.October {
		fy++
	}
	per, err := fiscal.New(fy, n)
	if err != nil {
		return "", false
	}
	return per.String(), true
}

// isHeader: the line names the region column and at least half of the other required
// columns.
func (p *paymentsParser) isHeader(cells [][]byte) bool {
	region, known := false, 0
	for _, c := range cells {
		i := p.t.ColumnIndex(string(trimCell(c)))
		if i < 0 {
			continue
		}
		if p.t.Columns[i].Name == "region" {
			region = true
		}
		known++
	}
	return region && known >= 5
}

// paymentsNameRE: the simulator's (and a renamed download's) Payments_<vendor>_… name.
var paymentsNameRE = regexp.MustCompile(`^(?i:payments)_([0-9]+)(?:$|[_.])`)

// detectPayments recognises a Payments and Financial Reports CSV by its title or its
// header among the first lines of head.
func detectPayments(fileName string, lines [][]byte) (Detected, bool) {
	t, _ := schemas.Lookup(schemas.FinancePaymentsTable)
	p := &paymentsParser{t: t, res: &PaymentsResult{}}
	var cells [][]byte
	var buf []byte
	found := false
	for i, l := range lines {
		if i >= 40 {
			break
		}
		l = toUTF8(l)
		var err error
		if cells, buf, _, err = splitCSV(cells, buf, l); err != nil || allCellsBlank(cells) {
			continue
		}
		if p.res.Title == "" && bytes.Contains(bytes.ToLower(l), []byte("payments and financial reports")) {
			p.title(cells)
			found = true
			continue
		}
		if p.isHeader(cells) {
			found = true
			break
		}
	}
	if !found {
		return Detected{}, false
	}
	d := Detected{Table: t, Period: p.res.Period}
	base := path.Base(strings.ReplaceAll(fileName, `\`, "/"))
	if m := paymentsNameRE.FindStringSubmatch(base); m != nil {
		d.Vendor = m[1]
	}
	return d, true
}
