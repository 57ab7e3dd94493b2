package transform

import (
	"fmt"
	"unicode/utf8"
)

// Apple writes its reports in UTF-8, but a file saved again by a spreadsheet on Windows (a
// Payments CSV opened in Excel, a finance file with a bank or developer name such as
// "Café Übung") arrives in Windows-1252. Arrow strings must be UTF-8, so a line that is not
// valid UTF-8 is read as Windows-1252 and transcoded. The decision is per line: a line of
// ASCII reads the same either way, and a valid UTF-8 line is never reinterpreted (a
// Windows-1252 text is valid UTF-8 only by rare accident: "Ã" followed by a symbol in
// 0x80–0xBF). Windows-1252 is a superset of Latin-1 for text (it only gives 0x80–0x9F,
// control codes in Latin-1, printable meanings), so Latin-1 files decode the same way.

// cp1252 maps bytes 0x80–0x9F of Windows-1252. The five bytes Windows-1252 leaves undefined
// (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1 control of the same value, as the WHATWG
// decoder does; bytes 0xA0–0xFF are the Unicode code points of the same value.
var cp1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// appendCP1252 appends src, read as Windows-1252, to dst as UTF-8.
func appendCP1252(dst, src []byte) []byte {
	for _, c := range src {
		switch {
		case c < 0x80:
			dst = append(dst, c)
		case c < 0xA0:
			dst = utf8.AppendRune(dst, cp1252[c-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

// textDecoder makes lines valid UTF-8 and remembers which it had to transcode.
type textDecoder struct {
	buf   []byte
	first int // first transcoded line (0: none)
	count int // transcoded lines
}

// decode returns line as UTF-8: itself when valid, else its Windows-1252 reading in a buffer
// valid until the next call. n is the line number, for the note.
func (d *textDecoder) decode(line []byte, n int) []byte {
	if utf8.Valid(line) {
		return line
	}
	if d.count == 0 {
		d.first = n
	}
	d.count++
	d.buf = appendCP1252(d.buf[:0], line)
	return d.buf
}

// note describes the transcoding for Checks ("" when every line was UTF-8).
func (d *textDecoder) note() string {
	if d.count == 0 {
		return ""
	}
	return fmt.Sprintf("line %d: not valid UTF-8, read as Windows-1252/Latin-1 (%d lines transcoded)", d.first, d.count)
}

// toUTF8 returns b as UTF-8, reading it as Windows-1252 when it is not valid UTF-8.
func toUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return appendCP1252(make([]byte, 0, len(b)+len(b)/4), b)
}
