package simulator

import (
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Customer reviews: a deterministic per-app review history. Reviews are generated lazily on
// first use; the historic part once per app, the stream after reviewEpoch day by day as the
// clock needs it (one review in reviews_gen.go; HTTP in reviews_http.go).

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
//
// Decision (Versions): four appStoreVersions per app (UUID-shaped ids, AppStoreVersions),
// released ~every 182 days from 20 days before the history starts; the newest carries the
// catalog's version string, older ones step the minor version back. A review belongs to the
// newest version released at or before its createdDate (stream reviews to the newest).
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
//
// Decision (Data): Options.ReviewsPerApp historic reviews per app (0 = 1500, negative = none),
// dated over the two years before ReviewEpoch (2026-11-01T00:00:00Z) with a density that grows
// linearly towards it, then a stream of on average 2×ReviewsPerApp/730 reviews per app per day
// (±50 % per day) after it. A review is visible when createdDate ≤ Now. Every review is a pure
// function of seed, app and its index (history) or day and index (stream); reviews are
// generated lazily on first use.
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
