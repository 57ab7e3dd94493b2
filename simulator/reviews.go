package simulator

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Customer reviews: a deterministic per-app review history (see doc.go, "Customer
// reviews"). Reviews are generated lazily on first use; the historic part once per app, the
// stream after reviewEpoch day by day as the clock needs it.

// DefaultReviewsPerApp is the number of historic reviews per app when
// Options.ReviewsPerApp is 0.
const DefaultReviewsPerApp = 1500

// reviewEpoch splits the historic reviews (the two years before it) from the steady stream
// (after it).
var reviewEpoch = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// ReviewEpoch returns the fixed instant that separates the generated review history (the
// two years before it) from the steady stream of new reviews after it.
func ReviewEpoch() time.Time { return reviewEpoch }

const (
	reviewDateLayout = "2006-01-02T15:04:05-07:00" // always a numeric offset
	responseLayout   = "2006-01-02T15:04:05Z07:00" // "Z" for UTC
	day              = 24 * time.Hour
	historySpan      = 2 * 365 * day
)

// TruthReview is a customer review as served now.
type TruthReview struct {
	ID       string
	AppID    string
	Rating   int
	Title    string
	Body     string
	Nickname string
	// Created carries the review's original UTC offset as its location.
	Created time.Time
	// CreatedRaw is the exact createdDate text served.
	CreatedRaw string
	// Territory is the alpha-3 code.
	Territory string
	// VersionID is the appStoreVersions id the review belongs to.
	VersionID string
	// Response is the developer response visible now (PUBLISHED or PENDING_PUBLISH), or nil.
	Response *TruthResponse
}

// TruthResponse is a developer response as served now.
type TruthResponse struct {
	ID              string
	Body            string
	State           string // PUBLISHED or PENDING_PUBLISH
	LastModified    time.Time
	LastModifiedRaw string
}

// TruthVersion is an app store version reviews are tied to.
type TruthVersion struct {
	ID       string
	Version  string
	Released time.Time
}

type review struct {
	id         string
	app        *appReviews
	version    *appVersion
	rating     int
	title      string
	body       string
	nick       string
	created    time.Time // in its fixed offset zone
	createdRaw string
	unix       int64
	territory  string
	resp       *reviewResponse // generated response (nil = none); visible when resp.unix <= now
}

type reviewResponse struct {
	id    string
	body  string
	state string
	at    time.Time
	raw   string
	unix  int64
}

type appVersion struct {
	id       string
	version  string
	released time.Time
}

type appReviews struct {
	appID    string
	app      *app
	versions []*appVersion // oldest first
	all      []*review     // ascending by (unix, id)
	days     int           // stream days generated after reviewEpoch
}

// respEdit is a response set by EditResponse or removed by DeleteResponse.
type respEdit struct {
	deleted bool
	resp    *reviewResponse
}

type reviewStore struct {
	mu        sync.Mutex
	perApp    int
	apps      map[string]*appReviews // by app Apple id
	order     []string               // app ids in catalog order
	versionOf map[string]*appReviews // version id → app
	versions  map[string]*appVersion
	byID      map[string]*review
	respIDs   map[string]bool
	edits     map[string]*respEdit // by review id
}

// reviewsStore returns the store, creating the app entries (not the reviews) on first use.
func (s *Server) reviewsStore() *reviewStore {
	s.revOnce.Do(func() {
		st := &reviewStore{perApp: s.opt.ReviewsPerApp, apps: map[string]*appReviews{},
			versionOf: map[string]*appReviews{}, versions: map[string]*appVersion{},
			byID: map[string]*review{}, respIDs: map[string]bool{}, edits: map[string]*respEdit{}}
		if st.perApp == 0 {
			st.perApp = DefaultReviewsPerApp
		}
		st.perApp = max(st.perApp, 0)
		for _, a := range s.cat.apps {
			ar := &appReviews{appID: strconv.FormatInt(a.id, 10), app: a}
			ar.versions = s.appVersions(a)
			for _, v := range ar.versions {
				st.versionOf[v.id] = ar
				st.versions[v.id] = v
			}
			st.apps[ar.appID] = ar
			st.order = append(st.order, ar.appID)
		}
		s.rev = st
	})
	return s.rev
}

// appVersions are four versions per app, released about every six months starting before
// the first historic review; the newest carries the catalog's version string.
func (s *Server) appVersions(a *app) []*appVersion {
	var maj, mnr, pat int
	if _, err := fmt.Sscanf(a.version, "%d.%d.%d", &maj, &mnr, &pat); err != nil {
		maj, mnr, pat = 1, 0, 0
	}
	r := s.rng("appStoreVersions", a.sku)
	start := reviewEpoch.Add(-historySpan - 20*day)
	var out []*appVersion
	for k := range 4 {
		back := 3 - k
		v := a.version
		if back > 0 {
			m, n := maj, mnr-back
			if n < 0 {
				m, n = max(maj-1, 0), 10+n
			}
			v = fmt.Sprintf("%d.%d.0", m, n)
		}
		rel := start.Add(time.Duration(k)*182*day + time.Duration(r.IntN(20*24*3600))*time.Second)
		h := sha256.Sum256(fmt.Appendf(nil, "asc-version|%d|%s|%s", s.opt.Seed, a.sku, v))
		h[6] = h[6]&0x0f | 0x40
		h[8] = h[8]&0x3f | 0x80
		id := fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
		out = append(out, &appVersion{id: id, version: v, released: rel})
	}
	return out
}

// streamRate is the mean number of new reviews per day after the epoch (the history's
// density at its end: it grows linearly over the two years).
func (st *reviewStore) streamRate() float64 {
	return 2 * float64(st.perApp) / (historySpan.Hours() / 24)
}

// ensure generates the app's history (first call) and its stream through the day of t.
// st.mu must be held.
func (s *Server) ensure(st *reviewStore, ar *appReviews, t time.Time) {
	if ar.all == nil {
		ar.all = make([]*review, 0, st.perApp+64)
		for i := range st.perApp {
			key := "h" + strconv.Itoa(i)
			r := s.rng("review-time", ar.appID, key)
			// Density grows linearly towards the epoch (more users, more reviews).
			back := time.Duration((1 - math.Sqrt(r.Float64())) * float64(historySpan/time.Second))
			at := reviewEpoch.Add(-back * time.Second).Truncate(time.Second)
			if !at.Before(reviewEpoch) {
				at = reviewEpoch.Add(-time.Second)
			}
			ar.all = append(ar.all, s.genReview(st, ar, key, at))
		}
		sortAsc(ar.all)
	}
	if t.Before(reviewEpoch) {
		return
	}
	need := int(t.Sub(reviewEpoch)/day) + 1
	rate := st.streamRate()
	for ; ar.days < need; ar.days++ {
		d := strconv.Itoa(ar.days)
		r := s.rng("review-day", ar.appID, d)
		mean := rate * (0.5 + r.Float64())
		n := int(mean)
		if r.Float64() < mean-float64(n) {
			n++
		}
		base := reviewEpoch.Add(time.Duration(ar.days) * day)
		var batch []*review
		for k := range n {
			at := base.Add(time.Duration(r.IntN(86400)) * time.Second)
			batch = append(batch, s.genReview(st, ar, "d"+d+"."+strconv.Itoa(k), at))
		}
		sortAsc(batch)
		ar.all = append(ar.all, batch...)
	}
}

func sortAsc(rs []*review) {
	slices.SortFunc(rs, func(a, b *review) int {
		if a.unix != b.unix {
			return cmpInt64(a.unix, b.unix)
		}
		return strings.Compare(a.id, b.id)
	})
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// opaqueID makes an id shaped like Apple's review ids ("00000028-b08c-0014-729e-fbd500000000")
// from 64 hashed bits.
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
var weightTotal = func() (n int) {           // territory weights
	for _, t := range reviewTerritories {
		n += t.weight
	}
	return n
}()

// offsetAt is the territory's UTC offset in minutes at the instant (simplified summer time:
// northern Apr–Oct, southern Oct–Mar, +1 h).
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
func (s *Server) genReview(st *reviewStore, ar *appReviews, key string, at time.Time) *review {
	r := s.rng("review", ar.appID, key)
	w := r.IntN(weightTotal)
	terr := reviewTerritories[0]
	for _, t := range reviewTerritories {
		if w < t.weight {
			terr = t
			break
		}
		w -= t.weight
	}
	off := offsetAt(pick(r, terr.offsets), terr.dst, at)
	created := at.In(zoneOf(off))
	rating := 5
	w = r.IntN(100)
	for i, p := range ratingWeights {
		if w < p {
			rating = i + 1
			break
		}
		w -= p
	}
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
		if rating >= 4 {
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
		rv.resp = &reviewResponse{id: rid, body: body, state: state, at: rat,
			raw: rat.Format(responseLayout), unix: rat.Unix()}
	}
	return rv
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

// responseAt is the response visible at unix time t: an edit wins, else the generated one
// once created. st.mu must be held.
func (st *reviewStore) responseAt(rv *review, t int64) *reviewResponse {
	if e, ok := st.edits[rv.id]; ok {
		if e.deleted {
			return nil
		}
		return e.resp
	}
	if rv.resp != nil && rv.resp.unix <= t {
		return rv.resp
	}
	return nil
}

// visible returns the app's reviews created at or before unix time t, ascending.
// st.mu must be held.
func (s *Server) visible(st *reviewStore, ar *appReviews, t int64) []*review {
	s.ensure(st, ar, time.Unix(t, 0))
	n, _ := slices.BinarySearchFunc(ar.all, t, func(rv *review, t int64) int {
		if rv.unix <= t {
			return -1
		}
		return 1
	})
	return ar.all[:n:n]
}

// lookupReview finds a review visible at t by id. st.mu must be held.
func (s *Server) lookupReview(st *reviewStore, id string, t int64) *review {
	for _, appID := range st.order {
		s.ensure(st, st.apps[appID], time.Unix(t, 0))
	}
	rv := st.byID[id]
	if rv == nil || rv.unix > t {
		return nil
	}
	return rv
}

func truthOfReview(rv *review, resp *reviewResponse) TruthReview {
	t := TruthReview{ID: rv.id, AppID: rv.app.appID, Rating: rv.rating, Title: rv.title, Body: rv.body,
		Nickname: rv.nick, Created: rv.created, CreatedRaw: rv.createdRaw, Territory: rv.territory,
		VersionID: rv.version.id}
	if resp != nil {
		t.Response = &TruthResponse{ID: resp.id, Body: resp.body, State: resp.state,
			LastModified: resp.at, LastModifiedRaw: resp.raw}
	}
	return t
}

// AppIDs returns the Apple ids of the catalog's apps (the ids of /v1/apps/{id}/…).
func (s *Server) AppIDs() []string {
	return slices.Clone(s.reviewsStore().order)
}

// AppStoreVersions returns the app's versions (oldest first) whose ids
// /v1/appStoreVersions/{id}/customerReviews accepts.
func (s *Server) AppStoreVersions(appID string) ([]TruthVersion, error) {
	st := s.reviewsStore()
	ar := st.apps[appID]
	if ar == nil {
		return nil, fmt.Errorf("reviews: no app with id %q", appID)
	}
	out := make([]TruthVersion, 0, len(ar.versions))
	for _, v := range ar.versions {
		out = append(out, TruthVersion{ID: v.id, Version: v.version, Released: v.released})
	}
	return out, nil
}

// TruthReviews returns every review of the app visible now (createdDate <= Now), newest
// first (ties by id ascending, as sort=-createdDate serves them), with the response visible
// now.
func (s *Server) TruthReviews(appID string) ([]TruthReview, error) {
	st := s.reviewsStore()
	ar := st.apps[appID]
	if ar == nil {
		return nil, fmt.Errorf("reviews: no app with id %q", appID)
	}
	now := s.now().Unix()
	st.mu.Lock()
	defer st.mu.Unlock()
	vis := slices.Clone(s.visible(st, ar, now))
	slices.SortStableFunc(vis, reviewOrder("-createdDate"))
	out := make([]TruthReview, len(vis))
	for i, rv := range vis {
		out[i] = truthOfReview(rv, st.responseAt(rv, now))
	}
	return out, nil
}

// EditResponse sets or replaces the developer response of a review (creating one if it has
// none). It takes effect at once; lastModifiedDate = at (whole seconds, in at's location),
// state PUBLISHED. The response keeps its id when it had one.
func (s *Server) EditResponse(reviewID, body string, at time.Time) error {
	st := s.reviewsStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	rv := s.findReview(st, reviewID)
	if rv == nil {
		return fmt.Errorf("reviews: no review with id %q", reviewID)
	}
	id := ""
	if e := st.edits[reviewID]; e != nil && e.resp != nil {
		id = e.resp.id
	} else if rv.resp != nil {
		id = rv.resp.id
	} else {
		id = uniqueID(func(id string) bool { return st.respIDs[id] },
			"customerReviewResponses", strconv.FormatInt(s.opt.Seed, 10), rv.id, "edit")
		st.respIDs[id] = true
	}
	at = at.Round(0).Truncate(time.Second)
	st.edits[reviewID] = &respEdit{resp: &reviewResponse{id: id, body: body, state: "PUBLISHED",
		at: at, raw: at.Format(responseLayout), unix: at.Unix()}}
	return nil
}

// DeleteResponse removes the developer response of a review (generated or edited, visible
// yet or not). It fails when the review is unknown or has no response.
func (s *Server) DeleteResponse(reviewID string) error {
	st := s.reviewsStore()
	st.mu.Lock()
	defer st.mu.Unlock()
	rv := s.findReview(st, reviewID)
	if rv == nil {
		return fmt.Errorf("reviews: no review with id %q", reviewID)
	}
	e := st.edits[reviewID]
	if (e != nil && e.deleted) || (e == nil && rv.resp == nil) {
		return errors.New("reviews: review " + reviewID + " has no response")
	}
	st.edits[reviewID] = &respEdit{deleted: true}
	return nil
}

// findReview finds a generated review (visible or not yet) by id. st.mu must be held.
func (s *Server) findReview(st *reviewStore, id string) *review {
	now := s.now()
	for _, appID := range st.order {
		s.ensure(st, st.apps[appID], now)
	}
	return st.byID[id]
}
