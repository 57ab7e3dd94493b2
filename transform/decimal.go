package transform

import (
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/ascetl/etl/schemas"
)

// pow10 holds 10^0 … 10^18.
var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// maxUnscaled is the largest magnitude of decimal(18, 6), unscaled: 10^18 - 1.
const maxUnscaled = 999_999_999_999_999_999

// parseDecimal parses [sign] digits [. digits] exactly into an unscaled int64 at
// schemas.DecimalScale. More significant fraction digits than the scale is an error (never
// rounded); extra trailing zeros are accepted since they lose nothing.
func parseDecimal(b []byte) (int64, error) { return parseScaled(b, schemas.DecimalScale) }

// parseScaled is parseDecimal at another scale (0 … 18), e.g. schemas.RateScale.
func parseScaled(b []byte, scale int) (int64, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	var v int64
	i, nint := 0, 0
	for ; i < len(b) && b[i] != '.'; i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, ErrInvalidDecimal
		}
		if v > maxUnscaled/10 {
			return 0, ErrOutOfRange
		}
		v = v*10 + int64(d)
		nint++
	}
	if nint == 0 {
		return 0, ErrInvalidDecimal
	}
	frac := 0
	if i < len(b) { // b[i] == '.'
		i++
		if i == len(b) {
			return 0, ErrInvalidDecimal
		}
		for ; i < len(b); i++ {
			d := b[i] - '0'
			if d > 9 {
				return 0, ErrInvalidDecimal
			}
			if frac == scale {
				if d != 0 {
					return 0, ErrTooManyDigits
				}
				continue
			}
			if v > maxUnscaled/10 {
				return 0, ErrOutOfRange
			}
			v = v*10 + int64(d)
			frac++
		}
	}
	if frac < scale {
		m := pow10[scale-frac]
		if v > maxUnscaled/m {
			return 0, ErrOutOfRange
		}
		v *= m
	}
	if neg {
		v = -v
	}
	return v, nil
}

// parseBigDecimal parses a decimal like parseDecimal into a decimal128 at scale 6, without
// the precision-18 limit: for footer and summary totals, which may exceed one cell's range.
func parseBigDecimal(b []byte) (decimal128.Num, error) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	ten := decimal128.FromI64(10)
	var n decimal128.Num
	i, nint, frac := 0, 0, 0
	for ; i < len(b) && b[i] != '.'; i++ {
		d := b[i] - '0'
		if d > 9 || nint >= 30 {
			return n, ErrInvalidDecimal
		}
		n = n.Mul(ten).Add(decimal128.FromI64(int64(d)))
		nint++
	}
	if nint == 0 {
		return n, ErrInvalidDecimal
	}
	if i < len(b) {
		i++
		if i == len(b) {
			return n, ErrInvalidDecimal
		}
		for ; i < len(b); i++ {
			d := b[i] - '0'
			if d > 9 {
				return n, ErrInvalidDecimal
			}
			if frac == schemas.DecimalScale {
				if d != 0 {
					return n, ErrTooManyDigits
				}
				continue
			}
			n = n.Mul(ten).Add(decimal128.FromI64(int64(d)))
			frac++
		}
	}
	for ; frac < schemas.DecimalScale; frac++ {
		n = n.Mul(ten)
	}
	if neg {
		n = n.Negate()
	}
	return n, nil
}

// formatDecimal renders an unscaled scale-6 decimal128 for messages.
func formatDecimal(n decimal128.Num) string {
	return n.ToString(schemas.DecimalScale)
}
