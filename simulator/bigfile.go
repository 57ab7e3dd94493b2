package simulator

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Large Apple-format files for benchmarks (BENCHMARKS.md). They use the exact headers of
// layouts.go and the storefront, device and price tables of data.go, with a catalog sized
// like a large publisher's (bigApps apps, a few in-app purchases each, subscriptions for
// half of them) and Zipf-distributed product popularity, so dictionary encoding, string
// lengths and number shapes resemble real reports. Rows are spread over bigDays consecutive
// days starting at bigStart, in day order, as a year of daily reports concatenated.
//
// Both writers stream: memory is constant in the number of rows (one line buffer, the
// bufio and gzip state), and they are fast enough to generate 4M rows in seconds.

const (
	bigApps = 400
	bigDays = 365
)

var bigStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type bigProduct struct {
	kind                     int
	sku, title, version, cat string
	id                       string
	parent                   string // app SKU for in-app purchases and subscriptions
	appName, appID           string
	groupID, period          string
	priceUSD                 int64
}

type bigCatalog struct {
	products []bigProduct
	subs     []int // indexes of subscription products
	terrCum  []int // cumulative territory weights
	devCum   []int // cumulative device weights
}

func newBigCatalog(r *rand.Rand) *bigCatalog {
	c := &bigCatalog{}
	id := int64(1_400_000_000 + r.IntN(90_000_000))
	next := func() string { id += 1 + int64(r.IntN(900)); return strconv.FormatInt(id, 10) }
	for i := 0; i < bigApps; i++ {
		name := appNames[i%len(appNames)]
		if i >= len(appNames) {
			name = fmt.Sprintf("%s %d", name, i/len(appNames)+1)
		}
		sku := fmt.Sprintf("com.ascetl.app%d", i+1)
		cat := categories[i%len(categories)]
		ver := fmt.Sprintf("%d.%d.%d", 1+r.IntN(9), r.IntN(20), r.IntN(30))
		appID := next()
		var price int64
		if i%4 == 1 {
			price = []int64{99, 299, 499, 999}[r.IntN(4)]
		}
		c.products = append(c.products, bigProduct{kind: kindApp, sku: sku, title: name, version: ver,
			cat: cat, id: appID, appName: name, appID: appID, priceUSD: price})
		for _, iap := range []struct {
			name, suffix string
			price        int64
		}{{"Coin Pack", "coins", 99}, {"Coin Chest", "chest", 499}, {"Pro Unlock", "pro", 999}} {
			c.products = append(c.products, bigProduct{kind: kindIAP, sku: sku + "." + iap.suffix,
				title: iap.name, cat: cat, id: next(), parent: sku, appName: name, appID: appID, priceUSD: iap.price})
		}
		if i%2 == 0 {
			group := next()
			for _, s := range []struct {
				name, suffix, period string
				price                int64
			}{{"Premium Monthly", "premium.monthly", "1 Month", 499}, {"Premium Yearly", "premium.yearly", "1 Year", 3999},
				{"Weekly Pass", "weekly", "7 Days", 199}} {
				c.subs = append(c.subs, len(c.products))
				c.products = append(c.products, bigProduct{kind: kindSub, sku: sku + "." + s.suffix,
					title: s.name, cat: cat, id: next(), parent: sku, appName: name, appID: appID,
					groupID: group, period: s.period, priceUSD: s.price})
			}
		}
	}
	sum := 0
	for _, t := range territories {
		sum += t.weight
		c.terrCum = append(c.terrCum, sum)
	}
	sum = 0
	for _, d := range devices {
		sum += d.weight
		c.devCum = append(c.devCum, sum)
	}
	return c
}

