-- Sales units and proceeds per day, vendor, app (the parent app for in-app purchases), territory and proceeds currency.
-- Source: sales_summary_daily. Developer Proceeds is per unit, so proceeds = sum(units * developer_proceeds);
-- refunds carry negative units and net out. An in-app purchase names its parent app's SKU in
-- parent_identifier (blank for apps), so app_sku = coalesce(nullif(parent_identifier, ''), sku).
-- app_title is the title on the app's own rows (NULL if the app itself has no rows yet).
WITH sales AS (
    SELECT
        report_date,
        vendor,
        coalesce(nullif(trim(parent_identifier), ''), sku) AS app_sku,
        country_code,
        currency_of_proceeds,
        units,
        developer_proceeds
    FROM sales_summary_daily
),
apps AS (
    SELECT vendor, sku AS app_sku, max(title) AS app_title
    FROM sales_summary_daily
    GROUP BY vendor, sku
)
SELECT
    s.report_date,
    s.vendor,
    s.app_sku,
    a.app_title,
    s.country_code,
    s.currency_of_proceeds,
    CAST(sum(s.units) AS BIGINT) AS units,
    CAST(sum(s.units * s.developer_proceeds) AS DECIMAL(38, 6)) AS proceeds
FROM sales AS s
LEFT JOIN apps AS a ON a.vendor = s.vendor AND a.app_sku = s.app_sku
GROUP BY s.report_date, s.vendor, s.app_sku, a.app_title, s.country_code, s.currency_of_proceeds
ORDER BY s.report_date, s.vendor, s.app_sku, s.country_code, s.currency_of_proceeds;
