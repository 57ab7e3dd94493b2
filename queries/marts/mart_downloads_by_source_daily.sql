-- App Store downloads per day, app, source type and territory without restatement double counting: each day's latest restatement only (source: analytics_app_downloads_standard_latest, DAILY).
-- Summing analytics_app_downloads_standard itself counts a day once per instance that restated it
-- (several times); this mart is what the Parquet of the table cannot give directly. Columns: date,
-- app_id, app_name, source_type, territory, first_time_downloads, redownloads, total_downloads
-- (every download type), is_final (Apple no longer restates the day).
SELECT
    date,
    app_id,
    any_value(app_name) AS app_name,
    source_type,
    territory,
    CAST(coalesce(sum(counts) FILTER (WHERE download_type = 'First-time download'), 0) AS BIGINT) AS first_time_downloads,
    CAST(coalesce(sum(counts) FILTER (WHERE download_type = 'Redownload'), 0) AS BIGINT) AS redownloads,
    CAST(coalesce(sum(counts), 0) AS BIGINT) AS total_downloads,
    bool_and(is_final) AS is_final
FROM analytics_app_downloads_standard_latest
WHERE granularity = 'DAILY'
GROUP BY date, app_id, source_type, territory
ORDER BY date, app_id, source_type, territory
