package pipeline

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob/memblob"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
)

// accountsBlock replaces vendor_number in the shipped config.yaml: acme has two vendor
// numbers, globex one; both read every app of their key.
const accountsBlock = `accounts:
  - {name: acme, vendor_numbers: ["85012345", "85012399"], apps: all}
  - {name: globex, vendor_numbers: ["91234567"], apps: all}`

// twoAccountsConfig is config.yaml with accountsBlock, small windows, and sales (two
// kinds), finance, reviews and the catalog on.
func twoAccountsConfig(t testing.TB, mutate func(*config.Config)) *config.Config {
	t.Helper()
	s := regexp.MustCompile(`(?m)^vendor_number:.*$`).ReplaceAllString(string(etl.DefaultConfig), accountsBlock)
	cfg, err := config.Parse("two-accounts.yaml", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sales.InitialDays, cfg.Finance.InitialPeriods = 3, 1
	cfg.Sales.Reports = cfg.Sales.Reports[:2] // SALES and SUBSCRIPTION
	cfg.Metrics.Enabled, cfg.Analytics.Enabled = false, false
	if mutate != nil {
		mutate(cfg)
	}
	return cfg
}

// multiHarness is an installation with several accounts against a simulator.Multi.
type multiHarness struct {
	t     *testing.T
	clock *clock
	multi *simulator.Multi
	srv   *httptest.Server
	keys  map[string]*ecdsa.PrivateKey
	cfg   *config.Config
	store *load.Store
	alloc *memory.CheckedAllocator
}

func accountKeyID(name string) string { return strings.ToUpper(name[:3]) + "KEY0001" }

func newMultiHarness(t *testing.T, simOpt simulator.Options, cfg *config.Config) *multiHarness {
	t.Helper()
	h := &multiHarness{t: t, clock: &clock{t: start}, cfg: cfg, keys: map[string]*ecdsa.PrivateKey{},
		alloc: memory.NewCheckedAllocator(memory.DefaultAllocator)}
	var accs []simulator.AccountOptions
	for _, a := range cfg.AccountList() {
		o := simOpt
		o.Now, o.Seed, o.Vendors, o.IssuerID = h.clock.Now, simulator.AccountSeed(7, a.Name), a.VendorNumbers, a.IssuerID
		accs = append(accs, simulator.AccountOptions{Name: a.Name, Options: o})
	}
	m, err := simulator.NewMulti(accs)
	if err != nil {
		t.Fatal(err)
	}
	h.multi = m
	for _, n := range m.Accounts() {
		k, _, err := simulator.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		m.Account(n).AddKey(accountKeyID(n), &k.PublicKey)
		h.keys[n] = k
	}
	h.srv = httptest.NewServer(m)
	t.Cleanup(h.srv.Close)
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	h.store = load.New(b)
	t.Cleanup(func() { h.alloc.AssertSize(t, 0) })
	return h
}

// clients makes one client per account (a fresh process), each one of share processes on
// its key.
func (h *multiHarness) clients(share int) map[string]*extract.Client {
	h.t.Helper()
	out := map[string]*extract.Client{}
	// One base URL for every harness, connections to this one's server: the links in the
	// simulator's JSON:API documents, and so the archived payloads, are the same in every
	// harness (enginetest.SimBaseURL).
	addr := h.srv.Listener.Addr().String()
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	h.t.Cleanup(tr.CloseIdleConnections)
	for _, n := range h.multi.Accounts() {
		c, err := extract.NewClient(extract.Config{
			BaseURL: "http://asc-sim.test", HTTPClient: &http.Client{Transport: tr}, IssuerID: h.multi.Account(n).Options().IssuerID, KeyID: accountKeyID(n), Key: h.keys[n],
			Now: h.clock.Now, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
			MaxConcurrency: h.cfg.API.MaxConcurrency, BudgetShare: share,
		})
		if err != nil {
			h.t.Fatal(err)
		}
		out[n] = c
	}
	return out
}

func (h *multiHarness) pipeline(store *load.Store, clients map[string]*extract.Client) *Pipeline {
	apis := map[string]engine.API{}
	for n, c := range clients {
		apis[n] = c
	}
	return &Pipeline{Cfg: h.cfg, Store: store, APIs: apis, Now: h.clock.Now, Alloc: h.alloc}
}

func (h *multiHarness) run(ctx context.Context) *Summary {
	h.t.Helper()
	sum, err := h.pipeline(h.store, h.clients(0)).Run(ctx)
	if err != nil {
		h.t.Fatalf("run: %v", err)
	}
	return sum
}

// partitionRE splits a Parquet key of an installation with accounts.
var partitionRE = regexp.MustCompile(`^parquet/([a-z0-9_]+)/account=([a-z0-9_-]+)/(vendor|app_id)=([0-9]+)/`)

// owner is the account a unit's vendor number or app belongs to in the simulator.
func (h *multiHarness) owner(id string) string {
	if a := h.multi.AccountOfVendor(id); a != "" {
		return a
	}
	return h.multi.AccountOfApp(id)
}

// Two accounts against the simulator: every unit is loaded for the account that owns it,
// under its account partition, with exactly that account's truth; no request asked for
// another account's vendor or app; the summary has a line per account.
func TestTwoAccountsLoadOnlyTheirOwnData(t *testing.T) {
	ctx := context.Background()
	h := newMultiHarness(t, simulator.Options{ReviewsPerApp: 40}, twoAccountsConfig(t, nil))
	sum := h.run(ctx)
	printed := printedSummary(sum)
	if code := sum.ExitCode(); code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, printed)
	}
	for _, n := range []string{"acme", "globex"} {
		a := sum.Accounts[n]
		if a == nil || a.Loaded == 0 || a.Failed != 0 {
			t.Errorf("account %s: %+v", n, a)
		}
		if !regexp.MustCompile(`(?m)^ *` + n + ` +\d+ +\d+`).MatchString(printed) {
			t.Errorf("summary has no line for %s:\n%s", n, printed)
		}
	}
	if st := h.multi.Stats(); st.ByStatus[403] != 0 || st.Unauthorized != 0 || st.RateLimited != 0 {
		t.Errorf("simulator answered 403 %d, 401 %d, 429 %d times", st.ByStatus[403], st.Unauthorized, st.RateLimited)
	}

	es, err := h.store.Ledger().List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	checked := map[string]map[report.Family]int{}
	for _, e := range es {
		if want := h.owner(e.Unit.Vendor); e.Account != want || want == "" {
			t.Errorf("%s: ledger account %q, owner %q", e.Unit.ID(), e.Account, want)
			continue
		}
		if e.State != load.Loaded || (e.Unit.Family != report.Sales && e.Unit.Family != report.Finance) {
			continue
		}
		key, err := load.UnitParquetKey(e.Unit) // the unit's own object (sales: its period's, in an open month)
		if err != nil {
			t.Fatal(err)
		}
		dir := "parquet/" + e.Unit.Table() + "/"
		key = dir + engine.AccountKey + "=" + e.Account + "/" + strings.TrimPrefix(key, dir)
		got := totalsAt(t, h.store, h.alloc, e.Unit, key)
		truth, err := h.multi.Account(e.Account).Truth(e.Unit, e.Version)
		if err != nil {
			t.Fatal(err)
		}
		if got.Rows != truth.Rows || got.Units != truth.Units || fmt.Sprint(got.Proceeds) != fmt.Sprint(truth.Proceeds) {
			t.Errorf("%s: rows %d units %d proceeds %v; %s's truth %d %d %v", e.Unit.ID(), got.Rows, got.Units, got.Proceeds,
				e.Account, truth.Rows, truth.Units, truth.Proceeds)
		}
		if checked[e.Account] == nil {
			checked[e.Account] = map[report.Family]int{}
		}
		checked[e.Account][e.Unit.Family]++
	}
	if checked["acme"][report.Sales] == 0 || checked["globex"][report.Sales] == 0 || checked["acme"][report.Finance] == 0 || checked["globex"][report.Finance] == 0 {
		t.Errorf("units compared with the truth: %v", checked)
	}

	// Every object sits under its owner's account partition; each account's reviews are
	// exactly its apps' reviews.
	keys, err := h.store.List(ctx, "parquet/")
	if err != nil {
		t.Fatal(err)
	}
	reviews := map[string]int64{} // app -> rows
	vendors := map[string]bool{}
	for _, k := range keys {
		m := partitionRE.FindStringSubmatch(k)
		if m == nil {
			t.Errorf("%s: not under account=<name>/vendor=|app_id=", k)
			continue
		}
		if own := h.owner(m[4]); own != m[2] {
			t.Errorf("%s: %s=%s is %q's, stored under account %s", k, m[3], m[4], own, m[2])
		}
		if m[3] == "vendor" {
			vendors[m[4]] = true
		}
		if m[1] == "customer_reviews" {
			tbl, err := h.store.ReadTable(ctx, k, h.alloc)
			if err != nil {
				t.Fatal(err)
			}
			reviews[m[4]] += tbl.NumRows()
			tbl.Release()
		}
	}
	for _, v := range []string{"85012345", "85012399", "91234567"} {
		if !vendors[v] {
			t.Errorf("no Parquet for vendor %s", v)
		}
	}
	perAccount := map[string]int{}
	for app, n := range reviews {
		acct := h.owner(app)
		truth, err := h.multi.Account(acct).TruthReviews(app)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(truth)) {
			t.Errorf("app %s (%s): %d reviews loaded, truth %d", app, acct, n, len(truth))
		}
		perAccount[acct]++
	}
	if perAccount["acme"] == 0 || perAccount["globex"] == 0 {
		t.Errorf("apps with reviews per account: %v", perAccount)
	}
	t.Logf("%d ledger entries, %d Parquet objects; sales/finance units checked against the truth: %v; apps with reviews: %v",
		len(es), len(keys), checked, perAccount)

	// The next run reaches the finance lookback's new period; the one after changes nothing.
	h.run(ctx)
	again := h.run(ctx)
	if w := again.Totals().Written; w != 0 || again.ExitCode() != ExitOK {
		t.Errorf("third run: exit %d, %d objects written:\n%s", again.ExitCode(), w, printedSummary(again))
	}
}

