package transform

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// The per-country summary table of a FINANCE_DETAIL or consolidated ZZ FINANCIAL file is
// kept as Apple wrote it (table schemas.FinanceSummaryTable) and compared with the rows.
// Decision: a difference is a note, never an error. Real files disagree with their rows:
// a cut-down ZZ file listed 24 countries in its summary while its 15 rows covered fewer.
// The rows stay the data; the Total_ footers (finance.go) remain the checksum that fails a
// file. A summary Quantity matches a group when it equals the net units or the units of
// the sale rows (Apple's Total_Units counts sale rows only; the summary may do either).

// maxNotes caps the summary notes of one file; the rest are counted in a last note.
const maxNotes = 50

// SummaryRow is one line of a finance file's per-country summary table.
type SummaryRow struct {
	Line       int    // physical line in the file
	ReportType string // FINANCIAL or FINANCE_DETAIL
	Country    string // Country Of Sale
	Currency   string // Partner Share Currency
	Quantity   int64
	Amount     decimal128.Num // Extended Partner Share, unscaled at schemas.DecimalScale
}

// Footers returns the Total_ footers of a FINANCIAL file, one per block, once Next has
// returned false (nil for other tables).
func (r *Reader) Footers() []Footer {
	if r.fin == nil {
		return nil
	}
	return r.fin.footers
}

// Summary returns the rows of the file's per-country summary table (FINANCE_DETAIL, ZZ
// FINANCIAL), once Next has returned false; nil when the file has none.
func (r *Reader) Summary() []SummaryRow {
	if r.fin == nil {
		return nil
	}
	return r.fin.summary
}

// Checks returns notes about the file that did not stop it from loading: differences
// between the summary table and the rows, lines transcoded from Windows-1252. Complete once
// Next has returned false; the caller logs or records them.
func (r *Reader) Checks() []string {
	var out []string
	if n := r.text.note(); n != "" {
		out = append(out, n)
	}
	if r.fin != nil {
		out = append(out, r.fin.notes...)
	}
	return out
}

// summaryRow parses one summary row; shape and value errors stop the file.
func (f *financeState) summaryRow(r *Reader, line []byte) error {
	f.tmp = splitTabs(f.tmp, line)
	fs := f.tmp
	if len(fs) < 4 || !allBlank(fs[4:]) {
		return &ParseError{Key: r.opt.Key, Line: r.line, Err: fmt.Errorf("%w: summary row has %d fields, summary header has 4", ErrRowShape, len(fs))}
	}
	q, err := parseInt(trimSpaces(fs[2]))
	if err != nil {
		return &ParseError{Key: r.opt.Key, Line: r.line, Column: "Quantity", Value: string(fs[2]), Err: err}
	}
	a, err := parseDecimal(trimSpaces(fs[3]))
	if err != nil {
		return &ParseError{Key: r.opt.Key, Line: r.line, Column: "Extended Partner Share", Value: string(fs[3]), Err: err}
	}
	f.summary = append(f.summary, SummaryRow{Line: r.line, ReportType: f.typ,
		Country: string(trimSpaces(fs[0])), Currency: string(trimSpaces(fs[1])), Quantity: q, Amount: decimal128.FromI64(a)})
	return nil
}

// finish runs at the end of the file: it refuses a file cut short (complete), then compares
// the summary table, if any, with the rows.
func (f *financeState) finish(r *Reader) error {
	if err := f.complete(r); err != nil {
		return err
	}
	if !f.summarySeen {
		return nil
	}
	if f.country < 0 || f.curr < 0 || f.qty < 0 || f.amt < 0 {
		f.notes = append(f.notes, "summary not compared with the rows: the header lacks Country of Sale, Partner Share Currency, Quantity or Extended Partner Share")
		return nil
	}
	var notes []string
	for _, s := range f.summary {
		what := s.Country + " " + s.Currency
		f.keyBuf = append(append(append(f.keyBuf[:0], s.Country...), '\t'), s.Currency...)
		g := f.groups[string(f.keyBuf)]
		switch {
		case g == nil:
			notes = append(notes, fmt.Sprintf("summary line %d: %s (quantity %d, amount %s) has no data rows",
				s.Line, what, s.Quantity, formatDecimal(s.Amount)))
			continue
		case g.seen:
			notes = append(notes, fmt.Sprintf("summary line %d: second summary row for %s", s.Line, what))
			continue
		}
		g.seen = true
		if s.Quantity != g.net && s.Quantity != g.sale {
			notes = append(notes, fmt.Sprintf("summary line %d: %s quantity %d, the rows sum to %d (sale rows %d)",
				s.Line, what, s.Quantity, g.net, g.sale))
		}
		if s.Amount != g.amt {
			notes = append(notes, fmt.Sprintf("summary line %d: %s extended partner share %s, the rows sum to %s",
				s.Line, what, formatDecimal(s.Amount), formatDecimal(g.amt)))
		}
	}
	for _, g := range f.order {
		if !g.seen {
			notes = append(notes, fmt.Sprintf("rows for %s %s (quantity %d, amount %s) have no summary row",
				g.country, g.currency, g.net, formatDecimal(g.amt)))
		}
	}
	if len(notes) > maxNotes {
		notes = append(notes[:maxNotes], fmt.Sprintf("… and %d more summary differences", len(notes)-maxNotes))
	}
	f.notes = append(f.notes, notes...)
	return nil
}

