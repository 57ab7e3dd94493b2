package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// ParquetKey is the object key of one table partition:
// parquet/<table>/<partition>/data.parquet.
func ParquetKey(table, partition string) string {
	return "parquet/" + table + "/" + partition + "/data.parquet"
}

// UnitParquetKey is the object of the unit's partition: ParquetKey, or for a table stored
// by month (schemas.Table.PeriodColumn) the unit's own period object while its month is
// open (PeriodKey; a compacted month is ParquetKey of the partition). It fails for an
// invalid unit.
func UnitParquetKey(u report.Unit) (string, error) {
	p, err := u.Partition()
	if err != nil {
		return "", err
	}
	if t, err := schemas.ForUnit(u); err == nil && t.PeriodColumn != "" {
		start, _, err := u.Bounds()
		if err != nil {
			return "", err
		}
		return PeriodKey(u.Table(), p, start), nil
	}
	return ParquetKey(u.Table(), p), nil
}

// RecordReader is the stream WriteParquet consumes (transform.Reader satisfies it). The
// batch returned by RecordBatch is owned by the reader and valid until the next Next.
type RecordReader interface {
	Schema() *arrow.Schema
	Next() bool
	RecordBatch() arrow.RecordBatch
	Err() error
}

// DefaultRowGroupRows is the row-group length used when ParquetOptions leaves it zero.
const DefaultRowGroupRows = 64 * 1024

// parquetBufferSize is the upload chunk size of the blob writer (one multipart part on
// S3/GCS). Memory per upload is about this times the driver's upload concurrency.
const parquetBufferSize = 8 << 20

// ParquetOptions tunes WriteParquet; the zero value is usable.
type ParquetOptions struct {
	// RowGroupRows is the maximum rows per row group (default DefaultRowGroupRows).
	// A row group is buffered, encoded and compressed, in memory until it is full, so
	// this bounds the writer's memory together with the schema width.
	RowGroupRows int64
	// Alloc is used for all Arrow/Parquet buffers (default memory.DefaultAllocator).
	Alloc memory.Allocator
	// Compression is the codec (config parquet.compression): "zstd" (the default, also
	// for ""), "snappy", "gzip" or "none". WriteParquet fails on any other value.
	Compression string
}

// Codec maps a parquet.compression name to the Parquet codec; "" is zstd.
func Codec(name string) (compress.Compression, error) {
	switch name {
	case "", "zstd":
		return compress.Codecs.Zstd, nil
	case "snappy":
		return compress.Codecs.Snappy, nil
	case "gzip":
		return compress.Codecs.Gzip, nil
	case "none", "uncompressed":
		return compress.Codecs.Uncompressed, nil
	}
	return compress.Codecs.Uncompressed, fmt.Errorf("unknown Parquet compression %q (zstd, snappy, gzip or none)", name)
}

// WriteInfo describes a committed Parquet object.
type WriteInfo struct {
	Key   string
	Rows  int64
	Bytes int64
}

// WriteParquet streams rr into a Parquet object at key (zstd unless opt says otherwise, dictionary, statistics,
// explicit row-group length, Arrow schema stored, decimals up to 18 digits stored as
// integers) and replaces any previous object atomically. Batches are written as they
// arrive; nothing is collected. If a batch fails to write, rr.Err() is non-nil at the end,
// or ctx is cancelled, the write is aborted and key keeps its previous content (or stays
// absent). A stream with no rows still produces a valid file carrying the schema.
func (s *Store) WriteParquet(ctx context.Context, key string, rr RecordReader, opt ParquetOptions) (WriteInfo, error) {
	schema := rr.Schema()
	if schema == nil {
		return WriteInfo{}, fmt.Errorf("write %s: record reader has no schema", key)
	}
	var rows int64
	n, err := s.writeParquet(ctx, key, schema, opt, func(fw *pqWriter) error {
		return writeBatches(ctx, fw, rr, &rows)
	})
	if err != nil {
		return WriteInfo{}, fmt.Errorf("write %s: %w", key, err)
	}
	return WriteInfo{Key: key, Rows: rows, Bytes: n}, nil
}

