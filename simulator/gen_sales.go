package simulator

import (
	"fmt"
	"time"

	"github.com/ascetl/etl/report"
)

// sale is one SALES summary line for one day, before aggregation over longer periods.
//
// Decision (Refunds): SALES rows with negative Units, negative Customer Price and positive
// per-unit Developer Proceeds; finance rows "R" with negative Quantity and Customer Price;
// SUBSCRIBER refund rows Units -1, Refund "Yes", Purchase Date set.
type sale struct {
	p         *product
	t         *territory
	dev       *device
	typeID    string
	sub       string // New, Renewal or ""
	reason    string // Proceeds Reason
	orderType string
	refund    bool
	blankCur  bool
	units     int64 // negative for refunds
	price     int64 // customer price per unit, minor units, positive
	proceeds  int64 // developer proceeds per unit, minor units, positive
}

func (x *sale) key() string {
	return fmt.Sprintf("%d|%s|%s|%s|%s|%s|%s|%t|%d", x.p.id, x.t.code, x.dev.name, x.typeID, x.sub,
		x.reason, x.orderType, x.refund, x.price)
}

type variant struct {
	name      string
	k         int // inclusion weight in percent for the busiest storefront and device
	sub       string
	reason    string
	orderType string
}

var (
	appVariants = []variant{{name: "download", k: 90}, {name: "redownload", k: 40}, {name: "update", k: 60}}
	iapVariants = []variant{{name: "iap", k: 35}}
	subVariants = []variant{
		{name: "new", k: 30, sub: "New"},
		{name: "intro", k: 10, sub: "New", orderType: "Pay As You Go Intro Offer"},
		{name: "renewal", k: 45, sub: "Renewal"},
		{name: "renewal85", k: 15, sub: "Renewal", reason: "Rate After One Year"},
	}
)

// daySales generates the SALES lines of one Pacific day (nil on a day without sales).
func (s *Server) daySales(day time.Time) []sale {
	ds := iso(day)
	if s.chance(4, "SALES-empty", ds) {
		return nil
	}
	r := s.rng("SALES", ds)
	var out []sale
	for _, p := range s.cat.products {
		vs := iapVariants
		switch p.kind {
		case kindApp:
			vs = appVariants
		case kindSub:
			vs = subVariants
		}
		for ti := range territories {
			t := &territories[ti]
			for di := range devices {
				dv := &devices[di]
				for _, v := range vs {
					if r.IntN(100000) >= v.k*t.weight*dv.weight {
						continue
					}
					x := sale{p: p, t: t, dev: dv, sub: v.sub, reason: v.reason, orderType: v.orderType}
					scale := t.weight * dv.weight
					switch v.name {
					case "download":
						x.typeID, x.price = "1F", localPrice(p.priceUSD, t)
						if dv.mac {
							x.typeID = "F1"
						}
						x.units = 1 + int64(r.IntN(1+scale/40))
					case "redownload":
						if dv.mac {
							continue
						}
						x.typeID, x.units = "3F", 1+int64(r.IntN(1+scale/200))
					case "update":
						x.typeID, x.units = "7F", 1+int64(r.IntN(1+scale/30))
						if dv.mac {
							x.typeID = "F7"
						}
					case "iap":
						x.typeID, x.price = "IA1", localPrice(p.priceUSD, t)
						if dv.mac {
							x.typeID = "FI1"
						}
						x.units = 1 + int64(r.IntN(1+scale/300))
					default:
						x.typeID, x.price = "IAY", localPrice(p.priceUSD, t)
						if v.name == "intro" {
							x.price = localPrice(p.priceUSD/2, t)
						}
						x.units = 1 + int64(r.IntN(1+scale/250))
					}
					x.proceeds = proceedsOf(x.price, x.reason != "")
					x.blankCur = x.price == 0 && t.weight <= 1
					out = append(out, x)
					if x.price > 0 && r.IntN(100) < 4 {
						ref := x
						ref.refund = true
						ref.units = -1 - int64(r.IntN(2))
						out = append(out, ref)
					}
				}
			}
		}
	}
	return out
}

