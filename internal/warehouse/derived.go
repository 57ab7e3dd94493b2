package warehouse

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Derived tables: Parquet written by etl itself (not loaded from Apple), one file each,
// without partitions, through the bucket (so they exist for remote buckets too) and
// rewritten only when their bytes change. Their views are created like the loaded tables'.
const (
	LedgerTable    = "etl_ledger"    // the ledger, one row per unit (WriteLedger)
	FileRatesTable = "fx_file_rates" // the user's fx.rates_file, in the reporting currency (WriteFileRates)
)

// DerivedKey is the object key of a derived table: parquet/<table>/data.parquet.
func DerivedKey(table string) string { return "parquet/" + table + "/data.parquet" }

var ledgerCols = []Col{
	{"unit_id", "VARCHAR"}, {"family", "VARCHAR"}, {"dataset", "VARCHAR"}, {"type", "VARCHAR"},
	{"sub_type", "VARCHAR"}, {"frequency", "VARCHAR"}, {"region", "VARCHAR"}, {"vendor", "VARCHAR"},
	{"period", "VARCHAR"}, {"period_start", "DATE"}, {"period_end", "DATE"}, {"state", "VARCHAR"},
	{"rows", "BIGINT"}, {"attempts", "BIGINT"}, {"error", "VARCHAR"}, {"report_version", "VARCHAR"},
	{"first_seen", "TIMESTAMP WITH TIME ZONE"}, {"updated_at", "TIMESTAMP WITH TIME ZONE"},
	{"loaded_at", "TIMESTAMP WITH TIME ZONE"}, {"due_at", "TIMESTAMP WITH TIME ZONE"}, {"late", "BOOLEAN"},
}

var fileRateCols = []Col{
	{"currency", "VARCHAR"}, {"reporting_currency", "VARCHAR"}, {"rate", "DECIMAL(18,10)"},
	{"valid_from", "DATE"}, {"valid_to", "DATE"}, {"source_date", "DATE"}, {"source_ref", "VARCHAR"},
}

// DerivedViews are the views of the derived tables under parquetDir (<data root>/parquet,
// or a remote URL's parquet/ prefix).
func DerivedViews(parquetDir string) []View {
	join := func(t string) string {
		if strings.Contains(parquetDir, "://") {
			return strings.TrimRight(parquetDir, "/") + "/" + t
		}
		return filepath.Join(parquetDir, t)
	}
	return []View{
		{Name: LedgerTable, Dir: join(LedgerTable), Columns: ledgerCols},
		{Name: FileRatesTable, Dir: join(FileRatesTable), Columns: fileRateCols},
	}
}

// LedgerRow is one ledger entry as etl_ledger holds it; zero times are NULL.
type LedgerRow struct {
	UnitID, Family, Dataset, Type, SubType, Frequency, Region, Vendor, Period string
	PeriodStart, PeriodEnd                                                    time.Time // the days the period covers
	State                                                                     string
	Rows, Attempts                                                            int64
	Error, ReportVersion                                                      string
	FirstSeen, UpdatedAt, LoadedAt                                            time.Time
	DueAt                                                                     time.Time // when a unit still waiting is late (freshness rules)
	Late                                                                      bool      // pending or failed past DueAt
}

// Rate is one exchange rate of the user's rates file, in the reporting currency.
type Rate struct {
	Currency           string
	Rate               float64   // value of one unit of Currency in the reporting currency
	ValidFrom, ValidTo time.Time // days it applies to, inclusive
	SourceDate         time.Time // the date the file gives for it
}

// Written says what a Parquet write through the bucket did.
type Written struct {
	Key     string
	Rows    int64
	Changed bool // the object was written (new or different bytes)
}

// WriteLedger writes rows as etl_ledger (DerivedKey) into b, ordered by unit id.
func WriteLedger(ctx context.Context, b *blob.Bucket, rows []LedgerRow, compression string) (Written, error) {
	return writeDerived(ctx, b, LedgerTable, ledgerCols, compression, "unit_id", len(rows), func(i int) []driver.Value {
		r := rows[i]
		return []driver.Value{r.UnitID, r.Family, r.Dataset, r.Type, null(r.SubType), null(r.Frequency), null(r.Region),
			r.Vendor, r.Period, nullTime(r.PeriodStart), nullTime(r.PeriodEnd), r.State, r.Rows, r.Attempts,
			null(r.Error), null(r.ReportVersion), nullTime(r.FirstSeen), nullTime(r.UpdatedAt), nullTime(r.LoadedAt),
			nullTime(r.DueAt), r.Late}
	})
}

