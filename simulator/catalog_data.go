package simulator

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/ascetl/etl/report"
)

// The catalog as the /v1/apps family serves it: a pure function of the seed, Options.Apps
// and (for builds and the rename) the clock. It is rebuilt per request; it is small.

// renameAt is when the catalog's second app takes its new name.
//
// Decision (Rename): the catalog's second app ("Café Übung", com.ascetl.app2) is called "Café
// Übung – Deutsch lernen" from RenameAt() = 2026-11-23 00:00 America/Los_Angeles. /v1/apps
// answers by the clock; the SALES "Title" of the app's own rows follows the report's Begin Date
// (a Pacific day). Finance "Title" and INSTALLS / FIRST_ANNUAL "App Name" keep the old name
// (the app has no subscriptions).
var renameAt = time.Date(2026, 11, 23, 0, 0, 0, 0, report.Pacific)

const (
	renamedIndex = 1
	renamedName  = "Café Übung – Deutsch lernen"
	preorderName = "Upcoming Quest"
	preorderSKU  = "com.ascetl.upcomingquest"
	kioskName    = "Kachit Kiosk"
	kioskSKU     = "com.ascetl.kiosk"
	kioskSubName = "Kachit Monthly Magazine"
	kioskSubSKU  = "com.ascetl.kiosk.monthly"
	catDateFmt   = "2006-01-02T15:04:05-07:00"
)

// RenameAt is the instant the catalog's second app (sku com.ascetl.app2) is renamed.
func RenameAt() time.Time { return renameAt }

// RenamedApp returns the old and new name of the renamed app.
func RenamedApp() (oldName, newName string) { return appNames[renamedIndex], renamedName }

// appNameAt is the app's name at instant t.
func (s *Server) appNameAt(a *app, t time.Time) string {
	if len(s.cat.apps) > renamedIndex && s.cat.apps[renamedIndex] == a && !t.Before(renameAt) {
		return renamedName
	}
	return a.name
}

// titleOn is the SALES "Title" of a product on the Pacific report day whose date is day's
// calendar date (any location).
func (s *Server) titleOn(p *product, day time.Time) string {
	if p.kind != kindApp {
		return p.name
	}
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, report.Pacific)
	return s.appNameAt(p.app, d)
}

type catApp struct {
	id, sku, locale string
	a               *app // nil for the two sales-only apps
	live            bool
	name            func(t time.Time) string
	versions        []*catVersion // newest first
	iaps            []*catIAP
	groups          []*catGroup
	created         time.Time
}

type catVersion struct {
	id, version, state, vstate string
	created, released          time.Time
	app                        *catApp
}

type catIAP struct {
	id, name, productID, typ string
	family                   bool
	app                      *catApp
}

type catGroup struct {
	id, ref string
	app     *catApp
	subs    []*catSub
}

type catSub struct {
	id, name, productID, period string
	level                       int
	family                      bool
	group                       *catGroup
}

type catModel struct {
	apps   []*catApp
	byID   map[string]*catApp
	groups map[string]*catGroup
	subs   map[string]*catSub
	iaps   map[string]*catIAP
	vers   map[string]*catVersion
}

var periodOf = map[string]string{"7 Days": "ONE_WEEK", "1 Month": "ONE_MONTH", "2 Months": "TWO_MONTHS",
	"3 Months": "THREE_MONTHS", "6 Months": "SIX_MONTHS", "1 Year": "ONE_YEAR"}

func localeOf(name string) string {
	switch name {
	case "Café Übung":
		return "de-DE"
	case "旅行日記":
		return "ja"
	}
	return "en-US"
}

// preorderAppID is the PRE_ORDER report's Apple Identifier and kioskSubID the NEWSSTAND
// one: below the first catalog id, so no catalog id can equal them (catalog ids only grow).
func (s *Server) preorderAppID() int64 { return s.cat.apps[0].id - 777 }
func (s *Server) kioskSubID() int64    { return s.cat.apps[0].id - 999 }

func id10(n int64) string { return strconv.FormatInt(n, 10) }

// model builds the catalog. Everything but builds is independent of the clock.
//
// Decision: The catalog endpoints (/v1/apps, /v1/apps/{id}, …/appStoreVersions, /v1/builds,
// …/inAppPurchasesV2, …/subscriptionGroups, …/subscriptions) serve one model built from the
// same catalog (data.go) the report generators use, so every id in a sales, finance,
// subscription, reviews or metrics row resolves: apps.id = App Apple ID, apps.sku =
// apps.bundleId = the app's SALES "SKU" and its products' "Parent Identifier";
// inAppPurchases.id / subscriptions.id = SALES "Apple Identifier", productId = SALES "SKU";
// subscriptionGroups.id = "Subscription Group ID"; appStoreVersions ids are the review
// versions' ids; builds are the metrics builds (same ids, numbers, dates).
func (s *Server) model() *catModel {
	m := &catModel{byID: map[string]*catApp{}, groups: map[string]*catGroup{}, subs: map[string]*catSub{},
		iaps: map[string]*catIAP{}, vers: map[string]*catVersion{}}
	groups := map[int64]*catGroup{}
	for _, a := range s.cat.apps {
		m.add(s.liveApp(a, groups))
	}
	s.addReportOnlyApps(m)
	return m
}