// A revoked key fails its account only: exit 3, the other account loads everything, and
// the revoked key is refused once per request in flight, not once per unit.
func TestRevokedKeyFailsOnlyItsAccount(t *testing.T) {
	ctx := context.Background()
	h := newMultiHarness(t, simulator.Options{ReviewsPerApp: 20}, twoAccountsConfig(t, nil))
	h.multi.Account("globex").RemoveKey(accountKeyID("globex"))
	sum := h.run(ctx)
	if code := sum.ExitCode(); code != ExitPartial {
		t.Fatalf("exit %d, want %d:\n%s", code, ExitPartial, printedSummary(sum))
	}
	acme, globex := sum.Accounts["acme"], sum.Accounts["globex"]
	if acme.Failed != 0 || acme.Loaded == 0 {
		t.Errorf("acme: %+v", acme)
	}
	if globex.Failed == 0 || globex.Loaded != 0 {
		t.Errorf("globex: %+v", globex)
	}
	for _, f := range sum.Failures {
		if !strings.Contains(f, "401") && !strings.Contains(f, "rejected") {
			t.Errorf("failure not about the key: %s", f)
		}
	}
	refused := h.multi.Account("globex").Stats().Unauthorized
	if refused == 0 || refused > 2*h.cfg.API.MaxConcurrency {
		t.Errorf("globex's revoked key was refused %d times for %d failed units", refused, globex.Failed)
	}
	t.Logf("acme loaded %d units; globex failed %d units with %d requests refused (401)", acme.Loaded, globex.Failed, refused)
}

func printedSummary(s *Summary) string {
	var b strings.Builder
	s.Print(&b)
	return b.String()
}
