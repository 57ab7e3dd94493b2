package simulator

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// Decision (Purchases): the DAILY App Store Purchases rows (Standard and Detailed) are taken
// from the SALES daily report of the same Date, so that `etl reconcile` finds analytics
// purchases and sales in-app units in agreement (REFERENCE.md §C: Apple's own figures differ
// by privacy thresholds and timing; the simulator has neither). One row per in-app purchase or
// subscription product of the app, storefront, device and sale/refund, Purchases = the net
// units of those sales lines (negative for refunds), Proceeds In USD and Sales In USD = the
// local proceeds and customer price converted back at the storefront's fixed USD rate
// (data.go), per unit, truncated to the cent. The other dimensions (payment method, source,
// download date) are drawn from r. Young instances scale the count like every report
// (partial); WEEKLY and MONTHLY rows stay generated on their own.
func (s *Server) anaPurchasesFromSales(x *anaApp, date time.Time, r *rand.Rand) []anaBase {
	type agg struct {
		sale
		units int64
	}
	idx := map[string]int{}
	var lines []agg
	for _, v := range s.daySales(date) {
		if v.p.app != x.a || (v.p.kind != kindIAP && v.p.kind != kindSub) || v.units == 0 {
			continue
		}
		k := strconv.FormatInt(v.p.id, 10) + "|" + v.t.code + "|" + v.dev.name + "|" + strconv.FormatBool(v.refund)
		if i, ok := idx[k]; ok {
			lines[i].units += v.units
			continue
		}
		idx[k] = len(lines)
		lines = append(lines, agg{sale: v, units: v.units})
	}
	out := make([]anaBase, 0, len(lines))
	for _, l := range lines {
		d := map[string]string{"Purchase Type": "In-App Purchase"}
		if l.p.kind == kindSub {
			d["Purchase Type"] = "Auto-Renewable Subscription"
		}
		d["Content Name"], d["Content Apple Identifier"] = l.p.name, strconv.FormatInt(l.p.id, 10)
		d["Payment Method"], d["Device"] = pick(r, anaPayMethods), l.dev.name
		d["Platform Version"] = pick(r, anaPlatforms[l.dev.name])
		anaSource(r, d, "")
		d["App Download Date"] = anaEmpty
		if r.IntN(3) != 0 {
			d["App Download Date"] = iso(date.AddDate(0, 0, -r.IntN(30)))
		}
		d["Pre-Order"], d["Territory"] = anaEmpty, l.t.code
		p := anaParams{uniquePct: 55 + r.IntN(40),
			usdPrice: l.price * 100 / l.t.per, usdProceeds: l.proceeds * 100 / l.t.per}
		out = append(out, anaBase{dims: d, c: l.units, p: p})
	}
	return out
}
