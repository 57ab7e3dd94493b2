-- FINANCIAL footers versus the stored rows per vendor, fiscal month and region: expected = the Total_ lines as Apple wrote them (finance_footers, summed over the file's blocks), actual = the rows in finance_financial.
-- rows: Total_Rows against the rows stored; proceeds: Total_Amount (net, in the region's
-- currency; a ZZ file has none) against their Extended Partner Share; units: Total_Units against
-- the units of the sale rows, or of all rows when the footer is nearer to those (both forms occur).
-- The loader already refuses a file whose footer disagrees with its rows; this check proves the
-- stored Parquet still holds what the file said (nothing lost or added by a later load or reparse).
WITH foot AS (
    SELECT vendor, fiscal_period, region,
        sum(total_rows) AS total_rows, sum(total_amount) AS total_amount, sum(total_units) AS total_units,
        count(total_amount) AS amount_lines, count(total_units) AS unit_lines
    FROM finance_footers
    GROUP BY ALL
),
stored AS (
    SELECT vendor, fiscal_period, region,
        count(*) AS rows,
        sum(extended_partner_share) AS amount,
        sum(quantity) FILTER (WHERE upper(trim(sales_or_return)) <> 'R') AS sale_units,
        sum(quantity) AS net_units,
        any_value(upper(trim(partner_share_currency))) AS currency,
        count(DISTINCT upper(trim(partner_share_currency))) AS currencies
    FROM finance_financial
    GROUP BY ALL
),
j AS (
    SELECT
        coalesce(f.vendor, s.vendor) AS vendor,
        coalesce(f.fiscal_period, s.fiscal_period) AS fiscal_period,
        coalesce(f.region, s.region) AS region,
        CASE WHEN s.currencies = 1 THEN s.currency END AS currency,
        f.vendor IS NULL AS no_footer,
        f.amount_lines,
        f.unit_lines,
        CAST(f.total_rows AS DECIMAL(38, 6)) AS total_rows,
        CAST(f.total_amount AS DECIMAL(38, 6)) AS total_amount,
        CAST(f.total_units AS DECIMAL(38, 6)) AS total_units,
        CAST(coalesce(s.rows, 0) AS DECIMAL(38, 6)) AS rows,
        CAST(coalesce(s.amount, 0) AS DECIMAL(38, 6)) AS amount,
        CAST(CASE WHEN abs(f.total_units - coalesce(s.net_units, 0)) < abs(f.total_units - coalesce(s.sale_units, 0))
            THEN s.net_units ELSE coalesce(s.sale_units, 0) END AS DECIMAL(38, 6)) AS units
    FROM foot AS f
    FULL JOIN stored AS s ON s.vendor = f.vendor AND s.fiscal_period = f.fiscal_period AND s.region = f.region
)
SELECT
    j.vendor,
    j.fiscal_period,
    'region=' || j.region AS scope,
    j.currency,
    v.measure,
    v.expected,
    v.actual,
    CASE WHEN j.no_footer THEN 'no footer stored for these rows (loaded before finance_footers existed: etl reparse --prefix finance/ rebuilds it)' END AS skip_reason
FROM j
CROSS JOIN LATERAL (VALUES
    ('rows', j.total_rows, j.rows, true),
    ('proceeds', j.total_amount, j.amount, j.no_footer OR j.amount_lines > 0),
    ('units', j.total_units, j.units, j.no_footer OR j.unit_lines > 0)
) AS v(measure, expected, actual, applies)
WHERE v.applies
ORDER BY j.vendor, j.fiscal_period, j.region, v.measure
