package simulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

var (
	appIncludes  = []string{"appStoreVersions", "builds", "preReleaseVersions", "inAppPurchasesV2", "subscriptionGroups"}
	appFieldsFor = []string{"apps", "appStoreVersions", "builds", "preReleaseVersions", "inAppPurchases", "subscriptionGroups"}
	appSpec      = reqSpec{fields: appFieldsFor, includes: appIncludes, sublim: appIncludes}
)

// rendering

// Decision: To-one relationships (app, build, group, preReleaseVersion, appStoreVersion,
// product, buildRun) always carry data linkage (null when none); to-many ones carry links, and
// data plus meta.paging only when included (limit[rel], max 50, default 50).
func (s *Server) appRes(jq *jreq, m *catModel, ca *catApp) *jres {
	self := jq.base + "/v1/apps/" + ca.id
	res := &jres{Type: "apps", ID: ca.id, Links: docLinks{Self: self}, Attributes: kvs{
		{"name", ca.name(jq.now)}, {"bundleId", ca.sku}, {"sku", ca.sku}, {"primaryLocale", ca.locale},
		{"isOrEverWasMadeForKids", false}, {"contentRightsDeclaration", "DOES_NOT_USE_THIRD_PARTY_CONTENT"}}}
	toMany := func(name string, ids []resID, render func(i int) *jres) {
		rl := jq.rel(self, name)
		if jq.include[name] {
			lim := min(jq.limits[name], len(ids))
			rl.Data = ids[:lim]
			rl.Meta = map[string]any{"paging": map[string]int{"total": len(ids), "limit": jq.limits[name]}}
			for i := range lim {
				jq.add(render(i))
			}
		}
		res.Relationships = append(res.Relationships, kv{name, rl})
	}
	ids := func(typ string, n int, id func(int) string) []resID {
		out := make([]resID, n)
		for i := range n {
			out[i] = linkage(typ, id(i))
		}
		return out
	}
	toMany("appStoreVersions", ids("appStoreVersions", len(ca.versions), func(i int) string { return ca.versions[i].id }),
		func(i int) *jres { return s.versionRes(jq, ca.versions[i]) })
	bs := s.buildsOf(ca, jq.now)
	toMany("builds", ids("builds", len(bs), func(i int) string { return bs[i].id }),
		func(i int) *jres { return s.buildRes(jq, bs[i]) })
	var prv []*build // one per distinct app version, newest first
	seen := map[string]bool{}
	for _, b := range bs {
		if !seen[b.version] {
			seen[b.version] = true
			prv = append(prv, b)
		}
	}
	toMany("preReleaseVersions", ids("preReleaseVersions", len(prv), func(i int) string { return prvID(s, prv[i]) }),
		func(i int) *jres { return s.prvRes(jq, prv[i]) })
	toMany("inAppPurchasesV2", ids("inAppPurchases", len(ca.iaps), func(i int) string { return ca.iaps[i].id }),
		func(i int) *jres { return s.iapRes(jq, ca.iaps[i]) })
	toMany("subscriptionGroups", ids("subscriptionGroups", len(ca.groups), func(i int) string { return ca.groups[i].id }),
		func(i int) *jres { return s.groupRes(jq, ca.groups[i]) })
	res.Relationships = append(res.Relationships, kv{"ciProduct", jq.rel(self, "ciProduct")},
		kv{"customerReviews", jq.rel(self, "customerReviews")},
		kv{"perfPowerMetrics", relatedOnly(self + "/perfPowerMetrics")})
	return res
}

func (s *Server) versionRes(jq *jreq, v *catVersion) *jres {
	self := jq.base + "/v1/appStoreVersions/" + v.id
	buildID := ""
	if b := s.buildOfVersion(v, jq.now); b != nil {
		buildID = b.id
	}
	rApp := jq.rel(self, "app")
	rApp.Data = linkage("apps", v.app.id)
	rBuild := jq.rel(self, "build")
	rBuild.Data = one("builds", buildID)
	return &jres{Type: "appStoreVersions", ID: v.id, Links: docLinks{Self: self}, Attributes: kvs{
		{"platform", "IOS"}, {"versionString", v.version}, {"appStoreState", v.state},
		{"appVersionState", v.vstate}, {"copyright", strconv.Itoa(v.created.Year()) + " " + developerName},
		{"reviewType", "APP_STORE"}, {"releaseType", "AFTER_APPROVAL"}, {"earliestReleaseDate", nil},
		{"downloadable", v.state == "READY_FOR_SALE" || v.state == "REPLACED_WITH_NEW_VERSION"},
		{"createdDate", fmtCat(v.created.In(zoneOf(offsetAt(-480, 1, v.created))))}},
		Relationships: kvs{{"app", rApp}, {"build", rBuild}, {"customerReviews", jq.rel(self, "customerReviews")}}}
}

