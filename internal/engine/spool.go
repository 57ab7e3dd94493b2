package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// gzWriters gzip the payloads that arrive plain (kept between payloads: a writer is large).
var gzWriters = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}

// spoolMemory is how much of one fetch's payloads a spool keeps in memory before the rest
// goes to a temporary file (a variable for the tests); copyMemory the same for the
// content copies, which a large report's parse reads while its Parquet is being written
// (so they stay small in memory).
var spoolMemory int64 = 16 << 20

const copyMemory = 4 << 20

// spool holds one fetch's payloads until the fetch is complete and its digest known: a
// version is archived only when it differs from every version the unit already has, so
// re-fetching an unchanged report writes nothing. Payloads are kept as they will be
// stored (gzip), in memory up to spoolMemory and in a temporary file beyond; a gzip
// payload read from a local file (`etl import` of a hand-downloaded report) is not copied
// at all: the spool refers to the file, which is read again for the archive.
//
// Each payload is read once (BENCHMARKS.md, "The spool"): a gzip payload's content is
// inflated while its bytes are stored, on other goroutines (spool_hash.go), for its
// checksum and for a copy of the content compressed with S2, which decompresses several
// times faster than gzip: parsing the version right after the fetch (apply) reads that copy
// instead of inflating the gzip a second time.
type spool struct {
	payloads []load.Payload
	spans    []span
	stored   tempStore  // payloads as they are archived
	plain    tempStore  // their content, S2-compressed, for the parse
	opened   []*os.File // referenced files opened by open, closed by close
}

// span is where one payload is: stored bytes [off, off+n) (or the local file ref), and
// its content copy [coff, coff+cn) when it has one.
type span struct {
	off, n   int64
	ref      *fileRef
	coff, cn int64
	hasCopy  bool
}

// tempStore is bytes in memory up to max (default spoolMemory), then in an unlinked
// temporary file.
type tempStore struct {
	max  int64
	buf  bytes.Buffer
	file *os.File
	size int64
	err  error
}

func (t *tempStore) Write(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	limit := t.max
	if limit == 0 {
		limit = spoolMemory
	}
	if t.file == nil && int64(t.buf.Len())+int64(len(p)) > limit {
		f, err := os.CreateTemp("", "etl-spool-*")
		if err != nil {
			t.err = err
			return 0, err
		}
		os.Remove(f.Name()) // unlinked: gone with the process, whatever happens
		if _, err := f.Write(t.buf.Bytes()); err != nil {
			f.Close()
			t.err = err
			return 0, err
		}
		t.buf = bytes.Buffer{}
		t.file = f
	}
	var n int
	var err error
	if t.file != nil {
		n, err = t.file.Write(p)
	} else {
		n, err = t.buf.Write(p)
	}
	t.size += int64(n)
	if err != nil {
		t.err = err
	}
	return n, err
}

// section reads bytes [off, off+n).
func (t *tempStore) section(off, n int64) io.Reader {
	if t.file != nil {
		return io.NewSectionReader(t.file, off, n)
	}
	return bytes.NewReader(t.buf.Bytes()[off : off+n])
}

func (t *tempStore) close() {
	if t.file != nil {
		t.file.Close()
	}
}

// fileRef is a local file the spool refers to instead of copying it.
type fileRef struct {
	path  string
	size  int64
	mtime time.Time
}

// localFile describes body if it is a regular file read from its start.
func localFile(body io.Reader) *fileRef {
	f, ok := body.(*os.File)
	if !ok {
		return nil
	}
	if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != 0 {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	return &fileRef{path: f.Name(), size: st.Size(), mtime: st.ModTime()}
}

// open opens the referenced file, failing if it changed since it was spooled.
func (f *fileRef) open() (*os.File, error) {
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err == nil && (st.Size() != f.size || !st.ModTime().Equal(f.mtime)) {
		err = fmt.Errorf("%s changed while it was being imported", f.path)
	}
	if err != nil {
		fh.Close()
		return nil, err
	}
	return fh, nil
}

// put reads one payload to EOF. Bytes that are already gzip (Apple's reports and
// segments) are kept as they are; anything else is gzipped. The payload's checksum is of
// its content (decompressed), so the same report arriving gzipped from the API and plain
// from a hand download is recognised as the same version.
func (s *spool) put(name string, body io.Reader) error {
	ref := localFile(body)
	br := newPeekReader(body)
	magic, _ := br.peek(2)
	gz := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	s.plain.max = copyMemory
	sp := span{off: s.stored.size, coff: s.plain.size}
	var n int64
	var sum string
	var err error
	if gz {
		ch := newContentHasher(&s.plain)
		dst := io.Writer(ch)
		if ref == nil {
			dst = io.MultiWriter(&s.stored, ch)
		}
		n, err = io.Copy(dst, br)
		if err == nil {
			err = s.stored.err
		}
		sum, sp.hasCopy = ch.finish(err)
		if err == nil && ref != nil && n != ref.size {
			err = fmt.Errorf("%s changed while it was being imported", ref.path)
		}
	} else {
		// Not gzip (JSON pages, a report downloaded plain): gzipped as it is stored; the
		// parse inflates that (a fast gzip level: no content copy).
		ref = nil
		h := sha256.New()
		zw := gzWriters.Get().(*gzip.Writer)
		zw.Reset(&s.stored)
		n, err = io.Copy(io.MultiWriter(zw, h), br)
		if err == nil {
			err = zw.Close()
		}
		zw.Reset(nil)
		gzWriters.Put(zw)
		if err == nil {
			err = s.stored.err
		}
		sum = hex.EncodeToString(h.Sum(nil))
	}
	if err != nil {
		return fmt.Errorf("payload %s: %w", name, err)
	}
	sp.n, sp.cn = s.stored.size-sp.off, s.plain.size-sp.coff
	if ref != nil {
		sp.off, sp.n, sp.ref = 0, n, ref
	}
	s.spans = append(s.spans, sp)
	s.payloads = append(s.payloads, load.Payload{Name: name, Bytes: n, SHA256: sum, Gzipped: !gz})
	return nil
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
	sp := s.spans[i]
	if sp.ref != nil {
		f, err := sp.ref.open()
		if err != nil {
			return nil, err
		}
		s.opened = append(s.opened, f)
		return f, nil
	}
	return s.stored.section(sp.off, sp.n), nil
}

// content returns the i-th payload decompressed (for parsing a version not archived yet):
// from its S2 copy, or by inflating what is stored when it has none (bytes that do not
// decompress: the parse then fails as it would on the archived payload).
func (s *spool) content(i int) (io.ReadCloser, error) {
	sp := s.spans[i]
	if sp.hasCopy {
		return &s2Content{name: s.payloads[i].Name, r: s2.NewReader(s.plain.section(sp.coff, sp.cn))}, nil
	}
	r, err := s.open(i)
	if err != nil {
		return nil, err
	}
	return load.Gunzip(s.payloads[i].Name, io.NopCloser(r))
}

// s2Content reads a content copy; its errors name the payload.
type s2Content struct {
	name string
	r    *s2.Reader
}

func (c *s2Content) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", c.name, err)
	}
	return n, err
}

func (c *s2Content) Close() error { return nil }

func (s *spool) close() {
	s.stored.close()
	s.plain.close()
	for _, f := range s.opened {
		f.Close()
	}
	s.opened = nil
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
