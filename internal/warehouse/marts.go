package warehouse

import (
	"context"
	"fmt"
	"time"

	"gocloud.dev/blob"

	"github.com/ascetl/etl/queries"
)

// MartFile is one view written as Parquet under parquet/marts/: its view and its key.
type MartFile struct {
	View string // e.g. mart_revenue_daily
	Key  string // e.g. parquet/marts/revenue_daily/data.parquet
}

// MartFiles lists the views written as Parquet by WriteMarts: the fiscal calendar, then
// every mart with a directory, in creation order.
func MartFiles() []MartFile {
	out := []MartFile{{View: "fiscal_calendar", Key: queries.MartKey("fiscal_calendar")}}
	for _, m := range queries.Marts() {
		if m.Dir != "" {
			out = append(out, MartFile{View: m.Name, Key: queries.MartKey(m.Dir)})
		}
	}
	return out
}

// materialized are the helper views every money mart reads: once written, their view
// becomes a view over their Parquet file, so the marts after them (and every later reader of
// the database) do not compute the rates again.
var materialized = map[string]bool{"fx_rates": true, "fx_daily": true}

// WriteMarts writes every view of MartFiles as one Parquet file (every column inside it,
// in the view's order) into b, rewriting only those whose bytes change. The views read the
// local data root, so b must be that root's bucket and db must have been opened with that
// root (Options.Root): fx_rates and fx_daily are then re-created over their Parquet files,
// by paths relative to the root.
func (db *DB) WriteMarts(ctx context.Context, b *blob.Bucket, compression string) ([]Written, error) {
	var out []Written
	for _, m := range MartFiles() {
		w, err := putParquet(ctx, db.sql, b, m.Key, "SELECT * FROM "+QuoteIdent(m.View), compression)
		if err != nil {
			return out, fmt.Errorf("mart %s: %w", m.View, err)
		}
		out = append(out, w)
		if materialized[m.View] && db.root != "" {
			q := "CREATE OR REPLACE VIEW " + QuoteIdent(m.View) + " AS SELECT * FROM read_parquet(" + QuoteLiteral(m.Key) + ")"
			if _, err := db.sql.ExecContext(ctx, q); err != nil {
				return out, fmt.Errorf("mart %s: %w", m.View, err)
			}
		}
	}
	return out, nil
}

// Headline is a window's totals for the end-of-run summary.
type Headline struct {
	From, To time.Time
	// Units from mart_units_daily: first-time downloads, in-app purchases and subscription
	// purchases and renewals (net of refunds); updates and redownloads are not counted.
	Downloads, InAppPurchases, Subscriptions int64
	Updates, Redownloads                     int64 // left out of Units, shown beside it
	// Proceeds in the reporting currency (mart_revenue_daily), over the lines with a rate;
	// MissingRate sales lines, in Currencies, had proceeds and no rate and are left out.
	ReportingCurrency string
	Proceeds          string // exact decimal, to the cent
	MissingRate       int64
	Currencies        []string
	NewReviews        int64 // customer reviews created in the window (UTC days)
}

// Units is what the headline calls units: downloads and purchases, not updates.
func (h Headline) Units() int64 { return h.Downloads + h.InAppPurchases + h.Subscriptions }

// HeadlineTotals computes the totals of the days from..to (inclusive) from the marts.
func (db *DB) HeadlineTotals(ctx context.Context, from, to time.Time) (Headline, error) {
	h := Headline{From: from, To: to}
	d0, d1 := QuoteLiteral(from.Format(time.DateOnly)), QuoteLiteral(to.Format(time.DateOnly))
	between := " BETWEEN CAST(" + d0 + " AS DATE) AND CAST(" + d1 + " AS DATE)"
	q := `SELECT
    coalesce(sum(downloads), 0), coalesce(sum(in_app_purchases), 0), coalesce(sum(subscriptions), 0),
    coalesce(sum(updates), 0), coalesce(sum(redownloads), 0)
FROM mart_units_daily WHERE date` + between
	if err := db.sql.QueryRowContext(ctx, q).Scan(&h.Downloads, &h.InAppPurchases, &h.Subscriptions, &h.Updates, &h.Redownloads); err != nil {
		return h, fmt.Errorf("headline units: %w", err)
	}
	q = `SELECT (SELECT reporting_currency FROM etl_settings),
    CAST(CAST(coalesce(sum(proceeds_reporting), 0) AS DECIMAL(38, 2)) AS VARCHAR), coalesce(sum(missing_rate), 0),
    coalesce(string_agg(DISTINCT currency, ',' ORDER BY currency) FILTER (WHERE missing_rate > 0), '')
FROM mart_revenue_daily WHERE date` + between
	var curs string
	if err := db.sql.QueryRowContext(ctx, q).Scan(&h.ReportingCurrency, &h.Proceeds, &h.MissingRate, &curs); err != nil {
		return h, fmt.Errorf("headline proceeds: %w", err)
	}
	if curs != "" {
		h.Currencies = splitComma(curs)
	}
	q = `SELECT count(*) FROM customer_reviews WHERE CAST(created_at AT TIME ZONE 'UTC' AS DATE)` + between
	if err := db.sql.QueryRowContext(ctx, q).Scan(&h.NewReviews); err != nil {
		return h, fmt.Errorf("headline reviews: %w", err)
	}
	return h, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
