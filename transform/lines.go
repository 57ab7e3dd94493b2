package transform

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// readLine returns the next physical line without "\n" or "\r\n", as UTF-8; io.EOF at the end.
// The slice is valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	if r.eof {
		return nil, io.EOF
	}
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = r.br.ReadSlice('\n')
			r.long = append(r.long, b...)
		}
		b = r.long
	}
	if err != nil {
		if err != io.EOF {
			return nil, &ParseError{Key: r.opt.Key, Line: r.line + 1, Err: fmt.Errorf("read: %w", err)}
		}
		r.eof = true
		if len(b) == 0 {
			return nil, io.EOF
		}
	}
	r.line++
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if r.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	}
	return r.text.decode(b, r.line), nil // Windows-1252 lines become UTF-8 (encoding.go)
}

// blank reports whether a line has nothing but spaces and tabs.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// allBlank reports whether every field is empty or spaces.
func allBlank(fs [][]byte) bool {
	for _, f := range fs {
		if !blank(f) {
			return false
		}
	}
	return true
}

// firstCell is the text before the first tab.
func firstCell(line []byte) []byte {
	if i := bytes.IndexByte(line, '\t'); i >= 0 {
		return line[:i]
	}
	return line
}

// openQuote returns the index of the first field that opens a double quote it does not
// close ("Foo, with no closing quote), or -1.
func openQuote(fs [][]byte) int {
	for i, f := range fs {
		v := trimSpaces(f)
		if len(v) > 0 && v[0] == '"' && (len(v) == 1 || v[len(v)-1] != '"') {
			return i
		}
	}
	return -1
}