// add indexes an app with its versions, in-app purchases, groups and subscriptions.
func (m *catModel) add(ca *catApp) {
	m.apps = append(m.apps, ca)
	m.byID[ca.id] = ca
	for _, v := range ca.versions {
		v.app = ca
		m.vers[v.id] = v
	}
	for _, p := range ca.iaps {
		m.iaps[p.id] = p
	}
	for _, g := range ca.groups {
		m.groups[g.id] = g
		for _, sb := range g.subs {
			m.subs[sb.id] = sb
		}
	}
}

// liveApp is a catalog app with its review versions (newest first) and its products;
// groups collects the subscription groups by id across apps.
//
// Decision: appStoreVersions do not depend on the clock (as for reviews): four per live app,
// newest READY_FOR_SALE, older REPLACED_WITH_NEW_VERSION, createdDate 10 days before release,
// newest first. Builds do: only builds uploaded by Now are listed, like the metrics builds. The
// app version of a build is served as its preReleaseVersion (include=preReleaseVersion on GET
// /v1/builds, ids derived from seed, sku and version).
func (s *Server) liveApp(a *app, groups map[int64]*catGroup) *catApp {
	ca := &catApp{id: appIDOf(a), sku: a.sku, locale: localeOf(a.name), a: a, live: true,
		name: func(t time.Time) string { return s.appNameAt(a, t) }}
	vs := s.appVersions(a)
	ca.created = vs[0].released.Add(-40 * day)
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		cv := &catVersion{id: v.id, version: v.version, released: v.released, created: v.released.Add(-10 * day),
			state: "REPLACED_WITH_NEW_VERSION", vstate: "REPLACED_WITH_NEW_VERSION"}
		if i == len(vs)-1 {
			cv.state, cv.vstate = "READY_FOR_SALE", "READY_FOR_DISTRIBUTION"
		}
		ca.versions = append(ca.versions, cv)
	}
	for _, p := range s.cat.products {
		if p.app != a {
			continue
		}
		switch p.kind {
		case kindIAP:
			typ, fam := "CONSUMABLE", false
			if p.priceUSD >= 999 {
				typ, fam = "NON_CONSUMABLE", true
			}
			ca.iaps = append(ca.iaps, &catIAP{id: id10(p.id), name: p.name, productID: p.sku, typ: typ, family: fam, app: ca})
		case kindSub:
			g := groups[p.groupID]
			if g == nil {
				g = &catGroup{id: id10(p.groupID), ref: "Premium", app: ca}
				groups[p.groupID] = g
				ca.groups = append(ca.groups, g)
			}
			level := map[string]int{"1 Year": 1, "1 Month": 2, "7 Days": 3}[p.duration]
			g.subs = append(g.subs, &catSub{id: id10(p.id), name: p.name, productID: p.sku,
				period: periodOf[p.duration], level: level, family: p.duration != "7 Days", group: g})
		}
	}
	return ca
}

// addReportOnlyApps adds the PRE_ORDER and the Newsstand app, listed after the live apps.
//
// Decision: Two apps exist only in reports: the PRE_ORDER app "Upcoming Quest" (Apple
// Identifier = first app id - 777; one version in PREORDER_READY_FOR_SALE) and the Newsstand
// app "Kachit Kiosk" (id 1300000000 + first app id mod 10^6, DEVELOPER_REMOVED_FROM_SALE) whose
// one subscription "Kachit Monthly Magazine" carries the NEWSSTAND Apple Identifier (first app
// id - 999) and SKU. /v1/apps lists them after the live apps; AppIDs() does not, and the
// reviews, metrics and analytics endpoints do not know them (404). A client that wants the live
// apps asks filter[appStoreVersions.appStoreState]=READY_FOR_SALE.
func (s *Server) addReportOnlyApps(m *catModel) {
	first := s.cat.apps[0].id
	extra := func(id int64, name, sku, state string, created time.Time) *catApp {
		v := &catVersion{id: uuidOf("asc-version-extra", strconv.FormatInt(s.opt.Seed, 10), sku), version: "1.0.0",
			state: state, vstate: state, created: created, released: created.Add(30 * day)}
		if state == "PREORDER_READY_FOR_SALE" {
			v.vstate = "READY_FOR_DISTRIBUTION"
		}
		return &catApp{id: id10(id), sku: sku, locale: "en-US", created: created.Add(-5 * day),
			name: func(time.Time) string { return name }, versions: []*catVersion{v}}
	}
	m.add(extra(s.preorderAppID(), preorderName, preorderSKU, "PREORDER_READY_FOR_SALE", reviewEpoch.Add(-60*day)))
	kiosk := extra(1300000000+first%1000000, kioskName, kioskSKU, "DEVELOPER_REMOVED_FROM_SALE",
		reviewEpoch.Add(-6*365*day))
	g := &catGroup{id: id10(1300000000 + first%1000000 + 1), ref: "Kiosk", app: kiosk}
	g.subs = []*catSub{{id: id10(s.kioskSubID()), name: kioskSubName, productID: kioskSubSKU, period: "ONE_MONTH",
		level: 1, group: g}}
	kiosk.groups = []*catGroup{g}
	m.add(kiosk)
}

