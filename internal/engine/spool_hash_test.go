package engine

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/simulator"
)

func gz(t *testing.T, parts ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts { // one gzip member per part
		zw := gzip.NewWriter(&b)
		zw.Write(p)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// stored reads the i-th spooled payload as it would be archived.
func stored(t *testing.T, s *spool, i int) []byte {
	t.Helper()
	r, err := s.open(i)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpoolChecksums: the checksum is of the content, however it arrives (gzip, several
// gzip members, plain, larger than the in-memory part), and the stored bytes are the
// received bytes when they were gzip.
func TestSpoolChecksums(t *testing.T) {
	content := []byte("Provider\tUnits\nAPPLE\t1\n")
	big := make([]byte, spoolMemory+(1<<20)) // spills to the temporary file
	rand.NewChaCha8([32]byte{1}).Read(big)
	tests := []struct {
		name    string
		body    []byte
		content []byte
		gzipped bool // stored bytes are our gzip of body (it was plain)
	}{
		{"gzip", gz(t, content), content, false},
		{"two members", gz(t, content[:10], content[10:]), content, false},
		{"plain", content, content, true},
		{"larger than memory", gz(t, big), big, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &spool{}
			defer s.close()
			if err := s.put("a.txt.gz", bytes.NewReader(tc.body)); err != nil {
				t.Fatal(err)
			}
			p := s.payloads[0]
			if p.SHA256 != sum(tc.content) || p.Gzipped != tc.gzipped || p.Bytes != int64(len(tc.body)) {
				t.Fatalf("payload %+v, want sha %s gzipped %v bytes %d", p, sum(tc.content), tc.gzipped, len(tc.body))
			}
			if s.spans[0].hasCopy == tc.gzipped { // gzip payloads get a copy, plain ones are read from their gzip
				t.Errorf("content copy %v for a payload gzipped %v", s.spans[0].hasCopy, tc.gzipped)
			}
			got := stored(t, s, 0)
			if !tc.gzipped && !bytes.Equal(got, tc.body) {
				t.Fatalf("stored %d bytes differ from the %d received", len(got), len(tc.body))
			}
			rc, err := s.content(0)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if c, err := io.ReadAll(rc); err != nil || !bytes.Equal(c, tc.content) {
				t.Fatalf("content: %d bytes, %v", len(c), err)
			}
		})
	}
}

// TestSpoolTruncatedGzip: bytes that do not decompress are kept as they are, under the
// checksum of the bytes ("gzip:"), so the version is archived and fails to parse later.
func TestSpoolTruncatedGzipMembers(t *testing.T) {
	body := gz(t, bytes.Repeat([]byte("row\t1\n"), 1000))
	body = body[:len(body)/2]
	s := &spool{}
	defer s.close()
	if err := s.put("a.txt.gz", bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if want := "gzip:" + sum(body); s.payloads[0].SHA256 != want {
		t.Fatalf("sha %s, want %s", s.payloads[0].SHA256, want)
	}
	if !bytes.Equal(stored(t, s, 0), body) {
		t.Fatal("stored bytes differ")
	}
	if s.spans[0].hasCopy {
		t.Fatal("a content copy of bytes that do not decompress")
	}
	rc, err := s.content(0)
	if err == nil {
		_, err = io.ReadAll(rc)
	}
	if err == nil || !strings.Contains(err.Error(), "a.txt.gz") {
		t.Fatalf("reading the truncated payload: %v, want an error naming it", err)
	}
}

// TestSpoolLocalFile: a gzip file imported from disk is referred to, not copied, and read
// back byte for byte; if it changes before it is archived, reading it fails instead of
// archiving other bytes under the checksum taken.
func TestSpoolLocalFile(t *testing.T) {
	content := []byte("Provider\tUnits\nAPPLE\t1\n")
	body := gz(t, content)
	path := filepath.Join(t.TempDir(), "S_D_1_20250101.txt.gz")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &spool{}
	defer s.close()
	err = s.put("S_D_1_20250101.txt.gz", f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s.stored.size != 0 || s.spans[0].ref == nil {
		t.Fatalf("the file was copied into the spool (%d bytes)", s.stored.size)
	}
	if s.payloads[0].SHA256 != sum(content) || s.payloads[0].Bytes != int64(len(body)) {
		t.Fatalf("payload %+v", s.payloads[0])
	}
	if !bytes.Equal(stored(t, s, 0), body) {
		t.Fatal("stored bytes differ")
	}
	// The file changes: same size, new time.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if _, err := s.open(0); err == nil {
		t.Fatal("a file changed since it was spooled was read")
	}
}

// BenchmarkSpoolPut measures storing a large gzip report (BENCH_ROWS rows of SALES,
// default 100000): its bytes kept, its content checksum and the S2 copy made on the side.
// MB/s is of the content (uncompressed TSV).
func BenchmarkSpoolPut(b *testing.B) {
	rows := 100_000
	if v := os.Getenv("BENCH_ROWS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			rows = n
		}
	}
	var gzb bytes.Buffer
	if err := simulator.WriteBigSales(&gzb, rows, 1); err != nil {
		b.Fatal(err)
	}
	zr, _ := gzip.NewReader(bytes.NewReader(gzb.Bytes()))
	n, _ := io.Copy(io.Discard, zr)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		s := &spool{}
		if err := s.put("S_D_1_20250101.txt.gz", bytes.NewReader(gzb.Bytes())); err != nil {
			b.Fatal(err)
		}
		s.close()
	}
}
