package engine

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
)

// contentHasher is written the gzip bytes of one payload as they are stored and, on the
// side, inflates them (klauspost/compress, about a fifth faster than compress/gzip) on one
// goroutine and, on another, hashes what it inflated and writes it S2-compressed to the
// content copy: storing a large report costs about one inflation, on another core, and
// no second pass.
type contentHasher struct {
	pw   *io.PipeWriter
	raw  hash.Hash // of the gzip bytes, for the "gzip:" fallback
	done chan contentSum
}

type contentSum struct {
	sum    string
	copied bool
	err    error
}

func newContentHasher(copyTo io.Writer) *contentHasher {
	pr, pw := io.Pipe()
	c := &contentHasher{pw: pw, raw: sha256.New(), done: make(chan contentSum, 1)}
	go func() {
		sum, copied, err := inflateSum(pr, copyTo)
		io.Copy(io.Discard, pr) // after a bad stream, let the writer finish
		c.done <- contentSum{sum, copied, err}
	}()
	return c
}

func (c *contentHasher) Write(p []byte) (int, error) {
	c.raw.Write(p)
	return c.pw.Write(p)
}

// finish ends the input (err: the copy failed) and returns the content checksum: the
// sha256 of the decompressed content, or "gzip:" and the sha256 of the bytes when they do
// not decompress (a truncated download: it fails to parse later). copied says the content
// copy is complete.
func (c *contentHasher) finish(err error) (sum string, copied bool) {
	if err != nil {
		c.pw.CloseWithError(err)
	} else {
		c.pw.Close()
	}
	res := <-c.done
	if res.err != nil {
		return "gzip:" + hex.EncodeToString(c.raw.Sum(nil)), false
	}
	return res.sum, res.copied && err == nil
}

// hashBufs are inflateSum's buffers, kept between payloads (a run spools hundreds of small
// pages: making them fresh for each shows in its time).
const nbuf, bufSize = 3, 256 << 10

var (
	hashBufs = sync.Pool{New: func() any {
		b := make([][]byte, nbuf)
		for i := range b {
			b[i] = make([]byte, bufSize)
		}
		return &b
	}}
	bufReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 256<<10) }}
	gzReaders  sync.Pool // *gzip.Reader
	s2Writers  = sync.Pool{New: func() any { return s2.NewWriter(nil, s2.WriterConcurrency(1)) }}
)

// inflateSum is the hex sha256 of the decompressed content of the gzip stream r (every
// member, like compress/gzip); the content also goes S2-compressed to copyTo (copied is
// false if that failed: the parse then inflates the stored bytes). The hashing and the
// copy run on their own goroutine, a few buffers behind the inflation.
func inflateSum(r io.Reader, copyTo io.Writer) (sum string, copied bool, err error) {
	br := bufReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() { br.Reset(nil); bufReaders.Put(br) }()
	zr, _ := gzReaders.Get().(*gzip.Reader)
	if zr == nil {
		zr, err = gzip.NewReader(br)
	} else {
		err = zr.Reset(br)
	}
	if err != nil {
		return "", false, err
	}
	defer gzReaders.Put(zr)
	bufs := hashBufs.Get().(*[][]byte)
	defer hashBufs.Put(bufs)
	free, full := make(chan []byte, nbuf), make(chan []byte, nbuf)
	for _, b := range *bufs {
		free <- b
	}
	h := sha256.New()
	cw := s2Writers.Get().(*s2.Writer)
	cw.Reset(copyTo)
	var copyErr error
	hashed := make(chan struct{})
	go func() {
		for b := range full {
			h.Write(b)
			if copyErr == nil {
				_, copyErr = cw.Write(b)
			}
			free <- b[:bufSize]
		}
		if copyErr == nil {
			copyErr = cw.Close()
		}
		cw.Reset(nil)
		s2Writers.Put(cw)
		close(hashed)
	}()
	for err == nil {
		b := <-free
		n := 0
		for n < len(b) && err == nil {
			var m int
			m, err = zr.Read(b[n:])
			n += m
		}
		full <- b[:n]
	}
	close(full)
	<-hashed
	if err != io.EOF {
		return "", false, err
	}
	return hex.EncodeToString(h.Sum(nil)), copyErr == nil, nil
}
