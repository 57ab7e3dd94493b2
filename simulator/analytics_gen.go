package simulator

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Analytics rows: a pure function of the seed, the app, the report, the granularity, the
// Date and (for DAILY) the processing date. Final values are fixed per Date; an instance
// whose processing date is fewer than the report's window days after Date carries a
// smaller, not yet complete value (restatement).

// anaRow is one generated row before rendering: dimension cells by column name and the
// measures (USD measures in cents) in the report's measure order.
type anaRow struct {
	dims     map[string]string
	measures []int64
}

// anaParams derive the measures of a row from its base count.
type anaParams struct {
	uniquePct int   // unique share of the count, percent
	avgSecs   int64 // mean session length
	priceUSD  int64 // cents per purchase
	// usdPrice and usdProceeds, when set, are a purchase's customer price and proceeds in
	// USD cents per unit (purchases taken from sales, analytics_purchases.go).
	usdPrice, usdProceeds int64
}

// anaBase is a generated row: dimensions, final base count and the derivation parameters.
type anaBase struct {
	dims map[string]string
	c    int64
	p    anaParams
}

// anaApp is what the generators use from the catalog for one app.
type anaApp struct {
	a        *app
	id       string
	versions []string // newest last
	builds   []string // build numbers matching versions
	iaps     []*product
	subs     []*product
}

func (s *Server) anaAppOf(a *app) *anaApp {
	x := &anaApp{a: a, id: appIDOf(a)}
	bs := s.appBuilds(a)
	for _, b := range bs[max(len(bs)-3, 0):] {
		x.versions = append(x.versions, b.version)
		x.builds = append(x.builds, b.number)
	}
	for _, p := range s.cat.products {
		if p.app != a {
			continue
		}
		switch p.kind {
		case kindIAP:
			x.iaps = append(x.iaps, p)
		case kindSub:
			x.subs = append(x.subs, p)
		}
	}
	return x
}

// hasData reports whether the report ever has rows for the app.
func (x *anaApp) hasData(r *anaReport) bool {
	switch r.kind {
	case "":
		return false
	case kindSubEvent, kindSubState:
		return len(x.subs) > 0
	}
	return true
}

var (
	anaPlatforms = map[string][]string{
		"iPhone": {"iOS 17.6", "iOS 18.1", "iOS 18.3"}, "iPad": {"iPadOS 17.6", "iPadOS 18.1"},
		"Desktop": {"macOS 14.7", "macOS 15.1"}, "Apple TV": {"tvOS 18.1"}, "Apple Watch": {"watchOS 11.1"},
		"Apple Vision": {"visionOS 2.1"},
	}
	anaSourceTypes    = []string{"App Store search", "App Store search", "App Store browse", "App referrer", "Web referrer", "Unavailable"}
	anaAppReferrers   = []string{"com.burbn.instagram", "com.google.ios.youtube", "com.reddit.Reddit"}
	anaWebReferrers   = []string{"www.google.com", "duckduckgo.com", "news.ycombinator.com"}
	anaPageTypes      = []string{"No page", "Product page", "Product page", "Store sheet", "In-app event"}
	anaPageTitles     = []string{"Default product page", "Default custom product page", "Spring Sale"}
	anaDownloadType   = []string{"First-time download", "First-time download", "Redownload", "Auto-update", "Manual update", "Restore"}
	anaModels         = []string{"iPhone 15 Pro", "iPhone 13", "iPad Air (5th generation)", "MacBook Pro (14-inch, 2023)"}
	anaModelPlatforms = []string{"iOS", "iOS", "iPadOS", "macOS"}
	anaPayMethods     = []string{"Credit card", "Apple Account balance", "Carrier billing"}
	anaSubEvents      = []struct{ event, sub, group string }{
		{"Subscribe", "Paid Subscription from Free Trial", "Subscribe"}, {"Subscribe", "Standard Paid Subscription", "Subscribe"},
		{"Renew", "Renewal", "Renew"}, {"Cancel", "Voluntary Cancellation", "Cancel"},
		{"Start Introductory Offer", "Free Trial", "Offer"}, {"Reactivate", "Reactivate", "Subscribe"},
	}
)

// empty is how Apple writes an empty cell.
const anaEmpty = `""`

func (s *Server) anaTerritory(r *rand.Rand) string {
	total := 0
	for _, t := range territories {
		total += t.weight
	}
	n := r.IntN(total)
	for _, t := range territories {
		if n < t.weight {
			return t.code
		}
		n -= t.weight
	}
	return territories[0].code
}

func anaDevice(r *rand.Rand) (dev, platform string) {
	ds := devices
	total := 0
	for _, d := range ds {
		total += d.weight
	}
	n := r.IntN(total)
	d := ds[0]
	for _, x := range ds {
		if n < x.weight {
			d = x
			break
		}
		n -= x.weight
	}
	return d.name, pick(r, anaPlatforms[d.name])
}

