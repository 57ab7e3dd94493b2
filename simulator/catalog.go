package simulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// routeCatalog serves /v1/apps and the catalog, TestFlight and Xcode Cloud resources (issue 9).
func (s *Server) routeCatalog(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	var parts []string
	v2 := strings.HasPrefix(p, "/v2/")
	switch {
	case strings.HasPrefix(p, "/v1/"):
		parts = strings.Split(strings.TrimPrefix(p, "/v1/"), "/")
	case v2:
		parts = strings.Split(strings.TrimPrefix(p, "/v2/"), "/")
	default:
		return false
	}
	if slices.Contains(parts[1:], "") {
		return false
	}
	n := len(parts)
	if v2 {
		if n == 2 && parts[0] == "inAppPurchases" {
			s.serveIAP(w, r, parts[1])
			return true
		}
		return false
	}
	switch {
	case n == 1 && parts[0] == "apps":
		s.serveApps(w, r)
	case n == 2 && parts[0] == "apps":
		s.serveApp(w, r, parts[1])
	case n == 3 && parts[0] == "apps" && parts[2] == "appStoreVersions":
		s.serveVersions(w, r, parts[1])
	case n == 2 && parts[0] == "appStoreVersions":
		s.serveVersion(w, r, parts[1])
	case n == 1 && parts[0] == "builds":
		s.serveBuildsList(w, r)
	case n == 3 && parts[0] == "apps" && parts[2] == "inAppPurchasesV2":
		s.serveIAPs(w, r, parts[1])
	case n == 3 && parts[0] == "apps" && parts[2] == "subscriptionGroups":
		s.serveGroups(w, r, parts[1])
	case n == 2 && parts[0] == "subscriptionGroups":
		s.serveGroup(w, r, parts[1])
	case n == 3 && parts[0] == "subscriptionGroups" && parts[2] == "subscriptions":
		s.serveSubs(w, r, parts[1])
	case n == 2 && parts[0] == "subscriptions":
		s.serveSub(w, r, parts[1])
	default:
		return s.routeTestFlight(w, r, parts) || s.routeXcodeCloud(w, r, parts)
	}
	return true
}

var (
	appIncludes  = []string{"appStoreVersions", "builds", "preReleaseVersions", "inAppPurchasesV2", "subscriptionGroups"}
	appFieldsFor = []string{"apps", "appStoreVersions", "builds", "preReleaseVersions", "inAppPurchases", "subscriptionGroups"}
	appSpec      = reqSpec{fields: appFieldsFor, includes: appIncludes, sublim: appIncludes}
)

// rendering

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

