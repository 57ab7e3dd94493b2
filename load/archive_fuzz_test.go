package load

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ascetl/etl/report"
)

// whereRE is how a decoding error of a manifest or ledger entry says where the problem
// is, after the key and what the object is.
var whereRE = regexp.MustCompile(`^(line [0-9]+, column [0-9]+|fields? [^:]+): `)

// checkDecodeError: err names key, says what is corrupt, and where.
func checkDecodeError(t *testing.T, key, what string, err error) {
	t.Helper()
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, key+": "+what+": ")
	if !ok {
		t.Fatalf("error %q does not start with %q", msg, key+": "+what+": ")
	}
	if !whereRE.MatchString(rest) {
		t.Fatalf("error %q names no line, column or field", msg)
	}
	if !utf8.ValidString(rest) {
		t.Fatalf("error %q is not UTF-8", msg)
	}
}

// seedVersions are manifests as PutVersion writes them, with the key each is read from.
func seedVersions() map[string][]byte {
	out := map[string][]byte{}
	for _, u := range []report.Unit{salesUnit("85012345", "2026-11-20"), financeUnit(report.Financial, "US", "85012345", "2026-02"),
		{Family: report.Analytics, Type: "APP_DOWNLOADS_STANDARD", SubType: "ONGOING", Frequency: report.Daily, Vendor: "1", Period: "2026-11-20"}} {
		v := &Version{Unit: u, Ref: "r", FetchedAt: time.Date(2026, 11, 21, 16, 5, 12, 345000, time.UTC), Origin: "api", Cursor: `{"a":1}`,
			Payloads: []Payload{{Name: "S_D_1.txt", SHA256: strings.Repeat("ab", 32), Bytes: 10}, {Name: "page-00002.json", SHA256: strings.Repeat("cd", 32), Gzipped: true}}}
		v.Digest = Digest(v.Payloads)
		v.ID = VersionID(v.FetchedAt, v.Digest)
		for i := range v.Payloads {
			v.Payloads[i].Key = v.PayloadKey(v.Payloads[i].Name)
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		out[v.ManifestKey()] = append(b, '\n')
	}
	return out
}

// FuzzDecodeVersion decodes arbitrary bytes as the manifest at key: no panic; an error
// names the key and the line and column or the field; a manifest that decodes lies where
// its unit and id say, its payloads inside its directory, and encodes back to itself.
// Seeds: testdata/fuzz/FuzzDecodeVersion.
func FuzzDecodeVersion(f *testing.F) {
	for key, b := range seedVersions() {
		f.Add(key, b)
		f.Add("/home/me/data/"+key, b)
	}
	f.Fuzz(func(t *testing.T, key string, b []byte) {
		v, err := DecodeVersion(key, b)
		if err != nil {
			checkDecodeError(t, key, "corrupt version manifest", err)
			return
		}
		if err := v.Unit.Validate(); err != nil || !strings.HasSuffix(key, v.ManifestKey()) || len(v.Payloads) == 0 {
			t.Fatalf("decoded %+v from %s (%v)", v, key, err)
		}
		for _, p := range v.Payloads {
			if !strings.HasPrefix(p.Key, v.Dir()) || strings.Contains(strings.TrimPrefix(p.Key, v.Dir()), "/") {
				t.Fatalf("payload %s outside %s", p.Key, v.Dir())
			}
		}
		enc, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatalf("a decoded manifest does not encode: %v", err)
		}
		w, err := DecodeVersion(key, enc)
		if err != nil {
			t.Fatalf("the manifest as written again does not decode: %v", err)
		}
		if again, _ := json.MarshalIndent(w, "", "  "); !bytes.Equal(enc, again) {
			t.Fatalf("manifest round trip:\n%s\n%s", enc, again)
		}
	})
}

