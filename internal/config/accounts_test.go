package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	etl "github.com/ascetl/etl"
)

func TestAccountsGood(t *testing.T) {
	t.Setenv("GLOBEX_KEY", "-----BEGIN PRIVATE KEY-----")
	c, err := Load("testdata/accounts.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.MultiAccount() || len(c.AccountList()) != 2 {
		t.Fatalf("accounts: %+v", c.Accounts)
	}
	acme, globex := c.Accounts[0], c.Accounts[1]
	if !acme.Apps.All() || globex.Apps.All() || len(globex.Apps.IDs) != 2 {
		t.Errorf("apps: %+v %+v", acme.Apps, globex.Apps)
	}
	for _, tc := range []struct{ id, want string }{
		{"85012399", "acme"}, {"91234567", "globex-games"}, {"1500000002", "globex-games"}, {"1", ""},
	} {
		if got := c.AccountOf(tc.id); got != tc.want {
			t.Errorf("AccountOf(%s) = %q, want %q", tc.id, got, tc.want)
		}
	}
	views := c.ForAccount(acme)
	if len(views) != 2 {
		t.Fatalf("acme: %d views, want one per vendor number", len(views))
	}
	if v := views[0]; v.VendorNumber != "85012345" || v.API.KeyID != "2X9R4HXF34" || !v.Reviews.Enabled || v.API.BudgetReserve != 60 {
		t.Errorf("first view: vendor %s key %s reviews %v reserve %d", v.VendorNumber, v.API.KeyID, v.Reviews.Enabled, v.API.BudgetReserve)
	}
	if v := views[1]; v.VendorNumber != "85012399" || v.Reviews.Enabled || v.Catalog.Enabled || !v.Sales.Enabled || !v.Finance.Enabled {
		t.Errorf("second view: vendor %s reviews %v catalog %v sales %v finance %v", v.VendorNumber, v.Reviews.Enabled, v.Catalog.Enabled, v.Sales.Enabled, v.Finance.Enabled)
	}
	g := c.ForAccount(globex)[0]
	if !slices.Equal(g.Reviews.Apps, globex.Apps.IDs) || !slices.Equal(g.Catalog.Apps, globex.Apps.IDs) || g.API.KeyEnv != "GLOBEX_KEY" {
		t.Errorf("globex view: reviews %v catalog %v key_env %s", g.Reviews.Apps, g.Catalog.Apps, g.API.KeyEnv)
	}
	if len(c.Reviews.Apps) != 0 {
		t.Error("ForAccount changed the configuration it was called on")
	}
}

func TestSingleAccountIsTheImplicitDefault(t *testing.T) {
	c, err := Parse("config.yaml", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	as := c.AccountList()
	if c.MultiAccount() || len(as) != 1 || as[0].Name != DefaultAccount || !slices.Equal(as[0].VendorNumbers, []string{"85012345"}) {
		t.Fatalf("implicit account: %+v", as)
	}
	if v := c.ForAccount(as[0]); len(v) != 1 || v[0] != c {
		t.Error("the single-account form must run on the configuration itself")
	}
}

func TestAccountsBad(t *testing.T) {
	t.Setenv("ASC_PRIVATE_KEY", "")
	_, err := Load(filepath.Join("testdata", "accounts.bad.yml"))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, w := range []string{
		"line 4: vendor_number", "line 3: api.key_id",
		`line 6: accounts[0].name: "Acme Corp" must be`,
		"line 7: accounts[0].issuer_id", "line 6: accounts[0].key_path",
		`line 9: accounts[0].vendor_numbers[1]: "8501x"`,
		`line 12: accounts[1].key_id: "2X9R4HXF34" is already the key of accounts[0]`,
		`line 14: accounts[1].vendor_numbers[0]: vendor number "85012345" is already listed under accounts[0] (Acme Corp)`,
		`line 15: accounts[1].apps[1]: app "1500000001" is already listed under accounts[1] (beta)`,
		`line 16: accounts[2].name: "beta" is already the name of accounts[1]`,
		"line 18: accounts[2].vendor_numbers: list the account's vendor numbers",
		"line 20: reviews.apps: with accounts:",
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
}

func TestAccountsAppsMustBeAllOrAList(t *testing.T) {
	for _, tc := range []struct{ apps, want string }{
		{"some", `apps "some" must be "all"`},
		{"[]", "apps is an empty list"},
		{"{a: 1}", "apps must be"},
	} {
		y := "accounts:\n  - name: a\n    vendor_numbers: [\"1\"]\n    apps: " + tc.apps + "\n"
		_, err := Parse("x.yml", []byte(y))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("apps: %s: want %q, got %v", tc.apps, tc.want, err)
		}
	}
}

func TestHashIgnoresAccountCredentials(t *testing.T) {
	t.Setenv("GLOBEX_KEY", "x")
	a, err := Load("testdata/accounts.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Load("testdata/accounts.good.yml")
	b.Accounts[0].KeyPath, b.Accounts[1].KeyID = "/elsewhere.p8", "ZZZZZZZZZZ"
	if a.Hash() != b.Hash() {
		t.Error("hash differs with account credentials only")
	}
	b.Accounts[1].VendorNumbers = []string{"91234568"}
	if a.Hash() == b.Hash() {
		t.Error("hash ignores an account's vendor numbers")
	}
	if a.Accounts[1].KeyID != "7QK2M9ZX4P" {
		t.Error("Hash changed the accounts")
	}
}
