-- The Payments report versus finance per vendor, fiscal month and currency: expected = FINANCIAL (recon_finance), actual = finance_payments (Units Sold, Earned).
-- Units Sold is net of refunds, like the net Quantity of the finance rows; Earned is the
-- region's Extended Partner Share before taxes, adjustments and the exchange into the bank's
-- currency. Regions are summed per currency (the finance rows of a ZZ file do not name their
-- region: Americas, Latin America and Rest of World are all USD). Compared for every fiscal month
-- with a Payments report; skipped while FINANCIAL lacks the month or some regions of the currency.
WITH pay AS (
    SELECT vendor, fiscal_period, upper(trim(currency)) AS currency,
        sum(units_sold) AS units, sum(earned) AS earned
    FROM finance_payments
    GROUP BY ALL
),
fin AS (
    SELECT vendor, fiscal_period, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS units, sum(extended_partner_share) AS amount
    FROM recon_finance
    GROUP BY ALL
),
fperiods AS (
    SELECT vendor, fiscal_period, any_value(has_zz) AS has_zz
    FROM recon_finance_coverage
    GROUP BY vendor, fiscal_period
),
scopes AS (
    SELECT vendor, fiscal_period, currency FROM pay
    UNION
    SELECT f.vendor, f.fiscal_period, f.currency FROM fin AS f
    WHERE EXISTS (SELECT 1 FROM pay AS p WHERE p.vendor = f.vendor AND p.fiscal_period = f.fiscal_period)
),
j AS (
    SELECT
        k.vendor,
        k.fiscal_period,
        k.currency,
        fp.vendor IS NOT NULL AS has_finance,
        coalesce(rc.complete, fp.has_zz) AS complete,
        rc.missing_regions,
        CAST(coalesce(f.units, 0) AS DECIMAL(38, 6)) AS fin_units,
        CAST(coalesce(f.amount, 0) AS DECIMAL(38, 6)) AS fin_amount,
        CAST(coalesce(p.units, 0) AS DECIMAL(38, 6)) AS pay_units,
        CAST(coalesce(p.earned, 0) AS DECIMAL(38, 6)) AS pay_earned
    FROM scopes AS k
    LEFT JOIN pay AS p ON p.vendor = k.vendor AND p.fiscal_period = k.fiscal_period AND p.currency = k.currency
    LEFT JOIN fin AS f ON f.vendor = k.vendor AND f.fiscal_period = k.fiscal_period AND f.currency = k.currency
    LEFT JOIN fperiods AS fp ON fp.vendor = k.vendor AND fp.fiscal_period = k.fiscal_period
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
    CASE
        WHEN NOT j.has_finance THEN 'no FINANCIAL report of the fiscal month is loaded'
        WHEN NOT coalesce(j.complete, false) THEN format('FINANCIAL lacks regions of {}: {}', j.currency, j.missing_regions)
    END AS skip_reason
FROM j
CROSS JOIN LATERAL (VALUES
    ('units', j.fin_units, j.pay_units),
    ('proceeds', j.fin_amount, j.pay_earned)
) AS v(measure, expected, actual)
ORDER BY j.vendor, j.fiscal_period, j.currency, v.measure
