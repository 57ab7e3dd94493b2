-- Version adoption per day and app: each app version's sessions and active devices and its share of the app's day (source: analytics_app_sessions_standard_latest, DAILY, latest restatement).
-- Columns: date, app_id, app_name, app_version, sessions, unique_devices (Apple's per-row unique
-- devices added up: an upper bound), session_share, device_share (of the app's day, 0..1), is_final.
WITH v AS (
    SELECT date, app_id, any_value(app_name) AS app_name, app_version,
        sum(sessions) AS sessions, sum(unique_devices) AS unique_devices, bool_and(is_final) AS is_final
    FROM analytics_app_sessions_standard_latest
    WHERE granularity = 'DAILY'
    GROUP BY date, app_id, app_version
)
SELECT
    date,
    app_id,
    app_name,
    app_version,
    CAST(coalesce(sessions, 0) AS BIGINT) AS sessions,
    CAST(coalesce(unique_devices, 0) AS BIGINT) AS unique_devices,
    round(sessions / nullif(sum(sessions) OVER (PARTITION BY date, app_id), 0), 4) AS session_share,
    round(unique_devices / nullif(sum(unique_devices) OVER (PARTITION BY date, app_id), 0), 4) AS device_share,
    is_final
FROM v
ORDER BY date, app_id, app_version
