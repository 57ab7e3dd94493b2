package extract

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
)

// ErrIncomplete matches (errors.Is) a successful answer whose body did not arrive whole:
// the connection was reset or closed before Content-Length bytes came, a gzip report's
// stream or trailer (CRC-32 and length) is missing or wrong, a JSON document does not parse
// to its end. The client sends such a request again within the same retries as a 5xx
// (Config.MaxAttempts, with backoff, each attempt charged to the request budget as Apple
// counts it), so only verified bodies reach the caller: a truncated payload is never
// handed on as if it were good. After the last attempt the error matches ErrIncomplete.
var ErrIncomplete = errors.New("incomplete response body")

func incompletef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrIncomplete, fmt.Sprintf(format, args...))
}

// readWhole reads a body to its end, at most limit bytes: a read error or fewer bytes
// than Content-Length promised is ErrIncomplete, more than limit is a final error.
func readWhole(resp *http.Response, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s cut after %d bytes: %w", ErrIncomplete, what, len(b), err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s larger than %d bytes", what, limit)
	}
	if resp.ContentLength >= 0 && int64(len(b)) != resp.ContentLength {
		return nil, incompletef("%s: got %d of %d bytes", what, len(b), resp.ContentLength)
	}
	return b, nil
}

// readJSON reads a JSON document whole and checks that it parses to its end (a body cut
// short without a Content-Length, sent chunked, only shows there).
func readJSON(resp *http.Response, limit int64) ([]byte, error) {
	b, err := readWhole(resp, limit, "document")
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, incompletef("document of %d bytes is not a complete JSON document", len(b))
	}
	return b, nil
}

// reportMemory is how much of one report body is kept in memory before the rest goes to
// an (unlinked) temporary file.
var reportMemory = 16 << 20 // a variable for tests

// readReport reads a 200 report whole and verifies it before anyone sees it: a gzip
// Content-Type, the gzip magic bytes (both final: a proxy's page, not a cut), then the
// whole gzip stream decoded, which checks each member's CRC-32 and length trailer, and
// Content-Length. The returned body yields the bytes exactly as received.
func readReport(resp *http.Response) (io.ReadCloser, error) {
	ct := resp.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(ct))
	}
	switch mt {
	case "application/a-gzip", "application/gzip", "application/x-gzip", "application/octet-stream":
	default:
		return nil, fmt.Errorf("unexpected content type %q for a report, want %s", ct, gzipAccept)
	}
	br := bufio.NewReader(resp.Body)
	magic, err := br.Peek(2)
	switch {
	case err != nil && (len(magic) > 0 || resp.ContentLength != 0 || !errors.Is(err, io.EOF)):
		return nil, fmt.Errorf("%w: report body (%s) cut after %d bytes: %w", ErrIncomplete, ct, len(magic), err)
	case err != nil || magic[0] != 0x1f || magic[1] != 0x8b:
		return nil, fmt.Errorf("report body (%s) is not gzip data", ct)
	}
	buf := &spillBuffer{limit: reportMemory}
	fail := func(err error) (io.ReadCloser, error) {
		buf.Close()
		return nil, err
	}
	if err := verifyGzip(io.TeeReader(br, buf)); err != nil {
		return fail(err)
	}
	if _, err := io.Copy(buf, br); err != nil { // nothing is left after the stream; a read error still counts
		return fail(incompletef("report body: %v", err))
	}
	if buf.err != nil {
		return fail(buf.err)
	}
	if resp.ContentLength >= 0 && buf.size != resp.ContentLength {
		return fail(incompletef("report body: got %d of %d bytes", buf.size, resp.ContentLength))
	}
	return buf.reader()
}

// verifyGzip decodes a whole gzip stream (every member) and discards it. A stream that
// ends early, a trailer whose CRC-32 or length disagrees, or a read error is ErrIncomplete.
func verifyGzip(r io.Reader) error {
	zr, err := gzip.NewReader(r)
	if err == nil {
		_, err = io.Copy(io.Discard, zr)
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // a header cut short
	}
	return fmt.Errorf("%w: gzip stream does not verify: %w", ErrIncomplete, err)
}

// gzipIncomplete reports why gzip bytes do not verify (nil when they do, or when they are
// not gzip at all: there is nothing to verify).
func gzipIncomplete(b []byte) error {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return nil
	}
	return verifyGzip(bytes.NewReader(b))
}

// Temporary reports whether a request that failed with err, after the client's own
// retries, may still succeed if sent again later in the run: a 5xx, a body that did not
// arrive whole (ErrIncomplete), a transport failure (reset, closed connection, timeout).
// It is false for a 429 (Apple is throttling: more requests only make it worse), any other
// 4xx, ErrBudgetExhausted and a cancelled context. Sources use it to retry one failed
// document of a unit instead of the whole unit.
func Temporary(err error) bool {
	var ae *APIError
	var de *DownloadError
	var te interface{ Temporary() bool }
	switch {
	case err == nil, errors.Is(err, ErrBudgetExhausted), errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &ae):
		return ae.Status >= 500
	case errors.As(err, &de):
		return de.Status >= 500
	case errors.Is(err, ErrIncomplete), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.As(err, &te) && te.Temporary()
}

// transportError is a transport failure whose text was scrubbed (a pre-signed URL's
// signature removed): Temporary still recognises it.
type transportError string

func (e transportError) Error() string   { return string(e) }
func (e transportError) Temporary() bool { return true }

// spillBuffer keeps written bytes in memory up to limit, then in an unlinked temporary file.
type spillBuffer struct {
	limit int
	mem   bytes.Buffer
	file  *os.File
	size  int64
	err   error
}

func (b *spillBuffer) Write(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.file == nil && b.mem.Len()+len(p) > b.limit {
		f, err := os.CreateTemp("", "etl-report-*")
		if err != nil {
			b.err = fmt.Errorf("buffer report: %w", err)
			return 0, b.err
		}
		os.Remove(f.Name()) // unlinked: gone with the process, whatever happens
		if _, err := f.Write(b.mem.Bytes()); err != nil {
			f.Close()
			b.err = fmt.Errorf("buffer report: %w", err)
			return 0, b.err
		}
		b.mem = bytes.Buffer{}
		b.file = f
	}
	var n int
	var err error
	if b.file != nil {
		n, err = b.file.Write(p)
	} else {
		n, err = b.mem.Write(p)
	}
	b.size += int64(n)
	if err != nil {
		b.err = fmt.Errorf("buffer report: %w", err)
	}
	return n, err
}

// reader returns the buffered bytes from the start; closing it frees them.
func (b *spillBuffer) reader() (io.ReadCloser, error) {
	if b.file == nil {
		return io.NopCloser(bytes.NewReader(b.mem.Bytes())), nil
	}
	if _, err := b.file.Seek(0, io.SeekStart); err != nil {
		b.Close()
		return nil, fmt.Errorf("buffer report: %w", err)
	}
	return b.file, nil
}

func (b *spillBuffer) Close() error {
	if b.file != nil {
		return b.file.Close()
	}
	return nil
}
