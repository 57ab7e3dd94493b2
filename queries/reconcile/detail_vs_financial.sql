-- FINANCE_DETAIL versus FINANCIAL per vendor, fiscal month and currency: expected = FINANCIAL (recon_finance), actual = the FINANCE_DETAIL (Z1) rows.
-- FINANCE_DETAIL lists the same transactions day by day: net units and Extended Partner Share
-- agree for the fiscal month. Compared where the ledger has both reports of the month (loaded or
-- empty); a currency whose FINANCIAL regions are not all loaded is skipped.
WITH dperiods AS (
    SELECT vendor, period AS fiscal_period FROM recon_ledger
    WHERE family = 'finance' AND type = 'FINANCE_DETAIL'
    UNION
    SELECT DISTINCT vendor, fiscal_period FROM finance_detail
),
fperiods AS (
    SELECT vendor, fiscal_period, any_value(has_zz) AS has_zz
    FROM recon_finance_coverage
    GROUP BY vendor, fiscal_period
),
fin AS (
    SELECT vendor, fiscal_period, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS units, sum(extended_partner_share) AS amount
    FROM recon_finance
    GROUP BY ALL
),
det AS (
    SELECT vendor, fiscal_period, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS units, sum(extended_partner_share) AS amount
    FROM finance_detail
    GROUP BY ALL
),
scopes AS (
    SELECT vendor, fiscal_period, currency FROM fin
    UNION
    SELECT vendor, fiscal_period, currency FROM det
),
j AS (
    SELECT
        k.vendor,
        k.fiscal_period,
        k.currency,
        coalesce(rc.complete, p.has_zz) AS complete,
        rc.missing_regions,
        CAST(coalesce(f.units, 0) AS DECIMAL(38, 6)) AS fin_units,
        CAST(coalesce(f.amount, 0) AS DECIMAL(38, 6)) AS fin_amount,
        CAST(coalesce(d.units, 0) AS DECIMAL(38, 6)) AS det_units,
        CAST(coalesce(d.amount, 0) AS DECIMAL(38, 6)) AS det_amount
    FROM scopes AS k
    JOIN dperiods AS dp ON dp.vendor = k.vendor AND dp.fiscal_period = k.fiscal_period
    JOIN fperiods AS p ON p.vendor = k.vendor AND p.fiscal_period = k.fiscal_period
    LEFT JOIN fin AS f ON f.vendor = k.vendor AND f.fiscal_period = k.fiscal_period AND f.currency = k.currency
    LEFT JOIN det AS d ON d.vendor = k.vendor AND d.fiscal_period = k.fiscal_period AND d.currency = k.currency
    LEFT JOIN recon_finance_coverage AS rc
        ON rc.vendor = k.vendor AND rc.fiscal_period = k.fiscal_period AND rc.currency = k.currency
)
SELECT
    j.vendor,
    j.fiscal_period,
    'currency=' || j.currency AS scope,
    j.currency,
    v.measure,
    v.expected,
    v.actual,
    CASE WHEN NOT coalesce(j.complete, false) THEN format('FINANCIAL lacks regions of {}: {}', j.currency, j.missing_regions) END AS skip_reason
FROM j
CROSS JOIN LATERAL (VALUES
    ('units', j.fin_units, j.det_units),
    ('proceeds', j.fin_amount, j.det_amount)
) AS v(measure, expected, actual)
ORDER BY j.vendor, j.fiscal_period, j.currency, v.measure