func one(typ, id string) any {
	if id == "" {
		return json.RawMessage("null")
	}
	return linkage(typ, id)
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
		jq.add(s.appRes(&jreq{base: jq.base, now: jq.now, include: map[string]bool{}, fields: jq.fields, seen: map[string]bool{}}, m, m.byID[b.appID]))
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
	sp.list = true
	sp.params = []string{"filter[bundleId]", "filter[sku]", "filter[name]", "filter[id]",
		"filter[appStoreVersions.appStoreState]", "sort"}
	jq, e := s.parseJReq(r, sp)
	if e == nil {
		_, e = enumSet(jq.q, "filter[appStoreVersions.appStoreState]", appStoreStates)
	}
	var sort string
	if e == nil {
		sort, e = jq.sortParam("", "name", "-name", "bundleId", "-bundleId", "sku", "-sku")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	off, snap, e := s.pageOf(jq)
	if e != nil {
		writeError(w, e)
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
	if sort != "" {
		key := func(ca *catApp) string {
			if strings.HasSuffix(sort, "name") {
				return ca.name(jq.now)
			}
			return ca.sku
		}
		slices.SortStableFunc(sel, func(a, b *catApp) int {
			c := strings.Compare(key(a), key(b))
			if sort[0] == '-' {
				c = -c
			}
			return c
		})
	}
	servePage(s, w, jq, off, snap, sel, func(ca *catApp) *jres { return s.appRes(jq, m, ca) })
}

func (s *Server) serveApp(w http.ResponseWriter, r *http.Request, id string) {
	jq, e := s.parseJReq(r, appSpec)
	if e != nil {
		writeError(w, e)
		return
	}
	m := s.model()
	ca := m.byID[id]
	if ca == nil {
		writeError(w, errNoResource("apps", id))
		return
	}
	serveOne(w, jq, s.appRes(jq, m, ca))
}

func (s *Server) serveVersions(w http.ResponseWriter, r *http.Request, appID string) {
	jq, e := s.parseJReq(r, reqSpec{params: []string{"filter[versionString]", "filter[appStoreState]", "filter[platform]"},
		fields: []string{"appStoreVersions", "builds"}, includes: []string{"build"}, list: true})
	if e == nil {
		_, e = enumSet(jq.q, "filter[appStoreState]", appStoreStates)
	}
	if e == nil {
		_, e = enumSet(jq.q, "filter[platform]", []string{"IOS", "MAC_OS", "TV_OS", "VISION_OS"})
	}
	if e != nil {
		writeError(w, e)
		return
	}
	off, snap, e := s.pageOf(jq)
	if e != nil {
		writeError(w, e)
		return
	}
	ca := s.model().byID[appID]
	if ca == nil {
		writeError(w, errNoResource("apps", appID))
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
			jq.add(s.buildRes(&jreq{base: jq.base, now: jq.now, fields: jq.fields, include: map[string]bool{}, seen: map[string]bool{}}, b))
		}
	}
	return s.versionRes(jq, v)
}

func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request, id string) {
	jq, e := s.parseJReq(r, reqSpec{fields: []string{"appStoreVersions", "builds"}, includes: []string{"build"}})
	if e != nil {
		writeError(w, e)
		return
	}
	v := s.model().vers[id]
	if v == nil {
		writeError(w, errNoResource("appStoreVersions", id))
		return
	}
	serveOne(w, jq, s.versionWithBuild(jq, v))
}

