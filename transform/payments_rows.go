package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// Rows, paid lines, the checks and the record of a Payments file (payments.go).

var (
	// "Euro-Zone (EUR)", "Americas (USD)", "Rest of World (USD)".
	regionCurrencyRE = regexp.MustCompile(`^(.*?)\s*\(\s*([A-Za-z]{3})\s*\)$`)
	// "234.58 EUR" (the cell `"234.58" EUR` once unquoted), "1,218.14 EUR".
	paidRE = regexp.MustCompile(`^([-+(]?[0-9][0-9,]*(?:\.[0-9]+)?\)?)\s+([A-Z]{3})$`)
)

// setup maps the header cells to columns.
func (p *paymentsParser) setup(line []byte, cells [][]byte) {
	sum := sha256.Sum256(line)
	p.res.HeaderHash = hex.EncodeToString(sum[:])
	used := make([]bool, len(p.t.Columns))
	taken := map[string]bool{schemas.LineageSourceKey: true, schemas.LineageSourceLine: true,
		schemas.LineageReportVersion: true, schemas.LineageExtractedAt: true}
	for _, c := range p.t.Columns {
		taken[c.Name] = true
	}
	for len(cells) > 0 && len(trimCell(cells[len(cells)-1])) == 0 {
		cells = cells[:len(cells)-1] // trailing empty header cells
	}
	p.cols = make([]int, len(cells))
	p.headers = make([]string, len(cells))
	for i, c := range cells {
		h := string(trimCell(c))
		p.headers[i] = h
		if ci := p.t.ColumnIndex(h); ci >= 0 && !used[ci] {
			used[ci] = true
			p.cols[i] = ci
			name := p.t.Columns[ci].Name
			if name == "region" && strings.HasSuffix(schemas.ColumnName(h), "_currency") {
				p.splitReg = true
			}
			if name == "currency" {
				p.explicitC = true
			}
			continue
		}
		name := schemas.ColumnName(h)
		if name == "" {
			name = fmt.Sprintf("column_%d", i+1)
		}
		for base, k := name, 2; taken[name]; k++ {
			name = fmt.Sprintf("%s_%d", base, k)
		}
		taken[name] = true
		p.cols[i] = len(p.t.Columns) + len(p.extra)
		p.extra = append(p.extra, name)
		p.res.Drift.Unknown = append(p.res.Drift.Unknown, h)
	}
	for i, c := range p.t.Columns {
		if used[i] || c.Optional || (c.Name == "currency" && p.splitReg) {
			continue
		}
		p.res.Drift.Missing = append(p.res.Drift.Missing, c.Header)
	}
}

// line handles one non-blank line after the header: a data row, a paid total or a Paid to.
func (p *paymentsParser) line(cells [][]byte, n int) error {
	first := trimCell(cells[0])
	for _, c := range cells {
		if c = trimCell(c); hasFoldPrefix(c, "paid to") {
			p.paidTo(string(c), n)
			return nil
		}
	}
	if len(first) == 0 {
		for _, c := range cells {
			if m := paidRE.FindSubmatch(trimCell(c)); m != nil {
				return p.paidTotal(m[1], string(m[2]), n)
			}
		}
		p.notes = append(p.notes, fmt.Sprintf("line %d: not a row, paid total or Paid to line: skipped", n))
		return nil
	}
	return p.row(cells, n)
}

func hasFoldPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

func (p *paymentsParser) paidTotal(amount []byte, cur string, n int) error {
	var err error
	p.tmp, err = cleanNumber(p.tmp, amount)
	var v int64
	if err == nil {
		v, err = parseDecimal(p.tmp)
	}
	if err != nil {
		return &ParseError{Key: p.key, Line: n, Column: "paid total", Value: string(amount), Err: err}
	}
	p.res.Paid = append(p.res.Paid, PaidTotal{Line: n, Amount: decimal128.FromI64(v), Currency: cur})
	return nil
}

func (p *paymentsParser) paidTo(text string, n int) {
	if k := len(p.res.Paid) - 1; k >= 0 && p.res.Paid[k].PaidTo == "" {
		p.res.Paid[k].PaidTo = text
		return
	}
	p.res.Paid = append(p.res.Paid, PaidTotal{Line: n, PaidTo: text})
}

// row parses one data row into typed cells.
func (p *paymentsParser) row(cells [][]byte, n int) error {
	if len(cells) > len(p.cols) && !allCellsBlank(cells[len(p.cols):]) {
		return &ParseError{Key: p.key, Line: n, Err: fmt.Errorf("%w: row has %d cells, header has %d", ErrRowShape, len(cells), len(p.cols))}
	}
	vals := make([]pval, len(p.t.Columns)+len(p.extra))
	for i := range vals {
		vals[i].null = true
	}
	for i, ci := range p.cols {
		var v []byte
		if i < len(cells) {
			v = trimCell(cells[i])
		}
		if len(v) == 0 {
			continue
		}
		if ci >= len(p.t.Columns) {
			vals[ci] = pval{s: string(v)}
			continue
		}
		c := p.t.Columns[ci]
		if c.Name == "region" && p.splitReg {
			if m := regionCurrencyRE.FindSubmatch(v); m != nil {
				vals[ci] = pval{s: string(m[1])}
				if cc := p.t.ColumnIndex("Currency"); !p.explicitC && cc >= 0 {
					vals[cc] = pval{s: strings.ToUpper(string(m[2]))}
				}
				continue
			}
			p.notes = append(p.notes, fmt.Sprintf("line %d: %q names no currency in parentheses", n, v))
		}
		pv, err := p.value(c.Kind, v)
		if err != nil {
			return &ParseError{Key: p.key, Line: n, Column: p.headers[i], Value: string(v), Err: err}
		}
		vals[ci] = pv
	}
	p.rows = append(p.rows, vals)
	p.lines = append(p.lines, n)
	return nil
}

