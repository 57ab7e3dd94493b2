package simulator

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Catalog tests decode served JSON generically and follow links.next like a client would.

type jdoc struct {
	Data     json.RawMessage `json:"data"`
	Included []jitem         `json:"included"`
	Links    struct {
		Self string `json:"self"`
		Next string `json:"next"`
	} `json:"links"`
	Meta *struct {
		Paging struct {
			Total int `json:"total"`
			Limit int `json:"limit"`
		} `json:"paging"`
	} `json:"meta"`
}

type jitem struct {
	Type          string                     `json:"type"`
	ID            string                     `json:"id"`
	Attributes    map[string]any             `json:"attributes"`
	Relationships map[string]json.RawMessage `json:"relationships"`
}

func (it jitem) str(k string) string { s, _ := it.Attributes[k].(string); return s }

// relID returns the id of a to-one linkage ("" for null or absent data).
func (it jitem) relID(t *testing.T, name string) string {
	t.Helper()
	var r struct {
		Data *struct{ Type, ID string } `json:"data"`
	}
	if raw, ok := it.Relationships[name]; ok {
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("relationship %s: %v", name, err)
		}
	}
	if r.Data == nil {
		return ""
	}
	return r.Data.ID
}

func (e *env) get(t *testing.T, target string) (int, jdoc, []byte) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := e.do(t, u.Path, u.Query(), nil)
	var d jdoc
	if rec.Code == 200 {
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s: Content-Type %q", target, ct)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
	}
	return rec.Code, d, rec.Body.Bytes()
}

// one fetches a single-resource document.
func (e *env) one(t *testing.T, target string) (jitem, []jitem) {
	t.Helper()
	code, d, body := e.get(t, target)
	if code != 200 {
		t.Fatalf("%s: %d %s", target, code, body)
	}
	var it jitem
	if err := json.Unmarshal(d.Data, &it); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	return it, d.Included
}

// walk follows links.next from target and returns all data and included items.
func (e *env) walk(t *testing.T, target string) (data, included []jitem) {
	t.Helper()
	total := -1
	for page := 0; target != ""; page++ {
		if page > 500 {
			t.Fatalf("walk does not end")
		}
		code, d, body := e.get(t, target)
		if code != 200 {
			t.Fatalf("%s: %d %s", target, code, body)
		}
		var items []jitem
		if err := json.Unmarshal(d.Data, &items); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if d.Meta == nil {
			t.Fatalf("%s: no meta.paging", target)
		}
		if total >= 0 && d.Meta.Paging.Total != total {
			t.Fatalf("total changed during walk: %d then %d", total, d.Meta.Paging.Total)
		}
		total = d.Meta.Paging.Total
		if len(items) > d.Meta.Paging.Limit {
			t.Fatalf("%d items over limit %d", len(items), d.Meta.Paging.Limit)
		}
		data = append(data, items...)
		included = append(included, d.Included...)
		if d.Links.Next != "" && !strings.Contains(d.Links.Next, "cursor=") {
			t.Fatalf("next without cursor: %s", d.Links.Next)
		}
		target = d.Links.Next
	}
	if len(data) != total {
		t.Fatalf("walk got %d items, total %d", len(data), total)
	}
	return data, included
}

func wantStatus(t *testing.T, e *env, target string, status int, code, param string) {
	t.Helper()
	u, _ := url.Parse(target)
	rec := e.do(t, u.Path, u.Query(), nil)
	if rec.Code != status {
		t.Fatalf("%s: status %d, want %d: %s", target, rec.Code, status, rec.Body)
	}
	x := decodeErr(t, rec).Errors[0]
	if x.Code != code {
		t.Fatalf("%s: code %q, want %q", target, x.Code, code)
	}
	if param != "" && (x.Source == nil || x.Source.Parameter != param) {
		t.Fatalf("%s: source %+v, want parameter %q", target, x.Source, param)
	}
}