// WriteFileRates writes the rates of the user's rates file (ref names it in source_ref) as
// fx_file_rates into b; no rates gives an empty table, so rates of a file no longer
// configured are not used any more.
func WriteFileRates(ctx context.Context, b *blob.Bucket, rates []Rate, reportingCurrency, ref, compression string) (Written, error) {
	return writeDerived(ctx, b, FileRatesTable, fileRateCols, compression, "currency, valid_from", len(rates), func(i int) []driver.Value {
		r := rates[i]
		return []driver.Value{r.Currency, reportingCurrency, r.Rate, r.ValidFrom, r.ValidTo, nullTime(r.SourceDate), ref}
	})
}

func null(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) driver.Value {
	if t.IsZero() {
		return nil
	}
	return t
}

// writeDerived renders n rows into a private in-memory database with the columns (DOUBLE
// for DECIMAL on the way in, cast on the way out), then writes them as Parquet to the table's
// key, ordered by order.
func writeDerived(ctx context.Context, b *blob.Bucket, table string, cols []Col, compression, order string, n int,
	row func(int) []driver.Value) (Written, error) {
	db, err := Open("")
	if err != nil {
		return Written{}, err
	}
	defer db.Close()
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return Written{}, fmt.Errorf("%s: %w", table, err)
	}
	defer conn.Close()
	create, sel := "CREATE TABLE t (", "SELECT "
	for i, c := range cols {
		if i > 0 {
			create, sel = create+", ", sel+", "
		}
		in := c.DuckType
		if strings.HasPrefix(in, "DECIMAL") {
			in = "DOUBLE"
		}
		create += QuoteIdent(c.Name) + " " + in
		sel += "CAST(" + QuoteIdent(c.Name) + " AS " + c.DuckType + ") AS " + QuoteIdent(c.Name)
	}
	if _, err := conn.ExecContext(ctx, create+")"); err != nil {
		return Written{}, fmt.Errorf("%s: %w", table, err)
	}
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "t")
		if err != nil {
			return err
		}
		for i := range n {
			if err := a.AppendRow(row(i)...); err != nil {
				a.Close()
				return fmt.Errorf("row %d: %w", i, err)
			}
		}
		return a.Close()
	})
	if err != nil {
		return Written{}, fmt.Errorf("%s: %w", table, err)
	}
	return putParquet(ctx, conn, b, DerivedKey(table), sel+" FROM t ORDER BY "+order, compression)
}

// execer is what putParquet runs COPY on: a *sql.Conn or a *sql.DB.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// duckCodec maps parquet.compression to DuckDB's COPY COMPRESSION.
func duckCodec(c string) (string, error) {
	switch c {
	case "", "zstd":
		return "zstd", nil
	case "snappy", "gzip":
		return c, nil
	case "none", "uncompressed":
		return "uncompressed", nil
	}
	return "", fmt.Errorf("unknown Parquet compression %q (zstd, snappy, gzip or none)", c)
}

// putParquet has DuckDB write query's result as one Parquet file (every column inside it)
// into a local temporary file, and puts it at key in b unless the object already holds
// exactly those bytes. fileblob and the object stores commit an object only when it is
// complete, so a reader never sees half a file.
func putParquet(ctx context.Context, ex execer, b *blob.Bucket, key, query, compression string) (Written, error) {
	codec, err := duckCodec(compression)
	if err != nil {
		return Written{}, fmt.Errorf("write %s: %w", key, err)
	}
	f, err := os.CreateTemp("", "etl-*.parquet")
	if err != nil {
		return Written{}, fmt.Errorf("write %s: %w", key, err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	res, err := ex.ExecContext(ctx, "COPY ("+query+") TO "+QuoteLiteral(filepath.ToSlash(tmp))+
		" (FORMAT parquet, COMPRESSION "+QuoteLiteral(codec)+")")
	if err != nil {
		return Written{}, fmt.Errorf("write %s: %w", key, err)
	}
	rows, _ := res.RowsAffected()
	data, err := os.ReadFile(tmp)
	if err != nil {
		return Written{}, fmt.Errorf("write %s: %w", key, err)
	}
	w := Written{Key: key, Rows: rows}
	old, err := b.ReadAll(ctx, key)
	switch {
	case err == nil && bytes.Equal(old, data):
		return w, nil
	case err != nil && gcerrors.Code(err) != gcerrors.NotFound:
		return Written{}, fmt.Errorf("write %s: %w", key, err)
	}
	if err := b.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: "application/vnd.apache.parquet"}); err != nil {
		return Written{}, fmt.Errorf("write %s: %w", key, err)
	}
	w.Changed = true
	return w, nil
}
