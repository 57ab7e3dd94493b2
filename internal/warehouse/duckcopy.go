package warehouse

import (
	"context"
	"fmt"
)

// CopyOptions tune CopyCSVToParquetWith; the zero value is DuckDB's defaults.
type CopyOptions struct {
	// Compression is the Parquet codec ("zstd", "snappy", …; "" = DuckDB's default, snappy).
	Compression string
	// DateFormat is read_csv's dateformat, e.g. "%m/%d/%Y" for Apple's sales dates. Without
	// it DuckDB's sniffer guesses from a sample, and a sample whose days are all <= 12
	// (the first days of a month) is taken as %d/%m/%Y: the COPY then fails on day 13.
	DateFormat string
}

// CopyCSVToParquet has DuckDB convert the (optionally gzip-compressed) tab-separated file
// in, whose first line is a header, into the Parquet file out with DuckDB's own defaults:
//
//	COPY (SELECT * FROM read_csv('<in>', delim='\t', header=true)) TO '<out>' (FORMAT parquet)
//
// It is the reference point of `etl bench` (BENCHMARKS.md); paths are quoted as literals.
func (db *DB) CopyCSVToParquet(ctx context.Context, in, out string) error {
	return db.CopyCSVToParquetWith(ctx, in, out, CopyOptions{})
}

// CopyCSVToParquetWith is CopyCSVToParquet with options.
func (db *DB) CopyCSVToParquetWith(ctx context.Context, in, out string, opt CopyOptions) error {
	read := "delim='\\t', header=true"
	if opt.DateFormat != "" {
		read += ", dateformat=" + QuoteLiteral(opt.DateFormat)
	}
	to := "FORMAT parquet"
	if opt.Compression != "" {
		to += ", COMPRESSION " + QuoteLiteral(opt.Compression)
	}
	q := fmt.Sprintf("COPY (SELECT * FROM read_csv(%s, %s)) TO %s (%s)", QuoteLiteral(in), read, QuoteLiteral(out), to)
	if _, err := db.sql.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("duckdb copy %s: %w", in, err)
	}
	return nil
}
