// Package simulator is an offline App Store Connect API for the reporting endpoints
// GET /v1/salesReports and GET /v1/financeReports, faithful to shared/asc/REFERENCE.md
// (§A sales, §B finance, §F auth, rate limits, errors). It is an http.Handler for
// httptest and the demo backend. Data is synthetic and deterministic: the same seed,
// report and period always give the same bytes. Truth exposes what is served so tests can
// compare loaded data with it exactly; Inject arms faults; Stats counts requests.
//
// # Behaviour (from REFERENCE.md)
//
//   - Auth: Bearer JWT, ES256 only with the JOSE r‖s signature (DER is rejected), kid
//     registered with AddKey, iss = Options.IssuerID, aud = "appstoreconnect-v1", iat and
//     exp required, exp − iat ≤ 20 min, not expired. Failure: 401 NOT_AUTHORIZED.
//   - Every response carries X-Rate-Limit: user-hour-lim:N;user-hour-rem:M; (rolling hour
//     per key, clock = Options.Now); past the budget 429 RATE_LIMIT_EXCEEDED.
//   - Errors are {"errors":[{id,status (a string),code,title,detail,source.parameter}]}.
//   - 200 bodies are gzip of UTF-8 TSV, '\n' line ends, Content-Type application/a-gzip.
//   - Headers per §A.6/§B.2 and the provisional layouts fixed by the lead (layouts.go).
//
// # Units and proceeds (Truth)
//
// Units column: SALES, NEWSSTAND, SUBSCRIBER "Units"; PRE_ORDER "Ordered"; SUBSCRIPTION
// "Active Standard Price Subscriptions"; SUBSCRIPTION_EVENT "Quantity";
// SUBSCRIPTION_OFFER_CODE_REDEMPTION "Redemptions"; WIN_BACK_ELIGIBILITY "Churned
// Subscription Count"; INSTALLS, FIRST_ANNUAL "First Annual Installs"; finance "Quantity".
// Proceeds: SALES/NEWSSTAND Σ Units × "Developer Proceeds" by "Currency of Proceeds";
// SUBSCRIBER Σ Units × "Developer Proceeds" by "Proceeds Currency"; finance Σ "Extended
// Partner Share" by "Partner Share Currency"; nil for the rest. Rows whose currency cell is
// blank (only zero-proceeds SALES rows) add nothing. Truth ignores injected faults.
//
// # Decisions (where REFERENCE.md is [I] or silent)
//
//  1. Missing required filter: 400 PARAMETER_ERROR.REQUIRED, title "A parameter is
//     required", detail "The parameter 'filter[X]' is required", source.parameter. Sales
//     checks reportType, reportSubType, frequency, vendorNumber in that order; finance
//     reportType, regionCode, reportDate, vendorNumber.
//  2. Unknown enum value (reportType, reportSubType, frequency, finance reportType,
//     regionCode, malformed finance reportDate): 400 PARAMETER_ERROR.INVALID "A parameter has
//     an invalid value", detail "'V' is not a valid value for the parameter 'filter[X]'".
//     Unknown query parameters: 400 PARAMETER_ERROR.ILLEGAL naming the parameter.
//  3. Wrong vendor number: 400 PARAMETER_ERROR.INVALID, detail "Invalid vendor number.",
//     source filter[vendorNumber] (checked before the combination).
//  4. Combination not in report.SalesCombos, or reportDate not in its frequency's format
//     (or not a real date): 400 PARAMETER_ERROR.INVALID.INVALID_COMBINATION with the §A.4
//     title/detail, no source.
//  5. Version: omitted = latest; wrong = 400 PARAMETER_ERROR.INVALID "…The latest version
//     for this report is X." source filter[version] (1_2 for the subscription family gets
//     this too). INSTALLS yearly accepts 1_0 and 1_1 (same layout). With Accept14, 1_4 is
//     accepted and becomes the latest for SUBSCRIPTION, SUBSCRIPTION_EVENT, SUBSCRIBER (so
//     omitted version serves 1_4 and the error names 1_4).
//  6. reportDate omitted (any frequency, not only DAILY): the latest period available now.
//     WEEKLY accepts any day and serves the Monday–Sunday week containing it.
//  7. Accept: anything that does not admit application/a-gzip, */* or application/* (e.g.
//     application/json alone) → 406 NOT_ACCEPTABLE, detail "The Accept header you specified
//     in the request is not supported. The allowed type is application/a-gzip." No Accept
//     header is fine.
//  8. Not yet available (Now before report.ExpectedAvailable, incl. future periods): sales
//     404 NOT_FOUND "The report you requested is not available yet. Try again later.";
//     finance 404 "There were no sales for the date specified." (as Apple).
//  9. Past retention (report.Retention after availability): 410 with code NOT_FOUND, title
//     "The requested resource is no longer available", detail "Report is no longer
//     available." Order: faults, then availability, then data.
//  10. No data: 404 NOT_FOUND, title "The specified resource does not exist", detail "There
//     were no sales for the date specified." SALES daily has no data on ~4 % of days,
//     PRE_ORDER daily 85 %, NEWSSTAND daily 60 %, offer codes 40 %, INSTALLS 20 %,
//     FIRST_ANNUAL daily 30 %, WIN_BACK 10 %, subscription family 3–5 %.
//  11. 429: Retry-After = seconds until the oldest request in the window leaves it (≥ 1);
//     FaultRateLimited uses 60. A rejected request is not recorded in the window. Requests
//     whose token names no registered kid are charged to one global bucket; requests with
//     a known kid but an invalid token are charged to that key (and answered 401).
//  12. 500 body: code UNEXPECTED_ERROR, title "An unexpected error occurred.".
//  13. File names (Content-Disposition: attachment; filename=…): sales
//     <code>_<F>_<vendor>_<period without dashes>.txt.gz with code S (SALES), O (PRE_ORDER),
//     N (NEWSSTAND), Subscription, Subscription_Event, Subscriber,
//     Subscription_Offer_Code_Redemption, Win_Back_Eligibility, Installs_<Subtype>,
//     First_Annual_<Subtype>; F = D/W/M/Y; e.g. S_D_85012345_20261120.txt.gz. Finance
//     <vendor>_<PPYY>_<region>.txt.gz (fiscal period, fiscal year), FINANCE_DETAIL
//     <vendor>_<PPYY>_Z1_DETAIL.txt.gz.
//  14. Empty cells: SALES writes a single space in Developer (IAP rows), Version, Promo
//     Code, Parent Identifier, Subscription, Period, Proceeds Reason, Preserved Pricing,
//     Client, Order Type, Contingent App Name, and in Currency of Proceeds on free rows of
//     minor storefronts; CMB is truly empty. Other layouts mix " " and "".
//  15. Refunds: SALES rows with negative Units, negative Customer Price and positive
//     per-unit Developer Proceeds; finance rows "R" with negative Quantity and Customer
//     Price; SUBSCRIBER refund rows Units -1, Refund "Yes", Purchase Date set.
//  16. Finance is derived from the SALES daily data of the fiscal period's days (lines with
//     non-zero proceeds), so sales and finance reconcile. Partner Share = Developer
//     Proceeds per unit (no tax modelled).
//  17. FINANCIAL per region holds that region's countries only (one currency);
//     ZZ holds all rows of all regions in ONE file with ONE footer whose Total_Amount
//     adds amounts across currencies ([I] in REFERENCE). Total_Amount uses the region
//     currency's decimals (0 for JP, KR; 2 for ZZ). FINANCIAL with Z1 → 404 no sales.
//  18. FINANCE_DETAIL: only Z1; any other region → 404 no sales (§B.3). Layout: preamble
//     "Vendor Name", "Start Date", "End Date" lines, ONE blank line, header, data rows (one
//     per day × product × storefront × kind), ONE blank line, the summary header and one row
//     per country/currency sorted by country. Settlement Date = Transaction Date + 1 day.
//     No Total_ footer.
//  19. INSTALLS: Reporting Month is "YYYY-MM" (monthly) or "YYYY" (yearly); Reporting Date
//     Range "MM/DD/YYYY - MM/DD/YYYY"; EU storefronts, fee 0.50 EUR per eligible install.
//  20. Prices: USD tiers converted with fixed rates, rounded to x.99 (tens/hundreds for
//     JPY/KRW); proceeds 70 % (85 % "Rate After One Year"), truncated to the minor unit.
//  21. Methods other than GET/HEAD → 405; unknown paths → 404 NOT_FOUND (JSON). Both still
//     need a valid token and carry X-Rate-Limit.
//  22. FaultBadValue appends "x" to the units cell of the first data row (e.g. "12x");
//     FaultExtraColumn adds "Surprise Column" with value "surprise" (finance footers and
//     summaries untouched); FaultTruncated serves the first half of the gzip bytes with a
//     matching Content-Length.
//
// # Customer reviews
//
// GET /v1/apps/{id}/customerReviews, GET /v1/appStoreVersions/{id}/customerReviews,
// GET /v1/customerReviews/{id}, GET /v1/customerReviews/{id}/response and
// GET /v1/customerReviews/{id}/relationships/response answer JSON:API documents
// (Content-Type application/json, shaped like the Apple sample in
// samples/json/customer_reviews_list_apple-doc-example.json) for the catalog's apps (AppIDs).
// Auth, rate limiting, latency and Stats apply as everywhere; Inject does not. TruthReviews,
// AppStoreVersions, EditResponse and DeleteResponse are the test side.
//
//  23. Data: Options.ReviewsPerApp historic reviews per app (0 = 1500, negative = none),
//     dated over the two years before ReviewEpoch (2026-11-01T00:00:00Z) with a density that
//     grows linearly towards it, then a stream of on average 2×ReviewsPerApp/730 reviews per
//     app per day (±50 % per day) after it. A review is visible when createdDate ≤ Now. Every
//     review is a pure function of seed, app and its index (history) or day and index
//     (stream); reviews are generated lazily on first use.
//  24. Ratings 1–5 weigh 20/6/7/12/55 %. Texts come from per-language corpora (en, de, fr,
//     ja, ko, zh, pt, es, ar, he) picked by territory (22 territories, weighted, alpha-3),
//     with emoji (incl. ZWJ and skin-tone sequences), '\n'/"\n\n" sentence breaks, tabs,
//     quotes, backslashes, "<3 & <b>", U+2028; ~2 % empty titles, ~1 % bodies of
//     4000–8000 characters. An empty title is served as "title": "".
//  25. createdDate always has a numeric offset, never "Z" ("+00:00" for ISL, GBR in winter): the
//     territory's standard offset (USA/CAN/AUS pick one of several zones per review, IND
//     +05:30, NPL +05:45, AUS +09:30/+10:30) plus 1 h in summer (northern Apr–Oct, southern
//     Oct–Mar; a simplification of real DST rules, no tz database). TruthReview.Created
//     carries that offset as a fixed zone.
//  26. Developer responses: by rating 55/45/30/18/22 % (≈30 % overall), created 1 h–10 days
//     after the review (skewed short), visible once that time ≤ Now; lastModifiedDate = that
//     time, RFC 3339 with "-08:00"/"-07:00" (Pacific, same simplified summer rule) for 70 %
//     and "Z" for 30 %; ~4 % stay PENDING_PUBLISH for ever, the rest are PUBLISHED.
//     EditResponse takes effect immediately whatever its time, keeps the response id if the
//     review had one (generated or edited), sets state PUBLISHED and lastModifiedDate = at
//     (whole seconds, formatted in at's location, "Z" for UTC). DeleteResponse hides the
//     response (also a generated one not yet visible) for good, until an EditResponse.
//  27. Versions: four appStoreVersions per app (UUID-shaped ids, AppStoreVersions), released
//     ~every 182 days from 20 days before the history starts; the newest carries the
//     catalog's version string, older ones step the minor version back. A review belongs to
//     the newest version released at or before its createdDate (stream reviews to the newest).
//  28. Ids: reviews and responses "000000xx-xxxx-00xx-xxxx-xxxx00000000" (64 hashed bits of
//     seed, app and index), deterministic.
//  29. Query: sort default -createdDate; every sort breaks ties by id ascending (bytewise),
//     also for -rating and -createdDate. Repeated parameters are joined with commas
//     (JSON:API arrays). filter[territory] and filter[reviewTerritory] accept the spec's 233
//     TerritoryCode values (both given: intersection). exists[publishedResponse]=true keeps
//     reviews whose visible response is PUBLISHED; false keeps the others (none or
//     PENDING_PUBLISH). limit 1–200, default 50. Invalid values (sort not exactly one of the
//     four, rating outside 1–5, unknown territory/include/fields value, exists not
//     true/false, limit out of range or not an integer, bad cursor): 400
//     PARAMETER_ERROR.INVALID with the parameter as source; unknown parameters 400
//     PARAMETER_ERROR.ILLEGAL (first in sorted order). Parameters are checked before the
//     path id; an unknown id is 404 NOT_FOUND "There is no resource of type 'apps' with id
//     'X'" (appStoreVersions, customerReviews likewise). A review not yet created is 404.
//  30. Paging: links.self = "http://"+Host + the request's path and raw query; links.next =
//     the same path with the request's query plus cursor, re-encoded by url.Values (sorted
//     keys, %5B…%5D), absent on the last page. The cursor "AQ.<base64url>" holds offset,
//     snapshot time (Now of the first page) and an 8-byte check over seed, path, sort and
//     filters; any change to those or to its bytes → 400 on cursor. Pages after the first
//     list the snapshot (reviews and generated responses visible at that time), so a walk
//     sees each review once and total stays put while the clock moves; limit, fields and
//     include may change between pages. Edits made with EditResponse/DeleteResponse show at
//     once, even inside a walk.
//  31. include=response: every review's relationships.response gets "data" (the
//     {type,id} or null) and included[] holds the customerReviewResponses (attributes
//     responseBody, lastModifiedDate, state; relationships.review.data; links.self
//     /v1/customerReviewResponses/{id}); "included" is omitted when empty.
//     include=reviewTerritory adds relationships.reviewTerritory.data and territories
//     resources (attribute currency). fields[...] restrict attributes; a review's response
//     relationship is served when fields[customerReviews] is absent, names response, or
//     include=response; a response's review relationship when fields[customerReviewResponses]
//     is absent or names review; "attributes" is omitted when no attribute is left. The
//     single-review and /response endpoints take fields and include (include=review on
//     /response); a review without a visible response answers 404 on /response and
//     /relationships/response. JSON is compact, not HTML-escaped ("<" stays "<"; U+2028 is
//     escaped by encoding/json), one trailing newline.
//
// # Metrics and diagnostics
//
// GET /v1/apps/{id}/builds, GET /v1/builds/{id}, GET /v1/apps/{id}/perfPowerMetrics,
// GET /v1/builds/{id}/perfPowerMetrics, GET /v1/builds/{id}/diagnosticSignatures and
// GET /v1/diagnosticSignatures/{id}/logs (REFERENCE.md §D) serve the catalog's apps. Auth,
// rate limiting, latency and Stats apply; Inject does not. Errors stay application/json.
// Builds, TruthMetrics and TruthDiagnostics are the test side; Options.MetricsExtra adds a
// metric no loader knows.
//
//  32. Builds: BuildsPerApp (6) per app, one per app version, oldest first: the four newest
//     carry the versions of AppStoreVersions (uploaded 2–12 days before that release), the
//     two oldest step the minor version back (182 days apart). The builds attribute
//     "version" is the build number (increasing, e.g. "218"); the app version is what metric
//     points and diagnosticMetaData.appVersion carry. Ids are UUID-shaped hashes of seed, app
//     and version. uploadedDate has a Pacific offset ("-07:00"/"-08:00", never "Z");
//     expirationDate = +90 days, expired against Now; processingState always VALID. A build
//     exists once uploadedDate ≤ Now (unknown or future ids: 404 "There is no resource of
//     type 'builds' with id 'X'").
//  33. /v1/apps/{id}/builds: sort uploadedDate or -uploadedDate (default -uploadedDate),
//     filter[version] (build numbers), filter[processingState] (spec enum), limit 1–200
//     (default 50), cursor; paging, links and cursors as in decision 30 (the snapshot fixes
//     which builds exist). Relationships app, perfPowerMetrics, diagnosticSignatures carry
//     links only (no data; include is not supported).
//  34. perfPowerMetrics: 200 application/vnd.apple.xcode-metrics+json, compact JSON in the
//     xcodeMetrics structure of Apple's examples, version "1.0.0", one productData entry
//     (platform "iOS"), categories in the spec's enum order (HANG, LAUNCH, MEMORY, DISK,
//     BATTERY, TERMINATION, ANIMATION, STORAGE), each with at least one metric: hangRate
//     (secondsPerHour "s/hr"), launchTime and resumeTime (milliseconds "ms"), peakMemory and
//     suspendedMemory (megabytes "MB"), logicalWrites (MB), onScreenBattery and
//     backgroundBattery (percentPerDay "%/day"), backgroundTerminations and
//     foregroundTerminations (terminationsPerDay "per day"), scrollHitchRate (unit identifier
//     "scrollHitchRate", "%", as Apple's example), storageSize (MB). Datasets: all_iphones and
//     all_ipads (none for every fourth app, iPhone-only) × percentile.fifty/ninety
//     (TERMINATION and STORAGE only fifty); launchTime and peakMemory also for "iPhone15,2"
//     (iPhone 14 Pro) and "iPhone12,1" (iPhone 11), which have points for the three newest
//     versions only.
//  35. Points: the app endpoint covers the newest five builds' versions uploaded by Now,
//     oldest first; the build endpoint one point (its version) per dataset and no "insights"
//     key (as Apple's build example). Values round to the metric's decimals (storageSize
//     whole numbers), so integers and decimals mix. errorMargin on MEMORY, DISK, BATTERY;
//     goalKeys (poor with no upperBound, fair, good; integers) and a per-point goal on
//     hangRate (1/5 s/hr) and scrollHitchRate (5/10 %); recommendedMetricGoal on the
//     all-device datasets of hangRate and launchTime. percentageBreakdown stays ONE object
//     (the spec's type) on DISK and BATTERY points: the dominant subsystem (Foreground /
//     Background; CPU, Display, Networking, Location, …) and its share in %.
//  36. Values are a pure function of seed, app, metric, version, device, percentile and Now's
//     UTC date: the date adds ±1 % jitter, so the same day gives the same bytes and tomorrow's
//     snapshot differs slightly (structure, versions and counts other than insights stay).
//     Each app has one metric that jumps 15–30 % and one 6–9 % on its newest build.
//  37. Insights (app endpoint only): per metric and device (all_iphones, all_ipads), the
//     newest point against the average of up to four earlier ones per percentile; the biggest
//     rise ≥ 10 % → regressions, 5–10 % → trendingUp; populations are the percentiles that rose
//     ≥ 5 % (deltaPercentage a whole number). Single-percentile metrics (TERMINATION, STORAGE)
//     give insights without "populations". referenceVersions is an ARRAY of strings as in
//     Apple's example (the spec says string); subSystemLabel only on breakdown metrics;
//     highImpact only when true (rise ≥ 20 %). Both lists are always present (maybe []).
//  38. Query: filter[metricType] comma list of the eight categories (anything else 400
//     PARAMETER_ERROR.INVALID); filter[deviceType] free comma list keeping only datasets of
//     those devices (metrics and categories left empty are dropped; insights follow both
//     filters; an unknown device gives metricCategories []); filter[platform] IOS or iOS
//     (others 400). Other parameters 400 PARAMETER_ERROR.ILLEGAL; parameters are checked
//     before the id; unknown app or build 404 NOT_FOUND. Accept is not checked.
//  39. MetricsExtra adds LAUNCH "prewarmTime" with unit {"microfortnights", "µfn"} after
//     resumeTime, on both endpoints (it takes part in insights like any metric).
//  40. diagnosticSignatures: every build but the oldest of each app has 4–12 signatures; the
//     oldest answers 404 NOT_FOUND "There are no diagnosticSignatures for the builds with id
//     'X'" (a filter that matches none answers 200 with data []). The first three are one
//     DISK_WRITES, HANGS, LAUNCHES each. Served order: type (DISK_WRITES, HANGS, LAUNCHES),
//     weight descending, id. Ids are 66 hex digits. weight = share within its type (2
//     decimals, ≥ 0.01; a type's weights sum to about 1). signature = "<binary>: <symbol> +
//     <offset>", binary = the ASCII letters and digits of the app name. Half carry insight
//     {TREND, UP|DOWN|UNDEFINED, referenceVersions [{version, value}] of up to three earlier
//     versions; [] for UNDEFINED}. Resources have links.self and relationships.logs.links
//     with only "related" (as Apple's example). Parameters: filter[diagnosticType],
//     fields[diagnosticSignatures] (logs controls the relationship), limit 1–200 (default
//     50), cursor (decision 30; no time snapshot, the list is fixed).
//  41. logs: 200 application/vnd.apple.diagnostic-logs+json, version "1.0", one productData
//     entry for the signature with 0–2 diagnosticInsights and 2–3 diagnosticLogs (limit
//     1–200 caps them; no paging). diagnosticMetaData: bundleId (the SKU), event ("Disk
//     Writes", "Hang", "Launch"), osVersion, appVersion, buildVersion (build number),
//     deviceType, platformArchitecture, eventDetail, writesCaused (DISK_WRITES only; absent
//     otherwise). One callStackTree per log (callStackPerThread false for DISK_WRITES) with
//     2–3 callStacks of 1–2 root frames. Roots are the innermost frame (MetricKit style);
//     subFrames go towards the caller, up to 6 levels, sometimes two callers with the
//     sampleCount split. The first stack's first root holds the chain through the blamed app
//     frame (isBlameFrame true, insightsCategory set); other stacks are idle threads.
//     lineNumber, offsetIntoSymbol and offsetIntoBinaryTextSegment are strings; lineNumber
//     and fileName are "" for system frames and offsetIntoSymbol is "" for ~20 % of them.
//     Leaf frames have no "subFrames" key.
//  42. Truth: TruthMetrics counts the unfiltered documents served now (app endpoint and each
//     build uploaded by Now); an insight without populations counts one population.
//     TruthDiagnostics lists signatures in served order with their logs and recursive frame
//     counts (no limit) and, for the first, the symbols in depth-first pre-order (log, tree,
//     stack, root, subFrames); a build without diagnostics gives no signatures and no error.
//
// # Analytics Reports API
//
// POST/GET/DELETE /v1/analyticsReportRequests[/{id}], GET /v1/apps/{id}/analyticsReportRequests,
// the reports, instances and segments paths and their relationships/ linkage variants
// (REFERENCE.md §C.1) serve the catalog's apps; the pre-signed downloads live under
// /analytics-segments/. Auth, rate limiting, latency and Stats apply to the API paths;
// Inject does not. TruthAnalytics, AnalyticsRows, AnalyticsRequests, SegmentStats and
// StopAnalyticsRequest are the test side.
//
//  43. Reports: every request lists Apple's catalog as the loader knows it (55 names,
//     AnalyticsReportNames; the same names and categories as schemas.AnalyticsCatalog), in
//     a fixed order with ids r<N>-<requestId>. 19 have data: the 14 the loader has schemas
//     for (Standard and Detailed App Store Discovery and Engagement, App Downloads, App
//     Store Purchases, App Sessions, App Store Installation and Deletion; App Store
//     Subscription Event Report Standard and Subscription State Report Standard, DAILY only;
//     App Crashes; App Crashes Expanded, PERFORMANCE, comma-delimited) and five it loads
//     generically, one more per category: App Store Web Preview Engagement Standard, App
//     Store Pre-Orders Standard, App Clip Usage Standard, App Install Performance (DAILY
//     only, window 2, history from 2024-03-01, "Average Install Duration" with two decimals)
//     and Home Screen Widget Usage (FRAMEWORK_USAGE). Their columns are our choice [I]
//     (analytics_reports.go). The other 36 never have instances. Subscription reports have
//     rows only for apps with subscriptions; a report without rows for an app lists no
//     instances.
//  44. Requests: POST body as Apple's sample → 201 with Location; bad JSON, wrong type,
//     unknown accessType or app → 422 ENTITY_ERROR.* with source.pointer. 409 ENTITY_ERROR
//     "You already have such an entity" (pointer /data/attributes/accessType) when the app
//     has a non-deleted request of that accessType, stopped ones included (a stopped request
//     blocks a new ONGOING until DELETEd), and for ONE_TIME_SNAPSHOT also when one was
//     created in the same UTC month even if since deleted. DELETE → 204, then 404 on every
//     path below the request. GET of the collection → 405. Roles are not checked.
//  45. Timing (UTC dates, c = the creation date): processing dates start at c+2 and an
//     instance is visible from 00:00 UTC of its processing date P (24–48 h after creation).
//     ONGOING: DAILY every day; WEEKLY on Fridays with Date = P−11 (the previous Monday);
//     MONTHLY on the 5th with Date = the first of the previous month. A DAILY instance holds
//     Dates max(c, P−k) … P−1, k the report's completeness window (Discovery, Downloads,
//     Purchases, Subscription Event 3; Sessions, Installation, Crashes, Crashes Expanded 5;
//     Subscription State 2).
//  46. Restatement: rows are a pure function of seed, app, report, granularity and Date; a
//     DAILY instance processed a = P−Date days after Date carries counts scaled by
//     (a+2)/(k+2) (integer division), final once a ≥ k; derived measures (uniques, session
//     durations, USD) follow the scaled count, and rows scaled to 0 are left out. WEEKLY
//     and MONTHLY rows are generated independently (not sums of the days) and never restated.
//  47. ONE_TIME_SNAPSHOT: one instance per granularity, processing date c+2 (or, with
//     Options.AnalyticsSnapshotReady > 0, the creation date c, listed that long after the
//     request was created). DAILY holds Dates max(P−365, history start) … P−1
//     (AnalyticsSnapshotDays) with the values an ONGOING instance of the same P has;
//     WEEKLY/MONTHLY hold every week/month whose Friday/5th lies in [P−365, P]. History
//     start 2024-01-01 (2025-01-01 for Subscription Event). Apple's snapshot reaches back to
//     2024; one year keeps a first run's backfill small (about 1,300 DAILY rows per report
//     and app). The DAILY snapshot instance is split in segments of 100 Dates each (four
//     for a year); all others have one.
//  48. Retention: an instance vanishes from lists, and its id, segments and segment ids
//     answer 404 NOT_FOUND "There is no resource of type 'analyticsReportInstances' with id
//     'X'", from P + 35 days (00:00 UTC).
//  49. Inactivity: a request whose reports list, reports, instances, segments or segment
//     downloads have not been read for 28 days (AnalyticsInactivity; creation counts as a
//     read) is stopped at lastRead + 28 d: stoppedDueToInactivity true, no instance with a
//     processing date after that moment; reading later does not restart it.
//     StopAnalyticsRequest stops one now.
//  50. Paging: limit 1–200 (default 50) on every list, limit[reports] 1–50 (default 10) with
//     include=reports; cursors as in decision 30, bound to path and filters; instance lists
//     are taken at the first page's time. Instances are ordered by processing date, then
//     DAILY, WEEKLY, MONTHLY. filter[name] is exact (comma list), filter[category] and
//     filter[granularity] are enums, filter[processingDate] YYYY-MM-DD; fields[...] drop
//     attributes and relationships; unknown parameters 400 PARAMETER_ERROR.ILLEGAL.
//  51. Segment URLs: http://<host>/analytics-segments/<segmentId>.csv.gz with X-Amz-Algorithm,
//     -Credential, -Date (the segments call), -Expires=300, -SignedHeaders, -Signature (HMAC
//     of seed, id, date, expires); every segments or segment call mints a fresh URL.
//     Checks in order: Authorization header → 400 InvalidArgument "Only one auth mechanism
//     allowed…" (the header echoed as ArgumentValue, as S3 does); missing query parameters
//     → 400 AuthorizationQueryParametersError; bad signature → 403 SignatureDoesNotMatch;
//     now > date + 300 s → 403 AccessDenied "Request has expired"; unknown segment or
//     vanished instance → 404 NoSuchKey. Errors are S3 XML (application/xml). 200 is
//     application/octet-stream; sizeInBytes = its length, checksum = hex MD5 of the gzip
//     bytes. Not charged to the rate budget; SegmentStats counts them.
//  52. Files: gzip, header + rows, "\n" line ends; columns [date column, App Apple
//     Identifier, measures, Processing Date, App Name, other dimensions in documented
//     order] (exactly the ingestr fixture for App Downloads Detailed); Standard drops the
//     (D) columns. Empty cells are the two characters "" (also in the comma file, where
//     fields with commas or quotes are CSV-quoted). Territory alpha-2, Platform Version
//     like "iOS 18.1", USD with two decimals (negative for refunds). App Store Subscription
//     State columns are our choice (REFERENCE.md lists none); Subscription Event adds an
//     "Event" column before "Event Sub Type".
//  53. Truth: TruthAnalytics folds every instance published so far by any request of the
//     app (also deleted, stopped or expired ones, up to when they stopped) by Date, latest
//     processing date winning, and sums the measures exactly; AnalyticsRows gives the rows
//     of any (processing date, Date).
//  54. Options.AnalyticsSince > 0 starts the simulator with one ONGOING request per app of
//     AppIDs(), created that long before Now (last read at creation), as if the account had
//     asked for reports long ago; with Options.AnalyticsSnapshot also one ONE_TIME_SNAPSHOT
//     per app created at the same moment (so its c+2 instances, with the year of history,
//     are listed at once). The CLI's embedded simulator uses 10 days, so the main job loads
//     analytics data on its first run; tests leave it 0 and create requests themselves.
//
// # Catalog, TestFlight and Xcode Cloud
//
//  70. The catalog endpoints (/v1/apps, /v1/apps/{id}, …/appStoreVersions, /v1/builds,
//     …/inAppPurchasesV2, …/subscriptionGroups, …/subscriptions) serve one model built from
//     the same catalog (data.go) the report generators use, so every id in a sales, finance,
//     subscription, reviews or metrics row resolves: apps.id = App Apple ID, apps.sku =
//     apps.bundleId = the app's SALES "SKU" and its products' "Parent Identifier";
//     inAppPurchases.id / subscriptions.id = SALES "Apple Identifier", productId = SALES
//     "SKU"; subscriptionGroups.id = "Subscription Group ID"; appStoreVersions ids are the
//     review versions' ids; builds are the metrics builds (same ids, numbers, dates).
//  71. Two apps exist only in reports: the PRE_ORDER app "Upcoming Quest" (Apple Identifier =
//     first app id - 777; one version in PREORDER_READY_FOR_SALE) and the Newsstand app
//     "Kachit Kiosk" (id 1300000000 + first app id mod 10^6, DEVELOPER_REMOVED_FROM_SALE) whose
//     one subscription "Kachit Monthly Magazine" carries the NEWSSTAND Apple Identifier (first
//     app id - 999) and SKU. /v1/apps lists them after the live apps; AppIDs() does not, and
//     the reviews, metrics and analytics endpoints do not know them (404). A client that
//     wants the live apps asks filter[appStoreVersions.appStoreState]=READY_FOR_SALE.
//  72. Rename: the catalog's second app ("Café Übung", com.ascetl.app2) is called
//     "Café Übung – Deutsch lernen" from RenameAt() = 2026-11-23 00:00 America/Los_Angeles.
//     /v1/apps answers by the clock; the SALES "Title" of the app's own rows follows the
//     report's Begin Date (a Pacific day). Finance "Title" and INSTALLS / FIRST_ANNUAL
//     "App Name" keep the old name (the app has no subscriptions).
//  73. appStoreVersions do not depend on the clock (as for reviews): four per live app,
//     newest READY_FOR_SALE, older REPLACED_WITH_NEW_VERSION, createdDate 10 days before
//     release, newest first. Builds do: only builds uploaded by Now are listed, like the
//     metrics builds. The app version of a build is served as its preReleaseVersion
//     (include=preReleaseVersion on GET /v1/builds, ids derived from seed, sku and version).
//  74. To-one relationships (app, build, group, preReleaseVersion, appStoreVersion, product,
//     buildRun) always carry data linkage (null when none); to-many ones carry links, and
//     data plus meta.paging only when included (limit[rel], max 50, default 50).
//  75. fields[type] restricts attributes and relationships; an unknown member, include
//     value, sort, enum filter value or limit outside 1–200 is a 400 PARAMETER_ERROR.INVALID
//     naming the parameter; an unknown parameter is PARAMETER_ERROR.ILLEGAL; an unknown id
//     is 404 "There is no resource of type 'T' with id 'X'". Cursors reuse the reviews
//     cursor ("AQ." + offset + snapshot + check over path and selecting parameters); a walk
//     answers as of its first page's clock.
//  76. TestFlight: GET /v1/apps/{id}/metrics/betaTesterUsages (period P7D|P30D|P90D|P365D,
//     default P30D; groupBy=betaTesters; filter[betaTesters]) and GET
//     /v1/builds/{id}/metrics/betaBuildUsages serve one dataPoint per UTC day (start = the
//     day, end = the next day) for the period's days ending yesterday (UTC), and for a build
//     from its upload day to the earlier of yesterday and its expiry. Eight testers per live
//     app; without groupBy the tester values are summed into one data item.
//  77. Xcode Cloud: one APP ciProduct per live app plus a FRAMEWORK product "AscetlKit".
//     Build runs: a periodic run every 3 days (+ up to 2 days of jitter) from 30 days before
//     the app's oldest build, plus one run 40–100 minutes before every build upload that
//     produced it (relationship builds). Numbers count runs by createdDate from 1; only runs
//     created by Now are visible, a run whose finish lies after Now is RUNNING with no
//     completionStatus. A run's issueCounts are the sums over its actions; after a failing
//     action the rest are SKIPPED; a SKIPPED run has no actions. Dates in UTC with
//     milliseconds.
package simulator
