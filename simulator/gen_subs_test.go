package simulator

import (
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/report"
)

// TestTrialsConvertToStandardPrice: the event report carries Apple's "Conversion to
// Standard Price" events, a week after the free trials they convert, never more than the
// trials started, with the offer they converted from; and the days' other rows are the
// ones served before conversions existed (their own random stream).
func TestTrialsConvertToStandardPrice(t *testing.T) {
	e := newEnv(t, Options{})
	var starts, conversions, upgrades int64
	days := 0
	for d := 0; d < 30; d++ {
		day := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		now, before := e.srv.TruthSubscriptionEvents(day), e.srv.TruthSubscriptionEvents(day.AddDate(0, 0, -trialDays))
		if now == nil || before == nil {
			continue
		}
		days++
		conv := now[eventPaidFromIntro] + now[eventUpgradeFromIntro]
		if started := before[eventStartIntro]; conv > started || conv*4 < started {
			t.Errorf("%s: %d conversions of %d trials started a week before", iso(day), conv, started)
		}
		starts += before[eventStartIntro]
		conversions += conv
		upgrades += now[eventUpgradeFromIntro]
	}
	if days < 20 || conversions == 0 || upgrades == 0 {
		t.Fatalf("%d days, %d conversions (%d upgrades)", days, conversions, upgrades)
	}
	t.Logf("%d days: %d trials converted of %d started a week before (%.0f %%), %d of them upgrades",
		days, conversions, starts, 100*float64(conversions)/float64(starts), upgrades)

	day := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	u := report.Unit{Family: report.Sales, Type: "SUBSCRIPTION_EVENT", SubType: "SUMMARY", Frequency: report.Daily,
		Vendor: e.srv.opt.Vendor, Period: iso(day)}
	d := e.srv.report(u, "").doc
	b := newBuilder(d.header)
	base, _ := e.srv.baseEventRows(b, day)
	if len(d.rows) <= len(base) {
		t.Fatalf("%s: %d rows, %d without conversions", iso(day), len(d.rows), len(base))
	}
	for i, r := range base {
		if strings.Join(r, "\t") != strings.Join(d.rows[i], "\t") {
			t.Fatalf("row %d differs from the rows before conversions", i)
		}
	}
	col := func(r []string, name string) string { return r[indexOf(d.header, name)] }
	for _, r := range d.rows[len(base):] {
		ev := col(r, "Event")
		if ev != eventPaidFromIntro && ev != eventUpgradeFromIntro {
			t.Errorf("conversion row with event %q", ev)
		}
		if col(r, "Subscription Offer Type") != "Free Trial" || col(r, "Subscription Offer Duration") != "1 Week" {
			t.Errorf("conversion row without its offer: %q", r)
		}
		if col(r, "Event Date") != iso(day) {
			t.Errorf("conversion row dated %s", col(r, "Event Date"))
		}
	}
}
