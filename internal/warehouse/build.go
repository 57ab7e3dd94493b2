package warehouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ascetl/etl/queries"
	"github.com/ascetl/etl/report/fiscal"
)

// Spec is everything one views database holds, in creation order: a view per table, the
// analytics <table>_latest views, the settings and the fiscal calendar, the marts and their
// helpers (queries.Marts), then the curated queries.
type Spec struct {
	Tables  []View
	Latest  []queries.Query
	Queries []queries.Query
	// ReportingCurrency is the ISO 4217 code the money marts convert into (etl_settings).
	ReportingCurrency string
	// BuiltAt is recorded in etl_settings.built_at.
	BuiltAt time.Time
}

// Fiscal calendar span: Apple's App Store started in fiscal 2008.
const fiscalFirstYear, fiscalLastYear = 2008, 2040

// settingsQuery is etl_settings: one row, reporting_currency and built_at. Marts read the
// reporting currency from it, so a view database is converted consistently.
func settingsQuery(rc string, at time.Time) queries.Query {
	sql := fmt.Sprintf("-- The settings the views were built with: the reporting currency of the money marts and when.\n"+
		"SELECT %s AS reporting_currency, CAST(%s AS TIMESTAMPTZ) AS built_at\n",
		QuoteLiteral(rc), QuoteLiteral(at.UTC().Format("2006-01-02 15:04:05Z")))
	return queries.Query{Name: "etl_settings", Description: "the reporting currency and when the views were built", SQL: sql}
}

// FiscalCalendarQuery is the fiscal_calendar view: Apple's fiscal months (fiscal_period
// YYYY-MM, fiscal_year, period, start_date, end_date, weeks) of fiscal years 2008–2040.
func FiscalCalendarQuery() queries.Query {
	var b strings.Builder
	b.WriteString("-- Apple's fiscal months: fiscal_period (YYYY-MM as finance reports name them), fiscal_year, period, start_date, end_date (a Saturday), weeks.\n")
	b.WriteString("SELECT * FROM (VALUES\n")
	first := true
	for y := fiscalFirstYear; y <= fiscalLastYear; y++ {
		for n := 1; n <= 12; n++ {
			p, err := fiscal.New(y, n)
			if err != nil {
				panic(err) // 1..12 of a year in range are always valid
			}
			if !first {
				b.WriteString(",\n")
			}
			first = false
			weeks := (p.End.Sub(p.Start).Hours()/24 + 1) / 7
			fmt.Fprintf(&b, "('%s', %d, %d, DATE '%s', DATE '%s', %d)", p, y, n,
				p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly), int(weeks))
		}
	}
	b.WriteString("\n) AS t(fiscal_period, fiscal_year, period, start_date, end_date, weeks)\n")
	return queries.Query{Name: "fiscal_calendar", Description: "Apple's fiscal months", SQL: b.String()}
}

// Views lists the query views of spec in creation order (after the table views): the
// latest views, etl_settings, fiscal_calendar, the marts and their helpers, the curated
// queries. Remote.Script takes the same list.
func (s Spec) Views() []queries.Query {
	qs := append([]queries.Query(nil), s.Latest...)
	qs = append(qs, settingsQuery(s.ReportingCurrency, s.BuiltAt), FiscalCalendarQuery())
	for _, m := range queries.Marts() {
		qs = append(qs, m.Query)
	}
	return append(qs, s.Queries...)
}

// Create (re)creates every view of spec in db, in one transaction (Refresh).
func (db *DB) Create(ctx context.Context, spec Spec) error {
	return db.Refresh(ctx, spec.Tables, spec.Views())
}

// Replace writes the views database at path without ever opening the file in place: it
// builds a new file beside it (path + ".new-<random>"), runs then (the marts, the
// headline; may be nil) on it, closes it and renames it over path. A reader holding the
// old file open keeps reading the old views and never blocks the build; the next reader
// opens the new one. On a failure before the rename the new file is removed and path is
// untouched; an error of then is returned after the rename (the views are complete).
//
// root is the data root (Options.Root). A write-ahead log of the old file (path + ".wal",
// left by a client that wrote to it and crashed, or still writing to it) is removed before
// the rename: DuckDB would otherwise replay it into the new file (TestReplaceIgnoresStaleWAL).
// The views database is rebuilt from the Parquet every time; keep your own tables in a
// database of your own (ATTACH it next to this one).
func Replace(ctx context.Context, path, root string, spec Spec, then func(context.Context, *DB) error) (err error) {
	if path == "" || path == ":memory:" {
		return errors.New("views database: a file path is required")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("views database: %w", err)
	}
	tmp := path + ".new-" + randomHex()
	defer func() {
		if err != nil {
			os.Remove(tmp)
			os.Remove(tmp + ".wal")
		}
	}()
	db, err := OpenWith(tmp, Options{Root: root})
	if err != nil {
		return err
	}
	if err := db.Create(ctx, spec); err != nil {
		db.Close()
		return err
	}
	var thenErr error
	if then != nil {
		thenErr = then(ctx, db)
	}
	if _, err := db.sql.ExecContext(ctx, "CHECKPOINT"); err != nil {
		db.Close()
		return fmt.Errorf("views database: checkpoint: %w", err)
	}
	if err := db.Close(); err != nil {
		return err
	}
	if err := os.Remove(path + ".wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("views database: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("views database: %w", err)
	}
	return thenErr
}

func randomHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