// periodSales aggregates the daily lines of [start, end] by everything but the day.
func (s *Server) periodSales(start, end time.Time) []sale {
	if start.Equal(end) {
		return s.daySales(start)
	}
	idx := map[string]int{}
	var out []sale
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		for _, x := range s.daySales(d) {
			k := x.key()
			if i, ok := idx[k]; ok {
				out[i].units += x.units
				continue
			}
			idx[k] = len(out)
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) genSales(u report.Unit, version string) *doc {
	start, end, _ := u.Bounds()
	d := &doc{header: s.salesLayout(u.Type, version)}
	b := newBuilder(d.header)
	switch u.Type {
	case "SALES":
		for _, x := range s.periodSales(start, end) {
			d.rows = append(d.rows, salesRow(b, &x, start, end).set("Title", s.titleOn(x.p, start)).cells)
		}
	case "PRE_ORDER":
		d.rows = s.preOrderRows(b, u, start, end)
	case "NEWSSTAND":
		d.rows = s.newsstandRows(b, u, start, end)
	case "SUBSCRIPTION":
		d.rows = s.subscriptionRows(b, start)
	case "SUBSCRIPTION_EVENT":
		d.rows = s.subscriptionEventRows(b, start)
	case "SUBSCRIBER":
		d.rows = s.subscriberRows(b, start)
	case "SUBSCRIPTION_OFFER_CODE_REDEMPTION":
		d.rows = s.offerCodeRows(b, start)
	case "WIN_BACK_ELIGIBILITY":
		d.rows = s.winBackRows(b, start)
	case "INSTALLS":
		d.rows = s.installsRows(b, u, start, end)
	case "FIRST_ANNUAL":
		d.rows = s.firstAnnualRows(b, u)
	}
	return d
}

// Decision (Empty cells): SALES writes a single space in Developer (IAP rows), Version, Promo
// Code, Parent Identifier, Subscription, Period, Proceeds Reason, Preserved Pricing, Client,
// Order Type, Contingent App Name, and in Currency of Proceeds on free rows of minor
// storefronts; CMB is truly empty. Other layouts mix " " and "".
func salesRow(b *builder, x *sale, start, end time.Time) row {
	r := b.row().blank("Developer", "Version", "Promo Code", "Parent Identifier", "Subscription",
		"Period", "Proceeds Reason", "Preserved Pricing", "Client", "Order Type", contingentAppName)
	price := x.price
	if x.refund {
		price = -price
	}
	cur := x.t.currency
	if x.blankCur {
		cur = " "
	}
	r.set("Provider", "APPLE").set("Provider Country", "US").set("SKU", x.p.sku).
		set("Title", x.p.name).set("Product Type Identifier", x.typeID).set("Units", x.units).
		set("Developer Proceeds", money(x.proceeds, x.t.dec)).set("Begin Date", mdy(start)).
		set("End Date", mdy(end)).set("Customer Currency", x.t.currency).set("Country Code", x.t.code).
		set("Currency of Proceeds", cur).set("Apple Identifier", x.p.id).
		set("Customer Price", money(price, x.t.dec)).set("Category", x.p.app.category).
		set("Device", x.dev.name).set("Supported Platforms", x.dev.platforms)
	if x.p.kind == kindApp {
		r.set("Developer", developerName)
		if x.typeID != "3F" {
			r.set("Version", x.p.app.version)
		}
	} else {
		r.set("Parent Identifier", x.p.app.sku)
	}
	if x.sub != "" {
		r.set("Subscription", x.sub).set("Period", x.p.duration)
	}
	if x.reason != "" {
		r.set("Proceeds Reason", x.reason).set("Preserved Pricing", "Yes")
	}
	if x.orderType != "" {
		r.set("Order Type", x.orderType)
	}
	return r
}

// emptyPct is how often a period of a report type has no data at all.
//
// Decision (No data): 404 NOT_FOUND, title "The specified resource does not exist", detail
// "There were no sales for the date specified." (the subscription family answers 400
// "Invalid vendor number." instead: nodata.go). SALES daily has no data on ~4 % of days,
// PRE_ORDER daily 85 %, NEWSSTAND daily 60 %, offer codes 40 %, INSTALLS 20 %, FIRST_ANNUAL
// daily 30 %, WIN_BACK 10 %, subscription family 3–5 %.
func emptyPct(typ, freq string) int {
	switch typ {
	case "PRE_ORDER":
		return map[string]int{report.Daily: 85, report.Weekly: 50, report.Monthly: 25}[freq]
	case "NEWSSTAND":
		return map[string]int{report.Daily: 60, report.Weekly: 30}[freq]
	case "SUBSCRIPTION":
		return 3
	case "SUBSCRIPTION_EVENT", "SUBSCRIBER":
		return 5
	case "SUBSCRIPTION_OFFER_CODE_REDEMPTION":
		return 40
	case "WIN_BACK_ELIGIBILITY":
		return 10
	case "INSTALLS":
		return 20
	case "FIRST_ANNUAL":
		if freq == report.Daily {
			return 30
		}
	}
	return 0
}

func (s *Server) empty(u report.Unit, start time.Time) bool {
	return s.chance(emptyPct(u.Type, u.Frequency), u.Type, u.SubType, u.Frequency, iso(start))
}

func (s *Server) preOrderRows(b *builder, u report.Unit, start, end time.Time) [][]string {
	if s.empty(u, start) {
		return nil
	}
	r := s.rng(u.Type, u.Frequency, iso(start))
	title := "Upcoming Quest"
	id := s.preorderAppID()
	poStart, poEnd := start.AddDate(0, 0, -30), end.AddDate(0, 0, 60)
	var rows [][]string
	for ti := range territories {
		t := &territories[ti]
		for _, dv := range devices[:2] {
			if r.IntN(100) >= 10+t.weight {
				continue
			}
			ordered := int64(1 + r.IntN(1+t.weight*dv.weight/20))
			canceled := int64(r.IntN(int(ordered/3) + 1))
			cumOrd := ordered + int64(r.IntN(200))
			cumCan := canceled + int64(r.IntN(int(cumOrd/10)+1))
			row := b.row().set("Provider", "APPLE").set("Title", title).
				set("Pre-Order Start Date", mdy(poStart)).set("Pre-Order End Date", mdy(poEnd)).
				set("Ordered", ordered).set("Canceled", canceled).set("Cumulative Ordered", cumOrd).
				set("Cumulative Canceled", cumCan).set("Start Date", mdy(start)).set("End Date", mdy(end)).
				set("Country Code", t.code).set("Apple Identifier", id).set("Category", "Games").
				set("Device", dv.name).set("Supported Platforms", dv.platforms).set("Client", " ").
				set("Provider Country", "US")
			rows = append(rows, row.cells)
		}
	}
	return rows
}

func (s *Server) newsstandRows(b *builder, u report.Unit, start, end time.Time) [][]string {
	if s.empty(u, start) {
		return nil
	}
	r := s.rng(u.Type, u.Frequency, iso(start))
	id := s.kioskSubID()
	var rows [][]string
	for ti := range territories[:12] {
		t := &territories[ti]
		for _, sub := range []string{"New", "Renewal"} {
			if r.IntN(100) >= 20+t.weight {
				continue
			}
			price := localPrice(299, t)
			row := b.row().set("Provider", "APPLE").set("Provider Country", "US").
				set("SKU", "com.ascetl.kiosk.monthly").set("Developer", developerName).
				set("Title", "Kachit Monthly Magazine").set("Version", " ").set("Product Type Identifier", "IAY").
				set("Units", 1+r.IntN(1+t.weight/5)).set("Developer Proceeds", money(proceedsOf(price, false), t.dec)).
				set("Begin Date", mdy(start)).set("End Date", mdy(end)).set("Customer Currency", t.currency).
				set("Country Code", t.code).set("Currency of Proceeds", t.currency).set("Apple Identifier", id).
				set("Customer Price", money(price, t.dec)).set("Subscription", sub).set("Period", "1 Month").
				set("Device", "iPad").set("Supported Platforms", "iOS")
			rows = append(rows, row.cells)
		}
	}
	return rows
}