// FuzzDecodeEntry decodes arbitrary bytes as the ledger entry at key: no panic; an error
// names the key and the line and column or the field; an entry that decodes is filed under
// its unit, has a known state and encodes back to itself. Seeds: testdata/fuzz/FuzzDecodeEntry.
func FuzzDecodeEntry(f *testing.F) {
	for _, u := range []report.Unit{salesUnit("85012345", "2026-11-20"), financeUnit(report.FinanceDetail, "Z1", "85012345", "2026-02")} {
		e := loadedEntry(u)
		e.Versions = []VersionRef{{ID: "20261121T160512Z-3fa2c9d1", FetchedAt: e.UpdatedAt, Digest: "d", Loaded: true}, {ID: "x", Error: "bad"}}
		b, _ := json.MarshalIndent(e, "", "  ")
		f.Add(LedgerKey(u), b)
	}
	f.Fuzz(func(t *testing.T, key string, b []byte) {
		e, err := DecodeEntry(key, b)
		if err != nil {
			checkDecodeError(t, key, "corrupt ledger entry", err)
			return
		}
		if LedgerKey(e.Unit) != key || !e.State.Valid() {
			t.Fatalf("decoded %+v from %s", e, key)
		}
		enc, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			t.Fatalf("a decoded entry does not encode: %v", err)
		}
		d, err := DecodeEntry(key, enc)
		if err != nil {
			t.Fatalf("the entry as written again does not decode: %v", err)
		}
		if again, _ := json.MarshalIndent(d, "", "  "); !bytes.Equal(enc, again) {
			t.Fatalf("entry round trip:\n%s\n%s", enc, again)
		}
	})
}

// FuzzGunzip reads arbitrary bytes as an archived payload: no panic, and an error names
// the payload's key. Seeds: testdata/fuzz/FuzzGunzip.
func FuzzGunzip(f *testing.F) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("Provider\tUnits\nAPPLE\t1\n"))
	zw.Close()
	f.Add(gz.Bytes())
	f.Add(append(append([]byte{}, gz.Bytes()...), gz.Bytes()...)) // two members
	f.Add(gz.Bytes()[:gz.Len()-3])                                // no trailer
	f.Add([]byte("Provider\tUnits\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const key = "raw/sales/x/v/S_D_1.txt.gz"
		rc, err := Gunzip(key, io.NopCloser(bytes.NewReader(data)))
		if err == nil {
			_, err = io.Copy(io.Discard, io.LimitReader(rc, 64<<20))
			rc.Close()
		}
		if err != nil && !strings.HasPrefix(err.Error(), key+": ") {
			t.Fatalf("error %q does not name the key", err)
		}
	})
}

// Manifests the checks refuse, each naming the field (regression seeds of
// testdata/fuzz/FuzzDecodeVersion).
func TestDecodeVersionProblems(t *testing.T) {
	var key string
	var good []byte
	for k, b := range seedVersions() {
		if strings.HasPrefix(k, "raw/sales/") {
			key, good = k, b
		}
	}
	dir := strings.TrimSuffix(key, VersionManifest)
	id := strings.TrimSuffix(strings.TrimPrefix(dir, "raw/sales/SALES/SUMMARY/DAILY/85012345/2026-11-20/"), "/")
	edit := func(old, new string) []byte { return []byte(strings.Replace(string(good), old, new, 1)) }
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"syntax", good[:40], "line 4, column 3: unexpected end of JSON input"},
		{"not_an_object", []byte("\n 0"), "line 2, column 2: json: cannot unmarshal number"},
		{"bad_time", edit(`"2026-11-21T16:05:12.000345Z"`, `"yesterday"`), "field fetched_at: parsing time"},
		{"bad_type", edit(`"bytes": 10`, `"bytes": "10"`), "field payloads.bytes: json: cannot unmarshal string"},
		{"bad_unit", edit(`"vendor": "85012345"`, `"vendor": "x"`), "field unit: unit \"SALES\": vendor number"},
		{"id_with_slash", bytes.ReplaceAll(good, []byte(id), []byte("a/b")), "field id: \"a/b\" is not a version id"},
		{"payload_outside", edit(id+"/S_D_1", id+"/../S_D_1"), "field payloads[0].key: " + dir + "../S_D_1.txt.gz lies outside"},
		{"payload_is_manifest", edit(id+"/S_D_1.txt.gz", id+"/version.json"), "field payloads[0].key: " + key + " lies outside"},
		{"payload_twice", edit(id+"/page-00002.json.gz", id+"/S_D_1.txt.gz"), "field payloads[1].key: " + dir + "S_D_1.txt.gz is listed twice"},
		{"digest", edit(`"digest": "a8`, `"digest": "b8`), "field digest: \"b84bba32"},
		{"no_payloads", edit(`"payloads": [`, `"payloads": [], "x": [`), "field payloads: none"},
	} {
		_, err := DecodeVersion(key, tc.b)
		if want := key + ": corrupt version manifest: " + tc.want; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want %q…", tc.name, err, want)
		}
	}
}
