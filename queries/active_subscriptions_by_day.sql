-- Active subscriptions per day, vendor, app and subscription: paid (standard price), free trial, paid introductory offers, total.
-- Source: subscription_summary_daily (a snapshot per report_date; the report has no date column, the
-- ETL attaches it as the report_date partition). A NULL count is treated as 0.
SELECT
    report_date,
    vendor,
    app_name,
    subscription_name,
    CAST(sum(coalesce(active_standard_price_subscriptions, 0)) AS BIGINT) AS active_paid,
    CAST(sum(coalesce(active_free_trial_introductory_offer_subscriptions, 0)) AS BIGINT) AS active_trial,
    CAST(sum(coalesce(active_pay_up_front_introductory_offer_subscriptions, 0)
           + coalesce(active_pay_as_you_go_introductory_offer_subscriptions, 0)) AS BIGINT) AS active_intro_paid,
    CAST(sum(coalesce(active_standard_price_subscriptions, 0)
           + coalesce(active_free_trial_introductory_offer_subscriptions, 0)
           + coalesce(active_pay_up_front_introductory_offer_subscriptions, 0)
           + coalesce(active_pay_as_you_go_introductory_offer_subscriptions, 0)) AS BIGINT) AS total_active
FROM subscription_summary_daily
GROUP BY report_date, vendor, app_name, subscription_name
ORDER BY report_date, vendor, app_name, subscription_name;
