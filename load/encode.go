package load

// The Parquet encoder behind WriteParquet (BENCHMARKS.md, "Where the time goes"):
//
//   - Columns are encoded in parallel: a row group is buffered per column (arrow-go's
//     buffered row group writer), and the columns of each batch are encoded by a small pool
//     of goroutines, one column per goroutine at a time. Columns are independent until
//     the row group is closed, which writes them out in order, so the bytes do not depend
//     on the scheduling.
//   - String columns are dictionary-encoded by our own memo (a Go map per column, reset
//     per row group, with a last-value shortcut), not arrow-go's: its BinaryMemoTable takes
//     each value as an interface{} and allocates for every value it is given. The row
//     group's indices are collected and written once, as one Arrow dictionary array, when
//     the row group closes (arrow-go writes a dictionary array's dictionary page and its
//     indices directly, without hashing the values again). A column whose distinct values
//     outgrow the dictionary page limit falls back to plain encoding, like arrow-go's own.
//   - _source_line (a row number: unique and increasing) is written plain: a dictionary
//     of it would only grow until the fallback. (DELTA_BINARY_PACKED would be smaller,
//     but arrow-go v18.8's delta decoder leaks buffers on read.)

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ascetl/etl/schemas"
)

// dictPageLimit is the most bytes of distinct values a string column's dictionary holds in
// one row group before the column falls back to plain encoding (arrow-go's default).
const dictPageLimit = 1 << 20

// pqWriter writes record batches of one schema as a Parquet file.
type pqWriter struct {
	schema  *arrow.Schema
	w       *file.Writer
	mem     memory.Allocator
	maxRows int64
	rg      file.BufferedRowGroupWriter
	rgRows  int64
	cols    []*pqColumn
	par     int
}

// pqColumn is one column's encoding state.
type pqColumn struct {
	i        int
	nullable bool
	ctx      context.Context // pqarrow's per-writer buffers: one per column, never shared
	memo     *strMemo        // string columns while dictionary-encoded by us
	plain    bool            // a string column with too many distinct values: plain from the next row group on
	rgPlain  bool            // fell back to plain in the current row group
	cw       file.ColumnChunkWriter
	dense    []arrow.Array // the row group's values to encode as they are, retained
}

// writerProps are the Parquet properties of every object (codec: zstd unless
// ParquetOptions.Compression says otherwise; dictionary, statistics).
func writerProps(mem memory.Allocator, rgRows int64, codec compress.Compression) *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(codec),
		parquet.WithDictionaryDefault(true),
		parquet.WithDictionaryFor(schemas.LineageSourceLine, false),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(rgRows),
		// One data page per column chunk, cut (and compressed) by endRowGroup on the
		// column's goroutine: with arrow-go's 1 MiB pages the last page of every chunk,
		// which is most chunks' only page, is built when the row group closes, one column
		// after another.
		parquet.WithDataPageSize(1<<30),
		parquet.WithStoreDecimalAsInteger(true),
		parquet.WithCreatedBy("ascetl"),
	)
}

// newPQWriter starts a Parquet file on w. The Arrow schema is stored in the file (as
// pqarrow.WithStoreSchema does), so readers get the types back exactly.
func newPQWriter(w io.Writer, schema *arrow.Schema, opt ParquetOptions, meta map[string]string) (*pqWriter, error) {
	mem := opt.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rgRows := opt.RowGroupRows
	if rgRows <= 0 {
		rgRows = DefaultRowGroupRows
	}
	for _, f := range schema.Fields() {
		if nested(f.Type) {
			return nil, fmt.Errorf("column %s: nested type %s is not supported", f.Name, f.Type)
		}
	}
	codec, err := Codec(opt.Compression)
	if err != nil {
		return nil, err
	}
	props := writerProps(mem, rgRows, codec)
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem), pqarrow.WithStoreSchema())
	pqSchema, err := pqarrow.ToParquet(schema, props, arrProps)
	if err != nil {
		return nil, err
	}
	kv := make(metadata.KeyValueMetadata, 0, 1+len(meta))
	md := schema.Metadata()
	for i, k := range md.Keys() {
		kv.Append(k, md.Values()[i])
	}
	var ser bytes.Buffer
	iw := ipc.NewWriter(&ser, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	if err := iw.Close(); err != nil {
		return nil, err
	}
	kv.Append("ARROW:schema", base64.StdEncoding.EncodeToString(ser.Bytes()))
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		kv.Append(k, meta[k])
	}
	fw, err := file.NewParquetWriterWithError(w, pqSchema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(kv))
	if err != nil {
		return nil, err
	}
	pw := &pqWriter{schema: schema, w: fw, mem: mem, maxRows: rgRows, par: min(runtime.GOMAXPROCS(0), 4)}
	for i, f := range schema.Fields() {
		c := &pqColumn{i: i, nullable: f.Nullable, ctx: pqarrow.NewArrowWriteContext(context.Background(), &arrProps)}
		if f.Type.ID() == arrow.STRING {
			c.memo = newStrMemo()
			c.memo.required = !f.Nullable
		}
		pw.cols = append(pw.cols, c)
	}
	return pw, nil
}

