package transform

// Decoding of one JSON:API resource of a reviews page: the envelope (type, id), string
// and timestamp attributes, to-one linkage, and the attributes of customerReviews and
// customerReviewResponses. Errors name the page key, the resource (review or included,
// 1-based index, id) and the JSON path inside it (*JSONError).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ascetl/etl/report/territory"
)

// JSON shapes. Members are raw, and attributes and relationships maps of raw values, so
// that absent, null and present are told apart, a value of the wrong JSON type is
// reported with its path, and unknown members are ignored.
type jsonPage struct {
	Data     json.RawMessage `json:"data"`
	Included json.RawMessage `json:"included"`
	Links    json.RawMessage `json:"links"`
	Meta     json.RawMessage `json:"meta"`
	Errors   json.RawMessage `json:"errors"`
}

type jsonResource struct {
	Type          string
	ID            json.RawMessage
	Attributes    map[string]json.RawMessage
	Relationships map[string]json.RawMessage // each absent, null or {"data": …}
}

type jsonIdentifier struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// resourceDecoder carries the error context of one resource.
type resourceDecoder struct {
	key   string
	where string
	index int
	id    string
}

func (d *resourceDecoder) fail(field string, err error, detail string) error {
	return &JSONError{Key: d.key, Where: d.where, Index: d.index, ID: d.id, Path: field, Err: err, Detail: detail}
}

// decode parses the resource envelope and its id (required, a non-empty string).
// attributes and relationships must be objects when present; a relationship is checked
// only when it is read (related).
func (d *resourceDecoder) decode(raw json.RawMessage, wantType string) (*jsonResource, error) {
	var env struct {
		Type          json.RawMessage `json:"type"`
		ID            json.RawMessage `json:"id"`
		Attributes    json.RawMessage `json:"attributes"`
		Relationships json.RawMessage `json:"relationships"`
	}
	if jsonType(raw) != "object" {
		return nil, d.fail("", ErrWrongType, "want an object, got "+clipJSON(raw))
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, d.fail("", ErrInvalidJSON, "invalid resource: "+err.Error())
	}
	r := &jsonResource{ID: env.ID}
	if isJSONNull(r.ID) {
		return nil, d.fail("id", ErrMissingField, "")
	}
	if err := json.Unmarshal(r.ID, &d.id); err != nil {
		return nil, d.fail("id", ErrWrongType, "want a string, got "+clipJSON(r.ID))
	}
	if d.id == "" {
		return nil, d.fail("id", ErrMissingField, "empty")
	}
	if !isJSONNull(env.Type) {
		if err := json.Unmarshal(env.Type, &r.Type); err != nil {
			return nil, d.fail("type", ErrWrongType, "want a string, got "+clipJSON(env.Type))
		}
	}
	for _, m := range []struct {
		name string
		raw  json.RawMessage
		dst  *map[string]json.RawMessage
	}{{"attributes", env.Attributes, &r.Attributes}, {"relationships", env.Relationships, &r.Relationships}} {
		if isJSONNull(m.raw) {
			continue
		}
		if err := json.Unmarshal(m.raw, m.dst); err != nil {
			return nil, d.fail(m.name, ErrWrongType, "want an object, got "+clipJSON(m.raw))
		}
	}
	if wantType != "" && r.Type != wantType {
		return nil, d.fail("type", ErrWrongType, fmt.Sprintf("want %q, got %q", wantType, r.Type))
	}
	return r, nil
}

// text decodes an optional string attribute; ok is false when it is absent or null.
func (d *resourceDecoder) text(r *jsonResource, name string) (s string, ok bool, err error) {
	raw, present := r.Attributes[name]
	if !present || isJSONNull(raw) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, d.fail("attributes."+name, ErrWrongType, "want a string, got "+clipJSON(raw))
	}
	return s, true, nil
}

// timestamp decodes an RFC 3339 date-time with offset; ok is false when absent or null.
// It returns the instant in UTC and the offset text as written.
func (d *resourceDecoder) timestamp(r *jsonResource, name string) (t time.Time, offset string, ok bool, err error) {
	s, ok, err := d.text(r, name)
	if err != nil || !ok {
		return time.Time{}, "", ok, err
	}
	t, off, perr := parseRFC3339(s)
	if perr != nil {
		return time.Time{}, "", false, d.fail("attributes."+name, ErrInvalidDate, fmt.Sprintf("cannot parse %q", s))
	}
	return t, off, true, nil
}

