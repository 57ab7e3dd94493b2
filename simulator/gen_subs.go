package simulator

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/ascetl/etl/report"
)

func (s *Server) dailyUnit(typ, sub string) report.Unit {
	return report.Unit{Family: report.Sales, Type: typ, SubType: sub, Frequency: report.Daily}
}

// subCommon fills the columns every subscription-family row shares.
func subCommon(r row, p *product) row {
	return r.set("App Name", p.app.name).set("App Apple ID", p.app.id).set("Subscription Name", p.name).
		set("Subscription Apple ID", p.id).set("Subscription Group ID", p.groupID).
		set("Standard Subscription Duration", p.duration).blank(contingentAppName)
}

func (s *Server) subscriptionRows(b *builder, day time.Time) [][]string {
	if s.empty(s.dailyUnit("SUBSCRIPTION", "SUMMARY"), day) {
		return nil
	}
	r := s.rng("SUBSCRIPTION", iso(day))
	var rows [][]string
	for _, p := range s.cat.subs {
		for ti := range territories {
			t := &territories[ti]
			for _, dv := range devices[:3] {
				if r.IntN(3000) >= t.weight*dv.weight+100 {
					continue
				}
				price := localPrice(p.priceUSD, t)
				n := func(m int) int { return r.IntN(m + 1) }
				active := 1 + n(t.weight*dv.weight/10)
				row := subCommon(b.row(), p).blank("Subscription Offer Name", "Promotional Offer ID",
					"Preserved Pricing", "Proceeds Reason", "Client", "State").
					set("Customer Price", money(price, t.dec)).set("Customer Currency", t.currency).
					set("Developer Proceeds", money(proceedsOf(price, false), t.dec)).
					set("Proceeds Currency", t.currency).set("Device", dv.name).set("Country", t.code).
					set("Active Standard Price Subscriptions", active)
				counts := []string{"Active Free Trial Introductory Offer Subscriptions",
					"Active Pay Up Front Introductory Offer Subscriptions",
					"Active Pay As You Go Introductory Offer Subscriptions",
					"Free Trial Promotional Offer Subscriptions", "Pay Up Front Promotional Offer Subscriptions",
					"Pay As You Go Promotional Offer Subscriptions", "Free Trial Offer Code Subscriptions",
					"Pay Up Front Offer Code Subscriptions", "Pay As You Go Offer Code Subscriptions",
					"Marketing Opt-Ins", "Billing Retry", "Grace Period", "Free Trial Win-back Offers",
					"Pay Up Front Win-back Offers", "Pay As You Go Win-back Offers"}
				total := active
				for i, c := range counts {
					v := n(active / (3 + i))
					row.set(c, v)
					if i < 9 {
						total += v
					}
				}
				if t.code == "AU" {
					row.set("State", pick(r, []string{"QLD", "NSW", "VIC"}))
				}
				row.set("Subscribers", total)
				rows = append(rows, row.cells)
			}
		}
	}
	return rows
}

var events = []string{"Subscribe", "Renew", "Cancel", "Start Introductory Offer", "Refund",
	"Billing Retry from Paid Subscription", "Renewal from Billing Retry", "Reactivate", "Upgrade", "Crossgrade"}

// Apple's events of the "Conversion to Standard Price" type the simulator emits (Apple's
// "Subscription events" reference also lists Crossgrade/Downgrade From Introductory Offer
// and the Opt-In conversions).
const (
	eventPaidFromIntro    = "Paid Subscription from Introductory Offer"
	eventUpgradeFromIntro = "Upgrade From Introductory Offer"
	eventStartIntro       = "Start Introductory Offer"
)

// trialDays is the length of the simulator's one introductory offer: a one-week free trial.
const trialDays = 7

// trialStart is one "Start Introductory Offer" row of a day: who started a trial where.
type trialStart struct {
	p   *product
	t   *territory
	dv  device
	qty int
}

