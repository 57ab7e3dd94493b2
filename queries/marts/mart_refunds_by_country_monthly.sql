-- Refund rate per calendar month, app, country and currency: paid units sold, units refunded and their proceeds, in the reporting currency too (source: sales_lines; refunds are the lines with negative units).
-- Columns: month, vendor, app_apple_id, app_name, country_code, currency, sold_units (paid units:
-- lines with positive units and a positive customer price), refunded_units (units of refund
-- lines, positive), refund_rate (refunded_units / sold_units, NULL without sales),
-- gross_proceeds, refunded_proceeds (positive amounts in currency), reporting_currency,
-- gross_proceeds_reporting, refunded_proceeds_reporting (NULL when a line lacks a rate),
-- missing_rate (lines without a rate).
SELECT
    CAST(date_trunc('month', report_date) AS DATE) AS month,
    vendor,
    app_apple_id,
    any_value(app_name) AS app_name,
    country_code,
    currency,
    CAST(coalesce(sum(units) FILTER (WHERE units > 0 AND customer_price > 0), 0) AS BIGINT) AS sold_units,
    CAST(coalesce(-sum(units) FILTER (WHERE units < 0), 0) AS BIGINT) AS refunded_units,
    round(coalesce(-sum(units) FILTER (WHERE units < 0), 0)
        / nullif(sum(units) FILTER (WHERE units > 0 AND customer_price > 0), 0), 4) AS refund_rate,
    CAST(coalesce(sum(proceeds) FILTER (WHERE units > 0), 0) AS DECIMAL(38, 6)) AS gross_proceeds,
    CAST(coalesce(-sum(proceeds) FILTER (WHERE units < 0), 0) AS DECIMAL(38, 6)) AS refunded_proceeds,
    any_value(reporting_currency) AS reporting_currency,
    CAST(CASE WHEN sum(missing_rate) FILTER (WHERE units > 0) > 0 THEN NULL
        ELSE coalesce(sum(proceeds_reporting) FILTER (WHERE units > 0), 0) END AS DECIMAL(38, 6)) AS gross_proceeds_reporting,
    CAST(CASE WHEN sum(missing_rate) FILTER (WHERE units < 0) > 0 THEN NULL
        ELSE coalesce(-sum(proceeds_reporting) FILTER (WHERE units < 0), 0) END AS DECIMAL(38, 6)) AS refunded_proceeds_reporting,
    CAST(sum(missing_rate) AS BIGINT) AS missing_rate
FROM sales_lines
WHERE unit_type IN ('download', 'in_app_purchase', 'subscription', 'other') AND (units < 0 OR customer_price > 0)
GROUP BY ALL
ORDER BY month, vendor, app_apple_id, country_code, currency
