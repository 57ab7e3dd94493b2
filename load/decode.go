package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"strings"
)

// The archive's manifests and the ledger's entries are read back from the bucket, where a
// crash, a hand edit or another tool may have left anything: decoding them never panics,
// and an error names the object's key and where in it the problem is (the line and
// column of a syntax error, the member of a value that does not decode).

// decodeJSON decodes b into dst; an error says where in b the problem is.
func decodeJSON(b []byte, dst any) error {
	err := json.Unmarshal(b, dst)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineColumn(b, se.Offset)
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Errorf("field %s: %w", te.Field, err)
		}
		line, col := lineColumn(b, te.Offset)
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	// A value whose own decoder failed (a time that does not parse) is not named by
	// encoding/json: find the member by decoding them one at a time.
	if f := failingMember(b, dst); f != "" {
		return fmt.Errorf("field %s: %w", f, err)
	}
	return err
}

// lineColumn is the 1-based line and column of the byte before offset (encoding/json's
// offsets count the bytes read, the offending one included).
func lineColumn(b []byte, offset int64) (line, col int) {
	pos := min(max(int(offset), 1), len(b)+1) - 1
	before := b[:min(pos, len(b))]
	return 1 + bytes.Count(before, []byte("\n")), pos - bytes.LastIndexByte(before, '\n')
}

// failingMember names the first member of the object b, in document order (or an element
// of an array member: "versions[2]"), whose value does not decode into a fresh value of
// dst's type; "" when b is not an object or every member decodes alone.
func failingMember(b []byte, dst any) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	try := func(name string, v json.RawMessage) bool {
		one, _ := json.Marshal(map[string]json.RawMessage{name: v})
		return json.Unmarshal(one, freshOf(dst)) == nil
	}
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		var v json.RawMessage
		if err != nil || !ok || dec.Decode(&v) != nil {
			return ""
		}
		if try(name, v) {
			continue
		}
		var elems []json.RawMessage
		if json.Unmarshal(v, &elems) == nil {
			for i, e := range elems {
				if !try(name, json.RawMessage("["+string(e)+"]")) {
					return fmt.Sprintf("%s[%d]", name, i)
				}
			}
		}
		return name
	}
	return ""
}

// freshOf is a new zero value of the type dst points to.
func freshOf(dst any) any { return reflect.New(reflect.TypeOf(dst).Elem()).Interface() }

// versionIDRE is what a version id may be: one path segment (see VersionID).
var versionIDRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,99}$`)

// checkManifest checks a decoded manifest against the key it was read from.
func checkManifest(key string, v *Version) error {
	if err := v.Unit.Validate(); err != nil {
		return fmt.Errorf("field unit: %w", err)
	}
	if !versionIDRE.MatchString(v.ID) {
		return fmt.Errorf("field id: %q is not a version id", v.ID)
	}
	if !strings.HasSuffix(key, v.ManifestKey()) {
		return fmt.Errorf("fields unit and id: it describes %s", v.ManifestKey())
	}
	if len(v.Payloads) == 0 {
		return fmt.Errorf("field payloads: none")
	}
	seen := map[string]bool{}
	for i, p := range v.Payloads {
		name, inside := strings.CutPrefix(p.Key, v.Dir())
		if !inside || name == "" || name == "." || name == ".." || name == VersionManifest || path.Base(p.Key) != name {
			return fmt.Errorf("field payloads[%d].key: %s lies outside its version", i, p.Key)
		}
		if seen[p.Key] {
			return fmt.Errorf("field payloads[%d].key: %s is listed twice", i, p.Key)
		}
		seen[p.Key] = true
	}
	if d := Digest(v.Payloads); v.Digest != d {
		return fmt.Errorf("field digest: %q is not the digest of its payloads (%s)", v.Digest, d)
	}
	return nil
}

// DecodeEntry decodes a ledger entry read from key and checks that it is filed under its
// own unit and that its state is known.
func DecodeEntry(key string, b []byte) (Entry, error) {
	var e Entry
	if err := decodeJSON(b, &e); err != nil {
		return Entry{}, fmt.Errorf("%s: corrupt ledger entry: %w", key, err)
	}
	if got := LedgerKey(e.Unit); got != key {
		return Entry{}, fmt.Errorf("%s: corrupt ledger entry: field unit: it is for unit %s", key, e.Unit.ID())
	}
	if !e.State.Valid() {
		return Entry{}, fmt.Errorf("%s: corrupt ledger entry: field state: unknown state %q", key, e.State)
	}
	return e, nil
}
