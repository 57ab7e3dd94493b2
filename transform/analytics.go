package transform

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// AnalyticsInstance is the Analytics Reports API instance a set of segments belongs to.
// Its values are written on every row (granularity, processing_date, instance_id,
// access_type): Apple's files do not always carry them.
type AnalyticsInstance struct {
	ID             string // Apple's instance id
	Granularity    string // DAILY, WEEKLY, MONTHLY
	ProcessingDate string // YYYY-MM-DD
	AccessType     string // ONGOING, ONE_TIME_SNAPSHOT
}

// AnalyticsParser turns the segments of one instance (decompressed text) into Arrow record
// batches, one per month of the rows' date: the month is the table's partition, so each
// batch merges into exactly one Parquet object. The whole instance is held in memory (an
// instance is one day, week or month of one report; a snapshot instance is the history).
//
// The delimiter is sniffed from each segment's header line: tab (Apple's documented
// format; cells split on tabs, `""` is null) or comma (App Crashes Expanded; RFC 4180
// quoting). Columns are mapped by header name; unknown columns are kept as text and
// reported as drift; every segment of an instance must have the same columns.
type AnalyticsParser struct {
	t       *schemas.Table
	inst    AnalyticsInstance
	alloc   memory.Allocator
	at      arrow.Timestamp
	dateCol int // index of the report's date column in t.Columns; -1: none (rows go to the processing month)

	proc      arrow.Date32
	procMonth string
	meta      map[int]bool // t.Columns indices filled from the instance

	schema *arrow.Schema
	extra  []string
	drift  Drift
	months map[string]*monthBuf
	rows   int64
	segs   int
	filled []bool // scratch: output columns set by the current row
}

// monthBuf is one month's builders.
type monthBuf struct {
	rb   *array.RecordBuilder
	outs []*builder
	key  *array.StringBuilder
	line *array.Int64Builder
	ver  *array.StringBuilder
	at   *array.TimestampBuilder
}

// NewAnalyticsParser prepares a parser for one instance of report r (table t).
func NewAnalyticsParser(t *schemas.Table, r schemas.AnalyticsReport, inst AnalyticsInstance, alloc memory.Allocator, extractedAt time.Time) (*AnalyticsParser, error) {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	proc, err := parseDateISO([]byte(inst.ProcessingDate))
	if err != nil {
		return nil, fmt.Errorf("instance %s: processingDate %q: %w", inst.ID, inst.ProcessingDate, err)
	}
	p := &AnalyticsParser{
		t: t, inst: inst, alloc: alloc, at: arrow.Timestamp(extractedAt.UTC().UnixMicro()),
		dateCol: t.ColumnIndex(r.DateColumn), proc: proc, procMonth: inst.ProcessingDate[:7],
		meta: map[int]bool{}, months: map[string]*monthBuf{},
	}
	if p.dateCol < 0 && r.DateColumn != "" {
		return nil, fmt.Errorf("table %s has no date column %q", t.Name, r.DateColumn)
	}
	for _, n := range []string{schemas.AnalyticsGranularity, schemas.AnalyticsProcessingDate, schemas.AnalyticsInstanceID, schemas.AnalyticsAccessType} {
		i := t.ColumnIndex(n)
		if i < 0 {
			return nil, fmt.Errorf("table %s has no %s column", t.Name, n)
		}
		p.meta[i] = true
	}
	return p, nil
}

// SniffDelimiter says how a header line is delimited: tab if it has a tab, else comma if
// it has a comma, else tab (a one-column file).
func SniffDelimiter(header []byte) byte {
	switch {
	case bytes.IndexByte(header, '\t') >= 0:
		return '\t'
	case bytes.IndexByte(header, ',') >= 0:
		return ','
	}
	return '\t'
}

// segCell is what to do with one header position of a segment.
type segCell struct {
	col    int // output column (table columns, then extras); -1: ignored (filled from the instance)
	header string
}