func pickCum(r *rand.Rand, cum []int) int {
	x := r.IntN(cum[len(cum)-1])
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

// bigWriter is the shared line assembly: a gzip stream behind a large bufio.Writer.
type bigWriter struct {
	gz   *gzip.Writer
	bw   *bufio.Writer
	line []byte
}

func newBigWriter(w io.Writer, header []string) (*bigWriter, error) {
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	b := &bigWriter{gz: gz, bw: bufio.NewWriterSize(gz, 1<<20), line: make([]byte, 0, 1024)}
	for i, h := range header {
		if i > 0 {
			b.line = append(b.line, '\t')
		}
		b.line = append(b.line, h...)
	}
	return b, b.end()
}

func (b *bigWriter) s(v string) *bigWriter { b.line = append(append(b.line, v...), '\t'); return b }
func (b *bigWriter) i(v int64) *bigWriter {
	b.line = append(strconv.AppendInt(b.line, v, 10), '\t')
	return b
}
func (b *bigWriter) blank(n int) *bigWriter { // n cells of a single space, as Apple writes
	for range n {
		b.line = append(b.line, ' ', '\t')
	}
	return b
}

// money appends minor units with dec decimals (see money in data.go).
func (b *bigWriter) money(minor int64, dec int) *bigWriter {
	if minor < 0 {
		b.line = append(b.line, '-')
		minor = -minor
	}
	if dec == 0 {
		return b.i(minor)
	}
	b.line = strconv.AppendInt(b.line, minor/100, 10)
	f := minor % 100
	b.line = append(b.line, '.', byte('0'+f/10), byte('0'+f%10), '\t')
	return b
}

// end replaces the trailing tab with a newline and writes the line.
func (b *bigWriter) end() error {
	if n := len(b.line); n > 0 && b.line[n-1] == '\t' {
		b.line = b.line[:n-1]
	}
	b.line = append(b.line, '\n')
	_, err := b.bw.Write(b.line)
	b.line = b.line[:0]
	return err
}

func (b *bigWriter) close() error {
	if err := b.bw.Flush(); err != nil {
		return err
	}
	return b.gz.Close()
}

func bigDayStrings(layout string) []string {
	out := make([]string, bigDays)
	for d := range out {
		out[d] = bigStart.AddDate(0, 0, d).Format(layout)
	}
	return out
}

// WriteBigSales writes a gzip SALES/SUMMARY/DAILY report (version 1_0, 28 columns) of
// exactly rows data rows to w, deterministic from seed.
func WriteBigSales(w io.Writer, rows int, seed int64) error {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5a1e5))
	c := newBigCatalog(r)
	zipf := rand.NewZipf(r, 1.1, 4, uint64(len(c.products)-1))
	days := bigDayStrings("01/02/2006")
	bw, err := newBigWriter(w, salesHeader)
	if err != nil {
		return err
	}
	for n := 0; n < rows; n++ {
		day := days[n*bigDays/max(rows, 1)]
		p := &c.products[zipf.Uint64()]
		t := &territories[pickCum(r, c.terrCum)]
		dv := &devices[pickCum(r, c.devCum)]
		x := drawBigSale(r, p, t, dv)
		if err := bw.sale(&x, p, t, dv, day); err != nil {
			return err
		}
	}
	return bw.close()
}

// bigSale is what is drawn for one line of the big SALES file.
type bigSale struct {
	typeID, sub, reason, order string
	units, price, proceeds     int64
}

// drawBigSale draws a line's product type, subscription kind, units and price; about 4 %
// of paid lines are refunds.
func drawBigSale(r *rand.Rand, p *bigProduct, t *territory, dv *device) bigSale {
	x := bigSale{price: localPrice(p.priceUSD, t), units: 1}
	switch p.kind {
	case kindApp:
		switch n := r.IntN(10); {
		case n < 6:
			x.typeID = "1F"
			if dv.mac {
				x.typeID = "F1"
			}
		case n < 8:
			x.typeID, x.price = "7F", 0
			if dv.mac {
				x.typeID = "F7"
			}
		default:
			x.typeID, x.price = "3F", 0
		}
		x.units += int64(r.ExpFloat64() * float64(t.weight) / 4)
	case kindIAP:
		x.typeID = "IA1"
		if dv.mac {
			x.typeID = "FI1"
		}
		x.units += int64(r.ExpFloat64() * float64(t.weight) / 20)
	default:
		x.typeID = "IAY"
		switch n := r.IntN(20); {
		case n < 6:
			x.sub = "New"
		case n < 8:
			x.sub, x.order, x.price = "New", "Pay As You Go Intro Offer", localPrice(p.priceUSD/2, t)
		case n < 17:
			x.sub = "Renewal"
		default:
			x.sub, x.reason = "Renewal", "Rate After One Year"
		}
		x.units += int64(r.ExpFloat64() * float64(t.weight) / 15)
	}
	x.proceeds = proceedsOf(x.price, x.reason != "")
	if x.price > 0 && r.IntN(100) < 4 { // refund line
		x.units, x.price = -1-int64(r.IntN(2)), -x.price
	}
	return x
}