func ids(items []jitem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func TestCatalogApps(t *testing.T) {
	e := newEnv(t, Options{})
	tc := e.srv.TruthCatalog()
	all, _ := e.walk(t, "/v1/apps?limit=2")
	if len(all) != DefaultApps+2 || len(tc.Apps) != len(all) {
		t.Fatalf("%d apps served, truth %d", len(all), len(tc.Apps))
	}
	live := e.srv.AppIDs()
	for i, it := range all {
		ta := tc.Apps[i]
		if it.Type != "apps" || it.ID != ta.ID || it.str("name") != ta.Name || it.str("sku") != ta.SKU ||
			it.str("bundleId") != ta.BundleID || it.str("primaryLocale") != ta.PrimaryLocale {
			t.Fatalf("app %d: served %+v, truth %+v", i, it, ta)
		}
		if ta.Live != (i < len(live)) || (ta.Live && live[i] != ta.ID) {
			t.Fatalf("app %d live=%v, AppIDs %v", i, ta.Live, live)
		}
	}
	// Live apps are exactly those with a READY_FOR_SALE version.
	got, _ := e.walk(t, "/v1/apps?filter[appStoreVersions.appStoreState]=READY_FOR_SALE")
	if !slices.Equal(ids(got), live) {
		t.Fatalf("READY_FOR_SALE apps %v, AppIDs %v", ids(got), live)
	}
	pre, _ := e.walk(t, "/v1/apps?filter[sku]="+preorderSKU)
	if len(pre) != 1 || pre[0].str("name") != preorderName {
		t.Fatalf("filter[sku]: %+v", pre)
	}
	byBundle, _ := e.walk(t, "/v1/apps?filter[bundleId]=com.ascetl.app3,com.ascetl.app1&fields[apps]=name")
	if len(byBundle) != 2 || byBundle[0].str("bundleId") != "" || byBundle[0].str("name") == "" || len(byBundle[0].Relationships) != 0 {
		t.Fatalf("filter[bundleId] + fields: %+v", byBundle)
	}
	sorted, _ := e.walk(t, "/v1/apps?sort=-name&limit=200")
	names := make([]string, len(sorted))
	for i, it := range sorted {
		names[i] = it.str("name")
	}
	if !slices.IsSortedFunc(names, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Fatalf("sort=-name: %q", names)
	}

	// One app with includes, limits and fields on the included types.
	id := live[0]
	app, inc := e.one(t, "/v1/apps/"+id+"?include=appStoreVersions,inAppPurchasesV2,subscriptionGroups,builds"+
		"&limit[appStoreVersions]=2&fields[appStoreVersions]=versionString,appStoreState")
	if app.ID != id || app.str("name") != tc.Apps[0].Name {
		t.Fatalf("app %+v", app)
	}
	count := map[string]int{}
	for _, it := range inc {
		count[it.Type]++
		if it.Type == "appStoreVersions" && (it.str("versionString") == "" || it.str("platform") != "" || len(it.Relationships) != 0) {
			t.Fatalf("fields[appStoreVersions] not applied: %+v", it)
		}
	}
	nb := len(e.srv.Builds(id))
	if count["appStoreVersions"] != 2 || count["inAppPurchases"] != 2 || count["subscriptionGroups"] != 1 || count["builds"] != nb {
		t.Fatalf("included counts %v (builds %d)", count, nb)
	}
	var rel struct {
		Data []resID `json:"data"`
		Meta struct {
			Paging struct{ Total, Limit int } `json:"paging"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(app.Relationships["appStoreVersions"], &rel); err != nil || len(rel.Data) != 2 ||
		rel.Meta.Paging.Total != 4 || rel.Meta.Paging.Limit != 2 {
		t.Fatalf("appStoreVersions relationship %s", app.Relationships["appStoreVersions"])
	}

	// Errors.
	wantStatus(t, e, "/v1/apps/999", 404, "NOT_FOUND", "")
	wantStatus(t, e, "/v1/apps?limit=201", 400, "PARAMETER_ERROR.INVALID", "limit")
	wantStatus(t, e, "/v1/apps?limit=0", 400, "PARAMETER_ERROR.INVALID", "limit")
	wantStatus(t, e, "/v1/apps?fields[apps]=name,colour", 400, "PARAMETER_ERROR.INVALID", "fields[apps]")
	wantStatus(t, e, "/v1/apps?include=reviews", 400, "PARAMETER_ERROR.INVALID", "include")
	wantStatus(t, e, "/v1/apps?sort=price", 400, "PARAMETER_ERROR.INVALID", "sort")
	wantStatus(t, e, "/v1/apps?filter[colour]=red", 400, "PARAMETER_ERROR.ILLEGAL", "filter[colour]")
	wantStatus(t, e, "/v1/apps?cursor=AQ.bogus", 400, "PARAMETER_ERROR.INVALID", "cursor")
	wantStatus(t, e, "/v1/apps/"+id+"?limit[builds]=51", 400, "PARAMETER_ERROR.INVALID", "limit[builds]")
	wantStatus(t, e, "/v1/apps/"+id+"?limit=5", 400, "PARAMETER_ERROR.ILLEGAL", "limit")
	wantStatus(t, e, "/v1/apps?filter[appStoreVersions.appStoreState]=LIVE", 400, "PARAMETER_ERROR.INVALID", "filter[appStoreVersions.appStoreState]")
	// A cursor of another listing is refused.
	_, d, _ := e.get(t, "/v1/apps?limit=1")
	next, _ := url.Parse(d.Links.Next)
	wantStatus(t, e, "/v1/apps?limit=1&filter[sku]=com.ascetl.app1&cursor="+url.QueryEscape(next.Query().Get("cursor")),
		400, "PARAMETER_ERROR.INVALID", "cursor")
}

func TestCatalogProducts(t *testing.T) {
	e := newEnv(t, Options{})
	tc := e.srv.TruthCatalog()
	var iaps []TruthIAP
	var groups []TruthSubGroup
	var subs []TruthSubscription
	for _, a := range tc.Apps {
		got, _ := e.walk(t, "/v1/apps/"+a.ID+"/inAppPurchasesV2?limit=1")
		for _, it := range got {
			if it.Type != "inAppPurchases" || it.relID(t, "app") != a.ID {
				t.Fatalf("iap %+v", it)
			}
			one, _ := e.one(t, "/v2/inAppPurchases/"+it.ID)
			if one.str("productId") != it.str("productId") {
				t.Fatalf("v2 single %+v vs %+v", one, it)
			}
			iaps = append(iaps, TruthIAP{ID: it.ID, AppID: a.ID, Name: it.str("name"), ProductID: it.str("productId"),
				Type: it.str("inAppPurchaseType")})
		}
		gs, inc := e.walk(t, "/v1/apps/"+a.ID+"/subscriptionGroups?include=subscriptions&fields[subscriptions]=productId,name,subscriptionPeriod,groupLevel,group")
		for _, g := range gs {
			groups = append(groups, TruthSubGroup{ID: g.ID, AppID: a.ID, ReferenceName: g.str("referenceName")})
			ss, _ := e.walk(t, "/v1/subscriptionGroups/"+g.ID+"/subscriptions?limit=1")
			if len(inc) < len(ss) {
				t.Fatalf("include=subscriptions gave %d, list %d", len(inc), len(ss))
			}
			for _, sb := range ss {
				lvl, _ := sb.Attributes["groupLevel"].(float64)
				subs = append(subs, TruthSubscription{ID: sb.ID, GroupID: sb.relID(t, "group"), AppID: a.ID,
					Name: sb.str("name"), ProductID: sb.str("productId"), Period: sb.str("subscriptionPeriod"), GroupLevel: int(lvl)})
			}
		}
	}
	if !slices.Equal(iaps, tc.IAPs) || !slices.Equal(groups, tc.Groups) || len(subs) != len(tc.Subscriptions) {
		t.Fatalf("served products differ from truth:\n%v\n%v\n%v\n%v", iaps, tc.IAPs, groups, tc.Groups)
	}
	for i := range subs {
		if subs[i] != tc.Subscriptions[i] {
			t.Fatalf("subscription %d: served %+v, truth %+v", i, subs[i], tc.Subscriptions[i])
		}
	}
	periods := map[string]bool{}
	for _, s := range subs {
		periods[s.Period] = true
	}
	if !periods["ONE_WEEK"] || !periods["ONE_MONTH"] || !periods["ONE_YEAR"] {
		t.Fatalf("periods %v", periods)
	}
	wantStatus(t, e, "/v1/subscriptionGroups/1/subscriptions", 404, "NOT_FOUND", "")
	wantStatus(t, e, "/v1/subscriptions/1", 404, "NOT_FOUND", "")
	wantStatus(t, e, "/v2/inAppPurchases/1", 404, "NOT_FOUND", "")
	wantStatus(t, e, "/v1/apps/"+tc.Apps[0].ID+"/inAppPurchasesV2?filter[inAppPurchaseType]=GIFT", 400, "PARAMETER_ERROR.INVALID", "filter[inAppPurchaseType]")
	wantStatus(t, e, "/v1/apps/"+tc.Apps[0].ID+"/subscriptionGroups?limit[subscriptions]=99", 400, "PARAMETER_ERROR.INVALID", "limit[subscriptions]")
}

func TestCatalogVersionsAndBuilds(t *testing.T) {
	e := newEnv(t, Options{})
	tc := e.srv.TruthCatalog()
	for _, a := range tc.Apps {
		vs, _ := e.walk(t, "/v1/apps/"+a.ID+"/appStoreVersions?limit=3")
		var want []TruthAppVersion
		for _, v := range tc.Versions {
			if v.AppID == a.ID {
				want = append(want, v)
			}
		}
		if len(vs) != len(want) {
			t.Fatalf("app %s: %d versions, truth %d", a.ID, len(vs), len(want))
		}
		for i, v := range vs {
			if v.ID != want[i].ID || v.str("versionString") != want[i].VersionString ||
				v.str("appStoreState") != want[i].AppStoreState || v.relID(t, "build") != want[i].BuildID {
				t.Fatalf("version %+v, truth %+v", v, want[i])
			}
		}
		if !a.Live {
			continue
		}
		// Version ids are the reviews' version ids.
		rv, err := e.srv.AppStoreVersions(a.ID)
		if err != nil || len(rv) != len(vs) {
			t.Fatalf("reviews versions %v %v", rv, err)
		}
		for _, v := range rv {
			it, _ := e.one(t, "/v1/appStoreVersions/"+v.ID)
			if it.str("versionString") != v.Version {
				t.Fatalf("version %s: %q vs reviews %q", v.ID, it.str("versionString"), v.Version)
			}
		}
		// /v1/builds agrees with the metrics listing attribute for attribute.
		_, d, _ := e.get(t, "/v1/apps/"+a.ID+"/builds?limit=200")
		var metricsBuilds []jitem
		if err := json.Unmarshal(d.Data, &metricsBuilds); err != nil {
			t.Fatal(err)
		}
		bs, inc := e.walk(t, "/v1/builds?filter[app]="+a.ID+"&include=preReleaseVersion&limit=2")
		if len(bs) != len(metricsBuilds) || len(bs) == 0 {
			t.Fatalf("%d builds vs metrics %d", len(bs), len(metricsBuilds))
		}
		prv := map[string]string{}
		for _, it := range inc {
			prv[it.ID] = it.str("version")
		}
		tb := e.srv.Builds(a.ID)
		for i, b := range bs {
			mb := metricsBuilds[i]
			for k, v := range mb.Attributes {
				if b.Attributes[k] != v {
					t.Fatalf("build %s %s: %v vs metrics %v", b.ID, k, b.Attributes[k], v)
				}
			}
			if b.ID != mb.ID || b.relID(t, "app") != a.ID || prv[b.relID(t, "preReleaseVersion")] != tb[i].AppVersion {
				t.Fatalf("build %d: %+v, truth %+v", i, b, tb[i])
			}
		}
		one, _ := e.walk(t, "/v1/builds?filter[preReleaseVersion.version]="+tb[0].AppVersion+"&filter[app]="+a.ID)
		if len(one) != 1 || one[0].ID != tb[0].ID {
			t.Fatalf("filter by app version: %v", ids(one))
		}
	}
	wantStatus(t, e, "/v1/builds?filter[app]=42", 400, "PARAMETER_ERROR.INVALID", "filter[app]")
	wantStatus(t, e, "/v1/builds?sort=size", 400, "PARAMETER_ERROR.INVALID", "sort")
	wantStatus(t, e, "/v1/appStoreVersions/nope", 404, "NOT_FOUND", "")
	wantStatus(t, e, "/v1/apps/1/appStoreVersions", 404, "NOT_FOUND", "")
}

// salesRows fetches a daily/weekly/monthly report and returns header and rows (nil when
// the period has no data).
func salesRows(t *testing.T, e *env, q url.Values) ([]string, [][]string) {
	t.Helper()
	rec := e.do(t, "/v1/salesReports", q, nil)
	if rec.Code == 404 || isNoData(t, rec) {
		return nil, nil
	}
	if rec.Code != 200 {
		t.Fatalf("%v: %d %s", q, rec.Code, rec.Body)
	}
	ls := lines(t, rec.Body.Bytes())
	return ls[0], ls[1:]
}

// TestCatalogResolvesEveryReportID is the zero-orphans property on the simulator side:
// every id in the sales, subscription, pre-order, newsstand, installs, reviews and metrics
// data resolves through the catalog endpoints.
func TestCatalogResolvesEveryReportID(t *testing.T) {
	for _, seed := range []int64{42, 7} {
		e := newEnv(t, Options{Seed: seed})
		apps := map[string]jitem{}
		skus := map[string]string{} // sku/productId -> kind
		products := map[string]string{}
		groups := map[string]bool{}
		appsData, _ := e.walk(t, "/v1/apps")
		for _, a := range appsData {
			apps[a.ID] = a
			skus[a.str("sku")] = "app"
			iaps, _ := e.walk(t, "/v1/apps/"+a.ID+"/inAppPurchasesV2")
			for _, p := range iaps {
				products[p.ID], skus[p.str("productId")] = "iap", "iap"
			}
			gs, inc := e.walk(t, "/v1/apps/"+a.ID+"/subscriptionGroups?include=subscriptions")
			for _, g := range gs {
				groups[g.ID] = true
			}
			for _, sb := range inc {
				products[sb.ID], skus[sb.str("productId")] = "sub", "sub"
			}
		}
		for id, kind := range products {
			if _, dup := apps[id]; dup {
				t.Fatalf("seed %d: id %s is both an app and a %s", seed, id, kind)
			}
		}
		need := func(what, v string, ok bool) {
			t.Helper()
			if !ok {
				t.Fatalf("seed %d: %s %q does not resolve", seed, what, v)
			}
		}
		checked := map[string]int{}
		check := func(header []string, rows [][]string, typ string) {
			col := map[string]int{}
			for i, h := range header {
				col[h] = i
			}
			get := func(r []string, c string) (string, bool) {
				i, ok := col[c]
				if !ok {
					return "", false
				}
				v := strings.TrimSpace(r[i])
				return v, v != ""
			}
			for _, r := range rows {
				checked[typ]++
				pti, _ := get(r, "Product Type Identifier")
				if v, ok := get(r, "Apple Identifier"); ok {
					switch {
					case typ == "PRE_ORDER" || typ == "INSTALLS":
						_, ok := apps[v]
						need(typ+" Apple Identifier", v, ok)
					case strings.HasPrefix(pti, "IA") || pti == "FI1":
						need(typ+" product Apple Identifier", v, products[v] != "")
					default:
						_, ok := apps[v]
						need(typ+" app Apple Identifier", v, ok)
					}
				}
				if v, ok := get(r, "SKU"); ok {
					need(typ+" SKU", v, skus[v] != "")
				}
				if v, ok := get(r, "Parent Identifier"); ok {
					need(typ+" Parent Identifier", v, skus[v] == "app")
				}
				for _, c := range []string{"App Apple ID", "App ID"} {
					if v, ok := get(r, c); ok {
						_, ok := apps[v]
						need(typ+" "+c, v, ok)
					}
				}
				for _, c := range []string{"Subscription Apple ID", "Previous Subscription Apple ID"} {
					if v, ok := get(r, c); ok {
						need(typ+" "+c, v, products[v] == "sub")
					}
				}
				if v, ok := get(r, "Subscription Group ID"); ok {
					need(typ+" Subscription Group ID", v, groups[v])
				}
			}
		}
		last := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
		for i := range 6 {
			d := iso(last.AddDate(0, 0, -i))
			for _, rt := range [][3]string{{"SALES", "SUMMARY", ""}, {"SUBSCRIPTION", "SUMMARY", ""},
				{"SUBSCRIPTION_EVENT", "SUMMARY", ""}, {"SUBSCRIBER", "DETAILED", ""},
				{"SUBSCRIPTION_OFFER_CODE_REDEMPTION", "SUMMARY", ""}, {"NEWSSTAND", "DETAILED", ""}} {
				h, rows := salesRows(t, e, salesQuery(rt[0], rt[1], "DAILY", d, rt[2]))
				check(h, rows, rt[0])
			}
		}
		for _, m := range []string{"2026-10", "2026-09", "2026-08", "2026-07"} {
			h, rows := salesRows(t, e, salesQuery("PRE_ORDER", "SUMMARY", "MONTHLY", m, ""))
			check(h, rows, "PRE_ORDER")
		}
		// INSTALLS ends with 2025-12 (sales_discontinued.go).
		for _, m := range []string{"2025-12", "2025-11"} { // older months are past retention
			h, rows := salesRows(t, e, salesQuery("INSTALLS", "SUMMARY", "MONTHLY", m, ""))
			check(h, rows, "INSTALLS")
		}
		for _, typ := range []string{"SALES", "SUBSCRIPTION", "SUBSCRIPTION_EVENT", "NEWSSTAND", "PRE_ORDER", "INSTALLS"} {
			if checked[typ] == 0 {
				t.Fatalf("seed %d: no %s rows checked (%v)", seed, typ, checked)
			}
		}
		t.Logf("seed %d: rows checked %v", seed, checked)
		// Reviews and metrics ids.
		for _, id := range e.srv.AppIDs() {
			_, ok := apps[id]
			need("AppIDs", id, ok)
			rs, err := e.srv.TruthReviews(id)
			if err != nil {
				t.Fatal(err)
			}
			vers, _ := e.walk(t, "/v1/apps/"+id+"/appStoreVersions")
			vid := map[string]bool{}
			for _, v := range vers {
				vid[v.ID] = true
			}
			for _, r := range rs {
				need("review version", r.VersionID, vid[r.VersionID])
			}
			bs, _ := e.walk(t, "/v1/builds?filter[app]="+id)
			bid := map[string]bool{}
			for _, b := range bs {
				bid[b.ID] = true
			}
			for _, b := range e.srv.Builds(id) {
				need("metrics build", b.ID, bid[b.ID])
			}
		}
	}
}

func TestCatalogRename(t *testing.T) {
	e := newEnv(t, Options{})
	oldName, newName := RenamedApp()
	id := e.srv.AppIDs()[renamedIndex]
	name := func() string {
		it, _ := e.one(t, "/v1/apps/"+id+"?fields[apps]=name")
		return it.str("name")
	}
	e.clock.t = RenameAt().Add(-time.Second)
	if got := name(); got != oldName {
		t.Fatalf("before rename: %q", got)
	}
	e.clock.t = RenameAt()
	if got := name(); got != newName {
		t.Fatalf("at rename: %q", got)
	}
	ta := e.srv.TruthCatalog().Apps[renamedIndex]
	if len(ta.Names) != 2 || ta.Names[0].Name != oldName || !ta.Names[0].To.Equal(RenameAt()) ||
		ta.Names[1].Name != newName || !ta.Names[1].From.Equal(RenameAt()) || ta.Name != newName {
		t.Fatalf("truth names %+v", ta)
	}
	// SALES titles follow the report day.
	e.clock.t = testNow
	sku := "com.ascetl.app2"
	titles := func(day string) map[string]bool {
		h, rows := salesRows(t, e, salesQuery("SALES", "SUMMARY", "DAILY", day, ""))
		out := map[string]bool{}
		si, ti := slices.Index(h, "SKU"), slices.Index(h, "Title")
		for _, r := range rows {
			if r[si] == sku {
				out[r[ti]] = true
			}
		}
		return out
	}
	before, after := titles("2026-11-22"), titles("2026-11-23")
	if len(before) == 0 || len(after) == 0 {
		t.Fatalf("no sales of the renamed app on the days around the rename: %v %v", before, after)
	}
	if !before[oldName] || len(before) != 1 || !after[newName] || len(after) != 1 {
		t.Fatalf("titles before %v, after %v", before, after)
	}
}

func TestCatalogDeterminism(t *testing.T) {
	a, b := newEnv(t, Options{Seed: 9}), newEnv(t, Options{Seed: 9})
	for _, p := range []string{"/v1/apps?include=appStoreVersions,subscriptionGroups,builds",
		"/v1/ciProducts", "/v1/builds?include=preReleaseVersion"} {
		_, _, x := a.get(t, p)
		_, _, y := b.get(t, p)
		if string(x) != string(y) {
			t.Fatalf("%s differs between two servers with one seed", p)
		}
	}
	c := newEnv(t, Options{Seed: 10})
	if slices.Equal(a.srv.AppIDs(), c.srv.AppIDs()) {
		t.Fatalf("seeds 9 and 10 give the same app ids")
	}
}

// TestCatalogIDsUnique: Apple ids are unique across apps, products and groups for many seeds
// (the sales-only apps' ids are derived from the first app's id).
func TestCatalogIDsUnique(t *testing.T) {
	for seed := int64(1); seed <= 300; seed++ {
		s := New(Options{Seed: seed, Apps: 1 + int(seed%9), Now: func() time.Time { return testNow }})
		m := s.model()
		seen := map[string]string{}
		add := func(kind, id string) {
			if prev, dup := seen[id]; dup {
				t.Fatalf("seed %d: id %s is a %s and a %s", seed, id, prev, kind)
			}
			seen[id] = kind
		}
		for _, a := range m.apps {
			add("app", a.id)
			for _, p := range a.iaps {
				add("iap", p.id)
			}
			for _, g := range a.groups {
				add("group", g.id)
				for _, sb := range g.subs {
					add("subscription", sb.id)
				}
			}
		}
		if _, err := strconv.ParseInt(m.apps[0].id, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
}
