package simulator

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Generation of one customer review and its developer response: territory, rating, texts,
// dates with their offsets, ids.

// opaqueID makes an id shaped like Apple's review ids ("00000028-b08c-0014-729e-fbd500000000")
// from 64 hashed bits.
//
// Decision (Ids): reviews and responses "000000xx-xxxx-00xx-xxxx-xxxx00000000" (64 hashed bits
// of seed, app and index), deterministic.
func opaqueID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	v := binary.BigEndian.Uint64(h[:8])
	return fmt.Sprintf("000000%02x-%04x-00%02x-%04x-%04x00000000",
		v>>56, (v>>40)&0xffff, (v>>32)&0xff, (v>>16)&0xffff, v&0xffff)
}

// uniqueID derives an id not yet used in taken (deterministic salt on collision).
func uniqueID(taken func(string) bool, parts ...string) string {
	id := opaqueID(parts...)
	for i := 1; taken(id); i++ {
		id = opaqueID(append(parts, strconv.Itoa(i))...)
	}
	return id
}

var ratingWeights = [5]int{20, 6, 7, 12, 55} // 1..5 stars

var responsePct = [5]int{55, 45, 30, 18, 22} // chance of a developer response by rating

var weightTotal = func() (n int) { // territory weights
	for _, t := range reviewTerritories {
		n += t.weight
	}
	return n
}()

// offsetAt is the territory's UTC offset in minutes at the instant (simplified summer time:
// northern Apr–Oct, southern Oct–Mar, +1 h).
//
// Decision: createdDate always has a numeric offset, never "Z" ("+00:00" for ISL, GBR in
// winter): the territory's standard offset (USA/CAN/AUS pick one of several zones per review,
// IND +05:30, NPL +05:45, AUS +09:30/+10:30) plus 1 h in summer (northern Apr–Oct, southern
// Oct–Mar; a simplification of real DST rules, no tz database). TruthReview.Created carries
// that offset as a fixed zone.
func offsetAt(std, dst int, at time.Time) int {
	m := at.UTC().Month()
	switch {
	case dst == 1 && m >= time.April && m <= time.October:
		return std + 60
	case dst == 2 && (m >= time.October || m <= time.March):
		return std + 60
	}
	return std
}

func zoneOf(minutes int) *time.Location {
	sign, m := '+', minutes
	if m < 0 {
		sign, m = '-', -m
	}
	return time.FixedZone(fmt.Sprintf("%c%02d:%02d", sign, m/60, m%60), minutes*60)
}

// genReview builds one review (deterministic in seed, app and key). st.mu must be held.
// The draws from r come in a fixed order: territory, offset, rating, title, body,
// nickname, response.
//
// Decision: Ratings 1–5 weigh 20/6/7/12/55 %. Texts come from per-language corpora (en, de, fr,
// ja, ko, zh, pt, es, ar, he) picked by territory (22 territories, weighted, alpha-3), with
// emoji (incl. ZWJ and skin-tone sequences), '\n'/"\n\n" sentence breaks, tabs, quotes,
// backslashes, "<3 & <b>", U+2028; ~2 % empty titles, ~1 % bodies of 4000–8000 characters. An
// empty title is served as "title": "".
func (s *Server) genReview(st *reviewStore, ar *appReviews, key string, at time.Time) *review {
	r := s.rng("review", ar.appID, key)
	terr := pickTerritory(r)
	off := offsetAt(pick(r, terr.offsets), terr.dst, at)
	created := at.In(zoneOf(off))
	rating := pickRating(r)
	c := corpora[terr.lang]
	rv := &review{app: ar, rating: rating, created: created, createdRaw: created.Format(reviewDateLayout),
		unix: at.Unix(), territory: terr.code}
	rv.title = reviewTitle(r, c, rating)
	rv.body = reviewBody(r, c, rating)
	rv.nick = pick(r, c.nicks)
	switch n := r.IntN(100); {
	case n < 20:
		rv.nick += strconv.Itoa(r.IntN(10000))
	case n < 25:
		rv.nick += " " + pick(r, reviewEmoji)
	}
	for _, v := range ar.versions {
		if !v.released.After(at) {
			rv.version = v
		}
	}
	if rv.version == nil {
		rv.version = ar.versions[0]
	}
	rv.id = uniqueID(func(id string) bool { _, ok := st.byID[id]; return ok },
		"customerReviews", strconv.FormatInt(s.opt.Seed, 10), ar.appID, key)
	st.byID[rv.id] = rv
	if r.IntN(100) < responsePct[rating-1] {
		rv.resp = s.genResponse(st, r, rv, c, at)
	}
	return rv
}

