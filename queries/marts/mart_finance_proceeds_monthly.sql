-- Finance proceeds per fiscal month, vendor, country of sale and currency, in the reporting currency too (source: finance_financial: the ZZ file when the fiscal month has one, else the per-region files, never both).
-- Columns: fiscal_period, start_date, end_date (the fiscal month's days), vendor, country_of_sale,
-- currency (partner share currency), quantity (net units), proceeds (Extended Partner Share,
-- already extended), reporting_currency, proceeds_reporting (at the rate of the fiscal month's
-- last day: Apple's Payments rate of that month when imported; NULL without a rate), fx_rate,
-- fx_source, fx_date, missing_rate (1 when the row has proceeds and no rate).
WITH settings AS (
    SELECT reporting_currency AS rc FROM etl_settings
),
f AS (
    SELECT *, bool_or(region = 'ZZ') OVER (PARTITION BY fiscal_period, vendor) AS period_has_zz
    FROM finance_financial
),
g AS (
    SELECT fiscal_period, vendor, country_of_sale, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS quantity, sum(extended_partner_share) AS proceeds
    FROM f
    WHERE (region = 'ZZ') = period_has_zz
    GROUP BY ALL
)
SELECT
    g.fiscal_period,
    c.start_date,
    c.end_date,
    g.vendor,
    g.country_of_sale,
    g.currency,
    CAST(g.quantity AS BIGINT) AS quantity,
    CAST(g.proceeds AS DECIMAL(38, 6)) AS proceeds,
    s.rc AS reporting_currency,
    CAST(CASE WHEN g.proceeds = 0 THEN 0 WHEN g.currency = s.rc THEN g.proceeds ELSE g.proceeds * fx.rate END AS DECIMAL(38, 6)) AS proceeds_reporting,
    CASE WHEN g.currency = s.rc THEN CAST(1 AS DECIMAL(18, 10)) ELSE fx.rate END AS fx_rate,
    CASE WHEN g.currency = s.rc THEN 'identity' ELSE fx.source END AS fx_source,
    fx.source_date AS fx_date,
    CAST(CASE WHEN g.proceeds <> 0 AND g.currency IS DISTINCT FROM s.rc AND fx.rate IS NULL THEN 1 ELSE 0 END AS BIGINT) AS missing_rate
FROM g
CROSS JOIN settings AS s
LEFT JOIN fiscal_calendar AS c ON c.fiscal_period = g.fiscal_period
LEFT JOIN fx_daily AS fx ON fx.currency = g.currency AND fx.date = c.end_date
ORDER BY g.fiscal_period, g.vendor, g.country_of_sale, g.currency
