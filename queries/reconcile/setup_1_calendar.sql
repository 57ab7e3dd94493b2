-- The fiscal calendar and the sales days the ledger covers, typed (recon_fiscal and recon_ledger are text tables the reconcile command fills from report/fiscal and the ledger).
CREATE OR REPLACE VIEW recon_calendar AS
SELECT
    fiscal_period,
    CAST(start_date AS DATE) AS start_date,
    CAST(end_date AS DATE) AS end_date,
    CAST(days AS INTEGER) AS days
FROM recon_fiscal
