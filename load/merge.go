package load

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// MergeInfo describes the object MergeParquet left at Key.
type MergeInfo struct {
	Key       string
	Rows      int64 // rows in the object
	Bytes     int64 // size of the object
	Unchanged bool  // the merge result equalled the existing object, which was not rewritten
}

// MergeParquet merges rec into the Parquet object at key (one small partition, held in
// memory) and replaces it atomically:
//
//   - Every existing row whose keyColumn value is in replace, or appears in rec's
//     keyColumn, is dropped; then all of rec's rows are added. keyColumn must be a string
//     column; null keys in rec are an error, existing rows with a null key are kept.
//   - Schemas are unioned by column name: rec's columns in rec's order, then columns only
//     the existing object has, in its order. A column missing on one side is null there
//     (and nullable in the result); the same name with different types is an error.
//     Schema metadata is rec's.
//   - Rows are sorted by keyColumn ascending, then by every other column in the result's
//     column order (nulls first; strings by bytes). This total order makes the output a
//     function of the set of rows only: the order rows arrived in, or were stored in,
//     never changes the bytes.
//   - The result is rendered exactly as WriteParquet would write it (same encoding and
//     opt), in memory. If the bytes equal the existing object's, nothing is written and
//     Unchanged is true; a re-run with the same data therefore changes nothing.
//
// If anything fails or ctx is cancelled, key keeps its previous content (or stays
// absent). Merges of the same key must not run concurrently (read-modify-write). rec is
// not released.
func (s *Store) MergeParquet(ctx context.Context, key, keyColumn string, replace []string, rec arrow.RecordBatch, opt ParquetOptions) (MergeInfo, error) {
	info, err := s.mergeParquet(ctx, key, keyColumn, replace, rec, opt)
	if err != nil {
		return MergeInfo{}, fmt.Errorf("merge %s: %w", key, err)
	}
	return info, nil
}

func (s *Store) mergeParquet(ctx context.Context, key, keyColumn string, replace []string, rec arrow.RecordBatch, opt ParquetOptions) (MergeInfo, error) {
	if rec == nil {
		return MergeInfo{}, fmt.Errorf("no record batch")
	}
	mem := opt.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	opt.Alloc = mem
	if err := ctx.Err(); err != nil {
		return MergeInfo{}, err
	}

	// The existing object, if any.
	old, err := s.b.ReadAll(ctx, key)
	exists := err == nil
	if err != nil && !IsNotFound(err) {
		return MergeInfo{}, err
	}
	var oldTbl arrow.Table
	if exists {
		oldTbl, err = readTable(ctx, old, mem)
		if err != nil {
			return MergeInfo{}, fmt.Errorf("existing object: %w", err)
		}
		defer oldTbl.Release()
	}

	out, err := mergeRows(ctx, mem, keyColumn, replace, rec, oldTbl)
	if err != nil {
		return MergeInfo{}, err
	}
	defer out.Release()

	data, err := renderParquet(ctx, out, opt)
	if err != nil {
		return MergeInfo{}, err
	}
	info := MergeInfo{Key: key, Rows: out.NumRows(), Bytes: int64(len(data))}
	if exists && bytes.Equal(data, old) {
		info.Unchanged = true
		return info, nil
	}
	wopts := &blob.WriterOptions{ContentType: "application/vnd.apache.parquet", BufferSize: parquetBufferSize}
	n, err := s.write(ctx, key, wopts, func(w *countingWriter) error {
		_, err := w.Write(data)
		return err
	})
	if err != nil {
		return MergeInfo{}, err
	}
	info.Bytes = n
	return info, nil
}

// renderParquet encodes rec with WriteParquet into memory, so a merged object has exactly
// the bytes WriteParquet would give the same rows.
func renderParquet(ctx context.Context, rec arrow.RecordBatch, opt ParquetOptions) ([]byte, error) {
	b := memblob.OpenBucket(nil)
	defer b.Close()
	const k = "merge.parquet"
	rr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	if _, err := New(b).WriteParquet(ctx, k, rr, opt); err != nil {
		return nil, err
	}
	return b.ReadAll(ctx, k)
}

