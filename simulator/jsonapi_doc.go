package simulator

import (
	"bytes"
	"encoding/json"
)

// JSON:API document shapes: the ordered kvs resources of the catalog-style families (jres),
// the typed resources of reviews and metrics (resource), links, linkage and paging meta.

// kv is one attribute or relationship; lists of them marshal as JSON objects in order.
type kv struct {
	k string
	v any
}

type kvs []kv

func (o kvs) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		var vb bytes.Buffer
		enc := json.NewEncoder(&vb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e.v); err != nil {
			return nil, err
		}
		b.Write(bytes.TrimRight(vb.Bytes(), "\n"))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// jres is a JSON:API resource object of the catalog families.
type jres struct {
	Type          string   `json:"type"`
	ID            string   `json:"id"`
	Attributes    kvs      `json:"attributes,omitempty"`
	Relationships kvs      `json:"relationships,omitempty"`
	Links         docLinks `json:"links"`
}

// jrel is a relationship object: links, and data linkage when known.
type jrel struct {
	Links any `json:"links,omitempty"`
	Data  any `json:"data,omitempty"`
	Meta  any `json:"meta,omitempty"`
}

// listDoc is a page of a listing: data items of type D, included resources of type I
// (omitted when none), links and meta.paging (pageDoc starts one).
type listDoc[D, I any] struct {
	Data     []D         `json:"data"`
	Included []I         `json:"included,omitempty"`
	Links    docLinks    `json:"links"`
	Meta     *pagingMeta `json:"meta,omitempty"`
}

// oneDoc is a single-resource document (D may be a resource or a linkage).
type oneDoc[D, I any] struct {
	Data     D        `json:"data"`
	Included []I      `json:"included,omitempty"`
	Links    docLinks `json:"links"`
}

// docLinks are a document's or resource's links.
type docLinks struct {
	Self string `json:"self"`
	Next string `json:"next,omitempty"`
}

// relLinks are a relationship's self and related links.
type relLinks struct {
	Self    string `json:"self"`
	Related string `json:"related"`
}

// resID is a resource identifier (linkage).
type resID struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// relationship is a typed resource's relationship: links and raw data linkage.
type relationship struct {
	Links *relLinks       `json:"links,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// resource is a typed JSON:API resource (reviews, builds): attributes are a struct of
// omitempty pointers, so fields[...] leaves out what it does not name.
type resource struct {
	Type          string                   `json:"type"`
	ID            string                   `json:"id"`
	Attributes    any                      `json:"attributes,omitempty"`
	Relationships map[string]*relationship `json:"relationships,omitempty"`
	Links         docLinks                 `json:"links"`
}

// pagingMeta is meta.paging of a list.
type pagingMeta struct {
	Paging struct {
		Total int `json:"total"`
		Limit int `json:"limit"`
	} `json:"paging"`
}

// want reports whether a fields[type] set (nil = all) keeps f.
func want(fields map[string]bool, f string) bool { return fields == nil || fields[f] }

// ptr is &v, for the omitempty pointer attributes of typed resources.
func ptr[T any](v T) *T { return &v }

// rawID is a resource identifier as raw JSON (typed relationship data).
func rawID(typ, id string) json.RawMessage {
	b, _ := json.Marshal(resID{Type: typ, ID: id})
	return b
}

// relatedOnly is a relationship with only a related link (metrics relationships).
func relatedOnly(url string) *jrel { return &jrel{Links: map[string]string{"related": url}} }

// linkage is a resource identifier.
func linkage(typ, id string) resID { return resID{Type: typ, ID: id} }

// one is to-one linkage: the identifier, or null when id is "".
func one(typ, id string) any {
	if id == "" {
		return json.RawMessage("null")
	}
	return linkage(typ, id)
}
