-- Freshness per dataset (table): how far it is loaded ("data through"), when it last loaded, and its units pending, failed and late (source: etl_ledger, the ledger as of the last run).
-- Columns: dataset, family, data_through (last day covered by the newest loaded or empty unit;
-- for analytics the newest processing date, for reviews and metrics the newest crawl or snapshot
-- day), newest_period (that unit's period as Apple names it), last_loaded_at, units_loaded,
-- units_empty, units_pending, units_failed, units_expired, late (pending or failed units past the
-- family's freshness due time when the ledger was exported: etl_settings.built_at),
-- oldest_waiting_period (the oldest pending or failed period).
SELECT
    dataset,
    family,
    max(period_end) FILTER (WHERE state IN ('loaded', 'empty')) AS data_through,
    arg_max(period, period_end) FILTER (WHERE state IN ('loaded', 'empty')) AS newest_period,
    max(loaded_at) AS last_loaded_at,
    CAST(count(*) FILTER (WHERE state = 'loaded') AS BIGINT) AS units_loaded,
    CAST(count(*) FILTER (WHERE state = 'empty') AS BIGINT) AS units_empty,
    CAST(count(*) FILTER (WHERE state = 'pending') AS BIGINT) AS units_pending,
    CAST(count(*) FILTER (WHERE state = 'failed') AS BIGINT) AS units_failed,
    CAST(count(*) FILTER (WHERE state = 'expired') AS BIGINT) AS units_expired,
    CAST(count(*) FILTER (WHERE late) AS BIGINT) AS late,
    min(period) FILTER (WHERE state IN ('pending', 'failed')) AS oldest_waiting_period
FROM etl_ledger
GROUP BY dataset, family
ORDER BY dataset
