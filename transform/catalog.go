package transform

// Catalog documents (issue 9) — apps, App Store versions, builds, in-app purchases,
// subscription groups and subscriptions, Xcode Cloud products, build runs and actions — are
// JSON:API documents. DecodeDocument splits one into its resources; ResourceRow fills a
// catalog table's row from a resource, column by column, following the JSON path each
// schemas.Column names in Header ("id", "attributes.name", "attributes.issueCounts.errors",
// "relationships.app.data.id"). Columns whose Header is in parentheses are left null for the
// caller (the pipeline) to fill. Rows are plain Go values (CatalogRow) because the pipeline
// merges them with the rows already stored (catalog_merge.go) before building the batch.
//
// Null rules: an absent or null member gives a null column; "" stays "". A value of the
// wrong JSON type, a date that does not parse or a resource without an id is an error
// naming the raw object key and the JSON path (*JSONError).

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ascetl/etl/schemas"
)

// CatalogRow is one row of a catalog table. Vals[i] is the value of the table's column i:
// string, int64, float64, bool, time.Time (UTC; midnight for DateISO columns) or nil for
// null. Lineage is the document the row was first read from.
type CatalogRow struct {
	Vals        []any
	SourceKey   string
	SourceLine  int64 // 1-based position of the resource in data[] (or of the data point)
	ExtractedAt time.Time
}

// Get returns the value of the named column (nil when null or not a column).
func (r CatalogRow) Get(t *schemas.Table, col string) any {
	if i := colIndex(t, col); i >= 0 && i < len(r.Vals) {
		return r.Vals[i]
	}
	return nil
}

// Str returns the named string column, "" when null.
func (r CatalogRow) Str(t *schemas.Table, col string) string {
	s, _ := r.Get(t, col).(string)
	return s
}

// Set sets the named column; it panics if the table has no such column (a programming
// error, like a misspelt column name).
func (r *CatalogRow) Set(t *schemas.Table, col string, v any) {
	i := colIndex(t, col)
	if i < 0 {
		panic("transform: table " + t.Name + " has no column " + col)
	}
	r.Vals[i] = v
}

func colIndex(t *schemas.Table, col string) int {
	for i, c := range t.Columns {
		if c.Name == col {
			return i
		}
	}
	return -1
}

// Resource is one JSON:API resource of a document.
type Resource struct {
	Type  string
	ID    string
	Index int    // 1-based position in data[] or included[]
	Where string // "data" or "included"
	raw   json.RawMessage
}

func (r *Resource) path() *jpath { return (*jpath)(nil).field(r.Where).at(r.Index - 1) }

// Attributes is the resource's raw "attributes" object (nil when absent or null).
func (r *Resource) Attributes() json.RawMessage {
	raw, _, _, _ := r.member(jdec{}, "attributes")
	return raw
}

// Document is one decoded JSON:API document: a list page or a single resource.
type Document struct {
	Key      string
	Data     []Resource
	Included []Resource
	Next     string // links.next, "" on the last page
}

// Find returns the included resource of the given type and id.
func (d *Document) Find(typ, id string) (*Resource, bool) {
	for i := range d.Included {
		if r := &d.Included[i]; r.Type == typ && r.ID == id {
			return r, true
		}
	}
	return nil, false
}

