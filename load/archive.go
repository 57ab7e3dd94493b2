package load

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"gocloud.dev/blob"

	"github.com/ascetl/etl/report"
)

// The raw archive is append-only. Every fetch of a unit whose payloads differ from what
// the archive already holds becomes a new Version under its own directory,
//
//	raw/<unit id>/<version id>/<payload>.gz     the payloads, byte-for-byte (gzip)
//	raw/<unit id>/<version id>/version.json     the manifest, written last
//
// and nothing archived is ever replaced: a payload that fails to parse sits beside the
// version that was loaded, and the ledger names which one that is. The unit id
// (report.Unit.ID) says family, report, vendor or app, and period; the manifest repeats
// the unit, so `etl import` can reload an archive tree with no ledger. A directory without
// its manifest is an interrupted fetch and is ignored.

// VersionManifest is the file name of a version's manifest.
const VersionManifest = "version.json"

// RawPrefix is where the archive lives.
const RawPrefix = "raw/"

// Version is one archived fetch of a unit: every payload of one attempt, in fetch order.
type Version struct {
	Unit          report.Unit `json:"unit"`
	Ref           string      `json:"ref,omitempty"` // the source's handle for the unit (an instance id)
	ID            string      `json:"id"`            // 20261121T160512Z-3fa2c9d1: fetch time and digest
	FetchedAt     time.Time   `json:"fetched_at"`    // UTC; the rows' _extracted_at
	Digest        string      `json:"digest"`        // sha256 over the payloads' content checksums, in order
	ReportVersion string      `json:"report_version,omitempty"`
	Cursor        string      `json:"cursor,omitempty"` // the source's incremental state after this fetch
	Origin        string      `json:"origin"`           // api, or import:<file name>
	Payloads      []Payload   `json:"payloads"`
}

// Payload is one archived document of a version.
type Payload struct {
	Name   string `json:"name"`   // as the source named it: Apple's file name, page-00001.json
	Key    string `json:"key"`    // the object holding it (gzip)
	Bytes  int64  `json:"bytes"`  // size as received
	SHA256 string `json:"sha256"` // of the content (decompressed when it arrived as gzip)
	// Gzipped is set when the payload arrived uncompressed and was gzipped for the archive
	// (JSON documents, plain files imported by hand); otherwise the object holds Apple's
	// own bytes.
	Gzipped bool `json:"gzipped,omitempty"`
}

// RawDir is the archive directory of a unit's versions.
func RawDir(u report.Unit) string { return RawPrefix + u.ID() + "/" }

// Dir is the version's directory.
func (v *Version) Dir() string { return RawDir(v.Unit) + v.ID + "/" }

// ManifestKey is the key of the version's manifest.
func (v *Version) ManifestKey() string { return v.Dir() + VersionManifest }

