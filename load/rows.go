package load

import (
	"cmp"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The merge modes (merge-by-key and slowly-changing dimensions) work on rows: a partition
// they touch is small (one app-month of reviews, one vendor's dimension), so each value is
// held as a comparable Go value rather than in Arrow arrays. A value is nil (null), string,
// int64, float64, bool, arrow.Date32, arrow.Timestamp or decimal128.Num; every one of those
// compares with ==.

// row is one table row in the column order of its rowSet's schema.
type row []any

// rowSet is rows under one schema.
type rowSet struct {
	schema *arrow.Schema
	rows   []row
}

// rowsOf appends the rows of rec, reordered to schema's columns by name (a column rec
// lacks is null).
func rowsOf(dst []row, schema *arrow.Schema, rec arrow.RecordBatch) ([]row, error) {
	n := int(rec.NumRows())
	getters := make([]func(int) any, schema.NumFields())
	for i, f := range schema.Fields() {
		idx := rec.Schema().FieldIndices(f.Name)
		if len(idx) == 0 {
			getters[i] = func(int) any { return nil }
			continue
		}
		g, err := getter(rec.Column(idx[0]))
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		getters[i] = g
	}
	for r := 0; r < n; r++ {
		vals := make(row, len(getters))
		for i, g := range getters {
			vals[i] = g(r)
		}
		dst = append(dst, vals)
	}
	return dst, nil
}

// rowsOfTable is rowsOf over every chunk of a table.
func rowsOfTable(dst []row, schema *arrow.Schema, tbl arrow.Table) ([]row, error) {
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	for tr.Next() {
		var err error
		if dst, err = rowsOf(dst, schema, tr.RecordBatch()); err != nil {
			return nil, err
		}
	}
	return dst, tr.Err()
}

// getter returns a function reading row i of a as a comparable value.
func getter(a arrow.Array) (func(int) any, error) {
	null := func(f func(int) any) func(int) any {
		return func(i int) any {
			if a.IsNull(i) {
				return nil
			}
			return f(i)
		}
	}
	switch c := a.(type) {
	case *array.String:
		return null(func(i int) any { return c.Value(i) }), nil
	case *array.Int64:
		return null(func(i int) any { return c.Value(i) }), nil
	case *array.Float64:
		return null(func(i int) any { return c.Value(i) }), nil
	case *array.Boolean:
		return null(func(i int) any { return c.Value(i) }), nil
	case *array.Date32:
		return null(func(i int) any { return c.Value(i) }), nil
	case *array.Timestamp:
		return null(func(i int) any { return c.Value(i) }), nil
	case *array.Decimal128:
		return null(func(i int) any { return c.Value(i) }), nil
	}
	return nil, fmt.Errorf("type %s is not supported by the merge modes", a.DataType())
}

// record builds a record batch of schema from rows.
func (s *rowSet) record(mem memory.Allocator) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(mem, s.schema)
	defer b.Release()
	for ci := range s.schema.Fields() {
		fb := b.Field(ci)
		for ri, r := range s.rows {
			if err := appendValue(fb, r[ci]); err != nil {
				return nil, fmt.Errorf("row %d column %s: %w", ri, s.schema.Field(ci).Name, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}

func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	ok := true
	switch fb := b.(type) {
	case *array.StringBuilder:
		var s string
		if s, ok = v.(string); ok {
			fb.Append(s)
		}
	case *array.Int64Builder:
		var x int64
		if x, ok = v.(int64); ok {
			fb.Append(x)
		}
	case *array.Float64Builder:
		var x float64
		if x, ok = v.(float64); ok {
			fb.Append(x)
		}
	case *array.BooleanBuilder:
		var x bool
		if x, ok = v.(bool); ok {
			fb.Append(x)
		}
	case *array.Date32Builder:
		var x arrow.Date32
		if x, ok = v.(arrow.Date32); ok {
			fb.Append(x)
		}
	case *array.TimestampBuilder:
		var x arrow.Timestamp
		if x, ok = v.(arrow.Timestamp); ok {
			fb.Append(x)
		}
	case *array.Decimal128Builder:
		var x decimal128.Num
		if x, ok = v.(decimal128.Num); ok {
			fb.Append(x)
		}
	default:
		return fmt.Errorf("builder %T is not supported by the merge modes", b)
	}
	if !ok {
		return fmt.Errorf("value %v (%T) does not fit the column type", v, v)
	}
	return nil
}

// compareValues orders two values of one column: nulls first, then by value (strings by
// bytes). Values of one column always have the same Go type.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		return cmp.Compare(x, b.(string))
	case int64:
		return cmp.Compare(x, b.(int64))
	case float64:
		return cmp.Compare(x, b.(float64))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case arrow.Date32:
		return cmp.Compare(x, b.(arrow.Date32))
	case arrow.Timestamp:
		return cmp.Compare(x, b.(arrow.Timestamp))
	case decimal128.Num:
		return x.Cmp(b.(decimal128.Num))
	}
	return 0
}

// compareRows orders rows by the columns in order (the total order every merge result is
// sorted by, so its bytes depend on the set of rows only).
func compareRows(order []int) func(a, b row) int {
	return func(a, b row) int {
		for _, i := range order {
			if c := compareValues(a[i], b[i]); c != 0 {
				return c
			}
		}
		return 0
	}
}

// unionSchema is the schema of a merge result: rec's columns in rec's order, then the
// columns only old (the stored object's schema, nil when there is none) has, in its order.
// A column missing on one side is null there, so it is nullable in the result; the same
// name with different types is an error. Schema metadata is rec's.
func unionSchema(rec, old *arrow.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, 0, rec.NumFields())
	for _, f := range rec.Fields() {
		if old != nil {
			idx := old.FieldIndices(f.Name)
			if len(idx) > 1 {
				return nil, fmt.Errorf("existing object has %d columns named %q", len(idx), f.Name)
			}
			if len(idx) == 0 {
				f.Nullable = true
			} else {
				of := old.Field(idx[0])
				if !arrow.TypeEqual(f.Type, of.Type) {
					return nil, fmt.Errorf("column %s: type %s conflicts with %s in the existing object", f.Name, f.Type, of.Type)
				}
				f.Nullable = f.Nullable || of.Nullable
			}
		}
		fields = append(fields, f)
	}
	if len(fields) != rec.NumFields() {
		return nil, fmt.Errorf("record batch has duplicate column names")
	}
	if old != nil {
		for _, f := range old.Fields() {
			if len(rec.FieldIndices(f.Name)) == 0 {
				f.Nullable = true
				fields = append(fields, f)
			}
		}
	}
	for i, f := range fields {
		for _, g := range fields[:i] {
			if f.Name == g.Name {
				return nil, fmt.Errorf("duplicate column name %q", f.Name)
			}
		}
	}
	md := rec.Metadata()
	return arrow.NewSchema(fields, &md), nil
}
