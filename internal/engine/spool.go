package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// spoolMemory is how much of one fetch's payloads a spool keeps in memory before the rest
// goes to a temporary file.
const spoolMemory = 16 << 20

// spool holds one fetch's payloads until the fetch is complete and its digest known: a
// version is archived only when it differs from every version the unit already has, so
// re-fetching an unchanged report writes nothing. Payloads are kept as they will be
// stored (gzip), in memory up to spoolMemory and in a temporary file beyond; a gzip
// payload read from a local file (`etl import` of a hand-downloaded report) is not copied
// at all: the spool refers to the file, which is read again by the archive and the parse.
//
// Each payload is read once: its content checksum is computed while its bytes are stored
// (spool_hash.go), not by a second pass over them (BENCHMARKS.md, "The spool").
type spool struct {
	payloads []load.Payload
	spans    []span // where each stored payload is
	buf      bytes.Buffer
	file     *os.File
	size     int64
	opened   []*os.File // referenced files opened by open, closed by close
}

// span is one stored payload: bytes [off, off+n) of buf or file, or the local file ref.
type span struct {
	off, n int64
	ref    *fileRef
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
	start := s.size
	w := &spoolWriter{s: s}
	var n int64
	var sum string
	var err error
	if gz {
		ch := newContentHasher()
		dst := io.Writer(ch)
		if ref == nil {
			dst = io.MultiWriter(w, ch)
		}
		n, err = io.Copy(dst, br)
		if err == nil {
			err = w.err
		}
		sum = ch.finish(err)
		if err == nil && ref != nil && n != ref.size {
			err = fmt.Errorf("%s changed while it was being imported", ref.path)
		}
	} else {
		ref = nil
		h := sha256.New()
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		n, err = io.Copy(io.MultiWriter(zw, h), br)
		if err == nil {
			err = zw.Close()
		}
		if err == nil {
			err = w.err
		}
		sum = hex.EncodeToString(h.Sum(nil))
	}
	if err != nil {
		return fmt.Errorf("payload %s: %w", name, err)
	}
	sp := span{off: start, n: s.size - start}
	if ref != nil {
		sp = span{n: n, ref: ref}
	}
	s.spans = append(s.spans, sp)
	s.payloads = append(s.payloads, load.Payload{Name: name, Bytes: n, SHA256: sum, Gzipped: !gz})
	return nil
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
	seen := map[string]int{}
	v.Digest = load.Digest(v.Payloads)
	v.ID = load.VersionID(v.FetchedAt, v.Digest)
	for i := range v.Payloads {
		k := v.PayloadKey(v.Payloads[i].Name)
		if n := seen[k]; n > 0 { // two payloads with one sanitised name
			k = v.PayloadKey(fmt.Sprintf("%s-%d", v.Payloads[i].Name, n+1))
		}
		seen[k]++
		v.Payloads[i].Key = k
	}
	return v
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
	if s.file != nil {
		return io.NewSectionReader(s.file, sp.off, sp.n), nil
	}
	return bytes.NewReader(s.buf.Bytes()[sp.off : sp.off+sp.n]), nil
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