// DecodeDocument decodes a JSON:API document: data (an array, or one object for a single
// resource), included and links.next. Every resource needs a type and a non-empty string
// id. An "errors" member is an error.
func DecodeDocument(key string, data []byte) (*Document, error) {
	d := jdec{key: key}
	var top struct {
		Data     json.RawMessage `json:"data"`
		Included json.RawMessage `json:"included"`
		Links    json.RawMessage `json:"links"`
		Errors   json.RawMessage `json:"errors"`
	}
	if err := d.document(data, &top); err != nil {
		return nil, err
	}
	if err := apiError(key, top.Errors); err != nil {
		return nil, err
	}
	if isJSONNull(top.Data) {
		return nil, &JSONError{Key: key, Path: "data", Err: ErrMissingField}
	}
	doc := &Document{Key: key}
	items := []json.RawMessage{top.Data}
	if top.Data[0] == '[' {
		var err error
		if items, err = d.array(top.Data, (*jpath)(nil).field("data")); err != nil {
			return nil, err
		}
	}
	inc, err := d.array(top.Included, (*jpath)(nil).field("included"))
	if err != nil {
		return nil, err
	}
	if doc.Data, err = d.resources("data", items); err != nil {
		return nil, err
	}
	if doc.Included, err = d.resources("included", inc); err != nil {
		return nil, err
	}
	next, err := d.linksNext(top.Links)
	if err != nil {
		return nil, err
	}
	doc.Next = next
	return doc, nil
}

