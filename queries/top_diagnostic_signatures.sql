-- Diagnostic signatures by weight per build and type, from the newest snapshot, with their frame counts.
WITH latest AS (
    SELECT app_id, max(snapshot_date) AS snapshot_date FROM diagnostic_signatures GROUP BY app_id
),
frames AS (
    SELECT app_id, snapshot_date, signature_id, CAST(count(*) AS BIGINT) AS frames,
           CAST(count(DISTINCT log_index) AS BIGINT) AS logs
    FROM diagnostic_log_frames GROUP BY ALL
)
SELECT
    s.app_id, s.build_id, s.diagnostic_type, s.weight, s.signature, s.insight_direction,
    coalesce(f.logs, 0) AS logs, coalesce(f.frames, 0) AS frames
FROM diagnostic_signatures AS s
JOIN latest USING (app_id, snapshot_date)
LEFT JOIN frames AS f USING (app_id, snapshot_date, signature_id)
ORDER BY s.weight DESC, s.app_id, s.build_id, s.signature_id
