package transform

import (
	"bytes"
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// constColumns are the lineage columns that hold one value for the whole file: built once
// at the length of a full batch and shared (sliced) by every batch, instead of appending
// the same bytes row by row.
type constColumns struct {
	mem     memory.Allocator
	key     string
	version string
	at      arrow.Timestamp
	n       int            // length of the arrays built
	cols    [3]arrow.Array // _source_key, _report_version, _extracted_at
}

func newConstColumns(mem memory.Allocator, key, version string, at arrow.Timestamp) *constColumns {
	return &constColumns{mem: mem, key: key, version: version, at: at}
}

// get returns the three columns for a batch of n rows (the caller releases them).
func (c *constColumns) get(n int) [3]arrow.Array {
	if n > c.n {
		c.release()
		c.n = n
		c.cols = [3]arrow.Array{constString(c.key, n), constString(c.version, n), constTimestamp(c.at, n)}
	}
	var out [3]arrow.Array
	for i, a := range c.cols {
		if n == c.n {
			a.Retain()
			out[i] = a
		} else {
			out[i] = array.NewSlice(a, 0, int64(n))
		}
	}
	return out
}

func (c *constColumns) release() {
	if c == nil {
		return
	}
	for i, a := range c.cols {
		if a != nil {
			a.Release()
			c.cols[i] = nil
		}
	}
	c.n = 0
}

// constString is a utf8 array of n copies of v.
func constString(v string, n int) arrow.Array {
	offsets := make([]int32, n+1)
	for i := range offsets {
		offsets[i] = int32(i * len(v))
	}
	data := bytes.Repeat([]byte(v), n)
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil,
		memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets)), memory.NewBufferBytes(data)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// constTimestamp is a timestamp[us, UTC] array of n copies of v.
func constTimestamp(v arrow.Timestamp, n int) arrow.Array {
	buf := make([]byte, 8*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
	}
	d := array.NewData(arrow.FixedWidthTypes.Timestamp_us, n, []*memory.Buffer{nil, memory.NewBufferBytes(buf)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// batchOf assembles a batch of the reader's schema from the builders' record (data columns
// and _source_line), which it releases.
func (r *Reader) batchOf(vr arrow.RecordBatch) arrow.RecordBatch {
	defer vr.Release()
	n := int(vr.NumRows())
	nData := len(r.outs)
	cs := r.consts.get(n)
	cols := make([]arrow.Array, 0, r.schema.NumFields())
	cols = append(cols, vr.Columns()[:nData]...)
	cols = append(cols, cs[0], vr.Column(nData), cs[1], cs[2])
	rec := array.NewRecordBatch(r.schema, cols, int64(n))
	for _, a := range cs {
		a.Release()
	}
	return rec
}
