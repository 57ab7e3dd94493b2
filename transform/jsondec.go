package transform

// The JSON decoder shared by every JSON payload (metrics, diagnostics, catalog,
// TestFlight usage; reviews use its error type): it names the JSON path of every problem.
//
// JSON documents are decoded level by level: each object into a struct whose members are
// json.RawMessage, each array into []json.RawMessage, so that absent, null and present
// are told apart, a value of the wrong JSON type is reported with its full path
// (productData[0].metricCategories[1].metrics[0].datasets[2].points[3].value), and
// unknown members are ignored. Member names are matched as encoding/json matches struct
// fields (exact match preferred, else case-insensitive). Call-stack frame trees are the
// one exception (see diagnostics_logs.go).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Reasons used as JSONError.Err; match them with errors.Is. Timestamps that do not parse
// use ErrInvalidDate, numbers too large for a float64 ErrOutOfRange.
var (
	ErrInvalidJSON   = errors.New("invalid JSON")
	ErrMissingField  = errors.New("missing")
	ErrInvalidRating = errors.New("rating must be an integer from 1 to 5")
	ErrWrongType     = errors.New("wrong JSON type")
	ErrLinkage       = errors.New("inconsistent linkage")
	ErrDuplicateID   = errors.New("duplicate id")
)

// JSONError is a problem in a JSON payload: a metrics, diagnostics, catalog or usage
// document, or a reviews page. Its text is "<key>: [<where> <index> (id <id>): ][<path>: ]<detail>":
//
//	raw/m.json: productData[0].metricCategories[1].metrics[0].datasets[2].points[3].value: want a number, got "7"
//	raw/r.json: review 3 (id 00000028-b08c): attributes.createdDate: cannot parse "…"
//
// Where, Index and ID name a resource of a reviews page ("review" for data[], "included"
// for included[], Index 1-based; "(no id)" when the id is not known); Path is then the
// JSON path inside that resource. Without Where, Path is the path from the document root.
// Path is "" for problems with the whole document or resource. Err is one of the reasons
// above (ErrInvalidJSON, ErrWrongType, ErrMissingField, …; match with errors.Is).
type JSONError struct {
	Key    string // raw object key of the document
	Where  string // "review", "included" or "" (not inside a resource)
	Index  int    // 1-based position in data[] or included[]; 0 without Where
	ID     string // resource id, if known
	Path   string // JSON path of the offending value
	Detail string // what is wrong, in words; Err's text when empty
	Err    error
}

// ReviewError is the name DecodeReviewPage's errors had before the JSON error types were
// merged; its Field is now JSONError.Path.
//
// Deprecated: use JSONError.
type ReviewError = JSONError

func (e *JSONError) Error() string {
	var b strings.Builder
	b.WriteString(e.Key)
	b.WriteString(": ")
	if e.Where != "" {
		fmt.Fprintf(&b, "%s %d ", e.Where, e.Index)
		if e.ID != "" {
			fmt.Fprintf(&b, "(id %s): ", e.ID)
		} else {
			b.WriteString("(no id): ")
		}
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Detail != "" {
		b.WriteString(e.Detail)
	} else if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *JSONError) Unwrap() error { return e.Err }

// isJSONNull reports whether a member is absent (no bytes) or JSON null.
func isJSONNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// clipJSON is raw JSON for an error message, cut after 60 bytes.
func clipJSON(raw []byte) string {
	const max = 60
	if len(raw) > max {
		return string(raw[:max]) + "…"
	}
	return string(raw)
}

// apiError is the error for a payload that is an ErrorResponse ("errors" present and not
// null); nil otherwise.
func apiError(key string, errs json.RawMessage) error {
	if isJSONNull(errs) {
		return nil
	}
	return &JSONError{Key: key, Path: "errors", Err: ErrInvalidJSON, Detail: "API error document: " + clipJSON(errs)}
}

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