func (s *Server) subscriptionEventRows(b *builder, day time.Time) [][]string {
	if s.empty(s.dailyUnit("SUBSCRIPTION_EVENT", "SUMMARY"), day) {
		return nil
	}
	rows, _ := s.baseEventRows(b, day)
	return append(rows, s.conversionRows(b, day)...)
}

// baseEventRows are a day's events other than conversions, and the trials started that day.
func (s *Server) baseEventRows(b *builder, day time.Time) ([][]string, []trialStart) {
	r := s.rng("SUBSCRIPTION_EVENT", iso(day))
	var rows [][]string
	var starts []trialStart
	for _, p := range s.cat.subs {
		for ti := range territories {
			t := &territories[ti]
			for _, ev := range events {
				if r.IntN(200) >= t.weight+5 {
					continue
				}
				dv := devices[r.IntN(3)]
				qty := 1 + r.IntN(1+t.weight/4)
				row := s.eventRow(b, p, t, dv, day, ev, qty)
				switch ev {
				case "Renew":
					periods := 1 + r.IntN(24)
					row.set("Consecutive Paid Periods", periods).
						set("Original Start Date", iso(day.AddDate(0, -periods, 0)))
				case eventStartIntro:
					row.set("Subscription Offer Type", "Free Trial").set("Subscription Offer Duration", "1 Week")
					starts = append(starts, trialStart{p: p, t: t, dv: dv, qty: qty})
				case "Cancel":
					row.set("Days Before Canceling", r.IntN(30)).set("Cancellation Reason", "Other").
						set("Days Canceled", r.IntN(10))
				case "Renewal from Billing Retry":
					row.set("Paid Service Days Recovered", 1+r.IntN(30))
				case "Upgrade", "Crossgrade":
					prev := s.cat.subs[r.IntN(len(s.cat.subs))]
					row.set("Previous Subscription Name", prev.name).set("Previous Subscription Apple ID", prev.id)
				}
				rows = append(rows, row.cells)
			}
		}
	}
	return rows, starts
}

func (s *Server) eventRow(b *builder, p *product, t *territory, dv device, day time.Time, ev string, qty int) row {
	return subCommon(b.row(), p).blank("Subscription Offer Type", "Subscription Offer Duration",
		"Marketing Opt-In", "Marketing Opt-In Duration", "Preserved Pricing", "Proceeds Reason",
		"Subscription Offer Name", "Promotional Offer ID", "Client", "State",
		"Previous Subscription Name", "Previous Subscription Apple ID", "Cancellation Reason").
		set("Event Date", iso(day)).set("Event", ev).set("Device", dv.name).set("Country", t.code).
		set("Quantity", qty)
}

// conversionRows are the trials of trialDays ago that convert to the standard price on day.
//
// Decision (Conversions): a free trial ("Start Introductory Offer", Free Trial, 1 Week)
// started on day D converts on D+7 for a share of its quantity: the report of D+7 has a
// "Paid Subscription from Introductory Offer" row (type "Conversion to Standard Price" in
// Apple's Subscription events reference) with the Subscription Offer Type and Duration of
// the offer it converted from (Free Trial, 1 Week), and Quantity round(q·k/10), k drawn in
// 3..7 per start row (nothing when that rounds to 0). One converting row in eight upgrades
// from the offer to another subscription of the group instead ("Upgrade From Introductory
// Offer", previous subscription set). Trials of a day without a report never convert. The
// conversions use their own random stream, so every other row of the day is as before.
func (s *Server) conversionRows(b *builder, day time.Time) [][]string {
	from := day.AddDate(0, 0, -trialDays)
	if s.empty(s.dailyUnit("SUBSCRIPTION_EVENT", "SUMMARY"), from) {
		return nil
	}
	_, starts := s.baseEventRows(b, from)
	r := s.rng("SUBSCRIPTION_EVENT", "conversions", iso(day))
	var rows [][]string
	for _, st := range starts {
		k := 3 + r.IntN(5)
		qty := (st.qty*k + 5) / 10
		upgrade := r.IntN(8) == 0
		if qty == 0 {
			continue
		}
		ev, p := eventPaidFromIntro, st.p
		if upgrade {
			ev = eventUpgradeFromIntro
		}
		row := s.eventRow(b, p, st.t, st.dv, day, ev, qty).
			set("Subscription Offer Type", "Free Trial").set("Subscription Offer Duration", "1 Week")
		if upgrade {
			row.set("Previous Subscription Name", p.name).set("Previous Subscription Apple ID", p.id)
		}
		rows = append(rows, row.cells)
	}
	return rows
}

