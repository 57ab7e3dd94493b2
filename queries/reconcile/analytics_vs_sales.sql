-- Analytics purchases versus sales in-app units per vendor, app and day: expected = SALES daily units of in-app purchases and subscriptions (product types IA*, FI*: IA1, IA9, IAY, IAC, FI1), actual = App Store Purchases Standard (DAILY, latest instance per date, every purchase type).
-- Both count refunds as negative units. An in-app line names its app by the app's SKU (parent
-- identifier); the app's Apple id comes from the app's own sales rows, else from the analytics
-- rows that name the same content id. Compared on the days the sales ledger covers and the
-- analytics report has rows for the app; a date Apple may still restate (is_final false) is skipped.
WITH inapp AS (
    SELECT vendor, report_date AS day, sku, parent_identifier, apple_identifier, units
    FROM sales_summary_daily
    WHERE regexp_matches(product_type_identifier, '^(IA|FI)')
),
app_ids AS (
    SELECT vendor, sku, any_value(apple_identifier) AS app_id
    FROM sales_summary_daily
    WHERE NOT regexp_matches(product_type_identifier, '^(IA|FI)')
    GROUP BY vendor, sku
),
ana AS (
    SELECT app_id, date AS day, sum(purchases) AS purchases, bool_and(is_final) AS final
    FROM analytics_app_store_purchases_standard_latest
    WHERE granularity = 'DAILY'
    GROUP BY app_id, date
),
content AS (
    SELECT DISTINCT content_apple_identifier AS content_id, app_id
    FROM analytics_app_store_purchases_standard
),
sal AS (
    SELECT i.vendor, i.day, coalesce(a.app_id, c.app_id) AS app_id, sum(i.units) AS units
    FROM inapp AS i
    LEFT JOIN app_ids AS a ON a.vendor = i.vendor AND a.sku = trim(i.parent_identifier)
    LEFT JOIN content AS c ON c.content_id = i.apple_identifier
    GROUP BY ALL
),
app_vendor AS (
    SELECT app_id, min(vendor) AS vendor FROM app_ids GROUP BY app_id
    UNION
    SELECT app_id, min(vendor) FROM sal WHERE app_id IS NOT NULL GROUP BY app_id
),
scopes AS (
    SELECT v.vendor, a.app_id, a.day, a.final, a.purchases
    FROM ana AS a
    JOIN (SELECT app_id, min(vendor) AS vendor FROM app_vendor GROUP BY app_id) AS v ON v.app_id = a.app_id
    JOIN recon_sales_days AS d ON d.vendor = v.vendor AND d.day = a.day
)
SELECT
    k.vendor,
    cal.fiscal_period,
    'app=' || k.app_id || ' date=' || strftime(k.day, '%Y-%m-%d') AS scope,
    CAST(NULL AS VARCHAR) AS currency,
    'purchases' AS measure,
    CAST(coalesce(s.units, 0) AS DECIMAL(38, 6)) AS expected,
    CAST(k.purchases AS DECIMAL(38, 6)) AS actual,
    CASE WHEN NOT k.final THEN 'analytics may still restate this date (not final)' END AS skip_reason
FROM scopes AS k
LEFT JOIN sal AS s ON s.vendor = k.vendor AND s.app_id = k.app_id AND s.day = k.day
LEFT JOIN recon_calendar AS cal ON k.day BETWEEN cal.start_date AND cal.end_date
ORDER BY k.vendor, k.app_id, k.day
