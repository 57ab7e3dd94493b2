-- Share of reviews answered and hours from review to response (last modification) per app and month.
SELECT
    r.app_id,
    r.month,
    CAST(count(*) AS BIGINT) AS reviews,
    CAST(count(s.review_id) AS BIGINT) AS answered,
    round(count(s.review_id) / count(*), 3) AS answered_share,
    round(median(date_diff('minute', s.review_created_at, s.last_modified_at)) / 60.0, 1) AS median_hours_to_response,
    round(avg(date_diff('minute', s.review_created_at, s.last_modified_at)) / 60.0, 1) AS avg_hours_to_response
FROM customer_reviews AS r
LEFT JOIN review_responses AS s
    ON s.app_id = r.app_id AND s.month = r.month AND s.review_id = r.review_id
GROUP BY ALL
ORDER BY r.app_id, r.month DESC
