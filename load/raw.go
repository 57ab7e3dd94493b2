package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"gocloud.dev/blob"

	"github.com/ascetl/etl/report"
)

// RawInfo describes a committed raw payload.
type RawInfo struct {
	Key    string
	Bytes  int64
	SHA256 string // hex of the payload as stored
}

// maxRawName bounds the file part of a raw key (S3 keys are limited to 1024 bytes).
const maxRawName = 200

// RawKey is the archive key of a payload Apple served for u:
//
//	raw/<family>/<table>/vendor=<vendor>[/region=<region>]/<period>/<file>
//
// region appears only for finance FINANCIAL reports. file is fileName with every
// character outside [A-Za-z0-9._-] replaced by '_', leading dots replaced too (so no
// ".." segment and no hidden file), never empty, and always ending in ".gz". The unit's
// own fields are sanitised the same way, so even an unvalidated unit cannot escape
// raw/<family>/; callers should still Validate units first.
func RawKey(u report.Unit, fileName string) string {
	var b strings.Builder
	b.WriteString("raw/")
	b.WriteString(sanitize(string(u.Family), "unknown"))
	b.WriteString("/")
	b.WriteString(sanitize(u.Table(), "unknown"))
	b.WriteString("/vendor=")
	b.WriteString(sanitize(u.Vendor, "unknown"))
	if u.Family == report.Finance && u.Type == report.Financial {
		b.WriteString("/region=")
		b.WriteString(sanitize(u.Region, "unknown"))
	}
	b.WriteString("/")
	b.WriteString(sanitize(u.Period, "unknown"))
	b.WriteString("/")
	name := sanitize(fileName, "report")
	if len(name) > maxRawName {
		name = name[:maxRawName]
	}
	if !strings.HasSuffix(name, ".gz") {
		name += ".gz"
	}
	b.WriteString(name)
	return b.String()
}

// sanitize maps s to [A-Za-z0-9._-]+ with no leading dot; empty input gives def.
func sanitize(s, def string) string {
	if s == "" {
		return def
	}
	out := []byte(s)
	for i, c := range out {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.'
		if !ok {
			out[i] = '_'
		}
	}
	for i := 0; i < len(out) && out[i] == '.'; i++ { // no "..", no hidden names
		out[i] = '_'
	}
	return string(out)
}

// PutRaw streams r into the object at key, byte-for-byte, and returns its size and
// SHA-256. The object becomes visible only if r is read to EOF without error and ctx is
// live; otherwise nothing (and no partial object) is left at key.
func (s *Store) PutRaw(ctx context.Context, key string, r io.Reader) (RawInfo, error) {
	h := sha256.New()
	n, err := s.write(ctx, key, &blob.WriterOptions{ContentType: "application/gzip"},
		func(w *countingWriter) error {
			_, err := io.Copy(io.MultiWriter(w, h), r)
			return err
		})
	if err != nil {
		return RawInfo{}, fmt.Errorf("write %s: %w", key, err)
	}
	return RawInfo{Key: key, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// OpenRaw opens the raw payload at key for reading; the caller closes it. A missing
// object gives an error for which IsNotFound is true.
func (s *Store) OpenRaw(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	return r, nil
}