// AddSegment parses one decompressed segment; key names it in lineage and errors.
func (p *AnalyticsParser) AddSegment(key string, r io.Reader) error {
	rd := &Reader{opt: Options{Key: key}, br: bufio.NewReaderSize(r, 64<<10)}
	var header []byte
	for {
		line, err := rd.readLine()
		if err == io.EOF {
			return &ParseError{Key: key, Line: rd.line + 1, Err: fmt.Errorf("%w: empty segment, no header line", ErrHeader)}
		}
		if err != nil {
			return err
		}
		if !blank(line) {
			header = append([]byte(nil), line...)
			break
		}
	}
	headerLine := rd.line
	delim := SniffDelimiter(header)
	var names []string
	if delim == '\t' {
		for _, f := range splitTabs(nil, header) {
			names = append(names, string(toUTF8(trimSpaces(f))))
		}
	} else {
		cr := csv.NewReader(bytes.NewReader(header))
		rec, err := cr.Read()
		if err != nil {
			return &ParseError{Key: key, Line: headerLine, Err: fmt.Errorf("%w: %v", ErrHeader, err)}
		}
		for _, f := range rec {
			names = append(names, strings.TrimSpace(string(toUTF8([]byte(f)))))
		}
	}
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	cells, err := p.mapHeader(key, headerLine, names)
	if err != nil {
		return err
	}
	p.segs++
	if delim == '\t' {
		var fs [][]byte
		for {
			line, err := rd.readLine()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if blank(line) {
				continue
			}
			fs = splitTabs(fs, line)
			if err := p.row(key, rd.line, cells, fs); err != nil {
				return err
			}
		}
	}
	cr := csv.NewReader(rd.br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var fs [][]byte
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return &ParseError{Key: key, Line: pe.Line + headerLine, Err: pe.Err}
			}
			return &ParseError{Key: key, Line: headerLine + 1, Err: err}
		}
		line, _ := cr.FieldPos(0)
		line += headerLine
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		fs = fs[:0]
		for _, f := range rec {
			fs = append(fs, toUTF8([]byte(f))) // as the tab path's lines (readLine): not UTF-8 is read as Windows-1252
		}
		if err := p.row(key, line, cells, fs); err != nil {
			return err
		}
	}
}

// mapHeader maps a segment's header cells to output columns. The first segment fixes
// the extra (unknown) columns and the drift; later segments must match it.
func (p *AnalyticsParser) mapHeader(key string, line int, names []string) ([]segCell, error) {
	t := p.t
	first := p.schema == nil
	used := make([]bool, len(t.Columns))
	cells := make([]segCell, len(names))
	var extra, unknown []string
	next := map[string]int{}
	taken := map[string]bool{}
	for _, c := range t.Columns {
		taken[c.Name] = true
	}
	recognised, required := 0, 0
	for i, h := range names {
		cells[i].header = h
		if ci := t.ColumnIndex(h); ci >= 0 && !used[ci] {
			used[ci] = true
			cells[i].col = ci
			if p.meta[ci] {
				cells[i].col = -1 // the instance's value is authoritative
			} else if !t.Columns[ci].Optional {
				recognised++
			}
			continue
		}
		name := schemas.ColumnName(h)
		if name == "" {
			name = fmt.Sprintf("column_%d", i+1)
		}
		name = uniqueName(taken, next, name)
		cells[i].col = len(t.Columns) + len(extra)
		extra = append(extra, name)
		unknown = append(unknown, h)
	}
	var missing []string
	for i, c := range t.Columns {
		if !c.Optional {
			required++
			if !used[i] {
				missing = append(missing, c.Header)
			}
		}
	}
	if recognised*2 < required {
		return nil, &ParseError{Key: key, Line: line, Err: fmt.Errorf(
			"%w: header does not match table %s (%d of %d expected columns recognised)", ErrHeader, t.Name, recognised, required)}
	}
	if first {
		p.extra = extra
		p.drift = Drift{Unknown: unknown, Missing: missing}
		p.schema = t.ArrowSchema(extra)
		return cells, nil
	}
	if strings.Join(extra, "\x00") != strings.Join(p.extra, "\x00") || len(missing) != len(p.drift.Missing) {
		return nil, &ParseError{Key: key, Line: line, Err: fmt.Errorf(
			"%w: columns differ from the instance's first segment (unknown %v, missing %v; first: unknown %v, missing %v)",
			ErrHeader, unknown, missing, p.drift.Unknown, p.drift.Missing)}
	}
	return cells, nil
}

