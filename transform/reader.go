// Package transform turns a decompressed Apple report (tab-separated text) into Arrow
// record batches typed by its schemas.Table, streaming with bounded memory: at most one
// batch of Options.BatchRows rows is held at a time.
//
// Columns are mapped by header name, never by position. Unknown columns are kept as utf8
// and reported as drift; expected columns missing from the header are null and reported.
// For a table with layout versions (schemas.Table.Versions) "expected" means expected by
// the version the header matches best (Reader.Layout), not by the newest one. Text cells
// that are not valid UTF-8 are read as Windows-1252 (encoding.go).
// A bad value stops the reader with a *ParseError naming key, line and column.
package transform

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// DefaultBatchRows is the batch size when Options.BatchRows is zero.
const DefaultBatchRows = 16384

// firstReserve caps the rows reserved for the first batch, so small files stay small.
const firstReserve = 1024

// maxPreambleLines bounds the search for a FINANCE_DETAIL header.
const maxPreambleLines = 200

// Options configure a Reader.
type Options struct {
	Key         string    // raw object key, for lineage and error messages
	Version     string    // report version, e.g. "1_0"
	ExtractedAt time.Time // when the payload was downloaded
	Alloc       memory.Allocator
	BatchRows   int // rows per record batch; DefaultBatchRows if 0
	// ReportDate is the value of the table's PeriodColumn (sales: report_date, the first
	// day the report covers) in every row; null when zero.
	ReportDate time.Time
}

// Drift is how the file's header differs from the table, or from its layout version when
// the table has versions.
type Drift struct {
	Unknown []string // header cells not in the schema, kept as extra utf8 columns
	Missing []string // non-optional headers (of the layout version) absent from the file: all null
	// Added are header cells the table knows (typed as usual) that the file's layout
	// version does not have; Renamed are cells matched under another spelling than the
	// layout version's. Both are empty for tables without layout versions.
	Added   []string
	Renamed []string
}

// builder is one output column with its typed Arrow builder.
type builder struct {
	kind schemas.Kind
	// dataLen is the string bytes of the previous batch: the next one reserves as much, so
	// the values buffer does not grow (and get copied and cleared) by doubling.
	dataLen int
	sb      *array.StringBuilder
	ib      *array.Int64Builder
	db      *array.Decimal128Builder
	dt      *array.Date32Builder
}

func (b *builder) appendNull() {
	switch b.kind {
	case schemas.Int64:
		b.ib.AppendNull()
	case schemas.Decimal:
		b.db.AppendNull()
	case schemas.DateMDY, schemas.DateISO:
		b.dt.AppendNull()
	default:
		b.sb.AppendNull()
	}
}

// cell is what to do with one header position.
type cell struct {
	out    *builder
	col    int // index into the output schema
	header string
}

// Reader streams record batches from one report file.
type Reader struct {
	t   *schemas.Table
	opt Options
	br  *bufio.Reader

	long  []byte // assembles lines longer than the bufio buffer
	line  int    // physical lines read so far
	eof   bool
	key   []byte
	ver   []byte
	at    arrow.Timestamp
	batch int

	cells      []cell
	layout     string // name of the matched layout version ("" without versions)
	headerNorm []string
	headerHash string
	missing    []*builder
	drift      Drift
	preamble   map[string]string
	fin        *financeState
	text       textDecoder // Windows-1252 lines transcoded (encoding.go)

	schema  *arrow.Schema
	rb      *array.RecordBuilder // the columns that vary by row: data and _source_line
	linLine *array.Int64Builder
	consts  *constColumns // _source_key, _report_version, _extracted_at

	outs    []*builder
	fields  [][]byte
	pending int
	rows    int64
	rec     arrow.RecordBatch
	err     error
	done    bool
}

// NewReader reads the preamble (if any) and the header line of r, which must be the
// decompressed report, and prepares the schema. Rows are read by Next.
func NewReader(r io.Reader, t *schemas.Table, opt Options) (*Reader, error) {
	if t == nil {
		return nil, errors.New("transform: nil table")
	}
	if t.Layout == schemas.Derived || t.Layout == schemas.PaymentsCSV {
		return nil, fmt.Errorf("transform: table %s is not read by NewReader (see SummaryRecord, ParsePayments)", t.Name)
	}
	if opt.Alloc == nil {
		opt.Alloc = memory.DefaultAllocator
	}
	if opt.BatchRows <= 0 {
		opt.BatchRows = DefaultBatchRows
	}
	rd := &Reader{
		t: t, opt: opt,
		br:    bufio.NewReaderSize(r, 256<<10),
		key:   []byte(opt.Key),
		ver:   []byte(opt.Version),
		at:    arrow.Timestamp(opt.ExtractedAt.UTC().UnixMicro()),
		batch: min(opt.BatchRows, firstReserve),
	}
	header, err := rd.readHeader()
	if err != nil {
		return nil, err
	}
	if err := rd.setup(header); err != nil {
		return nil, err
	}
	if t.Layout != schemas.Plain {
		rd.fin = newFinanceState(rd)
	}
	return rd, nil
}

