package transform

// tableBuilder and driftList: the record builder the JSON flattenings (metrics,
// diagnostics) fill by column name, and the drift messages they collect.

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// tableBuilder builds one table's record batch with exactly the schema's
// ArrowSchema(nil), filling columns by name. Every row ends with endRow, which appends
// the lineage columns; _source_line is the 1-based ordinal of the row in the batch.
type tableBuilder struct {
	table   string
	rb      *array.RecordBuilder
	cols    map[string]array.Builder
	rows    int64
	key     string
	version string
	ext     arrow.Timestamp
}

// newTableBuilder checks the table's schema against want (column name → kind, without
// lineage) so that a schema change fails loudly instead of leaving a column unfilled.
func newTableBuilder(alloc memory.Allocator, table string, want map[string]schemas.Kind, key, version string, extractedAt time.Time) (*tableBuilder, error) {
	t, ok := schemas.Lookup(table)
	if !ok {
		return nil, fmt.Errorf("transform: table %s not registered in schemas", table)
	}
	rb := array.NewRecordBuilder(alloc, t.ArrowSchema(nil))
	fs := rb.Schema().Fields()
	m := make(map[string]array.Builder, len(fs))
	for i, f := range fs {
		m[f.Name] = rb.Field(i)
		switch f.Name {
		case schemas.LineageSourceKey, schemas.LineageSourceLine, schemas.LineageReportVersion, schemas.LineageExtractedAt:
			continue
		}
		k, ok := want[f.Name]
		if !ok || !arrow.TypeEqual(k.ArrowType(), f.Type) {
			rb.Release()
			return nil, fmt.Errorf("transform: %s column %s (%s) is not one this flattening fills", table, f.Name, f.Type)
		}
	}
	if len(m) != len(want)+4 {
		rb.Release()
		return nil, fmt.Errorf("transform: %s schema has %d columns, this flattening fills %d", table, len(m), len(want)+4)
	}
	return &tableBuilder{table: table, rb: rb, cols: m, key: key, version: version, ext: arrow.Timestamp(extractedAt.UnixMicro())}, nil
}

func (b *tableBuilder) col(name string) array.Builder {
	c := b.cols[name]
	if c == nil {
		panic("transform: table " + b.table + " has no column " + name)
	}
	return c
}

func (b *tableBuilder) str(name string, v *string) {
	if v == nil {
		b.col(name).AppendNull()
		return
	}
	b.col(name).(*array.StringBuilder).Append(*v)
}

func (b *tableBuilder) text(name, s string) { b.col(name).(*array.StringBuilder).Append(s) }

func (b *tableBuilder) i64(name string, v int64) { b.col(name).(*array.Int64Builder).Append(v) }

func (b *tableBuilder) i64p(name string, v *int64) {
	if v == nil {
		b.col(name).AppendNull()
		return
	}
	b.col(name).(*array.Int64Builder).Append(*v)
}

func (b *tableBuilder) f64(name string, v *float64) {
	if v == nil {
		b.col(name).AppendNull()
		return
	}
	b.col(name).(*array.Float64Builder).Append(*v)
}

func (b *tableBuilder) boolean(name string, v *bool) {
	if v == nil {
		b.col(name).AppendNull()
		return
	}
	b.col(name).(*array.BooleanBuilder).Append(*v)
}

// null appends nulls to the named columns.
func (b *tableBuilder) null(names ...string) {
	for _, n := range names {
		b.col(n).AppendNull()
	}
}

func (b *tableBuilder) endRow() {
	b.rows++
	b.col(schemas.LineageSourceKey).(*array.StringBuilder).Append(b.key)
	b.col(schemas.LineageSourceLine).(*array.Int64Builder).Append(b.rows)
	b.col(schemas.LineageReportVersion).(*array.StringBuilder).Append(b.version)
	b.col(schemas.LineageExtractedAt).(*array.TimestampBuilder).Append(b.ext)
}

// finish checks that every column got one value per row and returns the batch.
func (b *tableBuilder) finish() (arrow.RecordBatch, error) {
	for i, f := range b.rb.Fields() {
		if int64(f.Len()) != b.rows {
			return nil, fmt.Errorf("transform: %s column %s has %d values for %d rows", b.table, b.rb.Schema().Field(i).Name, f.Len(), b.rows)
		}
	}
	return b.rb.NewRecordBatch(), nil
}

func (b *tableBuilder) release() {
	if b != nil {
		b.rb.Release()
	}
}

// driftList collects drift messages once each, in first-seen order.
type driftList struct {
	list []string
	seen map[string]bool
}

func (l *driftList) add(msg string) {
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	if !l.seen[msg] {
		l.seen[msg] = true
		l.list = append(l.list, msg)
	}
}
