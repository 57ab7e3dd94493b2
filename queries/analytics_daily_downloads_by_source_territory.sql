-- Daily App Store downloads per app, source type and territory (latest restatement of each day; is_final once Apple stops restating it)
SELECT
    app_id,
    date,
    source_type,
    territory,
    sum(counts) FILTER (WHERE download_type = 'First-time download') AS first_time_downloads,
    sum(counts) FILTER (WHERE download_type = 'Redownload') AS redownloads,
    sum(counts) AS all_downloads,
    bool_and(is_final) AS is_final
FROM analytics_app_downloads_standard_latest
WHERE granularity = 'DAILY'
GROUP BY ALL
ORDER BY app_id, date, source_type, territory;
