-- Daily sessions, session time and active devices per app (active_devices sums Apple's per-row unique devices: an upper bound across versions and devices)
SELECT
    app_id,
    date,
    sum(sessions) AS sessions,
    sum(total_session_duration) AS total_session_seconds,
    round(sum(total_session_duration) / nullif(sum(sessions), 0), 1) AS avg_session_seconds,
    sum(unique_devices) AS active_devices,
    bool_and(is_final) AS is_final
FROM analytics_app_sessions_standard_latest
WHERE granularity = 'DAILY'
GROUP BY ALL
ORDER BY app_id, date;
