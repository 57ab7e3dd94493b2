-- Finance proceeds per fiscal period, vendor and partner share currency (ZZ file when present, else the per-region files).
-- Source: finance_financial. A ZZ file holds all regions in one file, so for each fiscal period and
-- vendor that has region 'ZZ' rows only those are used; otherwise the per-region files are summed.
-- Never both, or every sale would count twice. Extended Partner Share is already quantity x share.
-- Each vendor number (and so each account) is its own row: proceeds are never summed across vendors.
WITH f AS (
    SELECT
        fiscal_period,
        vendor,
        region,
        partner_share_currency,
        quantity,
        extended_partner_share,
        start_date,
        end_date,
        bool_or(region = 'ZZ') OVER (PARTITION BY fiscal_period, vendor) AS period_has_zz
    FROM finance_financial
)
SELECT
    fiscal_period,
    vendor,
    partner_share_currency,
    CAST(sum(quantity) AS BIGINT) AS quantity,
    CAST(sum(extended_partner_share) AS DECIMAL(38, 6)) AS extended_partner_share,
    min(start_date) AS start_date,
    max(end_date) AS end_date
FROM f
WHERE (region = 'ZZ') = period_has_zz
GROUP BY fiscal_period, vendor, partner_share_currency
ORDER BY fiscal_period, vendor, partner_share_currency;