// TruthSubscriptionEvents is the Quantity of each Event in the SUBSCRIPTION_EVENT report of
// day as it would be served now (nil for a day without data or not served).
func (s *Server) TruthSubscriptionEvents(day time.Time) map[string]int64 {
	u := s.dailyUnit("SUBSCRIPTION_EVENT", "SUMMARY")
	u.Vendor, u.Period = s.opt.Vendor, iso(day)
	if s.availability(u) != nil {
		return nil
	}
	rep := s.report(u, "")
	if len(rep.doc.rows) == 0 {
		return nil
	}
	ei, qi := indexOf(rep.doc.header, "Event"), indexOf(rep.doc.header, "Quantity")
	out := map[string]int64{}
	for _, row := range rep.doc.rows {
		q, err := strconv.ParseInt(strings.TrimSpace(row[qi]), 10, 64)
		if err != nil {
			panic(fmt.Sprintf("simulator: generated SUBSCRIPTION_EVENT quantity %q: %v", row[qi], err))
		}
		out[row[ei]] += q
	}
	return out
}

func subscriberID(r *rand.Rand) string {
	return fmt.Sprintf("%d%017d", 1+r.IntN(9), r.Int64N(1e17))
}

func (s *Server) subscriberRows(b *builder, day time.Time) [][]string {
	if s.empty(s.dailyUnit("SUBSCRIBER", "DETAILED"), day) {
		return nil
	}
	r := s.rng("SUBSCRIBER", iso(day))
	var rows [][]string
	for _, p := range s.cat.subs {
		for ti := range territories {
			t := &territories[ti]
			if r.IntN(60) >= t.weight+3 {
				continue
			}
			for range 1 + r.IntN(1+t.weight/8) {
				dv := devices[r.IntN(3)]
				price := localPrice(p.priceUSD, t)
				units, refund, purchase := 1, "", ""
				if r.IntN(100) < 5 {
					units, refund, purchase = -1, "Yes", iso(day.AddDate(0, 0, -1-r.IntN(60)))
					price = -price
				}
				row := subCommon(b.row(), p).set("Event Date", iso(day)).
					set("Customer Price", money(price, t.dec)).set("Customer Currency", t.currency).
					set("Developer Proceeds", money(proceedsOf(max(price, -price), false), t.dec)).
					set("Proceeds Currency", t.currency).set("Client", " ").set("Device", dv.name).
					set("Country", t.code).set("Subscriber ID", subscriberID(r)).set("Refund", refund).
					set("Purchase Date", purchase).set("Units", units)
				if r.IntN(50) == 0 {
					row.set("Subscriber ID Reset", "Yes")
				}
				rows = append(rows, row.cells)
			}
		}
	}
	return rows
}

func (s *Server) offerCodeRows(b *builder, day time.Time) [][]string {
	if s.empty(s.dailyUnit("SUBSCRIPTION_OFFER_CODE_REDEMPTION", "SUMMARY"), day) {
		return nil
	}
	r := s.rng("SUBSCRIPTION_OFFER_CODE_REDEMPTION", iso(day))
	var rows [][]string
	for _, p := range s.cat.subs {
		for _, off := range [][2]string{{"Spring Promo", "SPRING26"}, {"Loyalty One-Time Codes", " "}} {
			for ti := range territories {
				t := &territories[ti]
				if r.IntN(100) >= t.weight {
					continue
				}
				rows = append(rows, b.row().set("Date", iso(day)).set("App Name", p.app.name).
					set("App Apple ID", p.app.id).set("Subscription Name", p.name).
					set("Subscription Apple ID", p.id).set("Offer Reference Name", off[0]).
					set("Offer Code", off[1]).set("Territory", t.code).
					set("Redemptions", 1+r.IntN(1+t.weight/3)).cells)
			}
		}
	}
	return rows
}

