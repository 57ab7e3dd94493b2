// Package simulator is an offline App Store Connect API, faithful to shared/asc/REFERENCE.md:
// sales and finance reports (§A, §B), the Analytics Reports API (§C), power and performance
// metrics and diagnostics (§D), customer reviews, the app catalog, TestFlight usage and Xcode
// Cloud, with Apple's auth, rate limits and errors (§F). It is an http.Handler for httptest
// and the demo backend. Data is synthetic and deterministic: the same seed, report and period
// always give the same bytes. Truth (and the family's TruthX) exposes what is served so tests
// can compare loaded data with it exactly; Inject arms faults; Stats counts requests.
//
// routes.go is the table of contents: every path the simulator answers, as ServeMux
// patterns, with the file that serves it. The JSON:API helpers every family shares (query
// parameters, cursors, paging, documents) are in jsonapi.go, jsonapi_serve.go and
// jsonapi_doc.go.
//
// # Behaviour (from REFERENCE.md)
//
//   - Auth: Bearer JWT, ES256 only with the JOSE r‖s signature (DER is rejected), kid
//     registered with AddKey, iss = Options.IssuerID, aud = "appstoreconnect-v1", iat and
//     exp required, exp − iat ≤ 20 min, not expired. Failure: 401 NOT_AUTHORIZED.
//   - Every response carries X-Rate-Limit: user-hour-lim:N;user-hour-rem:M; (rolling hour
//     per key, clock = Options.Now); past the budget 429 RATE_LIMIT_EXCEEDED.
//   - Errors are {"errors":[{id,status (a string),code,title,detail,source.parameter}]}.
//   - Sales and finance 200 bodies are gzip of UTF-8 TSV, '\n' line ends, Content-Type application/a-gzip.
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
// # Decisions
//
// Where REFERENCE.md is [I] or silent, the simulator decides, and each decision is a comment
// next to the handler or generator code that makes it, starting with "Decision" and often a
// short tag: "Decision (Paging): …". List them with
//
//	grep -n 'Decision' simulator/*.go
//
// By family: request validation, versions, Accept and file names in sales.go (finance in
// finance.go); availability and retention in server.go; methods and unknown paths in
// routes.go; 429 in ratelimit.go; generated report content in gen_sales.go, gen_subs.go,
// finance.go and data.go; faults in faults.go; reviews in reviews.go, reviews_gen.go and
// reviews_http.go; builds, metrics and diagnostics in metrics_builds.go, metrics_perf.go,
// metrics_diag.go, metrics_http.go and metrics_truth.go; analytics in analytics*.go; the
// catalog in catalog_data.go, catalog.go and jsonapi.go; TestFlight in testflight.go; Xcode
// Cloud in xcodecloud.go.
package simulator