// buildRes renders a build with the same attribute values as the metrics builds listing.
func (s *Server) buildRes(jq *jreq, b *build) *jres {
	self := jq.base + "/v1/builds/" + b.id
	exp := b.uploaded.Add(90 * day)
	rApp := jq.rel(self, "app")
	rApp.Data = linkage("apps", b.appID)
	rPrv := jq.rel(self, "preReleaseVersion")
	rPrv.Data = linkage("preReleaseVersions", prvID(s, b))
	if jq.include["preReleaseVersion"] {
		jq.add(s.prvRes(jq, b))
	}
	if jq.include["app"] {
		m := s.model()
		jq.add(s.appRes(jq.nested(), m, m.byID[b.appID]))
	}
	asv := ""
	if a := s.appByID(b.appID); a != nil {
		for _, v := range s.appVersions(a) {
			if v.version == b.version {
				asv = v.id
				if jq.include["appStoreVersion"] {
					m := s.model()
					jq.add(s.versionRes(jq, m.vers[v.id]))
				}
			}
		}
	}
	rAsv := jq.rel(self, "appStoreVersion")
	rAsv.Data = one("appStoreVersions", asv)
	return &jres{Type: "builds", ID: b.id, Links: docLinks{Self: self}, Attributes: kvs{
		{"version", b.number}, {"uploadedDate", b.uploaded.Format(buildDateLayout)},
		{"expirationDate", exp.Format(buildDateLayout)}, {"expired", jq.now.After(exp)},
		{"minOsVersion", "16.0"}, {"processingState", "VALID"}},
		Relationships: kvs{{"app", rApp}, {"preReleaseVersion", rPrv}, {"appStoreVersion", rAsv},
			{"perfPowerMetrics", relatedOnly(self + "/perfPowerMetrics")},
			{"diagnosticSignatures", jq.rel(self, "diagnosticSignatures")}}}
}

func (s *Server) prvRes(jq *jreq, b *build) *jres {
	id := prvID(s, b)
	self := jq.base + "/v1/preReleaseVersions/" + id
	rApp := jq.rel(self, "app")
	rApp.Data = linkage("apps", b.appID)
	return &jres{Type: "preReleaseVersions", ID: id, Links: docLinks{Self: self},
		Attributes:    kvs{{"version", b.version}, {"platform", "IOS"}},
		Relationships: kvs{{"builds", jq.rel(self, "builds")}, {"app", rApp}}}
}

func (s *Server) iapRes(jq *jreq, p *catIAP) *jres {
	self := jq.base + "/v2/inAppPurchases/" + p.id
	rApp := &jrel{Data: linkage("apps", p.app.id)}
	return &jres{Type: "inAppPurchases", ID: p.id, Links: docLinks{Self: self}, Attributes: kvs{
		{"name", p.name}, {"productId", p.productID}, {"inAppPurchaseType", p.typ}, {"state", "APPROVED"},
		{"reviewNote", nil}, {"familySharable", p.family}, {"contentHosting", false}},
		Relationships: kvs{{"app", rApp}}}
}

func (s *Server) groupRes(jq *jreq, g *catGroup) *jres {
	self := jq.base + "/v1/subscriptionGroups/" + g.id
	rSubs := jq.rel(self, "subscriptions")
	if jq.include["subscriptions"] {
		subs := sortedSubs(g)
		lim := min(jq.limits["subscriptions"], len(subs))
		ids := make([]resID, 0, lim)
		for _, sb := range subs[:lim] {
			ids = append(ids, linkage("subscriptions", sb.id))
			jq.add(s.subRes(jq, sb))
		}
		rSubs.Data = ids
		rSubs.Meta = map[string]any{"paging": map[string]int{"total": len(subs), "limit": jq.limits["subscriptions"]}}
	}
	return &jres{Type: "subscriptionGroups", ID: g.id, Links: docLinks{Self: self},
		Attributes:    kvs{{"referenceName", g.ref}},
		Relationships: kvs{{"subscriptions", rSubs}, {"app", &jrel{Data: linkage("apps", g.app.id)}}}}
}

