-- The FINANCIAL rows of record: per vendor and fiscal month the ZZ file when there is one (loaded, or empty in the ledger), else the per-region files; never both.
CREATE OR REPLACE VIEW recon_finance AS
WITH zz AS (
    SELECT vendor, period AS fiscal_period FROM recon_ledger
    WHERE family = 'finance' AND type = 'FINANCIAL' AND region = 'ZZ'
    UNION
    SELECT vendor, fiscal_period FROM finance_financial WHERE region = 'ZZ'
)
SELECT f.*
FROM finance_financial AS f
LEFT JOIN zz ON zz.vendor = f.vendor AND zz.fiscal_period = f.fiscal_period
WHERE (f.region = 'ZZ') = (zz.vendor IS NOT NULL)
