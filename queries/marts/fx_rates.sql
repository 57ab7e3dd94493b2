-- Exchange rates into the reporting currency from every source, one row per currency and validity range.
-- Columns: currency, reporting_currency, rate (value of one unit of currency in the reporting
-- currency, DECIMAL(18,10)), valid_from, valid_to (days the rate applies to, inclusive), source,
-- priority (1 is preferred), source_date (the date the rate is for), source_ref (where it comes from).
-- Sources, in order of preference:
--   1 payments: Apple's Payments reports (finance_payments). Apple's Exchange Rate converts the
--     region currency into the bank account currency; into the reporting currency it is that rate
--     divided by the reporting currency's own rate in the same file (rate 1 when the bank account
--     is in the reporting currency). It applies to the fiscal month's days (fiscal_calendar).
--     Regions sharing a currency are averaged.
--   2 rates_file: the user's fx.rates_file (fx_file_rates, already in the reporting currency).
--   3 implied_analytics: per calendar month and currency, the analytics "Proceeds In USD" per
--     purchase over the sales proceeds per unit of the same product and territory
--     (proceeds-weighted over the pairs; intro offers and "Rate After One Year" lines left out),
--     divided by the reporting currency's own implied USD rate unless it is USD. An estimate.
WITH settings AS (
    SELECT reporting_currency AS rc FROM etl_settings
),
pay AS (
    SELECT vendor, fiscal_period, upper(trim(currency)) AS currency, upper(trim(bank_account_currency)) AS bank,
        avg(CAST(exchange_rate AS DOUBLE)) AS rate
    FROM finance_payments
    WHERE exchange_rate > 0 AND nullif(trim(currency), '') IS NOT NULL AND nullif(trim(bank_account_currency), '') IS NOT NULL
    GROUP BY ALL
),
payments AS (
    SELECT c.currency, s.rc AS reporting_currency,
        c.rate / CASE WHEN c.bank = s.rc THEN 1.0 ELSE r.rate END AS rate,
        f.start_date AS valid_from, f.end_date AS valid_to, 'payments' AS source, 1 AS priority,
        f.end_date AS source_date,
        'finance_payments vendor=' || c.vendor || ' fiscal_period=' || c.fiscal_period || ' ' || c.currency || '->' || c.bank
            || CASE WHEN c.bank = s.rc THEN '' ELSE ' / ' || s.rc || '->' || c.bank END AS source_ref
    FROM pay AS c
    CROSS JOIN settings AS s
    JOIN fiscal_calendar AS f ON f.fiscal_period = c.fiscal_period
    LEFT JOIN pay AS r ON r.vendor = c.vendor AND r.fiscal_period = c.fiscal_period AND r.bank = c.bank AND r.currency = s.rc
    WHERE c.currency <> s.rc AND (c.bank = s.rc OR r.rate > 0)
),
file AS (
    SELECT currency, reporting_currency, CAST(rate AS DOUBLE) AS rate, valid_from, valid_to, 'rates_file' AS source,
        2 AS priority, source_date, source_ref
    FROM fx_file_rates
    WHERE reporting_currency = (SELECT rc FROM settings) AND currency <> reporting_currency AND rate > 0
),
ana AS (
    SELECT CAST(date_trunc('month', date) AS DATE) AS month, content_apple_identifier AS product, territory,
        sum(CAST(proceeds_in_usd AS DOUBLE)) AS usd, sum(purchases) AS n
    FROM analytics_app_store_purchases_standard_latest
    WHERE granularity = 'DAILY' AND purchases > 0 AND proceeds_in_usd > 0
    GROUP BY ALL
),
sal AS (
    SELECT CAST(date_trunc('month', report_date) AS DATE) AS month, apple_identifier AS product, country_code AS territory,
        upper(trim(currency_of_proceeds)) AS currency,
        sum(CAST(units * developer_proceeds AS DOUBLE)) AS local, sum(units) AS n
    FROM sales_summary_daily
    WHERE units > 0 AND developer_proceeds > 0 AND nullif(trim(currency_of_proceeds), '') IS NOT NULL
        AND nullif(trim(order_type), '') IS NULL AND nullif(trim(proceeds_reason), '') IS NULL
    GROUP BY ALL
),
pairs AS (
    SELECT s.month, s.currency, (a.usd / a.n) / (s.local / s.n) AS ratio, s.local
    FROM sal AS s JOIN ana AS a USING (month, product, territory)
),
implied_usd AS (
    SELECT month, currency, sum(ratio * local) / sum(local) AS usd_rate, count(*) AS pairs
    FROM pairs WHERE currency <> 'USD' GROUP BY ALL
    UNION ALL
    SELECT DISTINCT month, 'USD', 1.0, 0 FROM pairs
),
implied AS (
    SELECT c.currency, s.rc AS reporting_currency, c.usd_rate / r.usd_rate AS rate,
        c.month AS valid_from, CAST(last_day(c.month) AS DATE) AS valid_to, 'implied_analytics' AS source, 3 AS priority,
        CAST(last_day(c.month) AS DATE) AS source_date,
        'analytics_app_store_purchases_standard / sales_summary_daily ' || strftime(c.month, '%Y-%m') || ': '
            || c.pairs || ' product-territory pairs' AS source_ref
    FROM implied_usd AS c
    CROSS JOIN settings AS s
    JOIN implied_usd AS r ON r.month = c.month AND r.currency = s.rc
    WHERE c.currency <> s.rc
),
rates AS (
    SELECT * FROM payments
    UNION ALL SELECT * FROM file
    UNION ALL SELECT * FROM implied
)
SELECT currency, reporting_currency, CAST(round(rate, 10) AS DECIMAL(18, 10)) AS rate, valid_from, valid_to,
    source, priority, source_date, source_ref
FROM rates
WHERE rate > 0
ORDER BY currency, valid_from, priority, source_ref