// Digest combines the payloads' content checksums, in order, into one version digest:
// two fetches with the same content are the same version, whatever the files were called.
func Digest(payloads []Payload) string {
	h := sha256.New()
	for _, p := range payloads {
		fmt.Fprintf(h, "%s\n", p.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// VersionID names a version by its fetch time and digest.
func VersionID(fetchedAt time.Time, digest string) string {
	return fetchedAt.UTC().Format("20060102T150405Z") + "-" + digest[:min(8, len(digest))]
}

// PayloadKey is the object key of a payload named name inside the version: the name
// sanitised ([A-Za-z0-9._-], no leading dot, at most 200 bytes), ending in ".gz".
func (v *Version) PayloadKey(name string) string {
	n := sanitize(name, "payload")
	if len(n) > maxRawName {
		n = n[:maxRawName]
	}
	if !strings.HasSuffix(n, ".gz") {
		n += ".gz"
	}
	return v.Dir() + n
}

// PutVersion archives a version: each payload (open(i) gives the i-th as stored: gzip),
// then the manifest, each written atomically. The version becomes visible to readers of
// the archive only with its manifest, so an interrupted put leaves no version behind
// (only payload objects a later put of the same version overwrites with the same bytes).
func (s *Store) PutVersion(ctx context.Context, v *Version, open func(i int) (io.Reader, error)) error {
	if err := v.Unit.Validate(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	for i := range v.Payloads {
		r, err := open(i)
		if err != nil {
			return fmt.Errorf("archive %s: %w", v.Payloads[i].Key, err)
		}
		if _, err := s.write(ctx, v.Payloads[i].Key, &blob.WriterOptions{ContentType: "application/gzip"},
			func(w *countingWriter) error { _, err := io.Copy(w, r); return err }); err != nil {
			return fmt.Errorf("archive %s: %w", v.Payloads[i].Key, err)
		}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("archive %s: %w", v.ManifestKey(), err)
	}
	return s.PutBytes(ctx, v.ManifestKey(), append(b, '\n'), "application/json")
}

// ReadVersion reads the manifest at key and checks that it lies where its unit says.
func (s *Store) ReadVersion(ctx context.Context, key string) (*Version, error) {
	b, err := s.b.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return DecodeVersion(key, b)
}

// DecodeVersion decodes a manifest read from key (a bucket key, or a path ending in the
// same raw/<unit id>/<version id>/version.json) and checks it against the key: a valid
// unit, a version id that is one path segment, at least one payload, each a distinct
// object directly inside the version's directory, and the digest of those payloads. An
// error names the key and the line and column or the field (decode.go).
func DecodeVersion(key string, b []byte) (*Version, error) {
	var v Version
	if err := decodeJSON(b, &v); err != nil {
		return nil, fmt.Errorf("%s: corrupt version manifest: %w", key, err)
	}
	if err := checkManifest(key, &v); err != nil {
		return nil, fmt.Errorf("%s: corrupt version manifest: %w", key, err)
	}
	return &v, nil
}

// ListVersions returns every complete version (one with its manifest) under prefix, in
// key order.
func (s *Store) ListVersions(ctx context.Context, prefix string) ([]*Version, error) {
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []*Version
	for _, k := range keys {
		if path.Base(k) != VersionManifest {
			continue
		}
		v, err := s.ReadVersion(ctx, k)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// OpenPayload opens a payload's content, decompressed; the caller closes it. A payload
// that is not valid gzip fails here or on Read with an error naming its key.
func (s *Store) OpenPayload(ctx context.Context, p Payload) (io.ReadCloser, error) {
	r, err := s.b.NewReader(ctx, p.Key, nil)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p.Key, err)
	}
	return Gunzip(p.Key, r)
}

// Gunzip wraps r, which holds gzip bytes from key, in a decompressing reader whose errors
// name key; closing it closes r. It uses klauspost/compress's gzip, which inflates about a
// fifth faster than compress/gzip (BENCHMARKS.md) and reads the same streams
// (multi-member files included).
func Gunzip(key string, r io.ReadCloser) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	zr, err := gzip.NewReader(br)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: not a gzip file: %w", key, err)
	}
	return &gunzipped{key: key, zr: zr, src: r}, nil
}

type gunzipped struct {
	key string
	zr  *gzip.Reader
	src io.Closer
}

func (g *gunzipped) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", g.key, err)
	}
	return n, err
}

func (g *gunzipped) Close() error {
	g.zr.Close()
	return g.src.Close()
}

// LegacyVersion describes the single payload of a ledger entry written before the archive
// kept versions (Entry.RawKey, no Entry.Versions), so reparse still reads it.
func LegacyVersion(e Entry) *Version {
	if e.RawKey == "" {
		return nil
	}
	at := e.LoadedAt
	if at.IsZero() {
		at = e.UpdatedAt
	}
	return &Version{Unit: e.Unit, Ref: e.Ref, ID: "legacy", FetchedAt: at, Digest: e.Checksum,
		ReportVersion: e.Version, Origin: "legacy",
		Payloads: []Payload{{Name: path.Base(e.RawKey), Key: e.RawKey, Bytes: e.RawBytes, SHA256: e.Checksum}}}
}
