package transform

import "unicode/utf8"

// Apple writes its reports in UTF-8, but files that went through a spreadsheet or an old
// iTunes Connect export carry Latin-1 / Windows-1252 bytes (a title like "Caf\xe9").
// Arrow strings must be valid UTF-8, so every text cell and header cell passes toUTF8.

// cp1252 maps the bytes 0x80–0x9F of Windows-1252 to their code points; the five bytes
// Windows-1252 leaves undefined map to the C1 control of the same value (as WHATWG does).
var cp1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// toUTF8 returns b unchanged when it is valid UTF-8 (no allocation). Otherwise it returns a
// new slice in which every byte that does not start a valid UTF-8 sequence is read as
// Windows-1252 (a superset of Latin-1 for printable text); valid sequences are kept, so a
// cell mixing both is repaired byte by byte.
func toUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			c := b[0]
			r = rune(c)
			if c >= 0x80 && c < 0xA0 {
				r = cp1252[c-0x80]
			}
			n = 1
		}
		out = utf8.AppendRune(out, r)
		b = b[n:]
	}
	return out
}
