package transform

import (
	"bytes"
	"errors"
)

// The Payments and Financial Reports file is CSV as a spreadsheet writes it, not RFC 4180:
// the title is a quoted cell with a tab inside, every value is quoted ("0.80030",
// "1,234.56"), and the paid-total cell is a quoted amount followed by bare text
// (`"234.58" EUR`). encoding/csv refuses that last cell, so the split is done here: a cell
// that starts with a quote runs to the closing quote ("" is a quote inside it), and any
// text after the closing quote, up to the next comma, is kept after it (`234.58 EUR`).

// errQuote is an unterminated quoted cell.
var errQuote = errors.New("quoted cell not closed on its line")

// splitCSV splits one line into cells (unquoted, not trimmed) appended to dst[:0]. The cells
// may point into buf, which is reused. bad is the 0-based cell with an unclosed quote.
func splitCSV(dst [][]byte, buf []byte, line []byte) (cells [][]byte, out []byte, bad int, err error) {
	dst, buf = dst[:0], buf[:0]
	// Cells are collected as offsets into buf first: buf may grow (and move) while splitting.
	var ends []int
	for i := 0; ; {
		start := len(buf)
		j := i
		for j < len(line) && line[j] == ' ' {
			j++
		}
		if j < len(line) && line[j] == '"' {
			k := j + 1
			closed := false
			for k < len(line) {
				if line[k] == '"' {
					if k+1 < len(line) && line[k+1] == '"' {
						buf = append(buf, '"')
						k += 2
						continue
					}
					closed = true
					k++
					break
				}
				buf = append(buf, line[k])
				k++
			}
			if !closed {
				return nil, buf, len(ends) / 2, errQuote
			}
			end := bytes.IndexByte(line[k:], ',')
			if end < 0 {
				end = len(line) - k
			}
			buf = append(buf, line[k:k+end]...) // text after the closing quote
			i = k + end
		} else {
			end := bytes.IndexByte(line[i:], ',')
			if end < 0 {
				end = len(line) - i
			}
			buf = append(buf, line[i:i+end]...)
			i += end
		}
		ends = append(ends, start, len(buf))
		if i >= len(line) {
			break
		}
		i++ // the comma
	}
	for k := 0; k < len(ends); k += 2 {
		dst = append(dst, buf[ends[k]:ends[k+1]])
	}
	return dst, buf, -1, nil
}

// trimCell removes ASCII spaces, tabs and no-break spaces (U+00A0) around a cell.
func trimCell(b []byte) []byte {
	b = bytes.TrimSpace(b)
	for {
		switch {
		case bytes.HasPrefix(b, []byte("\u00a0")):
			b = bytes.TrimSpace(b[2:])
		case bytes.HasSuffix(b, []byte("\u00a0")):
			b = bytes.TrimSpace(b[:len(b)-2])
		default:
			return b
		}
	}
}

// cleanNumber turns a spreadsheet number into parseScaled's form, in dst: thousands
// separators removed ("1,234.56" → "1234.56", checked to be groups of three), an
// accounting negative "(37.00)" → "-37.00". Anything else is returned as it is, for the
// parser to accept or reject.
func cleanNumber(dst, b []byte) ([]byte, error) {
	dst = dst[:0]
	if len(b) >= 2 && b[0] == '(' && b[len(b)-1] == ')' {
		dst = append(dst, '-')
		b = trimCell(b[1 : len(b)-1])
	}
	if bytes.IndexByte(b, ',') < 0 {
		return append(dst, b...), nil
	}
	intPart := b
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		intPart = b[:i]
	}
	digits := intPart
	if len(digits) > 0 && (digits[0] == '-' || digits[0] == '+') {
		digits = digits[1:]
	}
	groups := bytes.Split(digits, []byte{','})
	for k, g := range groups {
		if len(g) == 0 || len(g) > 3 || (k > 0 && len(g) != 3) {
			return nil, ErrInvalidDecimal
		}
	}
	for _, c := range b {
		if c != ',' {
			dst = append(dst, c)
		}
	}
	return dst, nil
}