// Schema is the Arrow schema of every batch: table columns, unknown columns, lineage.
func (r *Reader) Schema() *arrow.Schema { return r.schema }

// RecordBatch is the current batch, valid until the next call to Next or Release.
func (r *Reader) RecordBatch() arrow.RecordBatch { return r.rec }

// Err is the error that stopped the reader, if any.
func (r *Reader) Err() error { return r.err }

// Rows is the number of data rows returned so far.
func (r *Reader) Rows() int64 { return r.rows }

// Drift reports header differences from the table.
func (r *Reader) Drift() Drift { return r.drift }

// Layout is the name of the layout version the header matched, e.g. "SALES/SUMMARY 2014"
// or "SUBSCRIPTION/SUMMARY 1_2"; "" for tables without layout versions.
func (r *Reader) Layout() string { return r.layout }

// HeaderHash is the hex SHA-256 of the header line (without its line ending).
func (r *Reader) HeaderHash() string { return r.headerHash }

// Preamble is the key/value lines before a FINANCE_DETAIL header (nil for other layouts).
func (r *Reader) Preamble() map[string]string { return r.preamble }

// Release frees the current batch and the builders. The Reader is unusable afterwards.
func (r *Reader) Release() {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.rb != nil {
		r.rb.Release()
		r.rb = nil
	}
	r.consts.release()
	r.done = true
}

// Next reads the next batch; false at the end or on error (see Err).
func (r *Reader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.err != nil || r.done || r.rb == nil {
		return false
	}
	for r.pending < r.opt.BatchRows {
		line, err := r.readLine()
		if err == io.EOF {
			if r.fin != nil {
				if err := r.fin.finish(r); err != nil {
					r.err = err
					return false
				}
			}
			r.done = true
			break
		}
		if err == nil {
			err = r.handle(line)
		}
		if err != nil {
			r.err = err
			return false
		}
	}
	if r.pending == 0 {
		return false
	}
	for _, b := range r.outs {
		if b.sb != nil {
			b.dataLen = b.sb.DataLen()
		}
	}
	r.rec = r.batchOf(r.rb.NewRecordBatch())
	r.rows += int64(r.pending)
	r.pending = 0
	r.batch = r.opt.BatchRows
	return true
}

// setup maps header cells to columns and creates the builders.
func (r *Reader) setup(line []byte) error {
	t := r.t
	sum := sha256.Sum256(line)
	r.headerHash = hex.EncodeToString(sum[:])
	raw := splitTabs(nil, line)
	for len(raw) > 0 && len(trimSpaces(raw[len(raw)-1])) == 0 {
		raw = raw[:len(raw)-1] // trailing empty header cells: rows may carry empty fields there
	}
	used := make([]bool, len(t.Columns))
	next := map[string]int{}
	taken := map[string]bool{schemas.LineageSourceKey: true, schemas.LineageSourceLine: true,
		schemas.LineageReportVersion: true, schemas.LineageExtractedAt: true}
	for _, c := range t.Columns {
		taken[c.Name] = true
	}
	var extra []string
	r.cells = make([]cell, len(raw))
	r.headerNorm = make([]string, len(raw))
	recognised := 0
	headers := make([]string, len(raw))
	for i, h := range raw {
		header := string(toUTF8(trimSpaces(h)))
		headers[i] = header
		r.headerNorm[i] = schemas.ColumnName(header)
		r.cells[i].header = header
		if ci := t.ColumnIndex(header); ci >= 0 && !used[ci] {
			used[ci] = true
			r.cells[i].col = ci
			if !t.Columns[ci].Optional {
				recognised++
			}
			continue
		}
		name := r.headerNorm[i]
		if name == "" {
			name = fmt.Sprintf("column_%d", i+1)
		}
		name = uniqueName(taken, next, name)
		r.cells[i].col = len(t.Columns) + len(extra)
		extra = append(extra, name)
		r.drift.Unknown = append(r.drift.Unknown, header)
	}
	required := 0
	if m, ok := t.MatchLayout(headers, r.opt.Version); ok {
		r.layout = m.Layout.Name
		r.drift.Missing, r.drift.Added, r.drift.Renamed = m.Missing, m.Added, m.Renamed
		for _, h := range m.Layout.Headers {
			if i := t.ColumnIndex(h); i < 0 || !t.Columns[i].Optional {
				required++
			}
		}
		recognised = required - len(m.Missing)
	} else {
		for i, c := range t.Columns {
			if !c.Optional {
				required++
				if !used[i] {
					r.drift.Missing = append(r.drift.Missing, c.Header)
				}
			}
		}
	}
	if recognised*2 < required {
		return &ParseError{Key: r.opt.Key, Line: r.line, Err: fmt.Errorf(
			"header does not match table %s (%d of %d expected columns recognised)", t.Name, recognised, required)}
	}

	r.schema = t.ArrowSchema(extra)
	// The builders fill the columns that vary by row; the lineage constants (key,
	// version, extraction time) are shared arrays attached to each batch (constcols.go).
	fs := r.schema.Fields()
	nData := len(t.Columns) + len(extra)
	lineCol := r.schema.FieldIndices(schemas.LineageSourceLine)[0]
	r.rb = array.NewRecordBuilder(r.opt.Alloc, arrow.NewSchema(append(fs[:nData:nData], fs[lineCol]), nil))
	outs := make([]*builder, len(t.Columns)+len(extra))
	for j := range outs {
		k := schemas.String
		if j < len(t.Columns) {
			k = t.Columns[j].Kind
		}
		b := &builder{kind: k}
		switch k {
		case schemas.Int64:
			b.ib = r.rb.Field(j).(*array.Int64Builder)
		case schemas.Decimal:
			b.db = r.rb.Field(j).(*array.Decimal128Builder)
		case schemas.DateMDY, schemas.DateISO:
			b.dt = r.rb.Field(j).(*array.Date32Builder)
		default:
			b.sb = r.rb.Field(j).(*array.StringBuilder)
		}
		outs[j] = b
	}
	r.outs = outs
	for i := range r.cells {
		r.cells[i].out = outs[r.cells[i].col]
	}
	for i := range t.Columns {
		if !used[i] {
			r.missing = append(r.missing, outs[i])
		}
	}
	r.linLine = r.rb.Field(len(outs)).(*array.Int64Builder)
	r.consts = newConstColumns(string(r.key), string(r.ver), r.at, t.PeriodColumn != "", r.opt.ReportDate)
	return nil
}