func (s *Server) subRes(jq *jreq, sb *catSub) *jres {
	self := jq.base + "/v1/subscriptions/" + sb.id
	rg := jq.rel(self, "group")
	rg.Data = linkage("subscriptionGroups", sb.group.id)
	return &jres{Type: "subscriptions", ID: sb.id, Links: docLinks{Self: self}, Attributes: kvs{
		{"name", sb.name}, {"productId", sb.productID}, {"familySharable", sb.family}, {"state", "APPROVED"},
		{"subscriptionPeriod", sb.period}, {"reviewNote", nil}, {"groupLevel", sb.level}},
		Relationships: kvs{{"group", rg}}}
}

// handlers

var appStoreStates = []string{"ACCEPTED", "DEVELOPER_REMOVED_FROM_SALE", "DEVELOPER_REJECTED", "IN_REVIEW",
	"INVALID_BINARY", "METADATA_REJECTED", "PENDING_APPLE_RELEASE", "PENDING_CONTRACT", "PENDING_DEVELOPER_RELEASE",
	"PREPARE_FOR_SUBMISSION", "PREORDER_READY_FOR_SALE", "PROCESSING_FOR_APP_STORE", "READY_FOR_REVIEW",
	"READY_FOR_SALE", "REJECTED", "REMOVED_FROM_SALE", "WAITING_FOR_EXPORT_COMPLIANCE", "WAITING_FOR_REVIEW",
	"REPLACED_WITH_NEW_VERSION", "NOT_APPLICABLE"}

func (s *Server) serveApps(w http.ResponseWriter, r *http.Request) {
	sp := appSpec
	sp.params = []string{"filter[bundleId]", "filter[sku]", "filter[name]", "filter[id]",
		"filter[appStoreVersions.appStoreState]", "sort"}
	var sort string
	jq, off, snap := s.openList(w, r, sp, func(jq *jreq) (e *httpError) {
		if _, e = enumSet(jq.q, "filter[appStoreVersions.appStoreState]", appStoreStates); e == nil {
			sort, e = jq.sortParam("", "name", "-name", "bundleId", "-bundleId", "sku", "-sku")
		}
		return e
	})
	if jq == nil {
		return
	}
	m := s.model()
	var sel []*catApp
	for _, ca := range m.apps {
		if !jq.match("filter[bundleId]", ca.sku) || !jq.match("filter[sku]", ca.sku) ||
			!jq.match("filter[name]", ca.name(jq.now)) || !jq.match("filter[id]", ca.id) {
			continue
		}
		if st := jq.list("filter[appStoreVersions.appStoreState]"); st != nil &&
			!slices.ContainsFunc(ca.versions, func(v *catVersion) bool { return slices.Contains(st, v.state) }) {
			continue
		}
		sel = append(sel, ca)
	}
	orderBy(sel, sort, byKey(func(ca *catApp) string {
		if strings.HasSuffix(sort, "name") {
			return ca.name(jq.now)
		}
		return ca.sku
	}))
	servePage(s, w, jq, off, snap, sel, func(ca *catApp) *jres { return s.appRes(jq, m, ca) })
}

func (s *Server) serveApp(w http.ResponseWriter, r *http.Request, id string) {
	var m *catModel
	serveByID(s, w, r, appSpec, "apps", id,
		func(*jreq) *catApp { m = s.model(); return m.byID[id] },
		func(jq *jreq, ca *catApp) *jres { return s.appRes(jq, m, ca) })
}

func (s *Server) serveVersions(w http.ResponseWriter, r *http.Request, appID string) {
	jq, off, snap, ca := openListUnder(s, w, r, reqSpec{params: []string{"filter[versionString]", "filter[appStoreState]", "filter[platform]"},
		fields: []string{"appStoreVersions", "builds"}, includes: []string{"build"}}, "apps", appID,
		func(*jreq) *catApp { return s.model().byID[appID] },
		func(jq *jreq) (e *httpError) {
			if _, e = enumSet(jq.q, "filter[appStoreState]", appStoreStates); e == nil {
				_, e = enumSet(jq.q, "filter[platform]", []string{"IOS", "MAC_OS", "TV_OS", "VISION_OS"})
			}
			return e
		})
	if ca == nil {
		return
	}
	var sel []*catVersion
	for _, v := range ca.versions {
		if jq.match("filter[versionString]", v.version) && jq.match("filter[appStoreState]", v.state) &&
			jq.match("filter[platform]", "IOS") {
			sel = append(sel, v)
		}
	}
	servePage(s, w, jq, off, snap, sel, func(v *catVersion) *jres { return s.versionWithBuild(jq, v) })
}

