-- Crashes per 1,000 sessions per app version, over every day loaded (sources: analytics_app_crashes_latest and analytics_app_sessions_standard_latest, DAILY, latest restatement of each day).
-- Columns: app_id, app_name, app_version, crashes, sessions, crashes_per_1000_sessions (NULL
-- without sessions), first_date, last_date (days with crashes or sessions of the version).
WITH crashes AS (
    SELECT app_id, app_version, any_value(app_name) AS app_name, sum(crashes) AS crashes, min(date) AS first_date, max(date) AS last_date
    FROM analytics_app_crashes_latest
    WHERE granularity = 'DAILY'
    GROUP BY app_id, app_version
),
sessions AS (
    SELECT app_id, app_version, any_value(app_name) AS app_name, sum(sessions) AS sessions, min(date) AS first_date, max(date) AS last_date
    FROM analytics_app_sessions_standard_latest
    WHERE granularity = 'DAILY'
    GROUP BY app_id, app_version
)
SELECT
    app_id,
    coalesce(c.app_name, s.app_name) AS app_name,
    app_version,
    CAST(coalesce(c.crashes, 0) AS BIGINT) AS crashes,
    CAST(coalesce(s.sessions, 0) AS BIGINT) AS sessions,
    round(1000.0 * coalesce(c.crashes, 0) / nullif(s.sessions, 0), 3) AS crashes_per_1000_sessions,
    least(c.first_date, s.first_date) AS first_date,
    greatest(c.last_date, s.last_date) AS last_date
FROM crashes AS c
FULL OUTER JOIN sessions AS s USING (app_id, app_version)
ORDER BY app_id, app_version
