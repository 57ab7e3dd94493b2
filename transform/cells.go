package transform

import (
	"bytes"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// trimSpaces removes leading and trailing ASCII spaces.
func trimSpaces(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && b[i] == ' ' {
		i++
	}
	for j > i && b[j-1] == ' ' {
		j--
	}
	return b[i:j]
}

// isNull reports whether a trimmed cell is a null: empty or the two characters "".
func isNull(b []byte) bool {
	return len(b) == 0 || (len(b) == 2 && b[0] == '"' && b[1] == '"')
}

// splitTabs splits line on '\t' into dst (reused) without copying.
func splitTabs(dst [][]byte, line []byte) [][]byte {
	dst = dst[:0]
	for {
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			return append(dst, line)
		}
		dst = append(dst, line[:i])
		line = line[i+1:]
	}
}

// parseInt parses a strict base-10 int64 with an optional sign.
func parseInt(b []byte) (int64, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, ErrInvalidInt
	}
	var u uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, ErrInvalidInt
		}
		if u > (1<<63)/10 {
			return 0, ErrOutOfRange
		}
		u = u*10 + uint64(d)
	}
	if neg {
		if u > 1<<63 {
			return 0, ErrOutOfRange
		}
		return -int64(u), nil
	}
	if u > 1<<63-1 {
		return 0, ErrOutOfRange
	}
	return int64(u), nil
}

// num2 and num4 parse fixed-width unsigned digit groups; -1 on a non-digit.
func num2(b []byte) int {
	d0, d1 := int(b[0])-'0', int(b[1])-'0'
	if uint(d0) > 9 || uint(d1) > 9 {
		return -1
	}
	return d0*10 + d1
}

func num4(b []byte) int {
	h, l := num2(b[:2]), num2(b[2:4])
	if h < 0 || l < 0 {
		return -1
	}
	return h*100 + l
}

// parseDateMDY parses MM/DD/YYYY.
func parseDateMDY(b []byte) (arrow.Date32, error) {
	if len(b) != 10 || b[2] != '/' || b[5] != '/' {
		return 0, ErrInvalidDate
	}
	return civil(num4(b[6:]), num2(b[:2]), num2(b[3:5]))
}

// parseDateISO parses YYYY-MM-DD.
func parseDateISO(b []byte) (arrow.Date32, error) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, ErrInvalidDate
	}
	return civil(num4(b[:4]), num2(b[5:7]), num2(b[8:]))
}

// civil validates a calendar date and returns its days since 1970-01-01.
func civil(y, m, d int) (arrow.Date32, error) {
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, ErrInvalidDate
	}
	return arrow.Date32(daysFromCivil(y, m, d)), nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is Howard Hinnant's days_from_civil for the proleptic Gregorian calendar.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// uniqueName returns name, or name_2, name_3, … the first not in taken, and marks it
// taken. next remembers per base name the suffix to try first, so a header repeating one
// name n times costs O(n), not O(n²).
func uniqueName(taken map[string]bool, next map[string]int, name string) string {
	if !taken[name] {
		taken[name] = true
		return name
	}
	k := max(next[name], 2)
	for taken[name+"_"+strconv.Itoa(k)] {
		k++
	}
	next[name] = k + 1
	out := name + "_" + strconv.Itoa(k)
	taken[out] = true
	return out
}
