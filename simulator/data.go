package simulator

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
)

// territory is an App Store storefront: alpha-2 code, customer currency (also the currency
// of proceeds), finance region, price level and popularity weight.
type territory struct {
	code, currency, region string
	per                    int64 // customer-currency minor units per 1 USD
	dec                    int   // currency decimals
	weight                 int
}

var territories = []territory{
	{"US", "USD", "US", 100, 2, 50}, {"GB", "GBP", "GB", 79, 2, 12},
	{"DE", "EUR", "EU", 92, 2, 12}, {"FR", "EUR", "EU", 92, 2, 8}, {"IT", "EUR", "EU", 92, 2, 5},
	{"ES", "EUR", "EU", 92, 2, 5}, {"NL", "EUR", "EU", 92, 2, 4}, {"AT", "EUR", "EU", 92, 2, 2},
	{"BE", "EUR", "EU", 92, 2, 2}, {"IE", "EUR", "EU", 92, 2, 2}, {"FI", "EUR", "EU", 92, 2, 1},
	{"PT", "EUR", "EU", 92, 2, 1}, {"JP", "JPY", "JP", 150, 0, 15}, {"AU", "AUD", "AU", 152, 2, 6},
	{"CA", "CAD", "CA", 136, 2, 7}, {"CN", "CNY", "CN", 720, 2, 10}, {"BR", "BRL", "BR", 500, 2, 4},
	{"IN", "INR", "IN", 8300, 2, 4}, {"KR", "KRW", "KR", 1350, 0, 5}, {"MX", "MXN", "MX", 1700, 2, 3},
	{"CH", "CHF", "CH", 88, 2, 3}, {"SE", "SEK", "SE", 1050, 2, 2}, {"NO", "NOK", "NO", 1060, 2, 2},
	{"DK", "DKK", "DK", 690, 2, 2}, {"PL", "PLN", "PL", 400, 2, 2}, {"TR", "TRY", "TR", 3200, 2, 2},
	{"SA", "SAR", "SA", 375, 2, 1}, {"AE", "AED", "AE", 367, 2, 1}, {"ZA", "ZAR", "ZA", 1850, 2, 1},
	{"SG", "SGD", "SG", 135, 2, 2}, {"HK", "HKD", "HK", 780, 2, 2}, {"TW", "TWD", "TW", 3200, 2, 3},
	{"TH", "THB", "TH", 3600, 2, 1}, {"NZ", "NZD", "NZ", 165, 2, 1}, {"IL", "ILS", "IL", 370, 2, 1},
	// Rest of world, priced and paid in USD.
	{"KE", "USD", "WW", 100, 2, 1}, {"UA", "USD", "WW", 100, 2, 1}, {"AM", "USD", "WW", 100, 2, 1},
	{"GH", "USD", "WW", 100, 2, 1}, {"LK", "USD", "WW", 100, 2, 1},
	// Latin America and the Caribbean, in USD.
	{"AR", "USD", "LL", 100, 2, 1}, {"UY", "USD", "LL", 100, 2, 1},
}