// source fills the acquisition columns (Source Type/Info, Campaign, Page Type/Title).
func anaSource(r *rand.Rand, dims map[string]string, prefix string) {
	st := pick(r, anaSourceTypes)
	info, campaign := anaEmpty, anaEmpty
	switch st {
	case "App referrer":
		info = pick(r, anaAppReferrers)
	case "Web referrer":
		info = pick(r, anaWebReferrers)
		if r.IntN(2) == 0 {
			campaign = "spring_promo"
		}
	}
	pt := pick(r, anaPageTypes)
	title := "No page"
	if pt != "No page" {
		title = pick(r, anaPageTitles)
	}
	dims[prefix+"Source Type"] = st
	dims[prefix+"Source Info"] = info
	dims["Campaign"] = campaign
	dims["Page Type"] = pt
	dims["Page Title"] = title
}

// anaFinal generates the final rows of one (report, app, granularity, Date).
func (s *Server) anaFinal(rep *anaReport, x *anaApp, gran string, date time.Time) []anaBase {
	if !x.hasData(rep) || !rep.hasGran(gran) {
		return nil
	}
	r := s.rng("analytics", rep.name, x.a.sku, gran, iso(date))
	if rep.kind == kindPurchases && gran == "DAILY" {
		return s.anaPurchasesFromSales(x, date, r)
	}
	scale := int64(1)
	n := 2 + r.IntN(4)
	switch gran {
	case "WEEKLY":
		scale, n = 6, n+1
	case "MONTHLY":
		scale, n = 25, n+1
	}
	seen := map[string]bool{}
	var out []anaBase
	for range n * 3 {
		if len(out) == n {
			break
		}
		b := s.anaGenRow(rep.kind, x, r, date)
		b.c *= scale
		key := dimKey(b.dims)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, b)
	}
	return out
}

func dimKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + m[k] + "\x00")
	}
	return b.String()
}

