package warehouse

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
)

// Formats lists the output formats Write accepts.
var Formats = []string{"table", "csv", "json"}

// Write prints r in one of Formats:
//   - "table": aligned text, a header line, a separator of dashes, the rows
//     (numbers right-aligned, NULL shown as NULL) and a "(n rows)" footer;
//   - "csv": RFC 4180 with a header line, NULL as an empty field;
//   - "json": an array of objects, keys in column order; DECIMAL values are
//     strings so they stay exact, DATE is "YYYY-MM-DD", timestamps RFC 3339.
//
// DECIMAL values are always printed exactly with all the digits of their
// scale, as DuckDB itself prints them: DECIMAL(38,6) 3.3 is "3.300000".
func Write(w io.Writer, r *Result, format string) error {
	switch format {
	case "table":
		return writeTable(w, r)
	case "csv":
		return writeCSV(w, r)
	case "json":
		return writeJSON(w, r)
	default:
		return fmt.Errorf("unknown output format %q (valid: %s)", format, strings.Join(Formats, ", "))
	}
}

func colType(r *Result, i int) string {
	if i < len(r.Types) {
		return r.Types[i]
	}
	return ""
}

func writeTable(w io.Writer, r *Result) error {
	n := len(r.Columns)
	cells := make([][]string, len(r.Rows))
	width := make([]int, n)
	for i, c := range r.Columns {
		width[i] = utf8.RuneCountInString(c)
	}
	for ri, row := range r.Rows {
		cells[ri] = make([]string, n)
		for i := range n {
			var v any
			if i < len(row) {
				v = row[i]
			}
			s := "NULL"
			if v != nil {
				s = oneLine(text(v, colType(r, i)))
			}
			cells[ri][i] = s
			width[i] = max(width[i], utf8.RuneCountInString(s))
		}
	}
	right := make([]bool, n)
	for i := range n {
		right[i] = isNumeric(colType(r, i))
	}
	var b bytes.Buffer
	line := func(vals []string, alignRight []bool) {
		for i, s := range vals {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(s))
			last := i == len(vals)-1
			switch {
			case alignRight != nil && alignRight[i]:
				b.WriteString(pad + s)
			case last:
				b.WriteString(s)
			default:
				b.WriteString(s + pad)
			}
		}
		b.WriteByte('\n')
	}
	line(r.Columns, right)
	sep := make([]string, n)
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	line(sep, nil)
	for _, row := range cells {
		line(row, right)
	}
	if len(r.Rows) == 1 {
		b.WriteString("(1 row)\n")
	} else {
		fmt.Fprintf(&b, "(%d rows)\n", len(r.Rows))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// oneLine keeps a table row on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}

func writeCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Columns); err != nil {
		return err
	}
	rec := make([]string, len(r.Columns))
	for _, row := range r.Rows {
		for i := range rec {
			rec[i] = ""
			if i < len(row) && row[i] != nil {
				rec[i] = text(row[i], colType(r, i))
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeJSON(w io.Writer, r *Result) error {
	var b bytes.Buffer
	b.WriteString("[")
	for ri, row := range r.Rows {
		if ri > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for i, c := range r.Columns {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := marshal(&b, c); err != nil {
				return err
			}
			b.WriteString(": ")
			var v any
			if i < len(row) {
				v = row[i]
			}
			if err := marshal(&b, jsonValue(v, colType(r, i))); err != nil {
				return fmt.Errorf("json column %s: %w", c, err)
			}
		}
		b.WriteString("}")
	}
	if len(r.Rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := w.Write(b.Bytes())
	return err
}

// marshal appends the JSON encoding of v without HTML escaping or newline.
func marshal(b *bytes.Buffer, v any) error {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Write(bytes.TrimRight(tmp.Bytes(), "\n"))
	return nil
}

func isNumeric(typ string) bool {
	switch {
	case strings.HasPrefix(typ, "DECIMAL"):
		return true
	}
	switch typ {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
		"FLOAT", "DOUBLE", "BIGNUM":
		return true
	}
	return false
}

// FormatDecimal formats d exactly, with exactly d.Scale digits after the
// point (none, and no point, when the scale is 0).
func FormatDecimal(d duckdb.Decimal) string {
	if d.Value == nil {
		return "NULL"
	}
	neg := d.Value.Sign() < 0
	digits := new(big.Int).Abs(d.Value).String()
	scale := int(d.Scale)
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// text renders a non-NULL value for the table and csv formats.
func text(v any, typ string) string {
	switch x := v.(type) {
	case string:
		return x
	case duckdb.Decimal:
		return FormatDecimal(x)
	case *duckdb.Decimal:
		return FormatDecimal(*x)
	case time.Time:
		return formatTime(x, typ)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case *big.Int:
		return x.String()
	case []byte:
		if typ == "UUID" && len(x) == 16 {
			return formatUUID(x)
		}
		return `\x` + hex.EncodeToString(x)
	case fmt.Stringer:
		return x.String()
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, bool:
		return fmt.Sprint(x)
	default:
		var b bytes.Buffer
		if err := marshal(&b, jsonValue(v, typ)); err != nil {
			return fmt.Sprint(v)
		}
		return b.String()
	}
}

func formatTime(t time.Time, typ string) string {
	switch typ {
	case "DATE":
		return t.Format(time.DateOnly)
	case "TIME":
		return t.Format("15:04:05.999999")
	case "TIMETZ":
		return t.Format("15:04:05.999999Z07:00")
	default:
		return t.Format(time.RFC3339Nano)
	}
}

func formatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// jsonValue converts a value to something encoding/json prints the way the
// json format promises.
func jsonValue(v any, typ string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case duckdb.Decimal:
		return FormatDecimal(x)
	case *duckdb.Decimal:
		return FormatDecimal(*x)
	case time.Time:
		return formatTime(x, typ)
	case *big.Int:
		return json.Number(x.String())
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return strconv.FormatFloat(float64(x), 'g', -1, 32)
		}
		return x
	case []byte:
		if typ == "UUID" && len(x) == 16 {
			return formatUUID(x)
		}
		return x // base64, as encoding/json does for bytes
	case []any:
		elem := strings.TrimSuffix(typ, "[]")
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e, elem)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e, "")
		}
		return out
	case duckdb.OrderedMap:
		keys, vals := x.Keys(), x.Values()
		out := make(map[string]any, len(keys))
		for i, k := range keys {
			out[text(k, "")] = jsonValue(vals[i], "")
		}
		return out
	case duckdb.Union:
		return jsonValue(x.Value, "")
	default:
		return v
	}
}
