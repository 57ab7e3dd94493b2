-- ZZ versus the regional FINANCIAL reports per vendor, fiscal month and currency, where both are loaded: expected = the per-region files, actual = the ZZ file.
-- The same transactions in two files: units (net Quantity) and Extended Partner Share must be
-- equal. A currency is compared once the ledger has a regional FINANCIAL unit (loaded or empty)
-- for at least one of its regions; while some regions of the currency are missing (USD is US, LL
-- and WW) the scope is skipped, naming them.
WITH zz AS (
    SELECT vendor, fiscal_period, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS units, sum(extended_partner_share) AS amount
    FROM finance_financial
    WHERE region = 'ZZ'
    GROUP BY ALL
),
rg AS (
    SELECT vendor, fiscal_period, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS units, sum(extended_partner_share) AS amount
    FROM finance_financial
    WHERE region <> 'ZZ'
    GROUP BY ALL
),
scopes AS (
    SELECT vendor, fiscal_period, currency, loaded, regions, missing_regions
    FROM recon_finance_coverage
    WHERE has_zz AND loaded > 0
),
j AS (
    SELECT
        k.*,
        CAST(coalesce(r.units, 0) AS DECIMAL(38, 6)) AS reg_units,
        CAST(coalesce(r.amount, 0) AS DECIMAL(38, 6)) AS reg_amount,
        CAST(coalesce(z.units, 0) AS DECIMAL(38, 6)) AS zz_units,
        CAST(coalesce(z.amount, 0) AS DECIMAL(38, 6)) AS zz_amount
    FROM scopes AS k
    LEFT JOIN zz AS z ON z.vendor = k.vendor AND z.fiscal_period = k.fiscal_period AND z.currency = k.currency
    LEFT JOIN rg AS r ON r.vendor = k.vendor AND r.fiscal_period = k.fiscal_period AND r.currency = k.currency
)
SELECT
    j.vendor,
    j.fiscal_period,
    'currency=' || j.currency AS scope,
    j.currency,
    v.measure,
    v.expected,
    v.actual,
    CASE WHEN j.loaded < j.regions THEN format('regional files of {} missing: {}', j.currency, j.missing_regions) END AS skip_reason
FROM j
CROSS JOIN LATERAL (VALUES
    ('units', j.reg_units, j.zz_units),
    ('proceeds', j.reg_amount, j.zz_amount)
) AS v(measure, expected, actual)
ORDER BY j.vendor, j.fiscal_period, j.currency, v.measure
