-- Every line of sales_summary_daily with its app, product type, unit type and proceeds in the reporting currency: the base of the revenue, units and refund marts (a view only, not written as Parquet).
-- Columns: report_date, vendor, app_apple_id, app_sku, app_name, product_apple_id, product_sku,
-- product_name, product_type_identifier, product_type, unit_type, country_code, device, currency,
-- units, customer_price, proceeds, reporting_currency, fx_rate, fx_source, fx_date,
-- proceeds_reporting, missing_rate.
-- app_apple_id / app_name: the app the line belongs to (its parent app for in-app purchases and
-- subscriptions: parent_identifier is the parent's SKU), named from dim_apps (current name), else
-- from the app's own sales title. unit_type from Apple's Product Type Identifier (REFERENCE.md
-- A.6): download (1, 1F, 1T, 1E, 1EP, 1EU, 1-B, F1, ...), redownload (3, 3F, 3T, F3), update (7,
-- 7F, 7T, F7), subscription (IAY, IAC), in_app_purchase (other IA*, FI*), other. product_type:
-- app (downloads, redownloads, updates), in_app_purchase, subscription, other.
-- proceeds = units x developer_proceeds (per unit), in currency; proceeds_reporting is it in the
-- reporting currency at the day's fx_daily rate: NULL when the line has proceeds and no rate
-- (missing_rate = 1), 0 for lines without proceeds (free downloads need no rate).
WITH settings AS (
    SELECT reporting_currency AS rc FROM etl_settings
),
app_rows AS (
    SELECT vendor, sku, max(apple_identifier) AS app_apple_id, max(title) AS title
    FROM sales_summary_daily
    WHERE nullif(trim(parent_identifier), '') IS NULL
    GROUP BY vendor, sku
),
dim AS (
    SELECT sku, max(app_id) AS app_id, max(name) AS name
    FROM dim_apps
    WHERE valid_to IS NULL AND nullif(trim(sku), '') IS NOT NULL
    GROUP BY sku
),
lines AS (
    SELECT s.report_date, s.vendor, coalesce(nullif(trim(s.parent_identifier), ''), s.sku) AS app_sku,
        s.apple_identifier, s.sku, s.title, upper(trim(s.product_type_identifier)) AS pti,
        s.country_code, s.device, nullif(upper(trim(s.currency_of_proceeds)), '') AS currency,
        s.units, s.customer_price, CAST(s.units * s.developer_proceeds AS DECIMAL(38, 6)) AS proceeds
    FROM sales_summary_daily AS s
),
typed AS (
    SELECT *, CASE
        WHEN pti IN ('1', '1F', '1T', '1E', '1EP', '1EU', '1-A', '1-B', 'F1', 'F1-B') THEN 'download'
        WHEN pti IN ('3', '3F', '3T', 'F3') THEN 'redownload'
        WHEN pti IN ('7', '7F', '7T', 'F7') THEN 'update'
        WHEN pti LIKE 'IAY%' OR pti LIKE 'IAC%' THEN 'subscription'
        WHEN pti LIKE 'IA%' OR pti LIKE 'FI%' THEN 'in_app_purchase'
        ELSE 'other' END AS unit_type
    FROM lines
)
SELECT
    t.report_date,
    t.vendor,
    coalesce(a.app_apple_id, d.app_id) AS app_apple_id,
    t.app_sku,
    coalesce(d.name, a.title) AS app_name,
    t.apple_identifier AS product_apple_id,
    t.sku AS product_sku,
    t.title AS product_name,
    t.pti AS product_type_identifier,
    CASE WHEN t.unit_type IN ('download', 'redownload', 'update') THEN 'app' ELSE t.unit_type END AS product_type,
    t.unit_type,
    t.country_code,
    t.device,
    t.currency,
    t.units,
    t.customer_price,
    t.proceeds,
    s.rc AS reporting_currency,
    CASE WHEN t.proceeds = 0 THEN NULL WHEN t.currency = s.rc THEN CAST(1 AS DECIMAL(18, 10)) ELSE fx.rate END AS fx_rate,
    CASE WHEN t.proceeds = 0 THEN NULL WHEN t.currency = s.rc THEN 'identity' ELSE fx.source END AS fx_source,
    CASE WHEN t.proceeds = 0 OR t.currency = s.rc THEN NULL ELSE fx.source_date END AS fx_date,
    CASE WHEN t.proceeds = 0 THEN CAST(0 AS DECIMAL(38, 6))
        WHEN t.currency = s.rc THEN t.proceeds
        ELSE CAST(t.proceeds * fx.rate AS DECIMAL(38, 6)) END AS proceeds_reporting,
    CAST(CASE WHEN t.proceeds <> 0 AND t.currency IS DISTINCT FROM s.rc AND fx.rate IS NULL THEN 1 ELSE 0 END AS BIGINT) AS missing_rate
FROM typed AS t
CROSS JOIN settings AS s
LEFT JOIN app_rows AS a ON a.vendor = t.vendor AND a.sku = t.app_sku
LEFT JOIN dim AS d ON d.sku = t.app_sku
LEFT JOIN fx_daily AS fx ON fx.currency = t.currency AND fx.date = t.report_date