// parseRFC3339 parses an RFC 3339 date-time, which always carries "Z" or a ±hh:mm offset,
// and returns it in UTC together with the offset text.
func parseRFC3339(s string) (time.Time, string, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, "", err
	}
	var off string
	switch {
	case strings.HasSuffix(s, "Z"):
		off = "Z"
	case len(s) >= 6 && (s[len(s)-6] == '+' || s[len(s)-6] == '-') && s[len(s)-3] == ':':
		off = s[len(s)-6:]
	default:
		return time.Time{}, "", fmt.Errorf("no offset in %q", s)
	}
	return t.UTC(), off, nil
}

// related returns the id of a to-one relationship's linkage data; ok is false when the
// relationship or its data is absent or null.
func (d *resourceDecoder) related(r *jsonResource, name string) (string, bool, error) {
	raw, present := r.Relationships[name]
	if !present || isJSONNull(raw) {
		return "", false, nil
	}
	var rel struct {
		Data json.RawMessage `json:"data"` // absent, null or {"type","id"}
	}
	if jsonType(raw) != "object" || json.Unmarshal(raw, &rel) != nil {
		return "", false, d.fail("relationships."+name, ErrWrongType, "want an object, got "+clipJSON(raw))
	}
	if isJSONNull(rel.Data) {
		return "", false, nil
	}
	var id jsonIdentifier
	if err := json.Unmarshal(rel.Data, &id); err != nil || id.ID == "" {
		return "", false, d.fail("relationships."+name+".data", ErrWrongType, "want a resource identifier, got "+clipJSON(rel.Data))
	}
	return id.ID, true, nil
}

// review decodes the attributes of a customerReviews resource.
func (d *resourceDecoder) review(r *jsonResource) (Review, error) {
	rv := Review{ID: d.id}
	raw, present := r.Attributes["rating"]
	if !present || isJSONNull(raw) {
		return Review{}, d.fail("attributes.rating", ErrMissingField, "")
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil || n < 1 || n > 5 {
		return Review{}, d.fail("attributes.rating", ErrInvalidRating, fmt.Sprintf("%v, got %s", ErrInvalidRating, clipJSON(raw)))
	}
	rv.Rating = n

	for _, f := range []struct {
		name string
		attr Attr
		dst  *string
	}{
		{"title", AttrTitle, &rv.Title},
		{"body", AttrBody, &rv.Body},
		{"reviewerNickname", AttrNickname, &rv.Nickname},
		{"territory", AttrTerritory, &rv.Territory},
	} {
		s, ok, err := d.text(r, f.name)
		if err != nil {
			return Review{}, err
		}
		if !ok {
			rv.Absent |= f.attr
		}
		*f.dst = s
	}
	if !rv.Absent.Has(AttrTerritory) {
		rv.Territory2, _ = territory.Alpha2(rv.Territory)
	}

	t, off, ok, err := d.timestamp(r, "createdDate")
	if err != nil {
		return Review{}, err
	}
	if !ok {
		return Review{}, d.fail("attributes.createdDate", ErrMissingField, "")
	}
	rv.CreatedAt, rv.Offset = t, off
	return rv, nil
}

// response decodes the attributes of a customerReviewResponses resource.
func (d *resourceDecoder) response(r *jsonResource) (*Response, error) {
	resp := &Response{ID: d.id}
	for _, f := range []struct {
		name string
		attr Attr
		dst  *string
	}{
		{"responseBody", AttrResponseBody, &resp.Body},
		{"state", AttrState, &resp.State},
	} {
		s, ok, err := d.text(r, f.name)
		if err != nil {
			return nil, err
		}
		if !ok {
			resp.Absent |= f.attr
		}
		*f.dst = s
	}
	t, _, _, err := d.timestamp(r, "lastModifiedDate")
	if err != nil {
		return nil, err
	}
	resp.LastModified = t
	return resp, nil
}
