package simulator

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ascetl/etl/report"
)

// multiEnv is a Multi with two accounts, acme (two vendor numbers) and globex, a key each.
type multiEnv struct {
	m     *Multi
	clock *fakeClock
	keys  map[string]*ecdsa.PrivateKey
}

func newMultiEnv(t *testing.T, rateLimit int) *multiEnv {
	t.Helper()
	c := &fakeClock{t: testNow}
	m, err := NewMulti([]AccountOptions{
		{Name: "acme", Options: Options{Seed: AccountSeed(42, "acme"), Vendors: []string{"85012345", "85012399"}, Now: c.Now, RateLimit: rateLimit}},
		{Name: "globex", Options: Options{Seed: AccountSeed(42, "globex"), Vendors: []string{"91234567"}, Now: c.Now, RateLimit: rateLimit}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &multiEnv{m: m, clock: c, keys: map[string]*ecdsa.PrivateKey{}}
	for _, n := range m.Accounts() {
		k, _, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		m.Account(n).AddKey("KEY"+strings.ToUpper(n)[:4]+"0001", &k.PublicKey)
		e.keys[n] = k
	}
	return e
}

func (e *multiEnv) get(t *testing.T, account, path string, q url.Values) *httptest.ResponseRecorder {
	t.Helper()
	tok, err := SignToken(e.keys[account], "KEY"+strings.ToUpper(account)[:4]+"0001", e.m.Account(account).Options().IssuerID, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	e.m.ServeHTTP(rec, req)
	return rec
}

func vendorSales(vendor, day string) url.Values {
	q := salesQuery("SALES", "SUMMARY", "DAILY", day, "1_0")
	q.Set("filter[vendorNumber]", vendor)
	return q
}

func appIDsOf(t *testing.T, rec *httptest.ResponseRecorder) []string {
	t.Helper()
	var doc struct {
		Data []struct{ ID string } `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var ids []string
	for _, d := range doc.Data {
		ids = append(ids, d.ID)
	}
	return ids
}

// Each key sees only its account: its vendors and apps answer, another account's get 403
// FORBIDDEN_ERROR, and a vendor number nobody has keeps the 400 of a single account.
func TestMultiKeysSeeOnlyTheirAccount(t *testing.T) {
	e := newMultiEnv(t, 0)
	day := "2026-11-20"
	acmeApps := appIDsOf(t, e.get(t, "acme", "/v1/apps", nil))
	globexApps := appIDsOf(t, e.get(t, "globex", "/v1/apps", nil))
	if len(acmeApps) == 0 || len(globexApps) == 0 {
		t.Fatalf("apps: acme %v globex %v", acmeApps, globexApps)
	}
	for _, id := range acmeApps {
		if slices.Contains(globexApps, id) {
			t.Fatalf("app %s listed for both accounts", id)
		}
	}
	for _, tc := range []struct {
		name, account, path string
		q                   url.Values
		status              int
		code                string
	}{
		{"own vendor", "acme", "/v1/salesReports", vendorSales("85012345", day), 200, ""},
		{"own second vendor", "acme", "/v1/salesReports", vendorSales("85012399", day), 200, ""},
		{"other account's vendor", "acme", "/v1/salesReports", vendorSales("91234567", day), 403, "FORBIDDEN_ERROR"},
		{"other account's vendor, finance", "globex", "/v1/financeReports", url.Values{"filter[reportType]": {"FINANCIAL"},
			"filter[regionCode]": {"ZZ"}, "filter[reportDate]": {"2026-01"}, "filter[vendorNumber]": {"85012345"}}, 403, "FORBIDDEN_ERROR"},
		{"nobody's vendor", "globex", "/v1/salesReports", vendorSales("77777777", day), 400, "PARAMETER_ERROR.INVALID"},
		{"own app", "globex", "/v1/apps/" + globexApps[0] + "/customerReviews", nil, 200, ""},
		{"other account's app", "globex", "/v1/apps/" + acmeApps[0] + "/customerReviews", nil, 403, "FORBIDDEN_ERROR"},
		{"other account's app itself", "acme", "/v1/apps/" + globexApps[0], nil, 403, "FORBIDDEN_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.get(t, tc.account, tc.path, tc.q)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.code) {
				t.Fatalf("%d %s, want %d %s", rec.Code, rec.Body, tc.status, tc.code)
			}
			if rec.Header().Get("X-Rate-Limit") == "" {
				t.Error("no X-Rate-Limit")
			}
		})
	}
}

// Every account's data is its own and the same in every process; an account's first
// vendor serves what a server with that vendor alone serves, its second vendor other data.
func TestMultiDataIsDeterministicPerAccount(t *testing.T) {
	a, b := newMultiEnv(t, 0), newMultiEnv(t, 0)
	day := "2026-11-20"
	body := func(e *multiEnv, account, vendor string) []byte {
		rec := e.get(t, account, "/v1/salesReports", vendorSales(vendor, day))
		if rec.Code != 200 {
			t.Fatalf("%s %s: %d %s", account, vendor, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	v1, v2, g := body(a, "acme", "85012345"), body(a, "acme", "85012399"), body(a, "globex", "91234567")
	if !bytes.Equal(v1, body(b, "acme", "85012345")) || !bytes.Equal(g, body(b, "globex", "91234567")) {
		t.Error("the same account serves other bytes in another process")
	}
	if bytes.Equal(v1, v2) || bytes.Equal(v1, g) {
		t.Error("two vendors serve the same report")
	}
	single := newEnv(t, Options{Seed: AccountSeed(42, "acme"), Vendor: "85012345"})
	rec := single.do(t, "/v1/salesReports", vendorSales("85012345", day), nil)
	if !bytes.Equal(rec.Body.Bytes(), v1) {
		t.Error("an account's first vendor differs from a server with that vendor alone")
	}
	acme := a.m.Account("acme")
	for _, v := range []string{"85012345", "85012399"} {
		u := report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: v, Period: day}
		tr, err := acme.Truth(u, "")
		if err != nil || tr.Status != 200 || tr.Rows == 0 {
			t.Errorf("truth %s: %+v %v", v, tr, err)
		}
	}
	if _, err := acme.Truth(report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: "DAILY", Vendor: "91234567", Period: day}, ""); err == nil {
		t.Error("acme gives the truth of globex's vendor")
	}
}

// A revoked key gets 401 for its account only; each key has its own request budget.
func TestMultiRevokedKeyAndBudgets(t *testing.T) {
	e := newMultiEnv(t, 3)
	for range 3 {
		if rec := e.get(t, "acme", "/v1/apps", nil); rec.Code != 200 {
			t.Fatalf("acme: %d", rec.Code)
		}
	}
	if rec := e.get(t, "acme", "/v1/apps", nil); rec.Code != 429 {
		t.Errorf("acme over its budget: %d, want 429", rec.Code)
	}
	if rec := e.get(t, "globex", "/v1/apps", nil); rec.Code != 200 {
		t.Errorf("globex after acme's budget ran out: %d, want 200", rec.Code)
	}
	e.m.Account("globex").RemoveKey("KEYGLOB0001")
	if rec := e.get(t, "globex", "/v1/apps", nil); rec.Code != 401 || !strings.Contains(rec.Body.String(), "NOT_AUTHORIZED") {
		t.Errorf("revoked key: %d %s", rec.Code, rec.Body)
	}
	if st := e.m.Stats(); st.Unauthorized != 1 || st.RateLimited != 1 {
		t.Errorf("stats: %+v", st)
	}
}

func TestNewMultiRefusesSharedIdentities(t *testing.T) {
	for _, tc := range []struct {
		name string
		accs []AccountOptions
		want string
	}{
		{"name", []AccountOptions{{Name: "a"}, {Name: "a", Options: Options{Seed: 2}}}, "used twice"},
		{"vendor", []AccountOptions{{Name: "a", Options: Options{Seed: 1, Vendor: "1"}}, {Name: "b", Options: Options{Seed: 2, Vendor: "1"}}}, "vendor number 1"},
		{"apps", []AccountOptions{{Name: "a", Options: Options{Seed: 1, Vendor: "1"}}, {Name: "b", Options: Options{Seed: 1, Vendor: "2"}}}, "use another seed"},
		{"issuer", []AccountOptions{{Name: "a", Options: Options{Vendor: "1", IssuerID: DefaultIssuerID}}, {Name: "b", Options: Options{Seed: 3, Vendor: "2", IssuerID: DefaultIssuerID}}}, "issuer"},
	} {
		if _, err := NewMulti(tc.accs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}