// sale writes one line of the big SALES file in salesHeader order.
func (bw *bigWriter) sale(x *bigSale, p *bigProduct, t *territory, dv *device, day string) error {
	cur := t.currency
	if x.price == 0 && t.weight <= 1 {
		cur = " "
	}
	bw.s("APPLE").s("US").s(p.sku)
	if p.kind == kindApp {
		bw.s(developerName).s(p.title)
		if x.typeID == "3F" {
			bw.blank(1)
		} else {
			bw.s(p.version)
		}
	} else {
		bw.blank(1).s(p.title).blank(1)
	}
	bw.s(x.typeID).i(x.units).money(x.proceeds, t.dec).s(day).s(day).s(t.currency).s(t.code).s(cur).
		s(p.id).money(x.price, t.dec).blank(1)
	if p.parent != "" {
		bw.s(p.parent)
	} else {
		bw.blank(1)
	}
	if x.sub != "" {
		bw.s(x.sub).s(p.period)
	} else {
		bw.blank(2)
	}
	bw.s(p.cat).s("").s(dv.name).s(dv.platforms)
	if x.reason != "" {
		bw.s(x.reason).s("Yes")
	} else {
		bw.blank(2)
	}
	bw.blank(1)
	if x.order != "" {
		bw.s(x.order)
	} else {
		bw.blank(1)
	}
	return bw.end()
}

var bigOfferTypes = []string{"Free Trial", "Pay As You Go", "Pay Up Front"}
var bigOfferDurations = []string{"1 Week", "1 Month", "3 Months"}
var bigCancelReasons = []string{"Other", "Price", "Billing issue", "Did not like product"}

// WriteBigSubscriptionEvents writes a gzip SUBSCRIPTION_EVENT/SUMMARY/DAILY report
// (version 1_3, 29 columns) of exactly rows data rows to w, deterministic from seed.
func WriteBigSubscriptionEvents(w io.Writer, rows int, seed int64) error {
	r := rand.New(rand.NewPCG(uint64(seed), 0xe7e47))
	c := newBigCatalog(r)
	zipf := rand.NewZipf(r, 1.1, 4, uint64(len(c.subs)-1))
	days := bigDayStrings("2006-01-02")
	origin := make([]string, 48) // Original Start Date, months back from the event's day
	bw, err := newBigWriter(w, subscriptionEventHeader13)
	if err != nil {
		return err
	}
	lastDay := -1
	for n := 0; n < rows; n++ {
		d := n * bigDays / max(rows, 1)
		if d != lastDay {
			for m := range origin {
				origin[m] = bigStart.AddDate(0, -m, d).Format("2006-01-02")
			}
			lastDay = d
		}
		if err := bw.subscriptionEvent(r, c, zipf, days[d], origin); err != nil {
			return err
		}
	}
	return bw.close()
}

// subscriptionEvent draws and writes one line of the big SUBSCRIPTION_EVENT file on day;
// origin[m] is the date m months before it.
func (bw *bigWriter) subscriptionEvent(r *rand.Rand, c *bigCatalog, zipf *rand.Zipf, day string, origin []string) error {
	p := &c.products[c.subs[zipf.Uint64()]]
	t := &territories[pickCum(r, c.terrCum)]
	dv := &devices[r.IntN(3)]
	ev := events[min(int(r.ExpFloat64()*2.5), len(events)-1)]
	bw.s(day).s(ev).s(p.appName).s(p.appID).s(p.title).s(p.id).s(p.groupID).s(p.period)
	if ev == "Start Introductory Offer" {
		bw.s(bigOfferTypes[r.IntN(3)]).s(bigOfferDurations[r.IntN(3)])
	} else {
		bw.blank(2)
	}
	if r.IntN(10) == 0 {
		bw.s("Yes").i(int64(1 + r.IntN(400)))
	} else {
		bw.blank(2)
	}
	bw.blank(4) // Preserved Pricing, Proceeds Reason, Subscription Offer Name, Promotional Offer ID
	if ev == "Renew" {
		periods := 1 + r.IntN(len(origin)-1)
		bw.i(int64(periods)).s(origin[periods])
	} else {
		bw.s("").s("")
	}
	bw.s(dv.name).blank(1)
	if t.code == "AU" {
		bw.s(pick(r, []string{"QLD", "NSW", "VIC"}))
	} else {
		bw.blank(1)
	}
	bw.s(t.code)
	if ev == "Upgrade" || ev == "Crossgrade" {
		prev := &c.products[c.subs[r.IntN(len(c.subs))]]
		bw.s(prev.title).s(prev.id)
	} else {
		bw.blank(2)
	}
	if ev == "Cancel" {
		bw.i(int64(r.IntN(30))).s(bigCancelReasons[r.IntN(len(bigCancelReasons))]).i(int64(r.IntN(10)))
	} else {
		bw.s("").blank(1).s("")
	}
	bw.i(int64(1 + int(r.ExpFloat64()*float64(t.weight)/4)))
	if ev == "Renewal from Billing Retry" {
		bw.i(int64(1 + r.IntN(30)))
	} else {
		bw.s("")
	}
	return bw.end()
}