// anaGenRow draws one row's dimensions and base count for a kind.
func (s *Server) anaGenRow(kind string, x *anaApp, r *rand.Rand, date time.Time) anaBase {
	d := map[string]string{}
	p := anaParams{uniquePct: 55 + r.IntN(40), avgSecs: int64(30 + r.IntN(570))}
	c := int64(5 + r.IntN(120))
	vi := r.IntN(len(x.versions))
	dev, plat := anaDevice(r)
	dlDate := func() string {
		if r.IntN(3) == 0 {
			return anaEmpty
		}
		return iso(date.AddDate(0, 0, -r.IntN(30)))
	}
	switch kind {
	case kindDiscovery:
		ev := pick(r, []string{"Impression", "Impression", "Page view", "Tap"})
		d["Event"] = ev
		d["Engagement Type"] = anaEmpty
		if ev == "Tap" {
			d["Engagement Type"] = pick(r, []string{"Get", "Update", "Redownload", "Open"})
		}
		anaSource(r, d, "")
		d["Device"], d["Platform Version"], d["Territory"] = dev, plat, s.anaTerritory(r)
		if ev == "Impression" {
			c *= 8
		}
	case kindDownloads:
		d["Download Type"] = pick(r, anaDownloadType)
		d["App Version"], d["Device"], d["Platform Version"] = x.versions[vi], dev, plat
		anaSource(r, d, "")
		d["Pre-Order"] = anaEmpty
		if r.IntN(10) == 0 {
			d["Pre-Order"] = "Pre-Order"
		}
		d["Territory"] = s.anaTerritory(r)
	case kindSessions:
		d["App Version"], d["Device"], d["Platform Version"] = x.versions[vi], dev, plat
		anaSource(r, d, "")
		d["App Download Date"], d["Territory"] = dlDate(), s.anaTerritory(r)
		c *= 3
	case kindInstalls:
		d["Event"] = pick(r, []string{"Install", "Install", "Delete"})
		d["Download Type"] = pick(r, anaDownloadType[:3])
		d["App Version"], d["Device"], d["Platform Version"] = x.versions[vi], dev, plat
		anaSource(r, d, "")
		d["App Download Date"], d["Territory"] = dlDate(), s.anaTerritory(r)
	case kindPurchases:
		prods := append(append([]*product{}, x.iaps...), x.subs...)
		pr := pick(r, prods)
		d["Purchase Type"] = "In-App Purchase"
		if pr.kind == kindSub {
			d["Purchase Type"] = "Auto-Renewable Subscription"
		}
		d["Content Name"], d["Content Apple Identifier"] = pr.name, strconv.FormatInt(pr.id, 10)
		d["Payment Method"], d["Device"], d["Platform Version"] = pick(r, anaPayMethods), dev, plat
		anaSource(r, d, "")
		d["App Download Date"], d["Pre-Order"], d["Territory"] = dlDate(), anaEmpty, s.anaTerritory(r)
		p.priceUSD = pr.priceUSD
		c = int64(1 + r.IntN(30))
		if r.IntN(8) == 0 {
			c = -int64(1 + r.IntN(3)) // refunds
		}
	case kindCrashes:
		d["App Version"], d["Device"], d["Platform Version"] = x.versions[vi], dev, plat
		c = int64(5 + r.IntN(40))
	case kindCrashesX:
		d["App Version"], d["Build"] = x.versions[vi], x.builds[vi]
		mi := r.IntN(len(anaModels))
		d["Device"], d["Platform"] = anaModels[mi], anaModelPlatforms[mi]
		d["Release Type"] = pick(r, []string{"App Store", "App Store", "TestFlight"})
		d["Territory"] = s.anaTerritory(r)
		c = int64(5 + r.IntN(40))
	case kindWebPreview, kindPreOrders, kindAppClip, kindInstallPerf, kindWidgets:
		c = s.anaGenGeneric(kind, x, r, d, c)
	case kindSubEvent, kindSubState:
		sub := pick(r, x.subs)
		d["Subscription Name"], d["Subscription Identifier"] = sub.name, strconv.FormatInt(sub.id, 10)
		d["Subscription Duration"] = sub.duration
		d["Subscription Group"], d["Subscription Group Identifier"] = "Premium", strconv.FormatInt(sub.groupID, 10)
		d["Offer Type"], d["Offer Name"], d["Family Sharing"] = anaEmpty, anaEmpty, pick(r, []string{"No", "No", "Yes"})
		d["Territory"] = s.anaTerritory(r)
		if kind == kindSubState {
			d["Auto-Renew Status"] = pick(r, []string{"On", "On", "Off"})
			d["Billing Retry"], d["Grace Period"] = "No", "No"
			d["Device"] = dev
			c *= 4
			break
		}
		ev := anaSubEvents[r.IntN(len(anaSubEvents))]
		d["Event"], d["Event Sub Type"], d["Event Grouping"] = ev.event, ev.sub, ev.group
		d["Billing Frequency"], d["Billing Period"] = sub.duration, sub.duration
		for _, k := range []string{"Offer ID", "Vanity Code", "Offer Pricing", "Offer Duration", "Plan Change Type",
			"Previous Subscription Name", "Previous Subscription Identifier", "Cancellation Reason",
			"Paid Service Days Recovered", "Pre-Order"} {
			d[k] = anaEmpty
		}
		if ev.group == "Offer" {
			d["Offer Type"], d["Offer Name"], d["Offer Duration"], d["Offer Pricing"] = "Free Trial", "Try Premium", "1 Week", "Free"
		}
		if ev.event == "Cancel" {
			d["Cancellation Reason"] = pick(r, []string{"Price", "Other", "Billing Issue"})
		}
		anaSource(r, d, "App Download ")
		d["Original Purchase Device"] = dev
		c = int64(1 + r.IntN(25))
	}
	return anaBase{dims: d, c: c, p: p}
}

// anaGenGeneric draws the dimensions of the reports without a schema in the loader and
// returns their base count.
func (s *Server) anaGenGeneric(kind string, x *anaApp, r *rand.Rand, d map[string]string, c int64) int64 {
	dev, plat := anaDevice(r)
	switch kind {
	case kindWebPreview:
		d["Event"] = pick(r, []string{"Page view", "Page view", "Tap", "Open in App Store"})
		d["Page Type"] = pick(r, []string{"Product page", "Product page", "Developer page", "In-app event"})
		d["Browser"] = pick(r, []string{"Safari", "Safari", "Chrome", "Firefox", "Other"})
		c *= 2
	case kindPreOrders:
		d["Event"] = pick(r, []string{"Pre-Order", "Pre-Order", "Cancellation"})
		d["Device"], d["Platform Version"], d["Source Type"] = dev, plat, pick(r, anaSourceTypes)
		c = int64(1 + r.IntN(20))
	case kindAppClip:
		d["Invocation Type"] = pick(r, []string{"App Clip Code", "NFC tag", "QR code", "Safari banner", "Maps", "Messages"})
		d["Device"], d["Platform Version"] = dev, plat
	case kindInstallPerf:
		d["App Version"] = x.versions[r.IntN(len(x.versions))]
		d["Install Type"] = pick(r, []string{"First-time install", "First-time install", "Update", "Restore"})
		d["Device"], d["Platform Version"] = dev, plat
		return c * 3
	case kindWidgets:
		d["Widget Kind"] = pick(r, []string{"Today", "Streak", "Word of the Day"})
		d["Widget Family"] = pick(r, []string{"systemSmall", "systemMedium", "systemLarge", "accessoryCircular", "accessoryRectangular"})
		d["Device"], d["Platform Version"] = dev, plat
		c *= 4
	}
	d["Territory"] = s.anaTerritory(r)
	return c
}

