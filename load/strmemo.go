package load

// strMemo: the per-column string dictionary of the encoder (encode.go).

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// strMemo dictionary-encodes one string column for one row group: the distinct values in
// order of first appearance, and an index per row (nulls have index 0 and a clear bit).
type strMemo struct {
	ids     map[string]int32
	data    []byte  // distinct values, concatenated
	offsets []int32 // len = distinct + 1
	bytes   int
	ind     []int32
	valid   []byte // validity bitmap of ind, kept once a null was seen
	nulls   int
	last    []byte // the previous value, for runs
	lastID  int32
	// required: the column is not nullable, so a null in the input (which the schema
	// does not allow, but Arrow arrays can hold) is stored as its slot's value, "" —
	// what pqarrow writes for it — since a required column has no definition levels.
	required bool
}

func newStrMemo() *strMemo {
	return &strMemo{ids: make(map[string]int32), offsets: []int32{0}, lastID: -1}
}

func (m *strMemo) rows() int { return len(m.ind) }

func (m *strMemo) reset() {
	clear(m.ids)
	m.data, m.offsets, m.bytes = m.data[:0], m.offsets[:1], 0
	m.ind, m.valid, m.nulls = m.ind[:0], m.valid[:0], 0
	m.last, m.lastID = nil, -1
}

// add memoises the values of a until a new value would take the distinct values past
// limit bytes, and returns how many rows it took (a.Len() unless it stopped).
func (m *strMemo) add(a *array.String, limit int) int {
	offs := a.ValueOffsets() // absolute positions in the values buffer
	var data []byte
	if b := a.Data().Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	base := len(m.ind)
	hasNulls := a.NullN() > 0 && !m.required
	k := 0
	for ; k < a.Len(); k++ {
		if hasNulls && a.IsNull(k) {
			m.ind = append(m.ind, 0)
			continue
		}
		v := data[offs[k]:offs[k+1]]
		if m.lastID >= 0 && bytes.Equal(v, m.last) {
			m.ind = append(m.ind, m.lastID)
			continue
		}
		id, ok := m.ids[string(v)]
		if !ok {
			if m.bytes+len(v) > limit {
				break
			}
			id = int32(len(m.offsets) - 1)
			m.ids[string(v)] = id
			m.data = append(m.data, v...)
			m.offsets = append(m.offsets, int32(len(m.data)))
			m.bytes += len(v)
		}
		m.ind = append(m.ind, id)
		m.last, m.lastID = m.data[m.offsets[id]:m.offsets[id+1]], id
	}
	if hasNulls || m.nulls > 0 {
		m.setValid(base, a, k) // (never for a required column: hasNulls is false and m.nulls 0)
	}
	return k
}

// setValid extends the validity bitmap over the rows [base, base+k) just added from a's
// first k rows; rows before the row group's first null are all valid.
func (m *strMemo) setValid(base int, a *array.String, k int) {
	need := int(bitutil.BytesForBits(int64(len(m.ind))))
	if m.nulls == 0 { // the first nulls of the row group: every earlier row was valid
		m.valid = m.valid[:0]
		for len(m.valid) < need {
			m.valid = append(m.valid, 0)
		}
		bitutil.SetBitsTo(m.valid, 0, int64(base), true)
	}
	for len(m.valid) < need {
		m.valid = append(m.valid, 0)
	}
	nulls := 0
	if a.NullN() == 0 {
		bitutil.SetBitsTo(m.valid, int64(base), int64(k), true)
	} else {
		bitutil.CopyBitmap(a.NullBitmapBytes(), a.Data().Offset(), k, m.valid, base)
		nulls = k - bitutil.CountSetBits(m.valid, base, k)
	}
	m.nulls += nulls
}

// dictMinMax sets the statistics' min and max from the dictionary's values (all of which
// the row group references). Not UpdateFromArrow: it skips empty strings, so a column
// holding "" would get a min above it and readers would prune row groups they need.
func dictMinMax(st metadata.TypedStatistics, dict *array.String) error {
	bs, ok := st.(*metadata.ByteArrayStatistics)
	if !ok {
		return st.UpdateFromArrow(dict, false)
	}
	if dict.Len() == 0 {
		return nil
	}
	lo, hi := dict.Value(0), dict.Value(0)
	for i := 1; i < dict.Len(); i++ {
		v := dict.Value(i)
		lo, hi = min(lo, v), max(hi, v) // byte-wise, as Parquet orders UTF8
	}
	bs.SetMinMax(parquet.ByteArray(append([]byte{}, lo...)), parquet.ByteArray(append([]byte{}, hi...)))
	return nil
}

// dense is the memoised row group as a plain utf8 array.
func (m *strMemo) dense() arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(len(m.ind))
	for i, id := range m.ind {
		if m.nulls > 0 && !bitutil.BitIsSet(m.valid, i) {
			b.AppendNull()
			continue
		}
		b.BinaryBuilder.Append(m.data[m.offsets[id]:m.offsets[id+1]])
	}
	return b.NewArray()
}

// dictArray is the memoised row group as a dictionary<int32, utf8> array.
func (m *strMemo) dictArray() *array.Dictionary {
	dict := array.NewData(arrow.BinaryTypes.String, len(m.offsets)-1,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(m.offsets)), memory.NewBufferBytes(m.data)}, nil, 0, 0)
	defer dict.Release()
	var validity *memory.Buffer
	if m.nulls > 0 {
		validity = memory.NewBufferBytes(m.valid)
	}
	ind := array.NewData(arrow.PrimitiveTypes.Int32, len(m.ind),
		[]*memory.Buffer{validity, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(m.ind))}, nil, m.nulls, 0)
	defer ind.Release()
	typ := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	data := array.NewData(typ, len(m.ind), ind.Buffers(), nil, m.nulls, 0)
	data.SetDictionary(dict)
	defer data.Release()
	return array.NewDictionaryData(data)
}
