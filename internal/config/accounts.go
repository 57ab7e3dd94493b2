package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ascetl/etl/report"
)

// DefaultAccount is the name of the one implicit account of a configuration without
// accounts: (top-level api: and vendor_number). Its data keeps the single-account layout.
const DefaultAccount = "default"

// Account is one developer account of an installation that loads several (accounts:):
// an App Store Connect team with its own API key, and so its own hourly request budget,
// its vendor numbers and its apps. The api: section's other settings (base_url,
// max_concurrency, timeouts, budget_reserve) apply to every account.
type Account struct {
	// Name is the account's partition value (account=<name>) and its label in etl status
	// and the run summary: lowercase letters, digits, '-' and '_'.
	Name     string `yaml:"name"`
	IssuerID string `yaml:"issuer_id"`
	KeyID    string `yaml:"key_id"`
	KeyPath  string `yaml:"key_path"`
	KeyEnv   string `yaml:"key_env"`
	// VendorNumbers are the account's vendor numbers (Payments and Financial Reports): its
	// sales and finance reports are pulled for each one.
	VendorNumbers []string `yaml:"vendor_numbers"`
	// Apps are the apps of the account the per-app families read: "all" (every app the key
	// can see, discovered each run; the default) or a list of App Apple IDs.
	Apps AppList `yaml:"apps"`
}

// AppList is "all" (IDs empty) or a list of App Apple IDs.
type AppList struct {
	IDs []string
}

// All reports whether the list means every app of the key.
func (l AppList) All() bool { return len(l.IDs) == 0 }

// UnmarshalYAML takes the scalar "all" or a sequence of ids.
func (l *AppList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || strings.EqualFold(n.Value, "all") {
			l.IDs = nil
			return nil
		}
		return fmt.Errorf("line %d: apps %q must be \"all\" or a list of App Apple IDs", n.Line, n.Value)
	case yaml.SequenceNode:
		var ids []string
		if err := n.Decode(&ids); err != nil {
			return err
		}
		if len(ids) == 0 {
			return fmt.Errorf("line %d: apps is an empty list (write apps: all for every app of the key)", n.Line)
		}
		l.IDs = ids
		return nil
	}
	return fmt.Errorf("line %d: apps must be \"all\" or a list of App Apple IDs", n.Line)
}

// MarshalYAML writes "all" or the list.
func (l AppList) MarshalYAML() (any, error) {
	if l.All() {
		return "all", nil
	}
	return l.IDs, nil
}

// MultiAccount reports whether the configuration lists accounts (accounts:). Then every
// table gets a leading account=<name> partition; without, the layout is the
// single-account one.
func (c *Config) MultiAccount() bool { return len(c.Accounts) > 0 }

// AccountList is the installation's accounts: those of accounts:, or the one implicit
// account (DefaultAccount) made of api: and vendor_number.
func (c *Config) AccountList() []Account {
	if c.MultiAccount() {
		return c.Accounts
	}
	return []Account{{Name: DefaultAccount, IssuerID: c.API.IssuerID, KeyID: c.API.KeyID,
		KeyPath: c.API.KeyPath, KeyEnv: c.API.KeyEnv, VendorNumbers: []string{c.VendorNumber}}}
}

// AccountOf returns the account a vendor number or App Apple ID is listed under ("" when
// none lists it; an account with apps: all claims no app by name).
func (c *Config) AccountOf(id string) string {
	for _, a := range c.AccountList() {
		for _, v := range a.VendorNumbers {
			if v == id {
				return a.Name
			}
		}
		for _, x := range a.Apps.IDs {
			if x == id {
				return a.Name
			}
		}
	}
	return ""
}

// ForAccount returns the configuration views the Sources of account a are built from,
// as if each were a single-account file: the first is the whole configuration for the
// account's first vendor number (its key, its apps, every family); each further vendor
// number gets a view with only sales and finance (the per-app families and the catalog
// belong to the key, not to a vendor). Without accounts: it is c itself, unchanged.
func (c *Config) ForAccount(a Account) []*Config {
	if !c.MultiAccount() {
		return []*Config{c}
	}
	var out []*Config
	for i, vendor := range a.VendorNumbers {
		v := *c
		v.API.IssuerID, v.API.KeyID, v.API.KeyPath, v.API.KeyEnv = a.IssuerID, a.KeyID, a.KeyPath, a.KeyEnv
		v.VendorNumber = vendor
		v.Accounts = []Account{a}
		if !a.Apps.All() {
			v.Reviews.Apps, v.Metrics.Apps, v.Catalog.Apps, v.Analytics.Apps = a.Apps.IDs, a.Apps.IDs, a.Apps.IDs, a.Apps.IDs
		}
		if i > 0 {
			v.Reviews.Enabled, v.Metrics.Enabled, v.Analytics.Enabled, v.Catalog.Enabled = false, false, false, false
			v.TestFlight.Enabled, v.XcodeCloud.Enabled = false, false
		}
		out = append(out, &v)
	}
	return out
}

var accountNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// validateAccounts checks accounts: and, when it is used, that the single-account fields
// it replaces are left empty.
//
// The file is decoded over the shipped config.yaml, whose vendor_number is the simulator's:
// with accounts:, that default is dropped (the accounts name their vendor numbers), and
// only a vendor_number or api key the file itself sets is a mistake.
func (c *Config) validateAccounts(add func(string, string, ...any)) {
	if !c.MultiAccount() {
		return
	}
	if _, set := c.find("vendor_number"); set && c.VendorNumber != "" {
		add("vendor_number", "%q: with accounts:, each account lists its vendor_numbers; leave vendor_number out", c.VendorNumber)
	}
	c.VendorNumber = ""
	for _, f := range []struct{ path, v string }{
		{"api.issuer_id", c.API.IssuerID}, {"api.key_id", c.API.KeyID}, {"api.key_path", c.API.KeyPath},
	} {
		if _, set := c.find(f.path); set && f.v != "" {
			add(f.path, "with accounts:, each account has its own key; leave %s out", f.path)
		}
	}
	for _, f := range []struct {
		path string
		apps []string
	}{{"reviews.apps", c.Reviews.Apps}, {"metrics.apps", c.Metrics.Apps}, {"catalog.apps", c.Catalog.Apps}, {"analytics.apps", c.Analytics.Apps}} {
		if len(f.apps) > 0 {
			add(f.path, "with accounts:, choose apps per account (accounts[].apps); leave %s empty", f.path)
		}
	}
	names, owner, keys := map[string]int{}, map[string]string{}, map[string]int{}
	for i, a := range c.Accounts {
		p := fmt.Sprintf("accounts[%d]", i)
		if !accountNameRE.MatchString(a.Name) {
			add(p+".name", "%q must be 1-40 lowercase letters, digits, '-' or '_' (it names the account=<name> partition)", a.Name)
		}
		if j, dup := names[a.Name]; dup {
			add(p+".name", "%q is already the name of accounts[%d]", a.Name, j)
		}
		names[a.Name] = i
		if len(a.VendorNumbers) == 0 {
			add(p+".vendor_numbers", "list the account's vendor numbers (Payments and Financial Reports shows them)")
		}
		claim := func(path, kind, id string) {
			if prev, dup := owner[id]; dup {
				add(path, "%s %q is already listed under %s", kind, id, prev)
				return
			}
			owner[id] = fmt.Sprintf("%s (%s)", p, a.Name)
		}
		for j, v := range a.VendorNumbers {
			vp := fmt.Sprintf("%s.vendor_numbers[%d]", p, j)
			if !report.ValidVendor(v) {
				add(vp, "%q must be a vendor number, digits only", v)
			}
			claim(vp, "vendor number", v)
		}
		for j, x := range a.Apps.IDs {
			ap := fmt.Sprintf("%s.apps[%d]", p, j)
			if !report.ValidVendor(x) {
				add(ap, "%q must be an App Apple ID, digits only", x)
			}
			claim(ap, "app", x)
		}
		c.validateAccountKey(add, p, a, keys, i)
	}
}

// validateAccountKey checks an account's credentials (not needed for the simulator, which
// makes a key per account). Two accounts cannot share a key: the budget is per key.
func (c *Config) validateAccountKey(add func(string, string, ...any), p string, a Account, keys map[string]int, i int) {
	if c.UsesSimulator() {
		if a.IssuerID != "" && !uuidRE.MatchString(a.IssuerID) {
			add(p+".issuer_id", "%q must be a UUID (or left out for the simulator)", a.IssuerID)
		}
		return
	}
	if !uuidRE.MatchString(a.IssuerID) {
		add(p+".issuer_id", "%q must be the account's issuer id (a UUID) from App Store Connect > Users and Access > Integrations", a.IssuerID)
	}
	if !keyIDRE.MatchString(a.KeyID) {
		add(p+".key_id", "%q must be the 10-character key id of the account's team API key", a.KeyID)
	}
	if j, dup := keys[a.KeyID]; dup && a.KeyID != "" {
		add(p+".key_id", "%q is already the key of accounts[%d]: one key is one request budget, and one account", a.KeyID, j)
	}
	keys[a.KeyID] = i
	switch {
	case a.KeyPath == "" && a.KeyEnv == "":
		add(p+".key_path", "set the path of the account's .p8 key, or key_env: the environment variable holding it")
	case a.KeyPath == "" && os.Getenv(a.KeyEnv) == "":
		add(p+".key_env", "the environment variable %s is empty: put the account's .p8 key in it, or set key_path", a.KeyEnv)
	}
}
