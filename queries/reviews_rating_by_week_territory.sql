-- Reviews and average rating per week (Monday, UTC), app and territory, with the rating distribution.
SELECT
    app_id,
    CAST(date_trunc('week', created_at AT TIME ZONE 'UTC') AS DATE) AS week,
    territory_alpha2 AS territory,
    CAST(count(*) AS BIGINT) AS reviews,
    round(avg(rating), 3) AS avg_rating,
    CAST(count(*) FILTER (WHERE rating = 1) AS BIGINT) AS stars_1,
    CAST(count(*) FILTER (WHERE rating = 2) AS BIGINT) AS stars_2,
    CAST(count(*) FILTER (WHERE rating = 3) AS BIGINT) AS stars_3,
    CAST(count(*) FILTER (WHERE rating = 4) AS BIGINT) AS stars_4,
    CAST(count(*) FILTER (WHERE rating = 5) AS BIGINT) AS stars_5
FROM customer_reviews
GROUP BY ALL
ORDER BY week DESC, app_id, territory
