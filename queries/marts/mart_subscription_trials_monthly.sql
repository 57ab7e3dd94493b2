-- Trial-to-paid conversion per cohort month (the month the free trial started), app and subscription: trials started, trials converted to the standard price, and the rate (source: subscription_event_summary_daily).
-- A conversion (a Conversion to Standard Price event whose offer type is Free Trial) is counted in
-- the cohort of its trial's start: the event date minus the offer duration (3 Days, 1 Week, 2
-- Weeks, 1, 2, 3 or 6 Months, 1 Year). Columns: cohort_month, app_apple_id, app_name,
-- subscription_apple_id, subscription_name, trial_starts, trial_conversions, trial_to_paid_rate
-- (trial_conversions / trial_starts), is_complete (every trial of the cohort has ended by the
-- newest event date loaded, so the rate will not grow any more).
WITH ev AS (
    SELECT coalesce(event_date, report_date) AS date, app_apple_id, app_name, subscription_apple_id, subscription_name,
        coalesce(quantity, 1) AS quantity, lower(trim(event)) AS ev,
        lower(trim(subscription_offer_type)) = 'free trial' AS free_trial,
        CASE lower(trim(subscription_offer_duration))
            WHEN '3 days' THEN INTERVAL 3 DAY WHEN '1 week' THEN INTERVAL 7 DAY WHEN '7 days' THEN INTERVAL 7 DAY
            WHEN '2 weeks' THEN INTERVAL 14 DAY WHEN '1 month' THEN INTERVAL 1 MONTH WHEN '2 months' THEN INTERVAL 2 MONTH
            WHEN '3 months' THEN INTERVAL 3 MONTH WHEN '6 months' THEN INTERVAL 6 MONTH WHEN '1 year' THEN INTERVAL 1 YEAR
            END AS offer_length
    FROM subscription_event_summary_daily
),
starts AS (
    SELECT CAST(date_trunc('month', date) AS DATE) AS cohort_month, app_apple_id, subscription_apple_id,
        any_value(app_name) AS app_name, any_value(subscription_name) AS subscription_name,
        sum(quantity) AS trial_starts, max(offer_length) AS longest
    FROM ev
    WHERE ev = 'start introductory offer' AND free_trial
    GROUP BY ALL
),
conversions AS (
    SELECT CAST(date_trunc('month', CAST(date - offer_length AS DATE)) AS DATE) AS cohort_month, app_apple_id, subscription_apple_id,
        any_value(app_name) AS app_name, any_value(subscription_name) AS subscription_name,
        sum(quantity) AS trial_conversions
    FROM ev
    WHERE free_trial AND offer_length IS NOT NULL AND regexp_matches(ev,
        '^(paid subscription|crossgrade|downgrade|upgrade) from (introductory offer|introductory price|free trial)$')
    GROUP BY ALL
)
SELECT
    cohort_month,
    app_apple_id,
    coalesce(s.app_name, c.app_name) AS app_name,
    subscription_apple_id,
    coalesce(s.subscription_name, c.subscription_name) AS subscription_name,
    CAST(coalesce(s.trial_starts, 0) AS BIGINT) AS trial_starts,
    CAST(coalesce(c.trial_conversions, 0) AS BIGINT) AS trial_conversions,
    round(coalesce(c.trial_conversions, 0) / nullif(s.trial_starts, 0), 4) AS trial_to_paid_rate,
    coalesce(CAST(last_day(cohort_month) + coalesce(s.longest, INTERVAL 7 DAY) AS DATE) <= (SELECT max(date) FROM ev), false) AS is_complete
FROM starts AS s
FULL OUTER JOIN conversions AS c USING (cohort_month, app_apple_id, subscription_apple_id)
ORDER BY cohort_month, app_apple_id, subscription_apple_id
