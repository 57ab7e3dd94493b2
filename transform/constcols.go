package transform

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// constColumns are the columns that hold one value for the whole file (the table's
// PeriodColumn and three lineage columns): built once at the length of a full batch and
// shared (sliced) by every batch, instead of appending the same bytes row by row.
type constColumns struct {
	key     string
	version string
	at      arrow.Timestamp
	period  bool      // the table has a PeriodColumn
	day     time.Time // its value; null when zero
	n       int       // length of the arrays built
	cols    []arrow.Array
}

func newConstColumns(key, version string, at arrow.Timestamp, period bool, day time.Time) *constColumns {
	return &constColumns{key: key, version: version, at: at, period: period, day: day}
}

// get returns, for a batch of n rows, the period column (if any), _source_key,
// _report_version and _extracted_at; the caller releases them.
func (c *constColumns) get(n int) []arrow.Array {
	if n > c.n {
		c.release()
		c.n = n
		if c.period {
			c.cols = append(c.cols, constDate(c.day, n))
		}
		c.cols = append(c.cols, constString(c.key, n), constString(c.version, n), constTimestamp(c.at, n))
	}
	out := make([]arrow.Array, len(c.cols))
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
	for _, a := range c.cols {
		a.Release()
	}
	c.cols, c.n = c.cols[:0], 0
}

// constDate is a date32 array of n copies of day (all null when day is zero).
func constDate(day time.Time, n int) arrow.Array {
	buf := make([]byte, 4*n)
	var validity *memory.Buffer
	nulls := 0
	if day.IsZero() {
		validity, nulls = memory.NewBufferBytes(make([]byte, bitutil.BytesForBits(int64(n)))), n
	} else {
		d := uint32(daysFromCivil(day.Year(), int(day.Month()), day.Day()))
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(buf[4*i:], d)
		}
	}
	data := array.NewData(arrow.FixedWidthTypes.Date32, n, []*memory.Buffer{validity, memory.NewBufferBytes(buf)}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
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
	k := len(cs) - 3 // the period column, if any
	cols = append(cols, cs[:k]...)
	cols = append(cols, cs[k], vr.Column(nData), cs[k+1], cs[k+2])
	rec := array.NewRecordBatch(r.schema, cols, int64(n))
	for _, a := range cs {
		a.Release()
	}
	return rec
}
