-- Customer reviews per app (by its name when the review was written), month and territory: count, average rating, answered.
-- Source: customer_reviews and review_responses joined to dim_apps "as of" the review's UTC date
-- (valid_from <= day < valid_to; the first row of an app also covers the days before the first
-- catalog snapshot), so a renamed app's reviews show the name it had then.
WITH app_asof AS (
    SELECT app_id, name AS app_name,
        CASE WHEN row_number() OVER (PARTITION BY app_id ORDER BY valid_from) = 1 THEN DATE '0001-01-01' ELSE valid_from END AS from_day,
        coalesce(valid_to, DATE '9999-12-31') AS to_day
    FROM dim_apps
),
reviews AS (
    SELECT r.app_id, r.review_id, r.rating, r.territory_alpha2,
        CAST(r.created_at AT TIME ZONE 'UTC' AS DATE) AS day,
        resp.review_id IS NOT NULL AS answered
    FROM customer_reviews AS r
    LEFT JOIN review_responses AS resp ON resp.app_id = r.app_id AND resp.review_id = r.review_id
)
SELECT
    r.app_id,
    a.app_name,
    strftime(r.day, '%Y-%m') AS month,
    r.territory_alpha2 AS territory,
    CAST(count(*) AS BIGINT) AS reviews,
    round(avg(r.rating), 3) AS avg_rating,
    CAST(count(*) FILTER (WHERE r.answered) AS BIGINT) AS answered
FROM reviews AS r
LEFT JOIN app_asof AS a ON a.app_id = r.app_id AND r.day >= a.from_day AND r.day < a.to_day
GROUP BY ALL
ORDER BY month DESC, a.app_name, territory
