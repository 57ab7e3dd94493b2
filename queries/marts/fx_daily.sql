-- The exchange rate used for each day and currency: of the fx_rates covering the day, the preferred source (payments, then rates file, then implied), then the narrowest range, then the newest.
-- Columns: date, currency, reporting_currency, rate, source, source_date, source_ref. A currency
-- and day without any rate has no row: the money marts then give NULL and count it in
-- missing_rate. The reporting currency itself needs no row (rate 1).
SELECT date, currency, reporting_currency, rate, source, source_date, source_ref
FROM (
    SELECT CAST(unnest(generate_series(CAST(valid_from AS TIMESTAMP), CAST(valid_to AS TIMESTAMP), INTERVAL 1 DAY)) AS DATE) AS date,
        currency, reporting_currency, rate, source, priority, source_date, source_ref, valid_to - valid_from AS span
    FROM fx_rates
)
QUALIFY row_number() OVER (PARTITION BY date, currency ORDER BY priority, span, source_date DESC, source_ref) = 1
ORDER BY date, currency