// mergeSource is one side of the merge with its columns concatenated into single arrays.
type mergeSource struct {
	schema *arrow.Schema
	cols   []arrow.Array // one per schema field
	rows   int64
}

func (m *mergeSource) release() {
	for _, c := range m.cols {
		if c != nil {
			c.Release()
		}
	}
}

func sourceFromRecord(rec arrow.RecordBatch) *mergeSource {
	src := &mergeSource{schema: rec.Schema(), rows: rec.NumRows()}
	for i := 0; i < int(rec.NumCols()); i++ {
		c := rec.Column(i)
		c.Retain()
		src.cols = append(src.cols, c)
	}
	return src
}

func sourceFromTable(mem memory.Allocator, tbl arrow.Table) (*mergeSource, error) {
	src := &mergeSource{schema: tbl.Schema(), rows: tbl.NumRows()}
	for i := 0; i < int(tbl.NumCols()); i++ {
		chunks := tbl.Column(i).Data().Chunks()
		var c arrow.Array
		if len(chunks) == 1 {
			c = chunks[0]
			c.Retain()
		} else {
			var err error
			if len(chunks) == 0 {
				c = array.MakeArrayOfNull(mem, tbl.Schema().Field(i).Type, 0)
			} else if c, err = array.Concatenate(chunks, mem); err != nil {
				src.release()
				return nil, err
			}
		}
		src.cols = append(src.cols, c)
	}
	return src, nil
}

// unionSchema is rec's fields, then the fields only old has; see MergeParquet.
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

