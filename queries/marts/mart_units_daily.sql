-- Units per day, app and country split by kind: first-time downloads, redownloads, updates, in-app purchases and subscriptions (net of refunds; source: sales_lines). "Units" in Apple's reports count all of them.
-- Columns: date, vendor, app_apple_id, app_sku, app_name, country_code, downloads (first-time,
-- free or paid), redownloads, updates, in_app_purchases (consumables, non-consumables,
-- non-renewing), subscriptions (auto-renewable purchases and renewals), other_units (Product Type
-- Identifiers not classified), all_units (the sum: what the report's Units column adds up to).
SELECT
    report_date AS date,
    vendor,
    app_apple_id,
    app_sku,
    any_value(app_name) AS app_name,
    country_code,
    CAST(coalesce(sum(units) FILTER (WHERE unit_type = 'download'), 0) AS BIGINT) AS downloads,
    CAST(coalesce(sum(units) FILTER (WHERE unit_type = 'redownload'), 0) AS BIGINT) AS redownloads,
    CAST(coalesce(sum(units) FILTER (WHERE unit_type = 'update'), 0) AS BIGINT) AS updates,
    CAST(coalesce(sum(units) FILTER (WHERE unit_type = 'in_app_purchase'), 0) AS BIGINT) AS in_app_purchases,
    CAST(coalesce(sum(units) FILTER (WHERE unit_type = 'subscription'), 0) AS BIGINT) AS subscriptions,
    CAST(coalesce(sum(units) FILTER (WHERE unit_type = 'other'), 0) AS BIGINT) AS other_units,
    CAST(sum(units) AS BIGINT) AS all_units
FROM sales_lines
GROUP BY report_date, vendor, app_apple_id, app_sku, country_code
ORDER BY date, vendor, app_sku, country_code