func (s *Server) serveBuildsList(w http.ResponseWriter, r *http.Request) {
	jq, e := s.parseJReq(r, reqSpec{params: []string{"filter[app]", "filter[version]", "filter[preReleaseVersion.version]",
		"filter[processingState]", "filter[id]", "sort"},
		fields:   []string{"builds", "preReleaseVersions", "apps", "appStoreVersions"},
		includes: []string{"preReleaseVersion", "app", "appStoreVersion"}, list: true})
	if e == nil {
		_, e = enumSet(jq.q, "filter[processingState]", processingStates)
	}
	var sort string
	if e == nil {
		sort, e = jq.sortParam("-uploadedDate", "uploadedDate", "version", "-version")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	off, snap, e := s.pageOf(jq)
	if e != nil {
		writeError(w, e)
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
	slices.SortStableFunc(sel, func(a, b *build) int {
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
		if sort[0] == '-' {
			c = -c
		}
		return c
	})
	servePage(s, w, jq, off, snap, sel, func(b *build) *jres { return s.buildRes(jq, b) })
}

func (s *Server) serveIAPs(w http.ResponseWriter, r *http.Request, appID string) {
	jq, e := s.parseJReq(r, reqSpec{params: []string{"filter[productId]", "filter[name]", "filter[inAppPurchaseType]",
		"filter[state]", "sort"}, fields: []string{"inAppPurchases"}, list: true})
	if e == nil {
		_, e = enumSet(jq.q, "filter[inAppPurchaseType]", []string{"CONSUMABLE", "NON_CONSUMABLE", "NON_RENEWING_SUBSCRIPTION"})
	}
	var sort string
	if e == nil {
		sort, e = jq.sortParam("", "name", "-name", "inAppPurchaseType", "-inAppPurchaseType")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	off, snap, e := s.pageOf(jq)
	if e != nil {
		writeError(w, e)
		return
	}
	ca := s.model().byID[appID]
	if ca == nil {
		writeError(w, errNoResource("apps", appID))
		return
	}
	var sel []*catIAP
	for _, p := range ca.iaps {
		if jq.match("filter[productId]", p.productID) && jq.match("filter[name]", p.name) &&
			jq.match("filter[inAppPurchaseType]", p.typ) && jq.match("filter[state]", "APPROVED") {
			sel = append(sel, p)
		}
	}
	if sort != "" {
		slices.SortStableFunc(sel, func(a, b *catIAP) int {
			c := strings.Compare(a.name, b.name)
			if strings.HasSuffix(sort, "Type") {
				c = strings.Compare(a.typ, b.typ)
			}
			if sort[0] == '-' {
				c = -c
			}
			return c
		})
	}
	servePage(s, w, jq, off, snap, sel, func(p *catIAP) *jres { return s.iapRes(jq, p) })
}

func (s *Server) serveIAP(w http.ResponseWriter, r *http.Request, id string) {
	jq, e := s.parseJReq(r, reqSpec{fields: []string{"inAppPurchases"}})
	if e != nil {
		writeError(w, e)
		return
	}
	p := s.model().iaps[id]
	if p == nil {
		writeError(w, errNoResource("inAppPurchases", id))
		return
	}
	serveOne(w, jq, s.iapRes(jq, p))
}

var groupSpec = reqSpec{fields: []string{"subscriptionGroups", "subscriptions"}, includes: []string{"subscriptions"},
	sublim: []string{"subscriptions"}}

func (s *Server) serveGroups(w http.ResponseWriter, r *http.Request, appID string) {
	sp := groupSpec
	sp.params, sp.list = []string{"filter[referenceName]", "filter[subscriptions.state]", "sort"}, true
	jq, e := s.parseJReq(r, sp)
	var sort string
	if e == nil {
		sort, e = jq.sortParam("", "referenceName", "-referenceName")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	off, snap, e := s.pageOf(jq)
	if e != nil {
		writeError(w, e)
		return
	}
	ca := s.model().byID[appID]
	if ca == nil {
		writeError(w, errNoResource("apps", appID))
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
	jq, e := s.parseJReq(r, groupSpec)
	if e != nil {
		writeError(w, e)
		return
	}
	g := s.model().groups[id]
	if g == nil {
		writeError(w, errNoResource("subscriptionGroups", id))
		return
	}
	serveOne(w, jq, s.groupRes(jq, g))
}

func (s *Server) serveSubs(w http.ResponseWriter, r *http.Request, groupID string) {
	jq, e := s.parseJReq(r, reqSpec{params: []string{"filter[productId]", "filter[name]", "filter[state]", "sort"},
		fields: []string{"subscriptions"}, list: true})
	var sort string
	if e == nil {
		sort, e = jq.sortParam("", "name", "-name")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	off, snap, e := s.pageOf(jq)
	if e != nil {
		writeError(w, e)
		return
	}
	g := s.model().groups[groupID]
	if g == nil {
		writeError(w, errNoResource("subscriptionGroups", groupID))
		return
	}
	var sel []*catSub
	for _, sb := range sortedSubs(g) {
		if jq.match("filter[productId]", sb.productID) && jq.match("filter[name]", sb.name) && jq.match("filter[state]", "APPROVED") {
			sel = append(sel, sb)
		}
	}
	if sort != "" {
		slices.SortStableFunc(sel, func(a, b *catSub) int {
			c := strings.Compare(a.name, b.name)
			if sort[0] == '-' {
				c = -c
			}
			return c
		})
	}
	servePage(s, w, jq, off, snap, sel, func(sb *catSub) *jres { return s.subRes(jq, sb) })
}

func (s *Server) serveSub(w http.ResponseWriter, r *http.Request, id string) {
	jq, e := s.parseJReq(r, reqSpec{fields: []string{"subscriptions"}})
	if e != nil {
		writeError(w, e)
		return
	}
	sb := s.model().subs[id]
	if sb == nil {
		writeError(w, errNoResource("subscriptions", id))
		return
	}
	serveOne(w, jq, s.subRes(jq, sb))
}
