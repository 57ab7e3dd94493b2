-- The per-country summary tables versus the rows per vendor, fiscal month, report and currency: expected = Apple's summary table as written (finance_summary), actual = the rows of the same file (FINANCIAL ZZ, or FINANCE_DETAIL Z1).
-- units: the summary's Quantity against the net units of the rows, or the units of the sale rows
-- when the summary is nearer to those (both forms occur); proceeds: Extended Partner Share. At import a difference is only
-- reported (a cut-down file may list countries its rows lack); here it fails the scope.
WITH summ AS (
    SELECT vendor, fiscal_period, region, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS units, sum(extended_partner_share) AS amount
    FROM finance_summary
    GROUP BY ALL
),
rows AS (
    SELECT vendor, fiscal_period, region, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS net_units,
        sum(quantity) FILTER (WHERE upper(trim(sales_or_return)) <> 'R') AS sale_units,
        sum(extended_partner_share) AS amount
    FROM finance_financial
    WHERE region = 'ZZ'
    GROUP BY ALL
    UNION ALL
    SELECT vendor, fiscal_period, 'Z1' AS region, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS net_units,
        sum(quantity) FILTER (WHERE upper(trim(sale_or_return)) <> 'R') AS sale_units,
        sum(extended_partner_share) AS amount
    FROM finance_detail
    GROUP BY ALL
),
parts AS (SELECT DISTINCT vendor, fiscal_period, region FROM finance_summary),
j AS (
    SELECT
        p.vendor,
        p.fiscal_period,
        p.region,
        coalesce(s.currency, r.currency) AS currency,
        CAST(coalesce(s.units, 0) AS DECIMAL(38, 6)) AS sum_units,
        CAST(coalesce(s.amount, 0) AS DECIMAL(38, 6)) AS sum_amount,
        CAST(CASE WHEN abs(coalesce(s.units, 0) - coalesce(r.net_units, 0)) <= abs(coalesce(s.units, 0) - coalesce(r.sale_units, 0))
            THEN coalesce(r.net_units, 0) ELSE coalesce(r.sale_units, 0) END AS DECIMAL(38, 6)) AS row_units,
        CAST(coalesce(r.amount, 0) AS DECIMAL(38, 6)) AS row_amount
    FROM parts AS p
    JOIN (
        SELECT vendor, fiscal_period, region, currency FROM summ
        UNION
        SELECT vendor, fiscal_period, region, currency FROM rows
    ) AS k ON k.vendor = p.vendor AND k.fiscal_period = p.fiscal_period AND k.region = p.region
    LEFT JOIN summ AS s ON s.vendor = k.vendor AND s.fiscal_period = k.fiscal_period AND s.region = k.region AND s.currency = k.currency
    LEFT JOIN rows AS r ON r.vendor = k.vendor AND r.fiscal_period = k.fiscal_period AND r.region = k.region AND r.currency = k.currency
)
SELECT
    j.vendor,
    j.fiscal_period,
    CASE j.region WHEN 'Z1' THEN 'report=FINANCE_DETAIL' ELSE 'report=FINANCIAL region=' || j.region END
        || ' currency=' || j.currency AS scope,
    j.currency,
    v.measure,
    v.expected,
    v.actual,
    CAST(NULL AS VARCHAR) AS skip_reason
FROM j
CROSS JOIN LATERAL (VALUES
    ('units', j.sum_units, j.row_units),
    ('proceeds', j.sum_amount, j.row_amount)
) AS v(measure, expected, actual)
ORDER BY j.vendor, j.fiscal_period, j.region, j.currency, v.measure
