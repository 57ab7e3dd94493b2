package transform

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/ascetl/etl/schemas"
)

// Finance files carry their own checksums. A FINANCIAL block ends with Total_Rows,
// Total_Amount and Total_Units; these are verified exactly against the block's rows, and a
// mismatch fails the file. FINANCE_DETAIL and the consolidated ZZ FINANCIAL file end with a
// per-country/currency summary table; it is kept (Reader.Summary) and compared with the
// rows, and differences are notes (Reader.Checks), never errors (finance_summary.go).
//
// Footer semantics, checked against real Apple files (REFERENCE.md §B.9): Total_Amount is
// the net Σ Extended Partner Share, refunds included; Total_Units is Σ Quantity of the sale
// rows only ("Sales or Return" ≠ R): a Euro-zone file with one R row of -1 has rows netting
// to 19 and Total_Units 20. Some files show the net units instead, so either is accepted.
// A ZZ file (several currencies) has a lone Total_Rows line, followed directly by its
// summary table.

const (
	stData    = iota // reading data rows
	stFooter         // after a Total_ line: more footers, a repeated header or a summary
	stSummary        // summary rows
)

// summaryHeader is the normalized header of the per-country summary table.
var summaryHeader = []string{"country_of_sale", "partner_share_currency", "quantity", "extended_partner_share"}

// Footer is one FINANCIAL block's Total_ lines as Apple wrote them (nil: the block has no
// such line), with what the block's rows add up to. Amounts are unscaled at
// schemas.DecimalScale.
type Footer struct {
	Line        int // line of the block's first Total_ line
	TotalRows   *int64
	TotalAmount *decimal128.Num
	TotalUnits  *int64
	Rows        int64          // data rows of the block
	SaleUnits   int64          // Σ Quantity of the sale rows (Sales or Return other than R)
	NetUnits    int64          // Σ Quantity of all rows, refunds included
	NetAmount   decimal128.Num // Σ Extended Partner Share of all rows
}

// group is the rows of one country and currency, for the summary comparison.
type group struct {
	country, currency string
	net, sale         int64
	amt               decimal128.Num
	seen              bool
}

// blockSums are the running totals of the current FINANCIAL block.
type blockSums struct {
	rows, sale, net int64
	amt             decimal128.Num
}

type financeState struct {
	layout  schemas.Layout
	typ     string // report type of the table, for SummaryRow.ReportType
	state   int
	qty     int // header cell of the units column, -1 if absent
	amt     int // header cell of the extended amount, -1 if absent
	country int
	curr    int
	sr      int // header cell of Sales or Return, -1 if absent
	qtyHdr  string
	amtHdr  string

	block   blockSums
	footers []Footer
	groups  map[string]*group
	order   []*group
	keyBuf  []byte
	tmp     [][]byte

	summarySeen bool
	summary     []SummaryRow
	notes       []string

	lastLine int    // the last non-blank line read, for the message of a file that ends early
	lastText []byte // its start
}

func newFinanceState(r *Reader) *financeState {
	f := &financeState{layout: r.t.Layout, typ: r.t.Type, qty: -1, amt: -1, country: -1, curr: -1, sr: -1,
		groups: map[string]*group{}}
	find := func(kind schemas.Kind, names ...string) int {
		for i, c := range r.cells {
			for _, name := range names {
				if c.col < len(r.t.Columns) && r.t.Columns[c.col].Name == name && c.out.kind == kind {
					return i
				}
			}
		}
		return -1
	}
	f.qty = find(schemas.Int64, r.t.UnitsColumn)
	if p := r.t.Proceeds; p != nil && p.Quantity == "" {
		f.amt = find(schemas.Decimal, p.Amount)
		f.curr = find(schemas.String, p.Currency)
	}
	f.country = find(schemas.String, "country_of_sale")
	f.sr = find(schemas.String, "sales_or_return", "sale_or_return")
	if f.qty >= 0 {
		f.qtyHdr = r.cells[f.qty].header
	}
	if f.amt >= 0 {
		f.amtHdr = r.cells[f.amt].header
	}
	return f
}

func isFooter(line []byte) bool {
	return bytes.HasPrefix(trimSpaces(firstCell(line)), []byte("Total_"))
}

func (f *financeState) handle(r *Reader, line []byte) error {
	f.lastLine = r.line
	f.lastText = append(f.lastText[:0], line[:min(len(line), 60)]...)
	if isFooter(line) {
		return f.footer(r, line)
	}
	switch f.state {
	case stFooter:
		if f.layout == schemas.Financial && r.isHeader(line) {
			f.block = blockSums{}
			f.state = stData
			return nil
		}
		if f.isSummaryHeader(line) {
			f.state, f.summarySeen = stSummary, true
			return nil
		}
		return &ParseError{Key: r.opt.Key, Line: r.line, Err: errors.New("line after the Total_ footer is neither a footer, a repeated header nor a summary header")}
	case stSummary:
		return f.summaryRow(r, line)
	}
	if bytes.Count(line, []byte{'\t'}) < 8 && f.isSummaryHeader(line) {
		f.state, f.summarySeen = stSummary, true
		return nil
	}
	if err := r.row(line); err != nil {
		return err
	}
	f.accumulate(r.fields)
	return nil
}