func (s *Server) versionWithBuild(jq *jreq, v *catVersion) *jres {
	if jq.include["build"] {
		if b := s.buildOfVersion(v, jq.now); b != nil {
			jq.add(s.buildRes(jq.nested(), b))
		}
	}
	return s.versionRes(jq, v)
}

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request, id string) {
	serveByID(s, w, r, reqSpec{fields: []string{"appStoreVersions", "builds"}, includes: []string{"build"}},
		"appStoreVersions", id, func(*jreq) *catVersion { return s.model().vers[id] }, s.versionWithBuild)
}

func (s *Server) serveBuildsList(w http.ResponseWriter, r *http.Request) {
	var sort string
	jq, off, snap := s.openList(w, r, reqSpec{params: []string{"filter[app]", "filter[version]", "filter[preReleaseVersion.version]",
		"filter[processingState]", "filter[id]", "sort"},
		fields:   []string{"builds", "preReleaseVersions", "apps", "appStoreVersions"},
		includes: []string{"preReleaseVersion", "app", "appStoreVersion"}},
		func(jq *jreq) (e *httpError) {
			if _, e = enumSet(jq.q, "filter[processingState]", processingStates); e == nil {
				sort, e = jq.sortParam("-uploadedDate", "uploadedDate", "version", "-version")
			}
			return e
		})
	if jq == nil {
		return
	}
	m := s.model()
	if ids := jq.list("filter[app]"); ids != nil {
		for _, id := range ids {
			if m.byID[id] == nil {
				writeError(w, errInvalidValue("filter[app]", id))
				return
			}
		}
	}
	var sel []*build
	for _, ca := range m.apps {
		if !jq.match("filter[app]", ca.id) {
			continue
		}
		for _, b := range s.buildsOf(ca, jq.now) {
			if jq.match("filter[version]", b.number) && jq.match("filter[preReleaseVersion.version]", b.version) &&
				jq.match("filter[processingState]", "VALID") && jq.match("filter[id]", b.id) {
				sel = append(sel, b)
			}
		}
	}
	orderBy(sel, sort, func(a, b *build) int {
		var c int
		switch strings.TrimPrefix(sort, "-") {
		case "uploadedDate":
			c = a.uploaded.Compare(b.uploaded)
		default:
			na, _ := strconv.Atoi(a.number)
			nb, _ := strconv.Atoi(b.number)
			c = na - nb
		}
		if c == 0 {
			c = strings.Compare(a.id, b.id)
		}
		return c
	})
	servePage(s, w, jq, off, snap, sel, func(b *build) *jres { return s.buildRes(jq, b) })
}

func (s *Server) serveIAPs(w http.ResponseWriter, r *http.Request, appID string) {
	var sort string
	jq, off, snap, ca := openListUnder(s, w, r, reqSpec{params: []string{"filter[productId]", "filter[name]", "filter[inAppPurchaseType]",
		"filter[state]", "sort"}, fields: []string{"inAppPurchases"}}, "apps", appID,
		func(*jreq) *catApp { return s.model().byID[appID] },
		func(jq *jreq) (e *httpError) {
			if _, e = enumSet(jq.q, "filter[inAppPurchaseType]", []string{"CONSUMABLE", "NON_CONSUMABLE", "NON_RENEWING_SUBSCRIPTION"}); e == nil {
				sort, e = jq.sortParam("", "name", "-name", "inAppPurchaseType", "-inAppPurchaseType")
			}
			return e
		})
	if ca == nil {
		return
	}
	var sel []*catIAP
	for _, p := range ca.iaps {
		if jq.match("filter[productId]", p.productID) && jq.match("filter[name]", p.name) &&
			jq.match("filter[inAppPurchaseType]", p.typ) && jq.match("filter[state]", "APPROVED") {
			sel = append(sel, p)
		}
	}
	orderBy(sel, sort, byKey(func(p *catIAP) string {
		if strings.HasSuffix(sort, "Type") {
			return p.typ
		}
		return p.name
	}))
	servePage(s, w, jq, off, snap, sel, func(p *catIAP) *jres { return s.iapRes(jq, p) })
}

func (s *Server) serveIAP(w http.ResponseWriter, r *http.Request, id string) {
	serveByID(s, w, r, reqSpec{fields: []string{"inAppPurchases"}}, "inAppPurchases", id,
		func(*jreq) *catIAP { return s.model().iaps[id] }, s.iapRes)
}

var groupSpec = reqSpec{fields: []string{"subscriptionGroups", "subscriptions"}, includes: []string{"subscriptions"},
	sublim: []string{"subscriptions"}}

