-- Per vendor, fiscal month with FINANCIAL data and currency: whether recon_finance holds every sale in that currency (the ZZ file, or every region of the currency: US, LL and WW are all USD).
CREATE OR REPLACE VIEW recon_finance_coverage AS
WITH units AS (
    SELECT vendor, region, period AS fiscal_period FROM recon_ledger
    WHERE family = 'finance' AND type = 'FINANCIAL'
    UNION
    SELECT DISTINCT vendor, region, fiscal_period FROM finance_financial
),
periods AS (
    SELECT vendor, fiscal_period, bool_or(region = 'ZZ') AS has_zz
    FROM units
    GROUP BY vendor, fiscal_period
),
cur AS (
    SELECT
        p.vendor,
        p.fiscal_period,
        p.has_zz,
        r.currency,
        count(*) AS regions,
        count(u.region) AS loaded,
        string_agg(u.region, ', ' ORDER BY r.region) AS loaded_regions,
        string_agg(CASE WHEN u.region IS NULL THEN r.region END, ', ' ORDER BY r.region) AS missing_regions
    FROM periods AS p
    CROSS JOIN recon_regions AS r
    LEFT JOIN units AS u ON u.vendor = p.vendor AND u.fiscal_period = p.fiscal_period AND u.region = r.region
    GROUP BY p.vendor, p.fiscal_period, p.has_zz, r.currency
)
SELECT *, has_zz OR loaded = regions AS complete
FROM cur
