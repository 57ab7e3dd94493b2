-- Crashes and diagnostics per app (current name) and version string, with the build numbers behind them.
-- Sources: testflight_build_usage (TestFlight crashes and sessions, all days loaded) and the newest
-- snapshot of diagnostic_signatures (signatures per type), both joined by build id to dim_builds
-- (current rows), whose version_string is the build's app version (CFBundleShortVersionString).
-- Only versions with TestFlight usage or diagnostics appear.
WITH builds AS (
    SELECT build_id, app_id, version_string, build_number FROM dim_builds WHERE valid_to IS NULL
),
apps AS (
    SELECT app_id, name AS app_name FROM dim_apps WHERE valid_to IS NULL
),
testflight AS (
    SELECT build_id, sum(crash_count) AS crashes, sum(session_count) AS sessions
    FROM testflight_build_usage GROUP BY build_id
),
latest AS (
    SELECT app_id, max(snapshot_date) AS snapshot_date FROM diagnostic_signatures GROUP BY app_id
),
diagnostics AS (
    SELECT d.build_id,
        count(*) AS signatures,
        count(*) FILTER (WHERE d.diagnostic_type = 'HANGS') AS hang_signatures,
        count(*) FILTER (WHERE d.diagnostic_type = 'DISK_WRITES') AS disk_write_signatures,
        count(*) FILTER (WHERE d.diagnostic_type = 'LAUNCHES') AS launch_signatures,
        sum(CAST(d.weight AS DOUBLE)) AS signature_weight
    FROM diagnostic_signatures AS d
    JOIN latest USING (app_id, snapshot_date)
    GROUP BY d.build_id
)
SELECT
    b.app_id,
    a.app_name,
    b.version_string,
    string_agg(DISTINCT b.build_number, ',' ORDER BY b.build_number) AS build_numbers,
    CAST(coalesce(sum(t.crashes), 0) AS BIGINT) AS testflight_crashes,
    CAST(coalesce(sum(t.sessions), 0) AS BIGINT) AS testflight_sessions,
    CAST(coalesce(sum(d.signatures), 0) AS BIGINT) AS diagnostic_signatures,
    CAST(coalesce(sum(d.hang_signatures), 0) AS BIGINT) AS hang_signatures,
    CAST(coalesce(sum(d.disk_write_signatures), 0) AS BIGINT) AS disk_write_signatures,
    CAST(coalesce(sum(d.launch_signatures), 0) AS BIGINT) AS launch_signatures,
    round(sum(d.signature_weight), 4) AS signature_weight
FROM builds AS b
LEFT JOIN apps AS a USING (app_id)
LEFT JOIN testflight AS t USING (build_id)
LEFT JOIN diagnostics AS d USING (build_id)
WHERE t.build_id IS NOT NULL OR d.build_id IS NOT NULL
GROUP BY b.app_id, a.app_name, b.version_string
ORDER BY a.app_name, b.version_string DESC