// mergeRows computes the merged, sorted record (see MergeParquet). oldTbl may be nil.
func mergeRows(ctx context.Context, mem memory.Allocator, keyColumn string, replace []string, rec arrow.RecordBatch, oldTbl arrow.Table) (arrow.RecordBatch, error) {
	var oldSchema *arrow.Schema
	if oldTbl != nil {
		oldSchema = oldTbl.Schema()
	}
	schema, err := unionSchema(rec.Schema(), oldSchema)
	if err != nil {
		return nil, err
	}

	newSrc := sourceFromRecord(rec)
	defer newSrc.release()
	srcs := []*mergeSource{newSrc}
	if oldTbl != nil {
		oldSrc, err := sourceFromTable(mem, oldTbl)
		if err != nil {
			return nil, err
		}
		defer oldSrc.release()
		srcs = append(srcs, oldSrc)
	}

	// Keys to drop from the existing rows.
	newKeys, err := stringColumn(newSrc, keyColumn, "record batch")
	if err != nil {
		return nil, err
	}
	drop := make(map[string]bool, len(replace)+newKeys.Len())
	for _, k := range replace {
		drop[k] = true
	}
	for i := 0; i < newKeys.Len(); i++ {
		if newKeys.IsNull(i) {
			return nil, fmt.Errorf("record batch row %d: key column %s is null", i, keyColumn)
		}
		drop[newKeys.Value(i)] = true
	}

	// Concatenated input: new rows [0, rec rows), then the old rows.
	var keep []int64
	for i := int64(0); i < newSrc.rows; i++ {
		keep = append(keep, i)
	}
	if len(srcs) > 1 {
		oldKeys, err := stringColumn(srcs[1], keyColumn, "existing object")
		if err != nil {
			return nil, err
		}
		for i := 0; i < oldKeys.Len(); i++ {
			if oldKeys.IsNull(i) || !drop[oldKeys.Value(i)] {
				keep = append(keep, newSrc.rows+int64(i))
			}
		}
	}

	// One concatenated array per output field (null-filled where a side lacks it).
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for fi, f := range schema.Fields() {
		parts := make([]arrow.Array, 0, len(srcs))
		for _, src := range srcs {
			if idx := src.schema.FieldIndices(f.Name); len(idx) == 1 {
				src.cols[idx[0]].Retain()
				parts = append(parts, src.cols[idx[0]])
			} else {
				parts = append(parts, array.MakeArrayOfNull(mem, f.Type, int(src.rows)))
			}
		}
		var c arrow.Array
		if len(parts) == 1 {
			c = parts[0]
		} else {
			c, err = array.Concatenate(parts, mem)
			for _, p := range parts {
				p.Release()
			}
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
		}
		cols[fi] = c
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Sort the kept rows: key column first, then every other column in order.
	keyIdx := schema.FieldIndices(keyColumn)[0]
	cmps := []func(i, j int) int{compareFunc(cols[keyIdx])}
	for fi := range cols {
		if fi != keyIdx {
			cmps = append(cmps, compareFunc(cols[fi]))
		}
	}
	slices.SortStableFunc(keep, func(a, b int64) int {
		for _, c := range cmps {
			if r := c(int(a), int(b)); r != 0 {
				return r
			}
		}
		return 0
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Gather the rows in order.
	ib := array.NewInt64Builder(mem)
	ib.AppendValues(keep, nil)
	indices := ib.NewInt64Array()
	ib.Release()
	defer indices.Release()
	tctx := compute.WithAllocator(ctx, mem)
	outCols := make([]arrow.Array, len(cols))
	defer func() {
		for _, c := range outCols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for fi, c := range cols {
		outCols[fi], err = compute.TakeArray(tctx, c, indices)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", schema.Field(fi).Name, err)
		}
	}
	return array.NewRecordBatch(schema, outCols, int64(len(keep))), nil
}

// stringColumn returns src's column name as a string array (not retained).
func stringColumn(src *mergeSource, name, what string) (*array.String, error) {
	idx := src.schema.FieldIndices(name)
	if len(idx) != 1 {
		return nil, fmt.Errorf("%s has no key column %s", what, name)
	}
	c, ok := src.cols[idx[0]].(*array.String)
	if !ok {
		return nil, fmt.Errorf("%s: key column %s is %s, not utf8", what, name, src.cols[idx[0]].DataType())
	}
	return c, nil
}

// compareFunc returns a three-way comparison of two rows of a, nulls first.
func compareFunc(a arrow.Array) func(i, j int) int {
	nulls := func(i, j int) (int, bool) {
		ni, nj := a.IsNull(i), a.IsNull(j)
		switch {
		case ni && nj:
			return 0, true
		case ni:
			return -1, true
		case nj:
			return 1, true
		}
		return 0, false
	}
	var values func(i, j int) int
	switch c := a.(type) {
	case *array.String:
		values = func(i, j int) int { return cmp.Compare(c.Value(i), c.Value(j)) }
	case *array.LargeString:
		values = func(i, j int) int { return cmp.Compare(c.Value(i), c.Value(j)) }
	case *array.Binary:
		values = func(i, j int) int { return bytes.Compare(c.Value(i), c.Value(j)) }
	case *array.Int64:
		values = func(i, j int) int { return cmp.Compare(c.Value(i), c.Value(j)) }
	case *array.Int32:
		values = func(i, j int) int { return cmp.Compare(c.Value(i), c.Value(j)) }
	case *array.Timestamp:
		values = func(i, j int) int { return cmp.Compare(c.Value(i), c.Value(j)) }
	case *array.Date32:
		values = func(i, j int) int { return cmp.Compare(c.Value(i), c.Value(j)) }
	case *array.Date64:
		values = func(i, j int) int { return cmp.Compare(c.Value(i), c.Value(j)) }
	case *array.Float64:
		values = func(i, j int) int { return cmp.Compare(c.Value(i), c.Value(j)) }
	case *array.Decimal128:
		values = func(i, j int) int { return c.Value(i).Cmp(c.Value(j)) }
	case *array.Boolean:
		values = func(i, j int) int {
			x, y := c.Value(i), c.Value(j)
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	default:
		// Any other type: its text form is still a deterministic tiebreak.
		values = func(i, j int) int { return cmp.Compare(a.ValueStr(i), a.ValueStr(j)) }
	}
	return func(i, j int) int {
		if r, done := nulls(i, j); done {
			return r
		}
		return values(i, j)
	}
}
