-- Finance versus sales per vendor, fiscal month and currency: expected = FINANCIAL (recon_finance), actual = SALES daily over the fiscal month's days.
-- Units: finance lists only lines with proceeds, so sales rows with zero developer proceeds (free
-- downloads, updates, redownloads: "free units") are left out; refunds are negative in both and
-- net out. Proceeds: sales developer_proceeds is per unit (units x developer_proceeds), finance
-- extended_partner_share is already extended; both in the currency of proceeds. A fiscal month is
-- compared only when the sales ledger has every one of its days (loaded or empty) and FINANCIAL
-- holds every region of the currency; otherwise the scope is skipped with the reason.
WITH cov AS (
    SELECT vendor, fiscal_period, any_value(has_zz) AS has_zz
    FROM recon_finance_coverage
    GROUP BY vendor, fiscal_period
),
months AS (
    SELECT
        c.vendor,
        c.fiscal_period,
        c.has_zz,
        cal.start_date,
        cal.end_date,
        cal.days,
        (SELECT count(*) FROM recon_sales_days AS d
            WHERE d.vendor = c.vendor AND d.day BETWEEN cal.start_date AND cal.end_date) AS covered
    FROM cov AS c
    JOIN recon_calendar AS cal ON cal.fiscal_period = c.fiscal_period
),
fin AS (
    SELECT vendor, fiscal_period, upper(trim(partner_share_currency)) AS currency,
        sum(quantity) AS units, sum(extended_partner_share) AS proceeds
    FROM recon_finance
    GROUP BY ALL
),
sal AS (
    SELECT m.vendor, m.fiscal_period, upper(trim(s.currency_of_proceeds)) AS currency,
        sum(s.units) AS units, sum(s.units * s.developer_proceeds) AS proceeds
    FROM months AS m
    JOIN sales_summary_daily AS s ON s.vendor = m.vendor AND s.report_date BETWEEN m.start_date AND m.end_date
    WHERE s.developer_proceeds <> 0
    GROUP BY ALL
),
scopes AS (
    SELECT vendor, fiscal_period, currency FROM fin
    UNION
    SELECT vendor, fiscal_period, currency FROM sal
),
j AS (
    SELECT
        k.vendor,
        k.fiscal_period,
        k.currency,
        m.days,
        m.covered,
        coalesce(rc.complete, m.has_zz) AS complete,
        rc.missing_regions,
        CAST(coalesce(f.units, 0) AS DECIMAL(38, 6)) AS fin_units,
        CAST(coalesce(f.proceeds, 0) AS DECIMAL(38, 6)) AS fin_proceeds,
        CAST(coalesce(s.units, 0) AS DECIMAL(38, 6)) AS sales_units,
        CAST(coalesce(s.proceeds, 0) AS DECIMAL(38, 6)) AS sales_proceeds
    FROM scopes AS k
    JOIN months AS m ON m.vendor = k.vendor AND m.fiscal_period = k.fiscal_period
    LEFT JOIN fin AS f ON f.vendor = k.vendor AND f.fiscal_period = k.fiscal_period AND f.currency = k.currency
    LEFT JOIN sal AS s ON s.vendor = k.vendor AND s.fiscal_period = k.fiscal_period AND s.currency = k.currency
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
        WHEN j.covered < j.days THEN format('sales cover {} of the {} days of the fiscal month', j.covered, j.days)
        WHEN NOT coalesce(j.complete, false) THEN format('FINANCIAL lacks regions of {}: {}', j.currency, j.missing_regions)
    END AS skip_reason
FROM j
CROSS JOIN LATERAL (VALUES
    ('units', j.fin_units, j.sales_units),
    ('proceeds', j.fin_proceeds, j.sales_proceeds)
) AS v(measure, expected, actual)
ORDER BY j.vendor, j.fiscal_period, j.currency, v.measure
