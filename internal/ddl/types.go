package ddl

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Quoting. Names are double-quoted for Trino ("" inside doubles a quote) and
// backquoted for Athena, Spark and BigQuery. Hive DDL and BigQuery have no portable
// escape for a backquote or for quotes inside string literals (they use backslash
// escapes, Trino doubles the quote), so names and literals holding quotes, backslashes or
// control characters are refused instead of escaped: the loader's names are
// [a-z0-9_] (schemas.ColumnName) and its paths are checked by schemas.SafeValue.

var errEmptyIdent = errors.New("empty name")

func checkIdent(s string) error {
	if s == "" {
		return errEmptyIdent
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || strings.ContainsRune("`\"'\\", r) }); i >= 0 {
		return fmt.Errorf("name %q: character %q at byte %d is not allowed", s, s[i], i)
	}
	return nil
}

func checkLiteral(s string) error {
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\'' || r == '\\' }); i >= 0 {
		return fmt.Errorf("%q: character %q at byte %d is not allowed in a string literal", s, s[i], i)
	}
	return nil
}

// ident quotes a name checked by checkIdent.
func (g *generator) ident(s string) string {
	if g.e == Trino {
		return `"` + s + `"`
	}
	return "`" + s + "`"
}

// lit quotes a string checked by checkLiteral.
func lit(s string) string { return "'" + s + "'" }

// colType is the engine's type for an Arrow type. The loader's files use utf8, int64,
// float64, bool, date32, timestamp[us, UTC] and decimal128(18,6|10); the rest is for
// marts written by DuckDB.
func (g *generator) colType(dt arrow.DataType) (string, error) {
	switch t := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return g.pick("varchar", "string", "STRING", "STRING"), nil
	case *arrow.Int64Type:
		return g.pick("bigint", "bigint", "BIGINT", "INT64"), nil
	case *arrow.Int32Type:
		return g.pick("integer", "int", "INT", "INT64"), nil
	case *arrow.Int16Type:
		return g.pick("smallint", "smallint", "SMALLINT", "INT64"), nil
	case *arrow.Int8Type:
		return g.pick("tinyint", "tinyint", "TINYINT", "INT64"), nil
	case *arrow.Float64Type:
		return g.pick("double", "double", "DOUBLE", "FLOAT64"), nil
	case *arrow.Float32Type:
		return g.pick("real", "float", "FLOAT", "FLOAT64"), nil
	case *arrow.BooleanType:
		return g.pick("boolean", "boolean", "BOOLEAN", "BOOL"), nil
	case *arrow.Date32Type:
		return g.pick("date", "date", "DATE", "DATE"), nil
	case *arrow.TimestampType:
		return g.timestamp(t), nil
	case *arrow.Decimal128Type:
		return g.decimal(int(t.Precision), int(t.Scale))
	}
	return "", fmt.Errorf("arrow type %s has no %s mapping", dt, g.e)
}

func (g *generator) pick(trino, athena, spark, bigquery string) string {
	switch g.e {
	case Trino:
		return trino
	case Athena:
		return athena
	case Spark:
		return spark
	}
	return bigquery
}

// timestamp maps a Parquet TIMESTAMP(MICROS). Ours are UTC instants (isAdjustedToUTC):
//   - Trino's Hive connector reads timestamps at hive.timestamp-precision, milliseconds
//     by default, and CREATE TABLE refuses any other precision: timestamp(3), so the
//     microseconds are truncated unless the catalog is set to MICROSECONDS (then edit the
//     script to timestamp(6));
//   - Athena's timestamp is milliseconds too;
//   - Spark's TIMESTAMP and BigQuery's TIMESTAMP keep microseconds.
//
// A timestamp without a time zone (a DuckDB TIMESTAMP in a mart) is Spark's
// TIMESTAMP_NTZ (Spark 3.4+) and BigQuery's DATETIME.
func (g *generator) timestamp(t *arrow.TimestampType) string {
	if t.TimeZone == "" {
		return g.pick("timestamp(3)", "timestamp", "TIMESTAMP_NTZ", "DATETIME")
	}
	return g.pick("timestamp(3)", "timestamp", "TIMESTAMP", "TIMESTAMP")
}

// decimal maps DECIMAL(p,s). BigQuery has NUMERIC (at most 29 integer digits and 9
// decimals) and BIGNUMERIC (38 and 38): money, decimal(18,6), is NUMERIC and rates,
// decimal(18,10), are BIGNUMERIC, which the table's decimal_target_types option lets
// BigQuery read them as (its default reads a decimal that NUMERIC cannot hold as STRING).
func (g *generator) decimal(p, s int) (string, error) {
	if p < 1 || p > 38 || s < 0 || s > p {
		return "", fmt.Errorf("decimal(%d,%d) is outside every engine's range (precision 1..38)", p, s)
	}
	if g.e != BigQuery {
		return fmt.Sprintf(g.pick("decimal(%d,%d)", "decimal(%d,%d)", "DECIMAL(%d,%d)", ""), p, s), nil
	}
	if s <= 9 && p-s <= 29 {
		return "NUMERIC", nil
	}
	return "BIGNUMERIC", nil
}
