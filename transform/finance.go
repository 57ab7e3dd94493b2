package transform

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/ascetl/etl/schemas"
)

// Finance files carry their own checksums: FINANCIAL ends each block with Total_Rows,
// Total_Amount (Σ Extended Partner Share) and Total_Units (Σ Quantity); FINANCE_DETAIL ends
// with a per-country/currency summary table. Both are verified exactly against the rows.

const (
	stData    = iota // reading data rows
	stFooter         // after a Total_ line: more footers or a repeated header
	stSummary        // FINANCE_DETAIL summary rows
)

// summaryHeader is the normalized FINANCE_DETAIL summary header.
var summaryHeader = []string{"country_of_sale", "partner_share_currency", "quantity", "extended_partner_share"}

type group struct {
	country, currency string
	qty               int64
	amt               decimal128.Num
	seen              bool
}

type financeState struct {
	layout  schemas.Layout
	state   int
	qty     int // header cell of the units column, -1 if absent
	amt     int // header cell of the extended amount, -1 if absent
	country int
	curr    int
	qtyHdr  string
	amtHdr  string

	rows     int64 // data rows of the current block
	sumQty   int64
	sumAmt   decimal128.Num
	groups   map[string]*group
	order    []*group
	keyBuf   []byte
	tmp      [][]byte
	summary  bool
	sumStart int // line of the summary header
}

func newFinanceState(r *Reader) *financeState {
	f := &financeState{layout: r.t.Layout, qty: -1, amt: -1, country: -1, curr: -1}
	find := func(name string, kind schemas.Kind) int {
		for i, c := range r.cells {
			if c.col < len(r.t.Columns) && r.t.Columns[c.col].Name == name && c.out.kind == kind {
				return i
			}
		}
		return -1
	}
	f.qty = find(r.t.UnitsColumn, schemas.Int64)
	if p := r.t.Proceeds; p != nil && p.Quantity == "" {
		f.amt = find(p.Amount, schemas.Decimal)
		f.curr = find(p.Currency, schemas.String)
	}
	f.country = find("country_of_sale", schemas.String)
	if f.qty >= 0 {
		f.qtyHdr = r.cells[f.qty].header
	}
	if f.amt >= 0 {
		f.amtHdr = r.cells[f.amt].header
	}
	if f.layout == schemas.FinanceDetail {
		f.groups = map[string]*group{}
	}
	return f
}

func isFooter(line []byte) bool {
	return bytes.HasPrefix(trimSpaces(firstCell(line)), []byte("Total_"))
}

func (f *financeState) handle(r *Reader, line []byte) error {
	if isFooter(line) {
		return f.footer(r, line)
	}
	switch f.state {
	case stFooter:
		if f.layout == schemas.Financial && r.isHeader(line) {
			f.rows, f.sumQty, f.sumAmt = 0, 0, decimal128.Num{}
			f.state = stData
			return nil
		}
		return &ParseError{Key: r.opt.Key, Line: r.line, Err: errors.New("line after the Total_ footer is neither a footer nor a repeated header")}
	case stSummary:
		return f.summaryRow(r, line)
	}
	if f.layout == schemas.FinanceDetail && bytes.Count(line, []byte{'\t'}) < 8 && f.isSummaryHeader(line) {
		f.state, f.summary, f.sumStart = stSummary, true, r.line
		return nil
	}
	if err := r.row(line); err != nil {
		return err
	}
	f.accumulate(r.fields)
	return nil
}

// accumulate adds a parsed (so valid) row to the block sums and detail groups.
func (f *financeState) accumulate(fs [][]byte) {
	f.rows++
	var q int64
	var a decimal128.Num
	if f.qty >= 0 {
		if v := trimSpaces(fs[f.qty]); !isNull(v) {
			q, _ = parseInt(v)
			f.sumQty += q
		}
	}
	if f.amt >= 0 {
		if v := trimSpaces(fs[f.amt]); !isNull(v) {
			n, _ := parseDecimal(v)
			a = decimal128.FromI64(n)
			f.sumAmt = f.sumAmt.Add(a)
		}
	}
	if f.groups == nil || f.country < 0 || f.curr < 0 {
		return
	}
	f.keyBuf = append(append(append(f.keyBuf[:0], trimSpaces(fs[f.country])...), '\t'), trimSpaces(fs[f.curr])...)
	g := f.groups[string(f.keyBuf)]
	if g == nil {
		g = &group{country: string(trimSpaces(fs[f.country])), currency: string(trimSpaces(fs[f.curr]))}
		f.groups[string(f.keyBuf)] = g
		f.order = append(f.order, g)
	}
	g.qty += q
	g.amt = g.amt.Add(a)
}

