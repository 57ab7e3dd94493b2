package engine

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"
)

// contentHasher is written the gzip bytes of one payload as they are stored and computes
// the sha256 of their content on the side: one goroutine inflates (klauspost/compress,
// about a fifth faster than compress/gzip), another hashes what it inflated, so storing a
// large report costs about one inflation, on another core, and no second pass.
type contentHasher struct {
	pw   *io.PipeWriter
	raw  hash.Hash // of the gzip bytes, for the "gzip:" fallback
	done chan contentSum
}

type contentSum struct {
	sum string
	err error
}

func newContentHasher() *contentHasher {
	pr, pw := io.Pipe()
	c := &contentHasher{pw: pw, raw: sha256.New(), done: make(chan contentSum, 1)}
	go func() {
		sum, err := inflateSum(pr)
		io.Copy(io.Discard, pr) // after a bad stream, let the writer finish
		c.done <- contentSum{sum, err}
	}()
	return c
}

func (c *contentHasher) Write(p []byte) (int, error) {
	c.raw.Write(p)
	return c.pw.Write(p)
}

// finish ends the input (err: the copy failed) and returns the content checksum: the
// sha256 of the decompressed content, or "gzip:" and the sha256 of the bytes when they do
// not decompress (a truncated download: it fails to parse later).
func (c *contentHasher) finish(err error) string {
	if err != nil {
		c.pw.CloseWithError(err)
	} else {
		c.pw.Close()
	}
	res := <-c.done
	if res.err != nil {
		return "gzip:" + hex.EncodeToString(c.raw.Sum(nil))
	}
	return res.sum
}

// inflateSum is the hex sha256 of the decompressed content of the gzip stream r (every
// member, like compress/gzip). The hashing runs in its own goroutine, a few buffers behind
// the inflation.
func inflateSum(r io.Reader) (string, error) {
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 256<<10))
	if err != nil {
		return "", err
	}
	defer zr.Close()
	const nbuf, size = 3, 256 << 10
	free, full := make(chan []byte, nbuf), make(chan []byte, nbuf)
	for i := 0; i < nbuf; i++ {
		free <- make([]byte, size)
	}
	h := sha256.New()
	hashed := make(chan struct{})
	go func() {
		for b := range full {
			h.Write(b)
			free <- b[:size]
		}
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
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
