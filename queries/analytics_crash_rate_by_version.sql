-- Crashes per 1,000 sessions for each app version (daily App Crashes and App Sessions, latest restatement, all days loaded)
WITH crashes AS (
    SELECT app_id, app_version, sum(crashes) AS crashes, min(date) AS first_date, max(date) AS last_date
    FROM analytics_app_crashes_latest
    WHERE granularity = 'DAILY'
    GROUP BY ALL
), sessions AS (
    SELECT app_id, app_version, sum(sessions) AS sessions
    FROM analytics_app_sessions_standard_latest
    WHERE granularity = 'DAILY'
    GROUP BY ALL
)
SELECT
    coalesce(c.app_id, s.app_id) AS app_id,
    coalesce(c.app_version, s.app_version) AS app_version,
    coalesce(c.crashes, 0) AS crashes,
    coalesce(s.sessions, 0) AS sessions,
    round(1000.0 * coalesce(c.crashes, 0) / nullif(s.sessions, 0), 3) AS crashes_per_1000_sessions,
    c.first_date,
    c.last_date
FROM crashes c
FULL OUTER JOIN sessions s ON c.app_id = s.app_id AND c.app_version = s.app_version
ORDER BY app_id, app_version;
