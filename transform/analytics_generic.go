package transform

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// AnalyticsSegmentParser is what loading one Analytics Reports instance needs from a
// parser, typed (AnalyticsParser) or generic (GenericAnalyticsParser): add every segment,
// then take one record per month (the table's partition) and release.
type AnalyticsSegmentParser interface {
	AddSegment(key string, r io.Reader) error
	Months() []string
	Record(month string) arrow.RecordBatch
	Rows() int64
	Drift() Drift
	// Table is the table of the records; for a generic parser it is complete (with the
	// header's columns) only after the first segment.
	Table() *schemas.Table
	Release()
}

var (
	_ AnalyticsSegmentParser = (*AnalyticsParser)(nil)
	_ AnalyticsSegmentParser = (*GenericAnalyticsParser)(nil)
)

// NewAnalyticsSegmentParser returns the typed parser for a report with a schema
// (schemas.LookupAnalyticsReport), else the generic one.
func NewAnalyticsSegmentParser(reportName string, inst AnalyticsInstance, alloc memory.Allocator, extractedAt time.Time) (AnalyticsSegmentParser, error) {
	if r, ok := schemas.LookupAnalyticsReport(reportName); ok {
		t, ok := schemas.Lookup(r.Table)
		if !ok {
			return nil, fmt.Errorf("analytics report %q: no table %s", reportName, r.Table)
		}
		return NewAnalyticsParser(t, r, inst, alloc, extractedAt)
	}
	return NewGenericAnalyticsParser(reportName, inst, alloc, extractedAt)
}

// GenericAnalyticsParser parses the segments of an analytics report that has no schema
// into analytics_<report in snake_case> (schemas.GenericAnalyticsTable). The first
// segment's header decides the columns: each one typed by its header name
// (schemas.GenericAnalyticsKind: dates, integers, decimals, else text; a value that does
// not fit stops with a *ParseError); "Processing Date" and the instance columns are filled
// from the instance as for typed reports. Rows are split by the month of the "Date" column
// (else "Event Date", else the first date column, else the processing date). Later
// segments must have the same columns. Apart from the typing it behaves as AnalyticsParser.
type GenericAnalyticsParser struct {
	name  string
	inst  AnalyticsInstance
	alloc memory.Allocator
	at    time.Time
	base  *schemas.Table
	inner *AnalyticsParser // nil until the first segment
}

// NewGenericAnalyticsParser prepares a parser for one instance of the report named
// reportName (the API name, e.g. "Home Screen Widget Usage").
func NewGenericAnalyticsParser(reportName string, inst AnalyticsInstance, alloc memory.Allocator, extractedAt time.Time) (*GenericAnalyticsParser, error) {
	if strings.TrimSpace(reportName) == "" || schemas.ColumnName(reportName) == "" {
		return nil, fmt.Errorf("analytics report name %q gives no table name", reportName)
	}
	if _, err := parseDateISO([]byte(inst.ProcessingDate)); err != nil {
		return nil, fmt.Errorf("instance %s: processingDate %q: %w", inst.ID, inst.ProcessingDate, err)
	}
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	return &GenericAnalyticsParser{name: reportName, inst: inst, alloc: alloc, at: extractedAt,
		base: schemas.GenericAnalyticsTable(reportName)}, nil
}

// AddSegment parses one decompressed segment; key names it in lineage and errors.
func (g *GenericAnalyticsParser) AddSegment(key string, r io.Reader) error {
	if g.inner != nil {
		return g.inner.AddSegment(key, r)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var consumed []byte
	var header []byte
	for {
		line, err := br.ReadBytes('\n')
		consumed = append(consumed, line...)
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(consumed) == len(line) {
			trimmed = bytes.TrimPrefix(trimmed, []byte("\xef\xbb\xbf"))
		}
		if !blank(trimmed) {
			header = trimmed
			break
		}
		if err == io.EOF {
			return &ParseError{Key: key, Line: 1, Err: fmt.Errorf("%w: empty segment, no header line", ErrHeader)}
		}
		if err != nil {
			return &ParseError{Key: key, Line: 1, Err: fmt.Errorf("read: %w", err)}
		}
	}
	names, err := headerNames(header)
	if err != nil {
		return &ParseError{Key: key, Line: 1, Err: fmt.Errorf("%w: %v", ErrHeader, err)}
	}
	t, dateCol := schemas.GenericAnalyticsTableFor(g.name, names)
	inner, err := NewAnalyticsParser(t, schemas.AnalyticsReport{Name: g.name, Table: t.Name, DateColumn: dateCol},
		g.inst, g.alloc, g.at)
	if err != nil {
		return err
	}
	g.inner = inner
	return inner.AddSegment(key, io.MultiReader(bytes.NewReader(consumed), br))
}

// headerNames splits a header line by its sniffed delimiter.
func headerNames(header []byte) ([]string, error) {
	var names []string
	if SniffDelimiter(header) == '\t' {
		for _, f := range splitTabs(nil, header) {
			names = append(names, string(toUTF8(trimSpaces(f))))
		}
		return names, nil
	}
	rec, err := csv.NewReader(bytes.NewReader(header)).Read()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	for _, f := range rec {
		names = append(names, strings.TrimSpace(string(toUTF8([]byte(f)))))
	}
	return names, nil
}

// Months lists the months (YYYY-MM) that have rows, ascending.
func (g *GenericAnalyticsParser) Months() []string {
	if g.inner == nil {
		return nil
	}
	return g.inner.Months()
}

// Record returns the rows of one month (the caller releases it); nil if none.
func (g *GenericAnalyticsParser) Record(month string) arrow.RecordBatch {
	if g.inner == nil {
		return nil
	}
	return g.inner.Record(month)
}

// Rows is the number of data rows parsed.
func (g *GenericAnalyticsParser) Rows() int64 {
	if g.inner == nil {
		return 0
	}
	return g.inner.Rows()
}

// Segments is the number of segments parsed.
func (g *GenericAnalyticsParser) Segments() int {
	if g.inner == nil {
		return 0
	}
	return g.inner.Segments()
}

// Drift is empty for the first segment's columns (they define the table); cells that
// could not become columns (empty or repeated names) are Unknown, kept as text.
func (g *GenericAnalyticsParser) Drift() Drift {
	if g.inner == nil {
		return Drift{}
	}
	return g.inner.Drift()
}

// Schema is the Arrow schema of every record (nil before the first segment).
func (g *GenericAnalyticsParser) Schema() *arrow.Schema {
	if g.inner == nil {
		return nil
	}
	return g.inner.Schema()
}

// Table is the report's table: schemas.GenericAnalyticsTable before the first segment,
// with the header's typed columns after it.
func (g *GenericAnalyticsParser) Table() *schemas.Table {
	if g.inner == nil {
		return g.base
	}
	return g.inner.Table()
}

// Release frees the builders of months not taken with Record.
func (g *GenericAnalyticsParser) Release() {
	if g.inner != nil {
		g.inner.Release()
	}
}
