-- Exchange-rate coverage of the money marts per mart, month and currency: source lines, lines without a rate (missing_rate) and the proceeds left unconverted, with the sources of the rates used.
-- Columns: mart, period (YYYY-MM: calendar month, or fiscal month for
-- mart_finance_proceeds_monthly), currency, reporting_currency, lines (source lines: sales lines,
-- Subscriber refund rows, finance rows per country), missing_rate
-- (lines with proceeds but no rate: their proceeds_reporting is NULL), proceeds_missing_rate (in
-- currency), fx_sources.
SELECT 'mart_revenue_daily' AS mart, strftime(report_date, '%Y-%m') AS period, currency, any_value(reporting_currency) AS reporting_currency,
    CAST(count(*) AS BIGINT) AS lines, CAST(sum(missing_rate) AS BIGINT) AS missing_rate,
    CAST(coalesce(sum(proceeds) FILTER (WHERE missing_rate = 1), 0) AS DECIMAL(38, 6)) AS proceeds_missing_rate,
    string_agg(DISTINCT fx_source, ',' ORDER BY fx_source) AS fx_sources
FROM sales_lines
GROUP BY ALL
UNION ALL
SELECT 'mart_subscriptions_daily', strftime(l.date, '%Y-%m'), l.currency, any_value(s.reporting_currency),
    CAST(count(*) AS BIGINT),
    CAST(count(*) FILTER (WHERE l.proceeds <> 0 AND l.currency IS DISTINCT FROM s.reporting_currency AND fx.rate IS NULL) AS BIGINT),
    CAST(coalesce(sum(l.proceeds) FILTER (WHERE l.proceeds <> 0 AND l.currency IS DISTINCT FROM s.reporting_currency AND fx.rate IS NULL), 0) AS DECIMAL(38, 6)),
    string_agg(DISTINCT CASE WHEN l.currency = s.reporting_currency THEN 'identity' ELSE fx.source END, ','
        ORDER BY CASE WHEN l.currency = s.reporting_currency THEN 'identity' ELSE fx.source END)
FROM (
    SELECT coalesce(event_date, report_date) AS date, nullif(upper(trim(proceeds_currency)), '') AS currency,
        CAST(abs(units) * developer_proceeds AS DECIMAL(38, 6)) AS proceeds
    FROM subscriber_detailed_daily WHERE upper(trim(refund)) = 'YES'
) AS l
CROSS JOIN etl_settings AS s
LEFT JOIN fx_daily AS fx ON fx.currency = l.currency AND fx.date = l.date
GROUP BY ALL
UNION ALL
SELECT 'mart_finance_proceeds_monthly', fiscal_period, currency, any_value(reporting_currency),
    CAST(count(*) AS BIGINT), CAST(sum(missing_rate) AS BIGINT),
    CAST(coalesce(sum(proceeds) FILTER (WHERE missing_rate = 1), 0) AS DECIMAL(38, 6)),
    string_agg(DISTINCT fx_source, ',' ORDER BY fx_source)
FROM mart_finance_proceeds_monthly
GROUP BY ALL
ORDER BY mart, period, currency
