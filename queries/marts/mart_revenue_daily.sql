-- Revenue per day, app, product type, country and currency of proceeds, with the proceeds in the reporting currency (source: sales_lines, i.e. sales_summary_daily).
-- Columns: date (the report day, Pacific), vendor, app_apple_id, app_sku, app_name, product_type
-- (app, in_app_purchase, subscription, other), country_code, currency, units (net of refunds,
-- every unit type of the product type), proceeds (in currency, refunds netted), reporting_currency,
-- proceeds_reporting (NULL when a line with proceeds has no rate), fx_rate, fx_source, fx_date
-- (the rate used, its source and date), missing_rate (lines with proceeds but no rate),
-- proceeds_missing_rate (their proceeds, in currency, not converted).
SELECT
    report_date AS date,
    vendor,
    app_apple_id,
    app_sku,
    any_value(app_name) AS app_name,
    product_type,
    country_code,
    currency,
    CAST(sum(units) AS BIGINT) AS units,
    CAST(sum(proceeds) AS DECIMAL(38, 6)) AS proceeds,
    any_value(reporting_currency) AS reporting_currency,
    CAST(CASE WHEN sum(missing_rate) > 0 THEN NULL ELSE sum(proceeds_reporting) END AS DECIMAL(38, 6)) AS proceeds_reporting,
    max(fx_rate) AS fx_rate,
    max(fx_source) AS fx_source,
    max(fx_date) AS fx_date,
    CAST(sum(missing_rate) AS BIGINT) AS missing_rate,
    CAST(coalesce(sum(proceeds) FILTER (WHERE missing_rate = 1), 0) AS DECIMAL(38, 6)) AS proceeds_missing_rate
FROM sales_lines
GROUP BY report_date, vendor, app_apple_id, app_sku, product_type, country_code, currency
ORDER BY date, vendor, app_sku, product_type, country_code, currency