func (s *Server) winBackRows(b *builder, day time.Time) [][]string {
	if s.empty(s.dailyUnit("WIN_BACK_ELIGIBILITY", "SUMMARY"), day) {
		return nil
	}
	r := s.rng("WIN_BACK_ELIGIBILITY", iso(day))
	var rows [][]string
	for _, p := range s.cat.subs {
		for _, tenure := range []int{1, 3, 6, 12} {
			for _, since := range []int{1, 3, 6} {
				for _, redeemed := range []bool{false, true} {
					for ti := range territories[:10] {
						t := &territories[ti]
						count := r.IntN(1 + t.weight/2)
						if count < 5 {
							continue // Apple publishes only rows with at least five subscribers
						}
						row := subCommon(b.row(), p).set("Paid Subscription Tenure", tenure).
							set("Time Since Last Subscribed", since).set("Territory", t.code).
							set("Churned Subscription Count", count).
							blank("Has Previously Redeemed Win-Back Offer", "Time Since Last Win-Back Offer")
						if redeemed {
							row.set("Has Previously Redeemed Win-Back Offer", "Yes").
								set("Time Since Last Win-Back Offer", since+r.IntN(6))
						}
						rows = append(rows, row.cells)
					}
				}
			}
		}
	}
	return rows
}

// Decision (INSTALLS): Reporting Month is "YYYY-MM" (monthly) or "YYYY" (yearly); Reporting
// Date Range "MM/DD/YYYY - MM/DD/YYYY"; EU storefronts, fee 0.50 EUR per eligible install.
func (s *Server) installsRows(b *builder, u report.Unit, start, end time.Time) [][]string {
	if s.empty(u, start) {
		return nil
	}
	r := s.rng(u.Type, u.SubType, u.Frequency, iso(start))
	month := start.Format("2006-01")
	if u.Frequency == report.Yearly {
		month = start.Format("2006")
	}
	var rows [][]string
	for _, a := range s.cat.apps {
		for _, code := range euTerritories {
			if r.IntN(100) >= 70 {
				continue
			}
			n := int64(1 + r.IntN(5000))
			exempt := min(n, int64(r.IntN(3000)))
			eligible := n - exempt
			rows = append(rows, b.row().set("Developer Name", developerName).set("Reporting Month", month).
				set("Reporting Date Range", mdy(start)+" - "+mdy(end)).set("App Name", a.name).
				set("Apple Identifier", a.id).set("Territory", code).set("First Annual Installs", n).
				set("Fee-Exempt First Annual Installs", exempt).
				set("Fee-Eligible First Annual Installs", eligible).set("Fee Per Install", "0.50").
				set("Core Technology Fee", money(eligible*50, 2)).set("Fee Currency", "EUR").cells)
		}
	}
	return rows
}

func (s *Server) firstAnnualRows(b *builder, u report.Unit) [][]string {
	start, _, _ := u.Bounds()
	if s.empty(u, start) {
		return nil
	}
	r := s.rng(u.Type, u.SubType, u.Frequency, iso(start))
	scale := 1
	if u.Frequency == report.Yearly {
		scale = 365
	}
	var rows [][]string
	for _, a := range s.cat.apps {
		total := 1 + r.IntN(400*scale)
		rows = append(rows, b.row().set("Developer", developerName).set("App ID", a.id).
			set("App Name", a.name).set("Installs Above Threshold", r.IntN(total+1)).
			set("First Annual Installs", total).cells)
	}
	return rows
}