// pickTerritory draws a territory by its weight.
func pickTerritory(r *rand.Rand) reviewTerritory {
	w := r.IntN(weightTotal)
	terr := reviewTerritories[0]
	for _, t := range reviewTerritories {
		if w < t.weight {
			terr = t
			break
		}
		w -= t.weight
	}
	return terr
}

// pickRating draws 1–5 stars by ratingWeights.
func pickRating(r *rand.Rand) int {
	rating := 5
	w := r.IntN(100)
	for i, p := range ratingWeights {
		if w < p {
			rating = i + 1
			break
		}
		w -= p
	}
	return rating
}

// genResponse builds the developer response to rv, created 1 h–10 days after the review
// at. st.mu must be held.
//
// Decision (Developer responses): by rating 55/45/30/18/22 % (≈30 % overall), created 1 h–10
// days after the review (skewed short), visible once that time ≤ Now; lastModifiedDate = that
// time, RFC 3339 with "-08:00"/"-07:00" (Pacific, same simplified summer rule) for 70 % and "Z"
// for 30 %; ~4 % stay PENDING_PUBLISH for ever, the rest are PUBLISHED. EditResponse takes
// effect immediately whatever its time, keeps the response id if the review had one (generated
// or edited), sets state PUBLISHED and lastModifiedDate = at (whole seconds, formatted in at's
// location, "Z" for UTC). DeleteResponse hides the response (also a generated one not yet
// visible) for good, until an EditResponse.
func (s *Server) genResponse(st *reviewStore, r *rand.Rand, rv *review, c *corpus, at time.Time) *reviewResponse {
	delay := time.Hour + time.Duration(r.Float64()*r.Float64()*240*float64(time.Hour))
	rat := at.Add(delay).Truncate(time.Second)
	var loc *time.Location
	if r.IntN(100) < 70 {
		loc = zoneOf(offsetAt(-480, 1, rat))
	} else {
		loc = time.UTC
	}
	rat = rat.In(loc)
	body := pick(r, c.sorry)
	if rv.rating >= 4 {
		body = pick(r, c.thanks)
	}
	if r.IntN(100) < 30 {
		body = strings.Fields(rv.nick + " x")[0] + ",\n\n" + body // greet by the first word
	}
	body += "\n\n" + c.sign
	state := "PUBLISHED"
	if r.IntN(100) < 4 {
		state = "PENDING_PUBLISH"
	}
	rid := uniqueID(func(id string) bool { return st.respIDs[id] },
		"customerReviewResponses", strconv.FormatInt(s.opt.Seed, 10), rv.id)
	st.respIDs[rid] = true
	return &reviewResponse{id: rid, body: body, state: state, at: rat,
		raw: rat.Format(responseLayout), unix: rat.Unix()}
}

func reviewTitle(r *rand.Rand, c *corpus, rating int) string {
	if r.IntN(100) < 2 {
		return ""
	}
	var t string
	switch {
	case rating >= 4:
		t = pick(r, c.posTitles)
	case rating <= 2:
		t = pick(r, c.negTitles)
	default:
		t = pick(r, c.midTitles)
	}
	if r.IntN(100) < 10 {
		t += " " + pick(r, reviewEmoji)
	}
	return t
}

func reviewBody(r *rand.Rand, c *corpus, rating int) string {
	sentence := func() string {
		switch {
		case rating >= 4:
			return pick(r, c.pos)
		case rating <= 2:
			return pick(r, c.neg)
		case r.IntN(2) == 0:
			return pick(r, c.pos)
		default:
			return pick(r, c.neg)
		}
	}
	sep := func() string {
		switch n := r.IntN(10); {
		case n < 7:
			return " "
		case n < 9:
			return "\n"
		default:
			return "\n\n"
		}
	}
	var b strings.Builder
	b.WriteString(sentence())
	for range r.IntN(4) {
		b.WriteString(sep())
		b.WriteString(sentence())
	}
	if r.IntN(100) < 8 {
		b.WriteString("\n")
		b.WriteString(pick(r, reviewOdd))
	}
	if r.IntN(100) < 18 {
		b.WriteString(" ")
		b.WriteString(pick(r, reviewEmoji))
	}
	if r.IntN(100) < 1 { // a very long review
		target := 4000 + r.IntN(4000)
		for n := len([]rune(b.String())); n < target; n = len([]rune(b.String())) {
			b.WriteString(sep())
			b.WriteString(sentence())
		}
	}
	return b.String()
}
