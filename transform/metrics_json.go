package transform

// Helpers shared by the metrics (metrics.go) and diagnostics (diagnostics.go) flattenings:
// a JSON decoder that names the JSON path of every problem, and a record builder that
// fills columns by name and checks the table's schema against the columns it fills.
//
// JSON documents are decoded level by level: each object into a struct whose members are
// json.RawMessage, each array into []json.RawMessage, so that absent, null and present
// are told apart, a value of the wrong JSON type is reported with its full path
// (productData[0].metricCategories[1].metrics[0].datasets[2].points[3].value), and
// unknown members are ignored. Member names are matched as encoding/json matches struct
// fields (exact match preferred, else case-insensitive). Call-stack frame trees are the
// one exception (see diagnostics.go).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// JSONError is a problem in a metrics or diagnostics JSON document. Its text is
// "<key>: <path>: <detail>", e.g.
// "raw/m.json: productData[0].metricCategories[1].metrics[0].datasets[2].points[3].value: want a number, got \"7\"".
// Path is "" for problems with the whole document. Err is one of ErrInvalidJSON,
// ErrWrongType, ErrMissingField (match with errors.Is).
type JSONError struct {
	Key    string // raw object key of the document
	Path   string // JSON path of the offending value
	Detail string // what is wrong, in words; Err's text when empty
	Err    error
}

func (e *JSONError) Error() string {
	var b strings.Builder
	b.WriteString(e.Key)
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Detail != "" {
		b.WriteString(e.Detail)
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *JSONError) Unwrap() error { return e.Err }

// jpath is a JSON path, built as a chain from the leaf to the document root (nil). It is
// rendered only when an error is reported.
type jpath struct {
	parent *jpath
	name   string // member name; "" for an array element
	index  int    // array position when name is ""
}

func (p *jpath) field(name string) *jpath { return &jpath{parent: p, name: name} }
func (p *jpath) at(i int) *jpath          { return &jpath{parent: p, index: i} }

func (p *jpath) String() string {
	var elems []*jpath
	for q := p; q != nil; q = q.parent {
		elems = append(elems, q)
	}
	var b strings.Builder
	for i := len(elems) - 1; i >= 0; i-- {
		e := elems[i]
		if e.name == "" {
			fmt.Fprintf(&b, "[%d]", e.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.name)
	}
	return b.String()
}

// jdec decodes JSON values of one document, naming key and path in its errors. Leaf
// decoders take the parent path and member name and build the full path only on error.
type jdec struct{ key string }

func (d jdec) fail(p *jpath, err error, detail string) error {
	return &JSONError{Key: d.key, Path: p.String(), Err: err, Detail: detail}
}

// jsonType names the JSON type of a raw value (as decoded by encoding/json: no leading
// whitespace).
func jsonType(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case 'n':
		return "null"
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

func (d jdec) wrong(p *jpath, want string, raw json.RawMessage) error {
	return d.fail(p, ErrWrongType, "want "+want+", got "+clipJSON(raw))
}

// document decodes a whole document into dst (a struct of json.RawMessage members).
func (d jdec) document(data []byte, dst any) error {
	if err := json.Unmarshal(data, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return &JSONError{Key: d.key, Err: ErrInvalidJSON, Detail: "want a JSON object, got " + te.Value}
		}
		return &JSONError{Key: d.key, Err: ErrInvalidJSON, Detail: syntaxDetail(data, err)}
	}
	return nil
}

// syntaxDetail says what is wrong with a document that is not JSON, and where: "invalid
// JSON at line 3, column 17: invalid character '}' …". A truncated document is reported
// at its last byte.
func syntaxDetail(data []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return "invalid JSON: " + err.Error()
	}
	// Offset counts the bytes read up to and including the offending one (1-based).
	pos := min(max(int(se.Offset), 1), len(data))
	if len(data) == 0 {
		return "invalid JSON at line 1, column 1: " + err.Error()
	}
	before := data[:pos-1]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := pos - 1 - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("invalid JSON at line %d, column %d: %s", line, col, err)
}

// object decodes the object at p into dst; ok is false when it is absent or null.
func (d jdec) object(raw json.RawMessage, p *jpath, dst any) (ok bool, err error) {
	if isJSONNull(raw) {
		return false, nil
	}
	if raw[0] != '{' {
		return false, d.wrong(p, "an object", raw)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return false, d.fail(p, ErrInvalidJSON, err.Error())
	}
	return true, nil
}

// array decodes the array at p; nil when it is absent or null.
func (d jdec) array(raw json.RawMessage, p *jpath) ([]json.RawMessage, error) {
	if isJSONNull(raw) {
		return nil, nil
	}
	if raw[0] != '[' {
		return nil, d.wrong(p, "an array", raw)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, d.fail(p, ErrInvalidJSON, err.Error())
	}
	return items, nil
}

// str decodes an optional string member; nil when absent or null.
func (d jdec) str(raw json.RawMessage, p *jpath, name string) (*string, error) {
	if isJSONNull(raw) {
		return nil, nil
	}
	if raw[0] != '"' {
		return nil, d.wrong(p.field(name), "a string", raw)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, d.fail(p.field(name), ErrInvalidJSON, err.Error())
	}
	return &s, nil
}

// required is str for a member that must be present, non-null and non-empty.
func (d jdec) required(raw json.RawMessage, p *jpath, name string) (string, error) {
	s, err := d.str(raw, p, name)
	if err != nil {
		return "", err
	}
	if s == nil {
		return "", d.fail(p.field(name), ErrMissingField, "")
	}
	if *s == "" {
		return "", d.fail(p.field(name), ErrMissingField, "empty")
	}
	return *s, nil
}

// textOrNumber decodes a member that is a string in Apple's JSON but may be a number: a
// number is kept as its JSON text, exactly as written ("42", "1.5e3").
func (d jdec) textOrNumber(raw json.RawMessage, p *jpath, name string) (*string, error) {
	if jsonType(raw) == "number" {
		s := string(raw)
		return &s, nil
	}
	s, err := d.str(raw, p, name)
	if err != nil {
		return nil, d.wrong(p.field(name), "a string or a number", raw)
	}
	return s, nil
}

// num decodes an optional number (integer or decimal); nil when absent or null.
func (d jdec) num(raw json.RawMessage, p *jpath, name string) (*float64, error) {
	if isJSONNull(raw) {
		return nil, nil
	}
	if jsonType(raw) != "number" {
		return nil, d.wrong(p.field(name), "a number", raw)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return nil, d.fail(p.field(name), ErrOutOfRange, fmt.Sprintf("%v: %s", ErrOutOfRange, clipJSON(raw)))
	}
	return &f, nil
}

// integer decodes an optional integer; a decimal with no fraction (3.0, 1e3) is accepted.
func (d jdec) integer(raw json.RawMessage, p *jpath, name string) (*int64, error) {
	if isJSONNull(raw) {
		return nil, nil
	}
	if jsonType(raw) != "number" {
		return nil, d.wrong(p.field(name), "an integer", raw)
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return &n, nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != float64(int64(f)) || f < -(1<<63) || f >= 1<<63 {
		return nil, d.wrong(p.field(name), "an integer", raw)
	}
	n := int64(f)
	return &n, nil
}

// boolean decodes an optional boolean; nil when absent or null.
func (d jdec) boolean(raw json.RawMessage, p *jpath, name string) (*bool, error) {
	if isJSONNull(raw) {
		return nil, nil
	}
	switch string(raw) {
	case "true":
		v := true
		return &v, nil
	case "false":
		v := false
		return &v, nil
	}
	return nil, d.wrong(p.field(name), "a boolean", raw)
}

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
