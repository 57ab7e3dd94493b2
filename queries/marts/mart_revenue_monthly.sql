-- Revenue per calendar month, app, product type, country and currency of proceeds in the reporting currency: the days of mart_revenue_daily added up, each day converted at its own rate.
-- Columns: month (first day), vendor, app_apple_id, app_sku, app_name, product_type, country_code,
-- currency, units, proceeds, reporting_currency, proceeds_reporting (NULL when any day of the
-- month lacks a rate for proceeds), fx_sources (the sources of the rates used, comma-separated),
-- fx_date (the newest rate date used), missing_rate (sales lines without a rate),
-- proceeds_missing_rate (their proceeds in currency), days (days with sales).
SELECT
    CAST(date_trunc('month', date) AS DATE) AS month,
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
    string_agg(DISTINCT fx_source, ',' ORDER BY fx_source) AS fx_sources,
    max(fx_date) AS fx_date,
    CAST(sum(missing_rate) AS BIGINT) AS missing_rate,
    CAST(sum(proceeds_missing_rate) AS DECIMAL(38, 6)) AS proceeds_missing_rate,
    CAST(count(DISTINCT date) AS BIGINT) AS days
FROM mart_revenue_daily
GROUP BY ALL
ORDER BY month, vendor, app_sku, product_type, country_code, currency