func (p *paymentsParser) value(k schemas.Kind, v []byte) (pval, error) {
	if k == schemas.String {
		return pval{s: string(v)}, nil
	}
	var err error
	if p.tmp, err = cleanNumber(p.tmp, v); err != nil {
		return pval{}, err
	}
	var n int64
	switch k {
	case schemas.Int64:
		n, err = parseInt(p.tmp)
	case schemas.Rate:
		n, err = parseScaled(p.tmp, schemas.RateScale)
	default:
		n, err = parseDecimal(p.tmp)
	}
	return pval{n: n}, err
}

// assignPaid copies the paid total (amount, currency, Paid to) onto the rows it pays: the
// one paid total, or the one in the row's bank account currency.
func (p *paymentsParser) assignPaid() {
	bank := p.t.ColumnIndex("Bank Account Currency")
	amt, cur, to := p.t.ColumnIndex("Paid Amount"), p.t.ColumnIndex("Paid Currency"), p.t.ColumnIndex("Paid To")
	var withAmount []PaidTotal
	for _, pt := range p.res.Paid {
		if pt.Currency != "" {
			withAmount = append(withAmount, pt)
		}
	}
	for _, vals := range p.rows {
		var pick *PaidTotal
		for i := range withAmount {
			if !vals[bank].null && withAmount[i].Currency == vals[bank].s {
				pick = &withAmount[i]
				break
			}
		}
		if pick == nil && len(withAmount) == 1 && vals[bank].null {
			pick = &withAmount[0]
		}
		if pick == nil && len(p.res.Paid) == 1 && p.res.Paid[0].Currency == "" {
			vals[to] = pval{s: p.res.Paid[0].PaidTo}
		}
		if pick == nil {
			continue
		}
		vals[amt] = pval{n: int64(pick.Amount.LowBits())}
		vals[cur] = pval{s: pick.Currency}
		if pick.PaidTo != "" {
			vals[to] = pval{s: pick.PaidTo}
		}
	}
}

// check compares the file's totals: Σ Proceeds per bank currency with the paid total, and
// Total Owed with Pre-Tax Subtotal + Input Tax + Adjustments + Withholding Tax (or + Taxes
// and Adjustments, in layouts that net them). Differences are notes.
func (p *paymentsParser) check() {
	col := func(h string) int { return p.t.ColumnIndex(h) }
	bank, proceeds := col("Bank Account Currency"), col("Proceeds")
	sums := map[string]int64{}
	var order []string
	for _, v := range p.rows {
		if v[proceeds].null {
			continue
		}
		c := v[bank].s
		if _, ok := sums[c]; !ok {
			order = append(order, c)
		}
		sums[c] += v[proceeds].n
	}
	paid := map[string]bool{}
	for _, pt := range p.res.Paid {
		if pt.Currency == "" {
			continue
		}
		paid[pt.Currency] = true
		if got := sums[pt.Currency]; decimal128.FromI64(got) != pt.Amount {
			p.notes = append(p.notes, fmt.Sprintf("line %d: paid total %s %s, the rows' Proceeds in %s sum to %s",
				pt.Line, formatDecimal(pt.Amount), pt.Currency, pt.Currency, formatDecimal(decimal128.FromI64(got))))
		}
	}
	for _, c := range order {
		if !paid[c] {
			p.notes = append(p.notes, fmt.Sprintf("no paid total line for the Proceeds in %q (%s)", c, formatDecimal(decimal128.FromI64(sums[c]))))
		}
	}
	owed, pre, net := col("Total Owed"), col("Pre-Tax Subtotal"), col("Taxes and Adjustments")
	parts := []int{col("Input Tax"), col("Adjustments"), col("Withholding Tax")}
	for k, v := range p.rows {
		if v[owed].null || v[pre].null {
			continue
		}
		want := v[pre].n
		terms := parts
		if !v[net].null {
			terms = []int{net}
		}
		for _, i := range terms {
			want += v[i].n // a null term is zero
		}
		if want != v[owed].n {
			p.notes = append(p.notes, fmt.Sprintf("line %d: Total Owed %s, Pre-Tax Subtotal with taxes and adjustments make %s",
				p.lines[k], formatDecimal(decimal128.FromI64(v[owed].n)), formatDecimal(decimal128.FromI64(want))))
		}
	}
}

// record builds the Arrow record of the rows.
func (p *paymentsParser) record(alloc memory.Allocator, extractedAt time.Time) arrow.RecordBatch {
	rb := array.NewRecordBuilder(alloc, p.t.ArrowSchema(p.extra))
	defer rb.Release()
	rb.Reserve(len(p.rows))
	at := lineageTime(extractedAt)
	n := len(p.t.Columns) + len(p.extra)
	for k, vals := range p.rows {
		for j, v := range vals {
			b := rb.Field(j)
			if v.null {
				b.AppendNull()
				continue
			}
			switch b := b.(type) {
			case *array.StringBuilder:
				b.Append(v.s)
			case *array.Int64Builder:
				b.Append(v.n)
			case *array.Decimal128Builder:
				b.Append(decimal128.FromI64(v.n))
			}
		}
		rb.Field(n).(*array.StringBuilder).Append(p.key)
		rb.Field(n + 1).(*array.Int64Builder).Append(int64(p.lines[k]))
		rb.Field(n + 2).(*array.StringBuilder).Append("")
		rb.Field(n + 3).(*array.TimestampBuilder).Append(at)
	}
	return rb.NewRecordBatch()
}
