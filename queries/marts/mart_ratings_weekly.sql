-- Customer reviews and average rating per week (Monday, UTC), app and territory, with the distribution of stars (source: customer_reviews; names from dim_apps).
-- Columns: week, app_id, app_name (current name), territory (alpha-2), reviews, avg_rating,
-- stars_1 .. stars_5.
WITH names AS (
    SELECT app_id, max(name) AS app_name FROM dim_apps WHERE valid_to IS NULL GROUP BY app_id
)
SELECT
    CAST(date_trunc('week', r.created_at AT TIME ZONE 'UTC') AS DATE) AS week,
    r.app_id,
    any_value(n.app_name) AS app_name,
    r.territory_alpha2 AS territory,
    CAST(count(*) AS BIGINT) AS reviews,
    round(avg(r.rating), 3) AS avg_rating,
    CAST(count(*) FILTER (WHERE r.rating = 1) AS BIGINT) AS stars_1,
    CAST(count(*) FILTER (WHERE r.rating = 2) AS BIGINT) AS stars_2,
    CAST(count(*) FILTER (WHERE r.rating = 3) AS BIGINT) AS stars_3,
    CAST(count(*) FILTER (WHERE r.rating = 4) AS BIGINT) AS stars_4,
    CAST(count(*) FILTER (WHERE r.rating = 5) AS BIGINT) AS stars_5
FROM customer_reviews AS r
LEFT JOIN names AS n USING (app_id)
GROUP BY ALL
ORDER BY week, r.app_id, territory