func nested(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.STRUCT, arrow.MAP, arrow.FIXED_SIZE_LIST, arrow.DICTIONARY,
		arrow.DENSE_UNION, arrow.SPARSE_UNION, arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW, arrow.RUN_END_ENCODED:
		return true
	}
	return false
}

// Write appends rec, filling row groups up to the maximum length across batches.
func (pw *pqWriter) Write(rec arrow.RecordBatch) error {
	if !rec.Schema().Equal(pw.schema) {
		return fmt.Errorf("record schema does not match the writer's:\nrecord: %s\nwriter: %s", rec.Schema(), pw.schema)
	}
	n := rec.NumRows()
	for off := int64(0); off < n; {
		if pw.rg == nil {
			if err := pw.newRowGroup(); err != nil {
				return err
			}
		}
		take := min(n-off, pw.maxRows-pw.rgRows)
		part := rec
		if take != n {
			part = rec.NewSlice(off, off+take)
		}
		err := pw.encode(part)
		if part != rec {
			part.Release()
		}
		if err != nil {
			return err
		}
		pw.rgRows += take
		off += take
		if pw.rgRows >= pw.maxRows {
			if err := pw.EndRowGroup(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (pw *pqWriter) newRowGroup() error {
	rg, err := pw.w.AppendBufferedRowGroupChecked()
	if err != nil {
		return err
	}
	pw.rg, pw.rgRows = rg, 0
	for _, c := range pw.cols {
		if c.cw, err = rg.Column(c.i); err != nil {
			return err
		}
		c.rgPlain = c.memo == nil || c.plain
		if c.memo != nil && c.plain {
			c.cw.FallbackToPlain() // nothing written yet: no dictionary page at all
		}
	}
	return nil
}

// EndRowGroup closes the current row group (if it has rows): the next Write starts a new
// one. Compaction uses it to keep each day in its own row groups.
func (pw *pqWriter) EndRowGroup() error {
	if pw.rg == nil {
		return nil
	}
	err := pw.each(func(c *pqColumn) error { return c.endRowGroup(pw.mem) })
	if cerr := pw.rg.Close(); err == nil {
		err = cerr
	}
	pw.rg = nil
	return err
}

// AppendKeyValue adds a key/value pair to the file's footer metadata.
func (pw *pqWriter) AppendKeyValue(k, v string) error { return pw.w.AppendKeyValueMetadata(k, v) }

// Close finishes the file (a file with no rows has no row group, and the schema).
func (pw *pqWriter) Close() error {
	err := pw.EndRowGroup()
	if cerr := pw.w.Close(); err == nil {
		err = cerr
	}
	return err
}

// encode writes one batch (within one row group) column by column, in parallel.
func (pw *pqWriter) encode(rec arrow.RecordBatch) error {
	return pw.each(func(c *pqColumn) error { return c.write(rec.Column(c.i)) })
}

// each runs fn for every column on up to pw.par goroutines and returns the first error.
func (pw *pqWriter) each(fn func(*pqColumn) error) error {
	if pw.par <= 1 {
		for _, c := range pw.cols {
			if err := fn(c); err != nil {
				return err
			}
		}
		return nil
	}
	var next atomic.Int64
	errs := make([]error, len(pw.cols))
	var wg sync.WaitGroup
	for g := 0; g < min(pw.par, len(pw.cols)); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(pw.cols) {
					return
				}
				errs[i] = fn(pw.cols[i])
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("column %s: %w", pw.schema.Field(i).Name, err)
		}
	}
	return nil
}

// write takes one column slice of the current row group: string values go into the
// memo, everything else is kept (retained) and encoded when the row group ends, in one
// piece. So the bytes of a row group depend on its rows only, never on how the rows
// arrived in batches: the same rows written in other batches give the same file, which
// compaction relies on (a day's row groups are the same in its daily object and in its
// month's object).
func (c *pqColumn) write(arr arrow.Array) error {
	if !c.rgPlain {
		if str, ok := arr.(*array.String); ok {
			k := c.memo.add(str, dictPageLimit)
			if k == arr.Len() {
				return nil
			}
			// Too many distinct values: what the memo holds is written with its
			// dictionary, the rest of the row group plain.
			if err := c.flushDict(); err != nil {
				return err
			}
			c.cw.FallbackToPlain()
			c.rgPlain, c.plain = true, true
			c.dense = append(c.dense, array.NewSlice(arr, int64(k), int64(arr.Len())))
			return nil
		}
	}
	arr.Retain()
	c.dense = append(c.dense, arr)
	return nil
}

// pageFlusher is arrow-go's column writers' FlushCurrentPage (not in their interface).
type pageFlusher interface{ FlushCurrentPage() error }

// endRowGroup encodes what the column holds of the row group, and builds and compresses
// its page, so that closing the row group only writes out what is ready.
func (c *pqColumn) endRowGroup(mem memory.Allocator) error {
	if err := c.encodeRest(mem); err != nil {
		return err
	}
	f, ok := c.cw.(pageFlusher)
	if !ok || c.cw.RowsWritten() == 0 {
		return nil
	}
	// Nothing buffered (a plain page of 1 GiB was cut just now): no empty page. A
	// dictionary column's page is never cut before (its memo stops at dictPageLimit).
	if enc := c.cw.CurrentEncoder(); enc.Encoding() != parquet.Encodings.PlainDict && enc.EstimatedDataEncodedSize() == 0 {
		return nil
	}
	return f.FlushCurrentPage()
}

// encodeRest writes the memo and the values kept.
func (c *pqColumn) encodeRest(mem memory.Allocator) error {
	if err := c.flushDict(); err != nil {
		return err
	}
	if len(c.dense) == 0 {
		return nil
	}
	defer func() {
		for _, a := range c.dense {
			a.Release()
		}
		c.dense = c.dense[:0]
	}()
	arr := c.dense[0]
	if len(c.dense) > 1 {
		var err error
		if arr, err = array.Concatenate(c.dense, mem); err != nil {
			return err
		}
		defer arr.Release()
	}
	lv := c.defLevels(arr)
	defer putLevels(lv)
	return pqarrow.WriteArrowToColumn(c.ctx, c.cw, arr, lv, nil, c.nullable)
}

// flushDict writes the row group's memoised values as one dictionary array.
func (c *pqColumn) flushDict() error {
	if c.memo == nil || c.memo.rows() == 0 {
		return nil
	}
	arr := c.memo.dictArray()
	defer arr.Release()
	defer c.memo.reset()
	lv := c.defLevels(arr)
	defer putLevels(lv)
	done, err := writeDict(c.cw, arr, lv)
	if err != nil || done {
		return err
	}
	// The column writer does not take a dictionary (none of ours): the values, plain.
	dense := c.memo.dense()
	defer dense.Release()
	return pqarrow.WriteArrowToColumn(c.ctx, c.cw, dense, lv, nil, c.nullable)
}

// dictSeeder is what arrow-go's dictionary encoders offer for a dictionary known up
// front (an interface of our own: their types live in an internal package).
type dictSeeder interface {
	PutDictionary(arrow.Array) error
	NumEntries() int
}

// writeDict writes a dictionary array into a dictionary-encoding column writer: the
// dictionary is put into the encoder as is, then the indices. It is pqarrow's own path
// for dictionary arrays minus one step: pqarrow first computes the distinct indices (to
// keep statistics to the values referenced), which costs a hash per row; every value of
// our dictionaries is referenced, so the statistics are the dictionary's. done is false
// when the writer does not encode with a dictionary (then nothing was written).
func writeDict(cw file.ColumnChunkWriter, d *array.Dictionary, defLevels []int16) (done bool, err error) {
	enc := cw.CurrentEncoder()
	seed, ok := enc.(dictSeeder)
	if !ok || enc.Encoding() != parquet.Encodings.PlainDict {
		return false, nil
	}
	dict := d.Dictionary()
	if err := seed.PutDictionary(dict); err != nil {
		return false, err
	}
	if seed.NumEntries() != dict.Len() { // duplicate values: cannot happen with strMemo
		cw.FallbackToPlain()
		return false, nil
	}
	if st := cw.PageStatistics(); st != nil {
		st.IncNulls(int64(d.NullN()))
		st.IncNumValues(int64(d.Len() - d.NullN()))
		if err := dictMinMax(st, dict.(*array.String)); err != nil {
			return false, err
		}
	}
	return true, cw.WriteDictIndices(d.Indices(), defLevels, nil)
}

// levelBufs are definition-level buffers, shared by the columns (a row group's worth
// each; one per column at once would be as many buffers as columns).
var levelBufs sync.Pool

// defLevels are the Parquet definition levels of a flat column: 1 for a value, 0 for a
// null; none for a required column. Give them back with putLevels.
func (c *pqColumn) defLevels(arr arrow.Array) []int16 {
	if !c.nullable {
		return nil
	}
	n := arr.Len()
	var lv []int16
	if p, _ := levelBufs.Get().(*[]int16); p != nil && cap(*p) >= n {
		lv = (*p)[:n]
	} else {
		lv = make([]int16, n)
	}
	if arr.NullN() == 0 {
		for i := range lv {
			lv[i] = 1
		}
		return lv
	}
	for i := range lv {
		if arr.IsValid(i) {
			lv[i] = 1
		} else {
			lv[i] = 0
		}
	}
	return lv
}

func putLevels(lv []int16) {
	if lv != nil {
		levelBufs.Put(&lv)
	}
}
