-- Subscriptions per day, app, subscription and country: active subscriptions, new ones, trials started and converted, renewals, reactivations, churn and refunds (sources: subscription_summary_daily, subscription_event_summary_daily, subscriber_detailed_daily).
-- Columns: date, app_apple_id, app_name, subscription_apple_id, subscription_name, country,
--   active_paid (Active Standard Price Subscriptions), active_trial (free-trial introductory
--   offers), active_intro_paid (pay-up-front and pay-as-you-go introductory offers), active_offers
--   (promotional and offer-code offers), active_total (the four together; billing retry, grace
--   period and marketing opt-ins are not counted) — from the day's Subscription report;
--   new_subscriptions (Activation events: Subscribe, Start Introductory Offer, Opt-In, Start Offer
--   Code, Start Promotional Offer), trial_starts (Start Introductory Offer with offer type Free
--   Trial), conversions (Conversion to Standard Price events: Paid Subscription / Crossgrade /
--   Downgrade / Upgrade from Introductory Offer or Opt-In or Offer Code), trial_conversions (those
--   from a Free Trial), renewals (Renew, Renewal from Billing Retry, ...), reactivations,
--   churned (Cancellation events: Cancel, Canceled from Billing Retry, ...: Apple counts a
--   cancellation when the paid period ends), refunds (Refund events) — Quantity of the day's
--   Subscription Event report;
--   refunded_units, refunded_proceeds (in proceeds currency, positive), reporting_currency,
--   refunded_proceeds_reporting, missing_rate — refund rows of the Subscriber report.
WITH settings AS (
    SELECT reporting_currency AS rc FROM etl_settings
),
active AS (
    SELECT report_date AS date, app_apple_id, subscription_apple_id, country,
        any_value(app_name) AS app_name, any_value(subscription_name) AS subscription_name,
        sum(coalesce(active_standard_price_subscriptions, 0)) AS active_paid,
        sum(coalesce(active_free_trial_introductory_offer_subscriptions, 0)) AS active_trial,
        sum(coalesce(active_pay_up_front_introductory_offer_subscriptions, 0)
            + coalesce(active_pay_as_you_go_introductory_offer_subscriptions, 0)) AS active_intro_paid,
        sum(coalesce(free_trial_promotional_offer_subscriptions, 0) + coalesce(pay_up_front_promotional_offer_subscriptions, 0)
            + coalesce(pay_as_you_go_promotional_offer_subscriptions, 0) + coalesce(free_trial_offer_code_subscriptions, 0)
            + coalesce(pay_up_front_offer_code_subscriptions, 0) + coalesce(pay_as_you_go_offer_code_subscriptions, 0)) AS active_offers
    FROM subscription_summary_daily
    GROUP BY ALL
),
classified AS (
    SELECT coalesce(event_date, report_date) AS date, app_apple_id, subscription_apple_id, country, app_name, subscription_name,
        coalesce(quantity, 1) AS quantity, lower(trim(event)) AS ev,
        lower(trim(subscription_offer_type)) = 'free trial' AS free_trial,
        CASE
            WHEN lower(trim(event)) IN ('subscribe', 'start introductory offer', 'opt-in', 'start offer code', 'start promotional offer') THEN 'activation'
            WHEN regexp_matches(lower(trim(event)),
                '^(paid subscription|crossgrade|downgrade|upgrade) from (introductory offer|introductory price|free trial|opt-in|offer code)$') THEN 'conversion'
            WHEN lower(trim(event)) LIKE 'cancel%' THEN 'cancellation'
            WHEN lower(trim(event)) LIKE 'renew%' THEN 'renewal'
            WHEN lower(trim(event)) LIKE 'reactivate%' THEN 'reactivation'
            WHEN lower(trim(event)) LIKE 'refund%' THEN 'refund'
            ELSE 'other' END AS kind
    FROM subscription_event_summary_daily
),
events AS (
    SELECT date, app_apple_id, subscription_apple_id, country,
        any_value(app_name) AS app_name, any_value(subscription_name) AS subscription_name,
        coalesce(sum(quantity) FILTER (WHERE kind = 'activation'), 0) AS new_subscriptions,
        coalesce(sum(quantity) FILTER (WHERE ev = 'start introductory offer' AND free_trial), 0) AS trial_starts,
        coalesce(sum(quantity) FILTER (WHERE kind = 'conversion'), 0) AS conversions,
        coalesce(sum(quantity) FILTER (WHERE kind = 'conversion' AND free_trial), 0) AS trial_conversions,
        coalesce(sum(quantity) FILTER (WHERE kind = 'renewal'), 0) AS renewals,
        coalesce(sum(quantity) FILTER (WHERE kind = 'reactivation'), 0) AS reactivations,
        coalesce(sum(quantity) FILTER (WHERE kind = 'cancellation'), 0) AS churned,
        coalesce(sum(quantity) FILTER (WHERE kind = 'refund'), 0) AS refunds
    FROM classified
    GROUP BY ALL
),
refund_lines AS (
    SELECT coalesce(r.event_date, r.report_date) AS date, r.app_apple_id, r.subscription_apple_id, r.country,
        r.app_name, r.subscription_name, -r.units AS units,
        CAST(abs(r.units) * r.developer_proceeds AS DECIMAL(38, 6)) AS proceeds,
        nullif(upper(trim(r.proceeds_currency)), '') AS currency
    FROM subscriber_detailed_daily AS r
    WHERE upper(trim(r.refund)) = 'YES'
),
refunds AS (
    SELECT l.date, l.app_apple_id, l.subscription_apple_id, l.country,
        any_value(l.app_name) AS app_name, any_value(l.subscription_name) AS subscription_name,
        sum(l.units) AS refunded_units,
        sum(l.proceeds) AS refunded_proceeds,
        CASE WHEN bool_or(l.proceeds <> 0 AND l.currency IS DISTINCT FROM s.rc AND fx.rate IS NULL) THEN NULL
            ELSE sum(CASE WHEN l.proceeds = 0 THEN 0 WHEN l.currency = s.rc THEN l.proceeds ELSE l.proceeds * fx.rate END) END
            AS refunded_proceeds_reporting,
        count(*) FILTER (WHERE l.proceeds <> 0 AND l.currency IS DISTINCT FROM s.rc AND fx.rate IS NULL) AS missing_rate
    FROM refund_lines AS l
    CROSS JOIN settings AS s
    LEFT JOIN fx_daily AS fx ON fx.currency = l.currency AND fx.date = l.date
    GROUP BY l.date, l.app_apple_id, l.subscription_apple_id, l.country
),
keys AS (
    SELECT date, app_apple_id, subscription_apple_id, country FROM active
    UNION SELECT date, app_apple_id, subscription_apple_id, country FROM events
    UNION SELECT date, app_apple_id, subscription_apple_id, country FROM refunds
)
SELECT
    k.date,
    k.app_apple_id,
    coalesce(a.app_name, e.app_name, r.app_name) AS app_name,
    k.subscription_apple_id,
    coalesce(a.subscription_name, e.subscription_name, r.subscription_name) AS subscription_name,
    k.country,
    CAST(coalesce(a.active_paid, 0) AS BIGINT) AS active_paid,
    CAST(coalesce(a.active_trial, 0) AS BIGINT) AS active_trial,
    CAST(coalesce(a.active_intro_paid, 0) AS BIGINT) AS active_intro_paid,
    CAST(coalesce(a.active_offers, 0) AS BIGINT) AS active_offers,
    CAST(coalesce(a.active_paid + a.active_trial + a.active_intro_paid + a.active_offers, 0) AS BIGINT) AS active_total,
    CAST(coalesce(e.new_subscriptions, 0) AS BIGINT) AS new_subscriptions,
    CAST(coalesce(e.trial_starts, 0) AS BIGINT) AS trial_starts,
    CAST(coalesce(e.conversions, 0) AS BIGINT) AS conversions,
    CAST(coalesce(e.trial_conversions, 0) AS BIGINT) AS trial_conversions,
    CAST(coalesce(e.renewals, 0) AS BIGINT) AS renewals,
    CAST(coalesce(e.reactivations, 0) AS BIGINT) AS reactivations,
    CAST(coalesce(e.churned, 0) AS BIGINT) AS churned,
    CAST(coalesce(e.refunds, 0) AS BIGINT) AS refunds,
    CAST(coalesce(r.refunded_units, 0) AS BIGINT) AS refunded_units,
    CAST(coalesce(r.refunded_proceeds, 0) AS DECIMAL(38, 6)) AS refunded_proceeds,
    (SELECT rc FROM settings) AS reporting_currency,
    CAST(CASE WHEN r.date IS NULL THEN 0 ELSE r.refunded_proceeds_reporting END AS DECIMAL(38, 6)) AS refunded_proceeds_reporting,
    CAST(coalesce(r.missing_rate, 0) AS BIGINT) AS missing_rate
FROM keys AS k
LEFT JOIN active AS a USING (date, app_apple_id, subscription_apple_id, country)
LEFT JOIN events AS e USING (date, app_apple_id, subscription_apple_id, country)
LEFT JOIN refunds AS r USING (date, app_apple_id, subscription_apple_id, country)
ORDER BY k.date, k.app_apple_id, k.subscription_apple_id, k.country
