-- Daily installs, deletions and deletions per install for each app (App Store Installation and Deletion, latest restatement)
SELECT
    app_id,
    date,
    coalesce(sum(counts) FILTER (WHERE lower(event) = 'install'), 0) AS installs,
    coalesce(sum(counts) FILTER (WHERE lower(event) = 'delete'), 0) AS deletions,
    round(coalesce(sum(counts) FILTER (WHERE lower(event) = 'delete'), 0)
        / nullif(sum(counts) FILTER (WHERE lower(event) = 'install'), 0), 4) AS deletes_per_install,
    bool_and(is_final) AS is_final
FROM analytics_app_store_installation_and_deletion_standard_latest
WHERE granularity = 'DAILY'
GROUP BY ALL
ORDER BY app_id, date;