func (s *Server) serveGroups(w http.ResponseWriter, r *http.Request, appID string) {
	sp := groupSpec
	sp.params = []string{"filter[referenceName]", "filter[subscriptions.state]", "sort"}
	var sort string
	jq, off, snap, ca := openListUnder(s, w, r, sp, "apps", appID,
		func(*jreq) *catApp { return s.model().byID[appID] },
		func(jq *jreq) (e *httpError) {
			sort, e = jq.sortParam("", "referenceName", "-referenceName")
			return e
		})
	if ca == nil {
		return
	}
	var sel []*catGroup
	for _, g := range ca.groups {
		if jq.match("filter[referenceName]", g.ref) && jq.match("filter[subscriptions.state]", "APPROVED") {
			sel = append(sel, g)
		}
	}
	if sort == "-referenceName" {
		slices.Reverse(sel) // one group per app: any order is sorted
	}
	servePage(s, w, jq, off, snap, sel, func(g *catGroup) *jres { return s.groupRes(jq, g) })
}

func (s *Server) serveGroup(w http.ResponseWriter, r *http.Request, id string) {
	serveByID(s, w, r, groupSpec, "subscriptionGroups", id,
		func(*jreq) *catGroup { return s.model().groups[id] }, s.groupRes)
}

func (s *Server) serveSubs(w http.ResponseWriter, r *http.Request, groupID string) {
	var sort string
	jq, off, snap, g := openListUnder(s, w, r, reqSpec{params: []string{"filter[productId]", "filter[name]", "filter[state]", "sort"},
		fields: []string{"subscriptions"}}, "subscriptionGroups", groupID,
		func(*jreq) *catGroup { return s.model().groups[groupID] },
		func(jq *jreq) (e *httpError) {
			sort, e = jq.sortParam("", "name", "-name")
			return e
		})
	if g == nil {
		return
	}
	var sel []*catSub
	for _, sb := range sortedSubs(g) {
		if jq.match("filter[productId]", sb.productID) && jq.match("filter[name]", sb.name) && jq.match("filter[state]", "APPROVED") {
			sel = append(sel, sb)
		}
	}
	orderBy(sel, sort, byKey(func(sb *catSub) string { return sb.name }))
	servePage(s, w, jq, off, snap, sel, func(sb *catSub) *jres { return s.subRes(jq, sb) })
}

func (s *Server) serveSub(w http.ResponseWriter, r *http.Request, id string) {
	serveByID(s, w, r, reqSpec{fields: []string{"subscriptions"}}, "subscriptions", id,
		func(*jreq) *catSub { return s.model().subs[id] }, s.subRes)
}

// typeFields are the members fields[type] accepts (attributes and relationships).
var typeFields = map[string][]string{
	"apps": {"name", "bundleId", "sku", "primaryLocale", "isOrEverWasMadeForKids",
		"contentRightsDeclaration", "appStoreVersions", "builds", "preReleaseVersions",
		"inAppPurchasesV2", "subscriptionGroups", "ciProduct", "customerReviews", "perfPowerMetrics"},
	"appStoreVersions": {"platform", "versionString", "appStoreState", "appVersionState", "copyright",
		"reviewType", "releaseType", "earliestReleaseDate", "downloadable", "createdDate", "app", "build",
		"customerReviews"},
	"builds": {"version", "uploadedDate", "expirationDate", "expired", "minOsVersion", "processingState",
		"app", "preReleaseVersion", "appStoreVersion", "perfPowerMetrics", "diagnosticSignatures"},
	"preReleaseVersions": {"version", "platform", "builds", "app"},
	"inAppPurchases": {"name", "productId", "inAppPurchaseType", "state", "reviewNote", "familySharable",
		"contentHosting", "app"},
	"subscriptionGroups": {"referenceName", "subscriptions", "app"},
	"subscriptions": {"name", "productId", "familySharable", "state", "subscriptionPeriod", "reviewNote",
		"groupLevel", "group"},
	"ciProducts": {"name", "createdDate", "productType", "app", "buildRuns"},
	"ciBuildRuns": {"number", "createdDate", "startedDate", "finishedDate", "sourceCommit",
		"isPullRequestBuild", "issueCounts", "executionProgress", "completionStatus", "startReason",
		"builds", "product", "actions"},
	"ciBuildActions": {"name", "actionType", "startedDate", "finishedDate", "issueCounts",
		"executionProgress", "completionStatus", "isRequiredToPass", "buildRun"},
}