// reserve prepares the builders for a batch: r.batch rows, and for each string column
// the bytes its previous batch took (plus an eighth).
func (r *Reader) reserve() {
	r.rb.Reserve(r.batch)
	for _, b := range r.outs {
		if b.sb != nil && b.dataLen > 0 {
			b.sb.ReserveData(b.dataLen + b.dataLen/8)
		}
	}
}

// handle dispatches one line after the header.
func (r *Reader) handle(line []byte) error {
	if blank(line) {
		return nil
	}
	if r.fin != nil {
		return r.fin.handle(r, line)
	}
	if bytes.HasPrefix(trimSpaces(firstCell(line)), []byte("Total")) &&
		bytes.Count(line, []byte{'\t'})+1 != len(r.cells) {
		return nil // a total line of some sales eras; a full-width row is data
	}
	return r.row(line)
}

// row parses one data row into the builders; r.fields holds its cells afterwards.
func (r *Reader) row(line []byte) error {
	fs := splitTabs(r.fields, line)
	r.fields = fs
	nh := len(r.cells)
	if len(fs) != nh {
		// Extra empty trailing fields are tolerated (some files pad rows with tabs), unless
		// a field opens a quote it does not close: then a tab inside a quoted value split
		// it, and the fields after it are shifted (a Title holding a tab would otherwise
		// put "1F" into Units).
		q := openQuote(fs)
		if len(fs) < nh || !allBlank(fs[nh:]) || q >= 0 {
			err := fmt.Errorf("%w: row has %d fields, header has %d", ErrRowShape, len(fs), nh)
			if q >= 0 && len(fs) > nh {
				err = fmt.Errorf("%w (field %d, %q, opens a quote: a tab inside a quoted value?)", err, q+1, fs[q][:min(len(fs[q]), 40)])
			}
			return &ParseError{Key: r.opt.Key, Line: r.line, Err: err}
		}
	}
	if r.pending == 0 {
		r.reserve()
	}
	for i := 0; i < nh; i++ {
		c := &r.cells[i]
		v := trimSpaces(fs[i])
		if isNull(v) {
			c.out.appendNull()
			continue
		}
		var err error
		switch c.out.kind {
		case schemas.String:
			c.out.sb.BinaryBuilder.Append(toUTF8(v))
		case schemas.Int64:
			var n int64
			if n, err = parseInt(v); err == nil {
				c.out.ib.Append(n)
			}
		case schemas.Decimal:
			var n int64
			if n, err = parseDecimal(v); err == nil {
				c.out.db.Append(decimal128.FromI64(n))
			}
		case schemas.DateMDY:
			var d arrow.Date32
			if d, err = parseDateMDY(v); err == nil {
				c.out.dt.Append(d)
			}
		case schemas.DateISO:
			var d arrow.Date32
			if d, err = parseDateISO(v); err == nil {
				c.out.dt.Append(d)
			}
		}
		if err != nil {
			return &ParseError{Key: r.opt.Key, Line: r.line, Column: c.header, Value: string(fs[i]), Err: err}
		}
	}
	for _, b := range r.missing {
		b.appendNull()
	}
	r.linLine.Append(int64(r.line))
	r.pending++
	return nil
}