// accumulate adds a parsed (so valid) row to the block sums and the country groups.
func (f *financeState) accumulate(fs [][]byte) {
	f.block.rows++
	var q int64
	var a decimal128.Num
	if f.qty >= 0 {
		if v := trimSpaces(fs[f.qty]); !isNull(v) {
			q, _ = parseInt(v)
		}
	}
	refund := q < 0 // without a Sales or Return column, a negative quantity is a return
	if f.sr >= 0 {
		v := trimSpaces(fs[f.sr])
		refund = len(v) == 1 && (v[0] == 'R' || v[0] == 'r')
	}
	f.block.net += q
	if !refund {
		f.block.sale += q
	}
	if f.amt >= 0 {
		if v := trimSpaces(fs[f.amt]); !isNull(v) {
			n, _ := parseDecimal(v)
			a = decimal128.FromI64(n)
			f.block.amt = f.block.amt.Add(a)
		}
	}
	if f.country < 0 || f.curr < 0 {
		return
	}
	f.keyBuf = append(append(append(f.keyBuf[:0], trimSpaces(fs[f.country])...), '\t'), trimSpaces(fs[f.curr])...)
	g := f.groups[string(f.keyBuf)]
	if g == nil {
		g = &group{country: string(trimSpaces(fs[f.country])), currency: string(trimSpaces(fs[f.curr]))}
		f.groups[string(f.keyBuf)] = g
		f.order = append(f.order, g)
	}
	g.net += q
	if !refund {
		g.sale += q
	}
	g.amt = g.amt.Add(a)
}

// footer records one Total_ line and verifies it against the block's rows.
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
	if f.state == stData || len(f.footers) == 0 {
		b := f.block
		f.footers = append(f.footers, Footer{Line: r.line, Rows: b.rows, SaleUnits: b.sale, NetUnits: b.net, NetAmount: b.amt})
	}
	if f.state != stSummary {
		f.state = stFooter
	}
	ft := &f.footers[len(f.footers)-1]
	perr := func(err error) error {
		return &ParseError{Key: r.opt.Key, Line: r.line, Column: string(key), Value: string(val), Err: err}
	}
	switch string(key) {
	case "Total_Rows":
		n, err := parseInt(val)
		if err != nil {
			return perr(err)
		}
		ft.TotalRows = &n
		if n != ft.Rows {
			return perr(fmt.Errorf("%w: %d data rows read", ErrFooterMismatch, ft.Rows))
		}
	case "Total_Amount":
		n, err := parseBigDecimal(val)
		if err != nil {
			return perr(err)
		}
		ft.TotalAmount = &n
		if f.amt >= 0 && n != ft.NetAmount {
			return perr(fmt.Errorf("%w: %s of the rows sums to %s", ErrFooterMismatch, f.amtHdr, formatDecimal(ft.NetAmount)))
		}
	case "Total_Units":
		n, err := parseInt(val)
		if err != nil {
			return perr(err)
		}
		ft.TotalUnits = &n
		switch {
		case f.qty < 0 || n == ft.SaleUnits || n == ft.NetUnits:
		case ft.SaleUnits == ft.NetUnits:
			return perr(fmt.Errorf("%w: %s of the rows sums to %d", ErrFooterMismatch, f.qtyHdr, ft.NetUnits))
		default:
			return perr(fmt.Errorf("%w: %s of the sale rows sums to %d, of all rows (net of refunds) to %d",
				ErrFooterMismatch, f.qtyHdr, ft.SaleUnits, ft.NetUnits))
		}
	}
	return nil
}

// complete fails a file that ends before its end marker: a download or copy cut at a line
// boundary reads like a shorter report (the finance file cut there loaded 537 of
// 1,072 rows). Decision: a FINANCIAL file is complete when every block of data rows is
// closed by its Total_ footer (a ZZ file by its Total_Rows and summary table); a
// FINANCE_DETAIL file, which has no footer, when its data rows are followed by the summary
// table with at least one row. A file cut inside its footers or its summary table is not
// caught here (the footer check and the summary notes see it). A file with no data rows at
// all is complete: it loads nothing, and the engine holds it when it would replace loaded
// rows (engine/shrink.go).
func (f *financeState) complete(r *Reader) error {
	end := func(what string) error {
		return &ParseError{Key: r.opt.Key, Line: f.lastLine, Err: fmt.Errorf("%s: the file ends at line %d (%q); "+
			"it was cut short, download it again", what, f.lastLine, f.lastText)}
	}
	switch f.layout {
	case schemas.Financial:
		if f.state == stData && (f.block.rows > 0 || len(f.footers) > 0) {
			return end(fmt.Sprintf("no Total_ footer after the data rows of block %d", len(f.footers)+1))
		}
	case schemas.FinanceDetail:
		if f.block.rows > 0 && !f.summarySeen {
			return end("no summary table after the data rows")
		}
		if f.summarySeen && len(f.summary) == 0 && f.block.rows > 0 {
			return end("the summary table has no rows")
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
