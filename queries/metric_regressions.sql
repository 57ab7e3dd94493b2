-- Every metric's change between the two latest app versions (newest snapshot), worst first.
WITH latest AS (
    SELECT app_id, max(snapshot_date) AS snapshot_date FROM perf_metrics GROUP BY app_id
),
ranked AS (
    SELECT m.*, row_number() OVER (
        PARTITION BY m.app_id, m.platform, m.metric_category, m.metric, m.device, m.percentile
        ORDER BY m.point_index DESC) AS rn
    FROM perf_metrics AS m
    JOIN latest USING (app_id, snapshot_date)
    WHERE m.source = 'app'
)
SELECT
    cur.app_id, cur.metric_category, cur.metric, cur.unit_display, cur.device, cur.percentile,
    prev.version AS previous_version, prev.value AS previous_value,
    cur.version AS latest_version, cur.value AS latest_value,
    round(100.0 * (cur.value - prev.value) / nullif(prev.value, 0), 1) AS change_pct
FROM ranked AS cur
JOIN ranked AS prev
    ON prev.rn = 2 AND cur.rn = 1 AND prev.app_id = cur.app_id AND prev.platform = cur.platform
    AND prev.metric_category = cur.metric_category AND prev.metric = cur.metric
    AND prev.device IS NOT DISTINCT FROM cur.device AND prev.percentile IS NOT DISTINCT FROM cur.percentile
ORDER BY change_pct DESC NULLS LAST, cur.app_id, cur.metric
