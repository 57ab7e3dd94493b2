-- Sales days (SALES/SUMMARY/DAILY) the ledger has as loaded or empty, per vendor: an empty day is covered too (Apple: no sales that day).
CREATE OR REPLACE VIEW recon_sales_days AS
SELECT DISTINCT vendor, TRY_CAST(period AS DATE) AS day
FROM recon_ledger
WHERE family = 'sales' AND type = 'SALES' AND sub_type = 'SUMMARY' AND frequency = 'DAILY'
    AND TRY_CAST(period AS DATE) IS NOT NULL