// resources checks the envelope (type and id, both non-empty strings) of each element
// of data[] or included[] (where).
func (d jdec) resources(where string, items []json.RawMessage) ([]Resource, error) {
	var out []Resource
	for i, raw := range items {
		r := Resource{Where: where, Index: i + 1, raw: raw}
		var env struct {
			Type json.RawMessage `json:"type"`
			ID   json.RawMessage `json:"id"`
		}
		if _, err := d.object(raw, r.path(), &env); err != nil {
			return nil, err
		}
		var err error
		if r.Type, err = d.required(env.Type, r.path(), "type"); err != nil {
			return nil, err
		}
		if r.ID, err = d.required(env.ID, r.path(), "id"); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// linksNext decodes a document's links.next; "" when links or next is absent or null.
func (d jdec) linksNext(raw json.RawMessage) (string, error) {
	if isJSONNull(raw) {
		return "", nil
	}
	var links struct {
		Next json.RawMessage `json:"next"`
	}
	lp := (*jpath)(nil).field("links")
	if _, err := d.object(raw, lp, &links); err != nil {
		return "", err
	}
	next, err := d.str(links.Next, lp, "next")
	if err != nil || next == nil {
		return "", err
	}
	return *next, nil
}

// member walks a dotted path ("attributes.issueCounts.errors") from the resource object.
// It returns the raw value (nil when any step is absent or null), the path of the object
// holding it and the last member name, for error messages.
func (r *Resource) member(d jdec, dotted string) (json.RawMessage, *jpath, string, error) {
	return r.memberFrom(d, r.path(), dotted)
}

// memberFrom is member with the resource object at path p.
func (r *Resource) memberFrom(d jdec, p *jpath, dotted string) (json.RawMessage, *jpath, string, error) {
	parts := strings.Split(dotted, ".")
	cur := r.raw
	for i, name := range parts {
		var m map[string]json.RawMessage
		ok, err := d.object(cur, p, &m)
		if err != nil || !ok {
			return nil, p, name, err
		}
		if i == len(parts)-1 {
			return m[name], p, name, nil
		}
		cur, p = m[name], p.field(name)
	}
	return nil, p, "", nil
}

// Related returns the id of a to-one relationship's linkage (relationships.<name>.data.id);
// ok is false when the relationship or its data is absent or null.
func (r *Resource) Related(key, name string) (id string, ok bool, err error) {
	v, err := r.value(jdec{key: key}, "relationships."+name+".data.id", schemas.String)
	if s, isStr := v.(string); isStr && err == nil {
		return s, true, nil
	}
	return "", false, err
}

// RelatedMany returns the ids of a to-many relationship's linkage data, in order.
func (r *Resource) RelatedMany(key, name string) ([]string, error) {
	d := jdec{key: key}
	raw, p, last, err := r.member(d, "relationships."+name+".data")
	if err != nil {
		return nil, err
	}
	items, err := d.array(raw, p.field(last))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(items))
	for i, it := range items {
		var id struct {
			ID json.RawMessage `json:"id"`
		}
		ip := p.field(last).at(i)
		if _, err := d.object(it, ip, &id); err != nil {
			return nil, err
		}
		s, err := d.required(id.ID, ip, "id")
		if err != nil {
			return nil, err
		}
		ids = append(ids, s)
	}
	return ids, nil
}

// Attr returns a string attribute (nil when absent or null).
func (r *Resource) Attr(key, name string) (*string, error) {
	v, err := r.value(jdec{key: key}, "attributes."+name, schemas.String)
	if s, ok := v.(string); ok {
		return &s, err
	}
	return nil, err
}

// value decodes the member at a dotted path as a column of kind k.
func (r *Resource) value(d jdec, dotted string, k schemas.Kind) (any, error) {
	if dotted == "id" {
		return r.ID, nil
	}
	raw, p, name, err := r.member(d, dotted)
	if err != nil || isJSONNull(raw) {
		return nil, err
	}
	return d.kindValue(raw, p, name, k)
}

// kindValue decodes one JSON value as a column of kind k.
func (d jdec) kindValue(raw json.RawMessage, p *jpath, name string, k schemas.Kind) (any, error) {
	switch k {
	case schemas.String:
		s, err := d.textOrNumber(raw, p, name)
		if err != nil || s == nil {
			return nil, err
		}
		return *s, nil
	case schemas.Int64:
		n, err := d.integer(raw, p, name)
		if err != nil || n == nil {
			return nil, err
		}
		return *n, nil
	case schemas.Float64:
		f, err := d.num(raw, p, name)
		if err != nil || f == nil {
			return nil, err
		}
		return *f, nil
	case schemas.Bool:
		b, err := d.boolean(raw, p, name)
		if err != nil || b == nil {
			return nil, err
		}
		return *b, nil
	case schemas.Timestamp, schemas.DateISO:
		s, err := d.str(raw, p, name)
		if err != nil || s == nil {
			return nil, err
		}
		t, perr := parseCatalogTime(*s, k)
		if perr != nil {
			return nil, d.fail(p.field(name), ErrInvalidDate, fmt.Sprintf("cannot parse %q", *s))
		}
		return t, nil
	}
	return nil, d.fail(p.field(name), ErrWrongType, "column kind "+k.String()+" is not read from JSON")
}

// parseCatalogTime parses an RFC 3339 date-time (UTC, microseconds) or, for a date
// column, YYYY-MM-DD (a date-time gives its UTC date).
func parseCatalogTime(s string, k schemas.Kind) (time.Time, error) {
	if k == schemas.DateISO {
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return t, nil
		}
	}
	t, _, err := parseRFC3339(s)
	if err != nil {
		return time.Time{}, err
	}
	if k == schemas.DateISO {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	return t.Truncate(time.Microsecond), nil
}

// ResourceRow fills a row of table t from resource r of doc: every column whose Header is
// a JSON path; columns with a parenthesised Header stay null. Lineage: the document's key,
// the resource's position, extractedAt.
func ResourceRow(t *schemas.Table, doc *Document, r *Resource, extractedAt time.Time) (CatalogRow, error) {
	d := jdec{key: doc.Key}
	row := CatalogRow{Vals: make([]any, len(t.Columns)), SourceKey: doc.Key, SourceLine: int64(r.Index), ExtractedAt: extractedAt.UTC()}
	for i, c := range t.Columns {
		if strings.HasPrefix(c.Header, "(") {
			continue
		}
		v, err := r.value(d, c.Header, c.Kind)
		if err != nil {
			return CatalogRow{}, err
		}
		row.Vals[i] = v
	}
	return row, nil
}

// NewCatalogRow is an empty row of t (every column null) with the given lineage.
func NewCatalogRow(t *schemas.Table, key string, line int64, extractedAt time.Time) CatalogRow {
	return CatalogRow{Vals: make([]any, len(t.Columns)), SourceKey: key, SourceLine: line, ExtractedAt: extractedAt.UTC()}
}