// footer verifies one Total_ line against the block's rows.
func (f *financeState) footer(r *Reader, line []byte) error {
	f.tmp = splitTabs(f.tmp, line)
	key := trimSpaces(f.tmp[0])
	var val []byte
	if len(f.tmp) > 1 {
		val = trimSpaces(f.tmp[1])
	}
	if i := bytes.IndexByte(key, ':'); i >= 0 { // 2009-era "Total_Amount:123.45"
		if len(val) == 0 {
			val = trimSpaces(key[i+1:])
		}
		key = trimSpaces(key[:i])
	}
	if f.state != stSummary {
		f.state = stFooter
	}
	perr := func(err error) error {
		return &ParseError{Key: r.opt.Key, Line: r.line, Column: string(key), Value: string(val), Err: err}
	}
	switch string(key) {
	case "Total_Rows":
		n, err := parseInt(val)
		if err != nil {
			return perr(err)
		}
		if n != f.rows {
			return perr(fmt.Errorf("%w: %d data rows read", ErrFooterMismatch, f.rows))
		}
	case "Total_Amount":
		if f.amt < 0 {
			return nil
		}
		n, err := parseBigDecimal(val)
		if err != nil {
			return perr(err)
		}
		if n != f.sumAmt {
			return perr(fmt.Errorf("%w: %s of the rows sums to %s", ErrFooterMismatch, f.amtHdr, formatDecimal(f.sumAmt)))
		}
	case "Total_Units":
		if f.qty < 0 {
			return nil
		}
		n, err := parseInt(val)
		if err != nil {
			return perr(err)
		}
		if n != f.sumQty {
			return perr(fmt.Errorf("%w: %s of the rows sums to %d", ErrFooterMismatch, f.qtyHdr, f.sumQty))
		}
	}
	return nil
}

func (f *financeState) isSummaryHeader(line []byte) bool {
	f.tmp = splitTabs(f.tmp, line)
	fs := f.tmp
	for len(fs) > 0 && len(trimSpaces(fs[len(fs)-1])) == 0 {
		fs = fs[:len(fs)-1]
	}
	if len(fs) != len(summaryHeader) {
		return false
	}
	for i, c := range fs {
		if schemas.ColumnName(string(c)) != summaryHeader[i] {
			return false
		}
	}
	return true
}

// summaryRow checks one FINANCE_DETAIL summary row against the data rows.
func (f *financeState) summaryRow(r *Reader, line []byte) error {
	f.tmp = splitTabs(f.tmp, line)
	fs := f.tmp
	if len(fs) < 4 || !allBlank(fs[4:]) {
		return &ParseError{Key: r.opt.Key, Line: r.line, Err: fmt.Errorf("%w: summary row has %d fields, summary header has 4", ErrRowShape, len(fs))}
	}
	if f.country < 0 || f.curr < 0 || f.qty < 0 || f.amt < 0 {
		return &ParseError{Key: r.opt.Key, Line: r.line, Err: fmt.Errorf("%w: cannot verify the summary, the header lacks Country of Sale, Partner Share Currency, Quantity or Extended Partner Share", ErrSummary)}
	}
	country, curr := trimSpaces(fs[0]), trimSpaces(fs[1])
	qv, av := trimSpaces(fs[2]), trimSpaces(fs[3])
	q, err := parseInt(qv)
	if err != nil {
		return &ParseError{Key: r.opt.Key, Line: r.line, Column: "Quantity", Value: string(fs[2]), Err: err}
	}
	a, err := parseBigDecimal(av)
	if err != nil {
		return &ParseError{Key: r.opt.Key, Line: r.line, Column: "Extended Partner Share", Value: string(fs[3]), Err: err}
	}
	f.keyBuf = append(append(append(f.keyBuf[:0], country...), '\t'), curr...)
	what := string(country) + " " + string(curr)
	g := f.groups[string(f.keyBuf)]
	switch {
	case g == nil:
		return &ParseError{Key: r.opt.Key, Line: r.line, Value: what, Err: fmt.Errorf("%w: no data rows for", ErrSummary)}
	case g.seen:
		return &ParseError{Key: r.opt.Key, Line: r.line, Value: what, Err: fmt.Errorf("%w: second summary row for", ErrSummary)}
	case g.qty != q:
		return &ParseError{Key: r.opt.Key, Line: r.line, Column: "Quantity", Value: string(qv),
			Err: fmt.Errorf("%w: rows for %s sum to %d", ErrSummary, what, g.qty)}
	case g.amt != a:
		return &ParseError{Key: r.opt.Key, Line: r.line, Column: "Extended Partner Share", Value: string(av),
			Err: fmt.Errorf("%w: rows for %s sum to %s", ErrSummary, what, formatDecimal(g.amt))}
	}
	g.seen = true
	return nil
}

// finish runs at the end of the file: every data group must have had a summary row.
// A file without a summary (or a FINANCIAL block without footer) is accepted unverified.
func (f *financeState) finish(r *Reader) error {
	if !f.summary {
		return nil
	}
	for _, g := range f.order {
		if !g.seen {
			return &ParseError{Key: r.opt.Key, Line: r.line, Value: g.country + " " + g.currency,
				Err: fmt.Errorf("%w: no summary row for", ErrSummary)}
		}
	}
	return nil
}
