-- Launch time and hang rate at p50 and p90 per app version and device, from the newest snapshot.
WITH latest AS (
    SELECT app_id, max(snapshot_date) AS snapshot_date FROM perf_metrics GROUP BY app_id
)
SELECT
    m.app_id,
    m.version,
    m.device,
    max(m.value) FILTER (WHERE m.metric = 'launchTime' AND m.percentile = 'percentile.fifty') AS launch_ms_p50,
    max(m.value) FILTER (WHERE m.metric = 'launchTime' AND m.percentile = 'percentile.ninety') AS launch_ms_p90,
    max(m.value) FILTER (WHERE m.metric = 'hangRate' AND m.percentile = 'percentile.fifty') AS hang_rate_p50,
    max(m.value) FILTER (WHERE m.metric = 'hangRate' AND m.percentile = 'percentile.ninety') AS hang_rate_p90,
    max(m.unit_display) FILTER (WHERE m.metric = 'hangRate') AS hang_rate_unit
FROM perf_metrics AS m
JOIN latest USING (app_id, snapshot_date)
WHERE m.source = 'app' AND m.metric IN ('launchTime', 'hangRate')
GROUP BY ALL
ORDER BY m.app_id, min(m.point_index), m.device