// row appends one data row to the builders of its month.
func (p *AnalyticsParser) row(key string, line int, cells []segCell, fs [][]byte) error {
	nh := len(cells)
	if len(fs) != nh && (len(fs) < nh || !allBlank(fs[nh:])) {
		return &ParseError{Key: key, Line: line, Err: fmt.Errorf("%w: row has %d fields, header has %d", ErrRowShape, len(fs), nh)}
	}
	month := p.procMonth
	for i, c := range cells {
		if p.dateCol < 0 || c.col != p.dateCol {
			continue
		}
		v := trimSpaces(fs[i])
		if isNull(v) {
			break
		}
		d, err := parseDateISO(v)
		if err != nil {
			return &ParseError{Key: key, Line: line, Column: c.header, Value: string(fs[i]), Err: err}
		}
		month = time.Unix(int64(d)*86400, 0).UTC().Format("2006-01")
		break
	}
	mb := p.month(month)
	filled := p.filled[:0]
	for range mb.outs {
		filled = append(filled, false)
	}
	p.filled = filled
	for i, c := range cells {
		if c.col < 0 {
			continue
		}
		filled[c.col] = true
		b := mb.outs[c.col]
		v := trimSpaces(fs[i])
		if isNull(v) {
			b.appendNull()
			continue
		}
		var err error
		switch b.kind {
		case schemas.Int64:
			var n int64
			if n, err = parseInt(v); err == nil {
				b.ib.Append(n)
			}
		case schemas.Decimal:
			var n int64
			if n, err = parseDecimal(v); err == nil {
				b.db.Append(decimal128.FromI64(n))
			}
		case schemas.DateISO, schemas.DateMDY:
			var d arrow.Date32
			if d, err = parseDateISO(v); err == nil {
				b.dt.Append(d)
			}
		default:
			b.sb.BinaryBuilder.Append(toUTF8(v))
		}
		if err != nil {
			return &ParseError{Key: key, Line: line, Column: c.header, Value: string(toUTF8(fs[i])), Err: err}
		}
	}
	for j, b := range mb.outs {
		if filled[j] {
			continue
		}
		if !p.meta[j] {
			b.appendNull()
			continue
		}
		switch p.t.Columns[j].Name {
		case schemas.AnalyticsGranularity:
			b.sb.Append(p.inst.Granularity)
		case schemas.AnalyticsProcessingDate:
			b.dt.Append(p.proc)
		case schemas.AnalyticsInstanceID:
			b.sb.Append(p.inst.ID)
		case schemas.AnalyticsAccessType:
			b.sb.Append(p.inst.AccessType)
		}
	}
	mb.key.Append(key)
	mb.line.Append(int64(line))
	mb.ver.Append("")
	mb.at.Append(p.at)
	p.rows++
	return nil
}

// month returns (creating) the builders of one month.
func (p *AnalyticsParser) month(m string) *monthBuf {
	if mb := p.months[m]; mb != nil {
		return mb
	}
	rb := array.NewRecordBuilder(p.alloc, p.schema)
	n := len(p.t.Columns) + len(p.extra)
	mb := &monthBuf{rb: rb, outs: make([]*builder, n)}
	for j := 0; j < n; j++ {
		k := schemas.String
		if j < len(p.t.Columns) {
			k = p.t.Columns[j].Kind
		}
		b := &builder{kind: k}
		switch k {
		case schemas.Int64:
			b.ib = rb.Field(j).(*array.Int64Builder)
		case schemas.Decimal:
			b.db = rb.Field(j).(*array.Decimal128Builder)
		case schemas.DateMDY, schemas.DateISO:
			b.dt = rb.Field(j).(*array.Date32Builder)
		default:
			b.sb = rb.Field(j).(*array.StringBuilder)
		}
		mb.outs[j] = b
	}
	mb.key = rb.Field(n).(*array.StringBuilder)
	mb.line = rb.Field(n + 1).(*array.Int64Builder)
	mb.ver = rb.Field(n + 2).(*array.StringBuilder)
	mb.at = rb.Field(n + 3).(*array.TimestampBuilder)
	p.months[m] = mb
	return mb
}

// Months lists the months (YYYY-MM) that have rows, ascending.
func (p *AnalyticsParser) Months() []string {
	out := make([]string, 0, len(p.months))
	for m := range p.months {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Record returns the rows of one month as a record batch (the caller releases it) and
// resets that month; nil if the month has no rows.
func (p *AnalyticsParser) Record(month string) arrow.RecordBatch {
	mb := p.months[month]
	if mb == nil {
		return nil
	}
	rec := mb.rb.NewRecordBatch()
	mb.rb.Release()
	delete(p.months, month)
	return rec
}

// Schema is the Arrow schema of every record (nil before the first segment).
func (p *AnalyticsParser) Schema() *arrow.Schema { return p.schema }

// Table is the table the records belong to.
func (p *AnalyticsParser) Table() *schemas.Table { return p.t }

// Rows is the number of data rows parsed.
func (p *AnalyticsParser) Rows() int64 { return p.rows }

// Segments is the number of segments parsed.
func (p *AnalyticsParser) Segments() int { return p.segs }

// Drift is how the first segment's header differs from the table.
func (p *AnalyticsParser) Drift() Drift { return p.drift }

// Release frees the builders of months not taken with Record.
func (p *AnalyticsParser) Release() {
	for m, mb := range p.months {
		mb.rb.Release()
		delete(p.months, m)
	}
}