// euTerritories are the storefronts INSTALLS (Core Technology Fee) reports cover.
var euTerritories = []string{"AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "NL", "PT"}

type device struct {
	name, platforms string
	weight          int
	mac             bool
}

var devices = []device{
	{"iPhone", "iOS", 60, false}, {"iPad", "iOS", 20, false}, {"Desktop", "macOS", 8, true},
	{"Apple TV", "tvOS", 3, false}, {"Apple Watch", "watchOS", 5, false},
	{"Apple Vision", "visionOS", 1, false},
}

type app struct {
	name, sku, category, version string
	id                           int64
	priceUSD                     int64 // cents; 0 = free
}

// product kinds
const (
	kindApp = iota
	kindIAP
	kindSub
)

type product struct {
	app      *app
	kind     int
	name     string
	sku      string
	id       int64
	priceUSD int64
	duration string // subscriptions
	groupID  int64  // subscriptions
}

type catalog struct {
	apps     []*app
	products []*product
	subs     []*product
}

var appNames = []string{"Kachit Notes", "Café Übung", "旅行日記", "Pocket Ledger", "Night Sky Atlas",
	"Tide Tables", "Word Forge", "Pixel Garden"}
var categories = []string{"Productivity", "Education", "Travel", "Finance", "Reference", "Weather", "Games", "Lifestyle"}

const developerName = "Ascetl Labs GmbH"

func (s *Server) buildCatalog() *catalog {
	r := s.rng("catalog")
	c := &catalog{}
	nextID := int64(1400000000 + r.IntN(90000000))
	id := func() int64 { nextID += 1 + int64(r.IntN(900)); return nextID }
	for i := 0; i < s.opt.Apps; i++ {
		name := appNames[i%len(appNames)]
		if i >= len(appNames) {
			name = fmt.Sprintf("%s %d", name, i/len(appNames)+1)
		}
		a := &app{name: name, sku: fmt.Sprintf("com.ascetl.app%d", i+1),
			category: categories[i%len(categories)],
			version:  fmt.Sprintf("%d.%d.%d", 1+r.IntN(4), r.IntN(10), r.IntN(20)), id: id()}
		if i%4 == 1 {
			a.priceUSD = 299
		}
		c.apps = append(c.apps, a)
		c.products = append(c.products, &product{app: a, kind: kindApp, name: a.name, sku: a.sku, id: a.id, priceUSD: a.priceUSD})
		c.products = append(c.products,
			&product{app: a, kind: kindIAP, name: "Coin Pack", sku: a.sku + ".coins", id: id(), priceUSD: 99},
			&product{app: a, kind: kindIAP, name: "Pro Unlock", sku: a.sku + ".pro", id: id(), priceUSD: 999})
		if i%2 == 0 {
			g := id() + 20000000
			add := func(name, suffix, dur string, price int64) {
				p := &product{app: a, kind: kindSub, name: name, sku: a.sku + "." + suffix, id: id(),
					priceUSD: price, duration: dur, groupID: g}
				c.products = append(c.products, p)
				c.subs = append(c.subs, p)
			}
			add("Premium Monthly", "premium.monthly", "1 Month", 499)
			add("Premium Yearly", "premium.yearly", "1 Year", 3999)
			if i%4 == 2 {
				add("Weekly Pass", "weekly", "7 Days", 199)
			}
		}
	}
	return c
}

// localPrice converts a USD price to a customer price in the territory's currency, rounded
// like a price tier (x.99, or whole tens / hundreds for zero-decimal currencies).
//
// Decision (Prices): USD tiers converted with fixed rates, rounded to x.99 (tens/hundreds for
// JPY/KRW); proceeds 70 % (85 % "Rate After One Year"), truncated to the minor unit.
func localPrice(usdCents int64, t *territory) int64 {
	if usdCents == 0 {
		return 0
	}
	v := usdCents * t.per / 100
	if t.dec == 0 {
		step := int64(10)
		if v >= 1000 {
			step = 100
		}
		return max((v+step/2)/step*step, step)
	}
	return v/100*100 + 99
}

// proceedsOf is the developer's proceeds per unit: 70 % of the customer price (85 % for
// subscriptions after one year of paid service), truncated to the currency's minor unit.
func proceedsOf(price int64, rate85 bool) int64 {
	if rate85 {
		return price * 85 / 100
	}
	return price * 70 / 100
}

// money formats minor units with dec decimals: 1234,2 → "12.34"; -99,2 → "-0.99"; 150,0 → "150".
func money(minor int64, dec int) string {
	if dec == 0 {
		return fmt.Sprint(minor)
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	p := int64(1)
	for range dec {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, minor/p, dec, minor%p)
}

func decOf(currency string) int {
	if currency == "JPY" || currency == "KRW" {
		return 0
	}
	return 2
}

// rng returns a generator determined by the seed and the given parts.
func (s *Server) rng(parts ...string) *rand.Rand {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(s.opt.Seed))
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	a := h.Sum64()
	h.Write([]byte{1})
	return rand.New(rand.NewPCG(a, h.Sum64()))
}

// chance reports, deterministically for the parts, whether an event of pct percent happens.
func (s *Server) chance(pct int, parts ...string) bool {
	return s.rng(append([]string{"chance"}, parts...)...).IntN(100) < pct
}

func mdy(d time.Time) string { return d.Format("01/02/2006") }
func iso(d time.Time) string { return d.Format("2006-01-02") }

// doc is a report file before faults and rendering: optional preamble lines, the header
// row, data rows and trailer lines (footers, summary tables).
type doc struct {
	preamble []string
	header   []string
	rows     [][]string
	trailer  []string
}

func (d *doc) render() []byte {
	var b strings.Builder
	for _, l := range d.preamble {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString(strings.Join(d.header, "\t"))
	b.WriteByte('\n')
	for _, r := range d.rows {
		b.WriteString(strings.Join(r, "\t"))
		b.WriteByte('\n')
	}
	for _, l := range d.trailer {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// builder fills rows of a layout by column name; unset cells are empty, and names the
// layout does not have (optional columns) are ignored.
type builder struct {
	header []string
	idx    map[string]int
}

func newBuilder(header []string) *builder {
	b := &builder{header: header, idx: make(map[string]int, len(header))}
	for i, h := range header {
		b.idx[h] = i
	}
	return b
}

type row struct {
	b     *builder
	cells []string
}

func (b *builder) row() row { return row{b: b, cells: make([]string, len(b.header))} }

func (r row) set(col string, v any) row {
	if i, ok := r.b.idx[col]; ok {
		r.cells[i] = fmt.Sprint(v)
	}
	return r
}

// blank sets the named columns to a single space, as Apple does for many empty cells.
func (r row) blank(cols ...string) row {
	for _, c := range cols {
		r.set(c, " ")
	}
	return r
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// dateOnly is t's UTC day at midnight.
func dateOnly(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseISODate reads a YYYY-MM-DD date.
func parseISODate(v string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", v, err)
	}
	return t, nil
}