// buildsOf are the app's builds visible at t, newest first (none for the sales-only apps).
func (s *Server) buildsOf(ca *catApp, t time.Time) []*build {
	if ca.a == nil {
		return nil
	}
	bs := slices.Clone(s.visibleBuilds(ca.a, t))
	slices.Reverse(bs)
	return bs
}

// buildOfVersion is the visible build carrying the version's string, or nil.
func (s *Server) buildOfVersion(v *catVersion, t time.Time) *build {
	for _, b := range s.buildsOf(v.app, t) {
		if b.version == v.version {
			return b
		}
	}
	return nil
}

func prvID(s *Server, b *build) string {
	return uuidOf("asc-prerelease", strconv.FormatInt(s.opt.Seed, 10), b.app.sku, b.version)
}

// TruthApp is an app as /v1/apps serves it at Now, with its name history.
type TruthApp struct {
	ID, Name, BundleID, SKU, PrimaryLocale string
	// Live apps are AppIDs(): they have a READY_FOR_SALE version, reviews, metrics, builds.
	Live  bool
	Names []TruthName // oldest first
}

// TruthName is one name of an app over [From, To); zero From = since ever, zero To = open.
type TruthName struct {
	Name     string
	From, To time.Time
}

// TruthAppVersion is an appStoreVersions resource.
type TruthAppVersion struct {
	ID, AppID, VersionString, AppStoreState string
	Created                                 time.Time
	BuildID                                 string // "" when no visible build carries it
}

// TruthCatalogBuild is a build with the app version of its preReleaseVersion.
type TruthCatalogBuild struct {
	ID, AppID, Number, AppVersion string
	Uploaded                      time.Time
}

// TruthIAP is an inAppPurchases (v2) resource.
type TruthIAP struct{ ID, AppID, Name, ProductID, Type string }

// TruthSubGroup is a subscriptionGroups resource.
type TruthSubGroup struct{ ID, AppID, ReferenceName string }

// TruthSubscription is a subscriptions resource.
type TruthSubscription struct {
	ID, GroupID, AppID, Name, ProductID, Period string
	GroupLevel                                  int
}

// TruthCatalog is everything the catalog endpoints serve at Now.
type TruthCatalog struct {
	Apps          []TruthApp
	Versions      []TruthAppVersion
	Builds        []TruthCatalogBuild
	IAPs          []TruthIAP
	Groups        []TruthSubGroup
	Subscriptions []TruthSubscription
}

// TruthCatalog returns the catalog as served at Now (apps in /v1/apps order, versions and
// builds newest first per app).
func (s *Server) TruthCatalog() TruthCatalog {
	now := s.now()
	m := s.model()
	var tc TruthCatalog
	for _, ca := range m.apps {
		ta := TruthApp{ID: ca.id, Name: ca.name(now), BundleID: ca.sku, SKU: ca.sku, PrimaryLocale: ca.locale, Live: ca.live}
		if ca.a != nil && ca.name(time.Time{}) != ca.name(renameAt) {
			ta.Names = []TruthName{{Name: ca.name(time.Time{}), To: renameAt}, {Name: ca.name(renameAt), From: renameAt}}
		} else {
			ta.Names = []TruthName{{Name: ca.name(now)}}
		}
		tc.Apps = append(tc.Apps, ta)
		for _, v := range ca.versions {
			tv := TruthAppVersion{ID: v.id, AppID: ca.id, VersionString: v.version, AppStoreState: v.state, Created: v.created}
			if b := s.buildOfVersion(v, now); b != nil {
				tv.BuildID = b.id
			}
			tc.Versions = append(tc.Versions, tv)
		}
		for _, b := range s.buildsOf(ca, now) {
			tc.Builds = append(tc.Builds, TruthCatalogBuild{ID: b.id, AppID: ca.id, Number: b.number, AppVersion: b.version, Uploaded: b.uploaded})
		}
		for _, p := range ca.iaps {
			tc.IAPs = append(tc.IAPs, TruthIAP{ID: p.id, AppID: ca.id, Name: p.name, ProductID: p.productID, Type: p.typ})
		}
		for _, g := range ca.groups {
			tc.Groups = append(tc.Groups, TruthSubGroup{ID: g.id, AppID: ca.id, ReferenceName: g.ref})
			for _, sb := range sortedSubs(g) {
				tc.Subscriptions = append(tc.Subscriptions, TruthSubscription{ID: sb.id, GroupID: g.id, AppID: ca.id,
					Name: sb.name, ProductID: sb.productID, Period: sb.period, GroupLevel: sb.level})
			}
		}
	}
	return tc
}

// sortedSubs are the group's subscriptions by group level.
func sortedSubs(g *catGroup) []*catSub {
	out := slices.Clone(g.subs)
	slices.SortStableFunc(out, func(a, b *catSub) int { return cmp.Compare(a.level, b.level) })
	return out
}

func fmtCat(t time.Time) string { return t.Format(catDateFmt) }
