-- Reviews rated 1 or 2 stars with no developer response yet, newest first, with their age in days.
SELECT
    r.app_id,
    r.review_id,
    r.rating,
    r.created_at,
    r.territory_alpha2 AS territory,
    r.title,
    r.body,
    CAST(date_diff('day', r.created_at, now()) AS BIGINT) AS age_days
FROM customer_reviews AS r
LEFT JOIN review_responses AS s
    ON s.app_id = r.app_id AND s.month = r.month AND s.review_id = r.review_id
WHERE r.rating <= 2 AND s.review_id IS NULL
ORDER BY r.created_at DESC