// partial is the base count as an instance processed age days after Date carries it: the
// final value once age ≥ window, otherwise a share growing with age.
func partial(c int64, age, window int) int64 {
	if age >= window {
		return c
	}
	return c * int64(age+2) / int64(window+2)
}

// derive computes a row's measures (USD in cents) from its count.
func derive(kind string, c int64, p anaParams) []int64 {
	uniq := func(v int64) int64 { return max(v*int64(p.uniquePct)/100, 1) }
	switch kind {
	case kindDiscovery:
		return []int64{c, uniq(c)}
	case kindSessions:
		return []int64{c, c * p.avgSecs, uniq(c)}
	case kindInstalls, kindCrashes, kindCrashesX, kindWebPreview, kindAppClip, kindWidgets:
		return []int64{c, uniq(c)}
	case kindInstallPerf:
		// Average Install Duration in hundredths of a second: a property of the row, not
		// scaled with the count.
		return []int64{c, c / 20, 150 + 3*p.avgSecs}
	case kindPurchases:
		abs := c
		if abs < 0 {
			abs = -abs
		}
		if p.usdPrice != 0 {
			return []int64{c, c * p.usdProceeds, c * p.usdPrice, uniq(abs)}
		}
		return []int64{c, c * proceedsOf(p.priceUSD, false), c * p.priceUSD, uniq(abs)}
	}
	return []int64{c}
}

// anaRowsAt are the rows of (report, app, granularity, Date) as an instance with processing
// date proc carries them (zero-count rows are left out).
//
// Decision (Restatement): rows are a pure function of seed, app, report, granularity and Date;
// a DAILY instance processed a = P−Date days after Date carries counts scaled by (a+2)/(k+2)
// (integer division), final once a ≥ k; derived measures (uniques, session durations, USD)
// follow the scaled count, and rows scaled to 0 are left out. WEEKLY and MONTHLY rows are
// generated independently (not sums of the days) and never restated.
func (s *Server) anaRowsAt(rep *anaReport, x *anaApp, gran string, date, proc time.Time) []anaRow {
	age := int(proc.Sub(date) / day)
	var out []anaRow
	for _, b := range s.anaFinal(rep, x, gran, date) {
		c := b.c
		if gran == "DAILY" {
			c = partial(c, age, rep.window)
		}
		if c == 0 {
			continue
		}
		out = append(out, anaRow{dims: b.dims, measures: derive(rep.kind, c, b.p)})
	}
	return out
}

// anaCells renders a row in the report's served column order.
//
// Decision (Files): gzip, header + rows, "\n" line ends; columns [date column, App Apple
// Identifier, measures, Processing Date, App Name, other dimensions in documented order]
// (exactly the ingestr fixture for App Downloads Detailed); Standard drops the (D) columns.
// Empty cells are the two characters "" (also in the comma file, where fields with commas or
// quotes are CSV-quoted). Territory alpha-2, Platform Version like "iOS 18.1", USD with two
// decimals (negative for refunds). App Store Subscription State columns are our choice
// (REFERENCE.md lists none); Subscription Event adds an "Event" column before "Event Sub Type".
func anaCells(rep *anaReport, x *anaApp, date, proc time.Time, row anaRow) []string {
	cells := make([]string, len(rep.header))
	mi := 0
	for i, h := range rep.header {
		switch {
		case h == "Date" || h == "Event Date":
			cells[i] = iso(date)
		case h == "App Apple Identifier":
			cells[i] = x.id
		case h == "App Name":
			cells[i] = x.a.name
		case h == "Processing Date":
			cells[i] = iso(proc)
		case mi < len(rep.measures) && h == rep.measures[mi]:
			if rep.decimal[h] {
				cells[i] = money(row.measures[mi], 2)
			} else {
				cells[i] = strconv.FormatInt(row.measures[mi], 10)
			}
			mi++
		default:
			v, ok := row.dims[h]
			if !ok || v == "" {
				v = anaEmpty
			}
			cells[i] = v
		}
	}
	return cells
}

// renderLines joins header and rows with the report's delimiter, CSV-quoting comma-file
// cells that need it ("" stays the literal empty marker).
func renderLines(rep *anaReport, rows [][]string) []byte {
	sep := "\t"
	if rep.comma {
		sep = ","
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString(sep)
			}
			if rep.comma && c != anaEmpty && strings.ContainsAny(c, ",\"\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteByte('\n')
	}
	line(rep.header)
	for _, r := range rows {
		line(r)
	}
	return []byte(b.String())
}

// decodeCell turns a served cell back into its value (`""` → empty).
func decodeCell(c string) string {
	if c == anaEmpty {
		return ""
	}
	return c
}
