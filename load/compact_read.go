package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"gocloud.dev/blob"
)

// blobFile reads an object by ranges, so a large Parquet object is read a row group at a
// time (footer first) instead of being fetched whole.
type blobFile struct {
	ctx  context.Context
	b    *blob.Bucket
	key  string
	size int64
	pos  int64
}

func (f *blobFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.size {
		return 0, io.EOF
	}
	n := int64(len(p))
	if off+n > f.size {
		n = f.size - off
	}
	r, err := f.b.NewRangeReader(f.ctx, f.key, off, n, nil)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	m, err := io.ReadFull(r, p[:n])
	if err == nil && n < int64(len(p)) {
		err = io.EOF
	}
	return m, err
}

func (f *blobFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += f.size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	f.pos = offset
	return offset, nil
}

// parquetObject is a Parquet object opened for reading row groups.
type parquetObject struct {
	key    string
	pf     *file.Reader
	fr     *pqarrow.FileReader
	schema *arrow.Schema // as written (ARROW:schema), unset field ids dropped
	mem    memory.Allocator
	sha256 string // of the object's bytes, when it was read whole
}

// smallObject is the size up to which a Parquet object is read whole into memory (one
// request) rather than by ranges (a request per column chunk).
const smallObject = 8 << 20

// openParquet opens the Parquet object at key. sha256 is set when the object was small
// enough to be read whole (the hash of its bytes comes for free then).
func (s *Store) openParquet(ctx context.Context, key string, mem memory.Allocator) (*parquetObject, error) {
	attrs, err := s.b.Attributes(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	var src parquet.ReaderAtSeeker = &blobFile{ctx: ctx, b: s.b, key: key, size: attrs.Size}
	sum := ""
	if attrs.Size <= smallObject {
		data, err := s.b.ReadAll(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", key, err)
		}
		h := sha256.Sum256(data)
		src, sum = bytes.NewReader(data), hex.EncodeToString(h[:])
	}
	props := parquet.NewReaderProperties(mem)
	pf, err := file.NewParquetReader(src, file.WithReadProps(props))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{Parallel: true}, mem) // columns read concurrently
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	sc, err := fr.Schema()
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	fields := sc.Fields()
	for i := range fields {
		fields[i].Metadata = dropUnsetFieldID(fields[i].Metadata)
	}
	md := sc.Metadata()
	return &parquetObject{key: key, pf: pf, fr: fr, schema: arrow.NewSchema(fields, &md), mem: mem, sha256: sum}, nil
}

func (o *parquetObject) close() { o.pf.Close() }

// meta is a footer key/value of the object ("" when absent).
func (o *parquetObject) meta(k string) string {
	if kv := o.pf.MetaData().KeyValueMetadata(); kv != nil {
		if v := kv.FindValue(k); v != nil {
			return *v
		}
	}
	return ""
}

// rowGroup reads row group i as one record batch of o.schema.
func (o *parquetObject) rowGroup(ctx context.Context, i int) (arrow.RecordBatch, error) {
	cols := make([]int, o.pf.MetaData().Schema.NumColumns()) // every (flat) column
	for c := range cols {
		cols[c] = c
	}
	tbl, err := o.fr.ReadRowGroups(ctx, cols, []int{i})
	if err != nil {
		return nil, fmt.Errorf("read %s: row group %d: %w", o.key, i, err)
	}
	defer tbl.Release()
	arrs := make([]arrow.Array, tbl.NumCols())
	defer func() {
		for _, a := range arrs {
			if a != nil {
				a.Release()
			}
		}
	}()
	for c := range arrs {
		chunks := tbl.Column(c).Data().Chunks()
		if len(chunks) == 1 {
			chunks[0].Retain()
			arrs[c] = chunks[0]
			continue
		}
		if arrs[c], err = array.Concatenate(chunks, o.mem); err != nil {
			return nil, fmt.Errorf("read %s: row group %d: %w", o.key, i, err)
		}
	}
	return array.NewRecordBatch(o.schema, arrs, tbl.NumRows()), nil
}

// objectSHA256 is the hex sha256 of the object's bytes.
func (s *Store) objectSHA256(ctx context.Context, key string) (string, error) {
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// project returns rec with the columns of schema, by name: missing ones all null, extra
// ones dropped. The types of shared names must agree.
func project(rec arrow.RecordBatch, schema *arrow.Schema, mem memory.Allocator) (arrow.RecordBatch, error) {
	n := rec.NumRows()
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range schema.Fields() {
		idx := rec.Schema().FieldIndices(f.Name)
		if len(idx) == 0 {
			cols[i] = array.MakeArrayOfNull(mem, f.Type, int(n))
			continue
		}
		c := rec.Column(idx[0])
		if !arrow.TypeEqual(c.DataType(), f.Type) {
			return nil, fmt.Errorf("column %s: type %s, want %s", f.Name, c.DataType(), f.Type)
		}
		c.Retain()
		cols[i] = c
	}
	return array.NewRecordBatch(schema, cols, n), nil
}
