-- Sales units and proceeds per day, app and product, named from the catalog as it was on that day.
-- Source: sales_summary_daily joined by Apple Identifier to dim_apps, dim_in_app_purchases and
-- dim_subscriptions ("as of": the dimension row valid on report_date, valid_from <= day < valid_to;
-- the first row of an id also covers the days before the first catalog snapshot). A renamed app
-- shows its old name before the rename and its new name after. Proceeds = units x per-unit
-- developer_proceeds, per proceeds currency; refunds net out. product_type: APP, the in-app
-- purchase type (CONSUMABLE, NON_CONSUMABLE, ...) or SUBSCRIPTION. NULL names: id not in the catalog.
WITH products AS (
    SELECT app_id AS product_id, app_id, name AS product_name, 'APP' AS product_type,
        NULL::VARCHAR AS subscription_group_name, valid_from, valid_to,
        row_number() OVER (PARTITION BY app_id ORDER BY valid_from) AS nth
    FROM dim_apps
    UNION ALL
    SELECT in_app_purchase_id, app_id, name, in_app_purchase_type, NULL::VARCHAR, valid_from, valid_to,
        row_number() OVER (PARTITION BY in_app_purchase_id ORDER BY valid_from)
    FROM dim_in_app_purchases
    UNION ALL
    SELECT subscription_id, app_id, name, 'SUBSCRIPTION', subscription_group_name, valid_from, valid_to,
        row_number() OVER (PARTITION BY subscription_id ORDER BY valid_from)
    FROM dim_subscriptions
),
product_asof AS (
    SELECT *, CASE WHEN nth = 1 THEN DATE '0001-01-01' ELSE valid_from END AS from_day,
        coalesce(valid_to, DATE '9999-12-31') AS to_day
    FROM products
),
app_asof AS (
    SELECT app_id, name AS app_name,
        CASE WHEN row_number() OVER (PARTITION BY app_id ORDER BY valid_from) = 1 THEN DATE '0001-01-01' ELSE valid_from END AS from_day,
        coalesce(valid_to, DATE '9999-12-31') AS to_day
    FROM dim_apps
)
SELECT
    s.report_date,
    s.vendor,
    p.app_id,
    a.app_name,
    s.apple_identifier AS product_apple_id,
    s.sku AS product_sku,
    p.product_name,
    p.product_type,
    p.subscription_group_name,
    s.currency_of_proceeds,
    CAST(sum(s.units) AS BIGINT) AS units,
    CAST(sum(s.units * s.developer_proceeds) AS DECIMAL(38, 6)) AS proceeds
FROM sales_summary_daily AS s
LEFT JOIN product_asof AS p
    ON p.product_id = s.apple_identifier AND s.report_date >= p.from_day AND s.report_date < p.to_day
LEFT JOIN app_asof AS a
    ON a.app_id = p.app_id AND s.report_date >= a.from_day AND s.report_date < a.to_day
GROUP BY ALL
ORDER BY s.report_date, s.vendor, a.app_name, p.product_name, s.currency_of_proceeds
