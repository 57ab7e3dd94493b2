package warehouse

import (
	"context"
	"math/big"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// PlainRows runs one query and returns its rows keyed by column name, every value a plain
// Go value that needs no DuckDB type to read: string, int64, float64, bool, time.Time (DATE
// and TIMESTAMP), or nil for NULL. DECIMAL becomes float64 (a chart needs no more), HUGEINT
// int64 when it fits and float64 otherwise, anything else (BLOB, nested types) the text
// `etl query` prints. It is what packages that must not link DuckDB (internal/dashboard)
// are given to read the marts.
func (db *DB) PlainRows(ctx context.Context, query string) ([]map[string]any, error) {
	res, err := db.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(res.Rows))
	for i, r := range res.Rows {
		m := make(map[string]any, len(r))
		for j, v := range r {
			m[res.Columns[j]] = plainValue(v, res.Types[j])
		}
		out[i] = m
	}
	return out, nil
}

func plainValue(v any, typ string) any {
	switch x := v.(type) {
	case nil, string, int64, float64, bool, time.Time:
		return x
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x > 1<<63-1 {
			return float64(x)
		}
		return int64(x)
	case float32:
		return float64(x)
	case duckdb.Decimal:
		return decimalFloat(x)
	case *duckdb.Decimal:
		if x == nil {
			return nil
		}
		return decimalFloat(*x)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		f, _ := new(big.Float).SetInt(x).Float64()
		return f
	default:
		return text(v, typ)
	}
}

func decimalFloat(d duckdb.Decimal) any {
	if d.Value == nil {
		return nil
	}
	return d.Float64()
}
