package engine

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// spoolMemory is how much of one fetch's payloads a spool keeps in memory before the rest
// goes to a temporary file (a variable for the tests).
var spoolMemory int64 = 16 << 20

// spool holds one fetch's payloads until the fetch is complete and its digest known: a
// version is archived only when it differs from every version the unit already has, so
// re-fetching an unchanged report writes nothing. Payloads are kept as they will be
// stored (gzip), in memory up to spoolMemory and in a temporary file beyond.
type spool struct {
	payloads []load.Payload
	spans    [][2]int64 // offset and length of each stored payload in buf or file
	buf      bytes.Buffer
	file     *os.File
	size     int64
}

// put reads one payload to EOF. Bytes that are already gzip (Apple's reports and
// segments) are kept as they are; anything else is gzipped. The payload's checksum is of
// its content (decompressed), so the same report arriving gzipped from the API and plain
// from a hand download is recognised as the same version.
func (s *spool) put(name string, body io.Reader) error {
	h := sha256.New()
	br := newPeekReader(body)
	magic, _ := br.peek(2)
	gz := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	start := s.size
	w := &spoolWriter{s: s}
	var n int64
	var err error
	if gz {
		n, err = io.Copy(w, br)
	} else {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		n, err = io.Copy(io.MultiWriter(zw, h), br)
		if err == nil {
			err = zw.Close()
		}
	}
	if err == nil {
		err = w.err
	}
	if err != nil {
		return fmt.Errorf("payload %s: %w", name, err)
	}
	s.spans = append(s.spans, [2]int64{start, s.size - start})
	sum := ""
	if gz {
		sum = s.contentSum(len(s.spans) - 1)
	} else {
		sum = hex.EncodeToString(h.Sum(nil))
	}
	s.payloads = append(s.payloads, load.Payload{Name: name, Bytes: n, SHA256: sum, Gzipped: !gz})
	return nil
}

// contentSum is the sha256 of the i-th (gzip) payload's content, or "gzip:" and the sha256
// of its bytes when they do not decompress (a truncated download: it fails to parse later).
func (s *spool) contentSum(i int) string {
	r, _ := s.open(i)
	h := sha256.New()
	zr, err := gzip.NewReader(r)
	if err == nil {
		_, err = io.Copy(h, zr)
	}
	if err == nil {
		return hex.EncodeToString(h.Sum(nil))
	}
	r, _ = s.open(i)
	h.Reset()
	io.Copy(h, r)
	return "gzip:" + hex.EncodeToString(h.Sum(nil))
}

type spoolWriter struct {
	s   *spool
	err error
}

func (w *spoolWriter) Write(p []byte) (int, error) {
	s := w.s
	if s.file == nil && int64(s.buf.Len())+int64(len(p)) > spoolMemory {
		f, err := os.CreateTemp("", "etl-spool-*")
		if err != nil {
			w.err = err
			return 0, err
		}
		os.Remove(f.Name()) // unlinked: gone with the process, whatever happens
		if _, err := f.Write(s.buf.Bytes()); err != nil {
			f.Close()
			w.err = err
			return 0, err
		}
		s.buf = bytes.Buffer{}
		s.file = f
	}
	var n int
	var err error
	if s.file != nil {
		n, err = s.file.Write(p)
	} else {
		n, err = s.buf.Write(p)
	}
	s.size += int64(n)
	if err != nil {
		w.err = err
	}
	return n, err
}

// version describes the spooled payloads as a version of u fetched at.
func (s *spool) version(u report.Unit, ref string, at time.Time, f Fetched, origin string) *load.Version {
	v := &load.Version{Unit: u, Ref: ref, FetchedAt: at.UTC().Truncate(time.Microsecond),
		ReportVersion: f.ReportVersion, Cursor: f.Cursor, Origin: origin}
	v.Payloads = append([]load.Payload(nil), s.payloads...)
	v.Digest = load.Digest(v.Payloads)
	v.ID = load.VersionID(v.FetchedAt, v.Digest)
	used := map[string]bool{}
	for i := range v.Payloads {
		k := v.PayloadKey(v.Payloads[i].Name)
		for n := 2; used[k]; n++ { // two payloads with one sanitised name
			k = v.PayloadKey(numbered(v.PayloadKey(v.Payloads[i].Name), n))
		}
		used[k] = true
		v.Payloads[i].Key = k
	}
	return v
}

// numbered is the n-th name for the payload stored at key: its file name with "-n" before
// ".gz", shortened so the number survives PayloadKey's bound of 200 bytes.
func numbered(key string, n int) string {
	base := strings.TrimSuffix(path.Base(key), ".gz")
	sfx := fmt.Sprintf("-%d", n)
	return base[:min(len(base), 200-len(sfx))] + sfx
}

// open returns the i-th payload as stored.
func (s *spool) open(i int) (io.Reader, error) {
	off, n := s.spans[i][0], s.spans[i][1]
	if s.file != nil {
		return io.NewSectionReader(s.file, off, n), nil
	}
	return bytes.NewReader(s.buf.Bytes()[off : off+n]), nil
}

// content returns the i-th payload decompressed (for parsing a version not archived yet).
func (s *spool) content(i int) (io.ReadCloser, error) {
	r, err := s.open(i)
	if err != nil {
		return nil, err
	}
	return load.Gunzip(s.payloads[i].Name, io.NopCloser(r))
}

func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
	}
}

// archive writes the spooled payloads as version v.
func (s *spool) archive(ctx context.Context, st *load.Store, v *load.Version) error {
	return st.PutVersion(ctx, v, s.open)
}

// peekReader is a minimal buffered reader that can look at its first bytes.
type peekReader struct {
	r    io.Reader
	head []byte
	err  error // met while peeking; returned once head is drained
}

func newPeekReader(r io.Reader) *peekReader { return &peekReader{r: r} }

func (p *peekReader) peek(n int) ([]byte, error) {
	for len(p.head) < n {
		buf := make([]byte, n-len(p.head))
		m, err := p.r.Read(buf)
		p.head = append(p.head, buf[:m]...)
		if err != nil {
			p.err = err
			return p.head, err
		}
	}
	return p.head[:n], nil
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.r.Read(b)
}