// writeParquet writes a Parquet object of schema at key, its rows written by fill, and
// commits it only if fill and the footer succeed (s.write): an error leaves key as it was.
func (s *Store) writeParquet(ctx context.Context, key string, schema *arrow.Schema, opt ParquetOptions, fill func(*pqWriter) error) (int64, error) {
	wopts := &blob.WriterOptions{ContentType: "application/vnd.apache.parquet", BufferSize: parquetBufferSize}
	return s.write(ctx, key, wopts, func(w *countingWriter) error {
		w.swallow = true
		pw, err := newPQWriter(w, schema, opt, nil)
		if err != nil {
			return err
		}
		// The blob is committed or aborted by s.write, never by the Parquet writer.
		if err := fill(pw); err != nil {
			w.discard = true // let Close free its buffers without uploading more
			_ = pw.Close()
			return err
		}
		return pw.Close()
	})
}

// StreamError is the error of the record reader a write consumed (a bad row of the
// report being streamed): nothing was written, and the error is the input's, not the
// bucket's; callers may report it alone (it names its own file, line and column).
type StreamError struct{ Err error }

func (e *StreamError) Error() string { return e.Err.Error() }
func (e *StreamError) Unwrap() error { return e.Err }

// writeBatches copies rr into fw, checking ctx between batches.
func writeBatches(ctx context.Context, fw *pqWriter, rr RecordReader, rows *int64) error {
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rr.RecordBatch()
		if rec == nil || rec.NumRows() == 0 {
			continue
		}
		if err := fw.Write(rec); err != nil {
			return err
		}
		*rows += rec.NumRows()
	}
	if err := rr.Err(); err != nil {
		return &StreamError{Err: err}
	}
	return ctx.Err()
}

// ReadTable reads the whole Parquet object at key into an Arrow table allocated from
// alloc (default memory.DefaultAllocator); the caller releases it. The table carries the
// schema as written (schema metadata kept, the reader's unset "PARQUET:field_id" field
// metadata dropped). The object is fetched into memory first, so this is meant for tests,
// checks and small partitions.
func (s *Store) ReadTable(ctx context.Context, key string, alloc memory.Allocator) (arrow.Table, error) {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	data, err := s.b.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	tbl, err := readTable(ctx, data, alloc)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return tbl, nil
}

func readTable(ctx context.Context, data []byte, alloc memory.Allocator) (arrow.Table, error) {
	pf, err := file.NewParquetReader(bytes.NewReader(data), file.WithReadProps(parquet.NewReaderProperties(alloc)))
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, alloc)
	if err != nil {
		return nil, err
	}
	full, err := fr.Schema()
	if err != nil {
		return nil, err
	}
	tbl, err := fr.ReadTable(ctx)
	if err != nil {
		return nil, err
	}
	defer tbl.Release()
	// fr.ReadTable drops the schema metadata; put it back and tidy the fields.
	fields := tbl.Schema().Fields()
	cols := make([]arrow.Column, len(fields))
	for i := range fields {
		fields[i].Metadata = dropUnsetFieldID(fields[i].Metadata)
		cols[i] = *arrow.NewColumn(fields[i], tbl.Column(i).Data())
		defer cols[i].Release()
	}
	md := full.Metadata()
	return array.NewTable(arrow.NewSchema(fields, &md), cols, tbl.NumRows()), nil
}

func dropUnsetFieldID(md arrow.Metadata) arrow.Metadata {
	if v, ok := md.GetValue("PARQUET:field_id"); !ok || v != "-1" {
		return md
	}
	var keys, vals []string
	for i, k := range md.Keys() {
		if k != "PARQUET:field_id" {
			keys, vals = append(keys, k), append(vals, md.Values()[i])
		}
	}
	return arrow.NewMetadata(keys, vals)
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