// SummaryRecord builds the record batch of table t (schemas.FinanceSummaryTable) from the
// summary rows of one file. opt gives the lineage (Key, Version, ExtractedAt); alloc, or
// opt.Alloc when alloc is nil, allocates it. The caller releases the batch. Columns of t
// that a SummaryRow does not carry are null.
func SummaryRecord(alloc memory.Allocator, t *schemas.Table, rows []SummaryRow, opt Options) arrow.RecordBatch {
	if alloc == nil {
		alloc = opt.Alloc
	}
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	rb := array.NewRecordBuilder(alloc, t.ArrowSchema(nil))
	defer rb.Release()
	rb.Reserve(len(rows))
	at := lineageTime(opt.ExtractedAt)
	for _, s := range rows {
		for i, c := range t.Columns {
			appendSummaryCell(rb.Field(i), c.Name, &s)
		}
		n := len(t.Columns)
		rb.Field(n).(*array.StringBuilder).Append(opt.Key)
		rb.Field(n + 1).(*array.Int64Builder).Append(int64(s.Line))
		rb.Field(n + 2).(*array.StringBuilder).Append(opt.Version)
		rb.Field(n + 3).(*array.TimestampBuilder).Append(at)
	}
	return rb.NewRecordBatch()
}

func appendSummaryCell(b array.Builder, name string, s *SummaryRow) {
	switch name {
	case "report_type":
		b.(*array.StringBuilder).Append(s.ReportType)
	case "country_of_sale":
		b.(*array.StringBuilder).Append(s.Country)
	case "partner_share_currency":
		b.(*array.StringBuilder).Append(s.Currency)
	case "quantity":
		b.(*array.Int64Builder).Append(s.Quantity)
	case "extended_partner_share":
		b.(*array.Decimal128Builder).Append(s.Amount)
	default:
		b.AppendNull()
	}
}

// lineageTime is an extraction time as the _extracted_at value.
func lineageTime(t time.Time) arrow.Timestamp { return arrow.Timestamp(t.UTC().UnixMicro()) }

// FootersRecord builds the record of table t (schemas.FinanceFootersTable) from a
// FINANCIAL file's footers, one row per block: the Total_ values as written (null when the
// block has no such line) and what its rows add up to. The caller releases it.
func FootersRecord(alloc memory.Allocator, t *schemas.Table, footers []Footer, opt Options) arrow.RecordBatch {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	rb := array.NewRecordBuilder(alloc, t.ArrowSchema(nil))
	defer rb.Release()
	at := lineageTime(opt.ExtractedAt)
	optInt := func(b array.Builder, v *int64) {
		if v == nil {
			b.AppendNull()
			return
		}
		b.(*array.Int64Builder).Append(*v)
	}
	for i, f := range footers {
		for ci, c := range t.Columns {
			b := rb.Field(ci)
			switch c.Name {
			case "block":
				b.(*array.Int64Builder).Append(int64(i + 1))
			case "total_rows":
				optInt(b, f.TotalRows)
			case "total_units":
				optInt(b, f.TotalUnits)
			case "total_amount":
				if f.TotalAmount == nil {
					b.AppendNull()
				} else {
					b.(*array.Decimal128Builder).Append(*f.TotalAmount)
				}
			case "rows":
				b.(*array.Int64Builder).Append(f.Rows)
			case "sale_units":
				b.(*array.Int64Builder).Append(f.SaleUnits)
			case "net_units":
				b.(*array.Int64Builder).Append(f.NetUnits)
			case "net_amount":
				b.(*array.Decimal128Builder).Append(f.NetAmount)
			default:
				b.AppendNull()
			}
		}
		n := len(t.Columns)
		rb.Field(n).(*array.StringBuilder).Append(opt.Key)
		rb.Field(n + 1).(*array.Int64Builder).Append(int64(f.Line))
		rb.Field(n + 2).(*array.StringBuilder).Append(opt.Version)
		rb.Field(n + 3).(*array.TimestampBuilder).Append(at)
	}
	return rb.NewRecordBatch()
}
