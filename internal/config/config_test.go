package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	etl "github.com/ascetl/etl"
)

func TestDefaultConfigIsValidAndUsesSimulator(t *testing.T) {
	c, err := Parse("config.yaml", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !c.UsesSimulator() || c.VendorNumber != "85012345" || len(c.Sales.Reports) == 0 || !c.Finance.Enabled {
		t.Fatalf("default config: %+v", c)
	}
}

func TestGood(t *testing.T) {
	t.Setenv("ASC_PRIVATE_KEY", "")
	c, err := Load("testdata/real.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Sales.Reports[0].Type != "SALES" || c.Sales.Reports[0].Frequency != "DAILY" {
		t.Errorf("normalisation: %+v", c.Sales.Reports[0])
	}
	if c.Finance.Regions[0] != "US" || c.API.MaxConcurrency != 4 || c.Storage.Bucket == "" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestBad(t *testing.T) {
	t.Setenv("ASC_PRIVATE_KEY", "")
	tests := map[string][]string{
		"unknown-key.bad.yml": {"line 4", "field lookback not found"},
		// Keys left out are named as not set, with their section's line when it is there.
		"partial-real.bad.yml": {
			"vendor_number (not set): the real API needs your vendor number",
			"line 1: api.key_path (not set): set the path of the .p8 key",
			"line 6: sales.lookback_days: 99 must be between 0 and 60",
		},
		"lock-off.bad.yml": {`line 3: lock.mode: "off" is no longer accepted: two runs without the bucket lock can lose merged rows`},
		"many.bad.yml": {
			"line 3: api.issuer_id", "line 4: api.key_id", "api.key_path", "line 5: vendor_number",
			"line 10: sales.reports[1]: SUBSCRIPTION/SUMMARY/WEEKLY is not a report Apple publishes (valid: SUMMARY/DAILY)",
			"line 11: sales.reports[2]: SALES/SUMMARY/DAILY is already listed as sales.reports[0]",
			"line 12: sales.reports[3].version", "line 15: finance.regions[1]", "line 17: log.level",
		},
	}
	for file, wants := range tests {
		_, err := Load(filepath.Join("testdata", file))
		if err == nil {
			t.Fatalf("%s: no error", file)
		}
		msg := err.Error()
		if !strings.Contains(msg, file) {
			t.Errorf("%s: message does not name the file:\n%s", file, msg)
		}
		for _, w := range wants {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message lacks %q:\n%s", file, w, msg)
			}
		}
	}
}

// TestPartialConfigGetsDefaults: a file with a few keys validates, and every key it leaves
// out has the value config.yaml ships with.
func TestPartialConfigGetsDefaults(t *testing.T) {
	c, err := Load("testdata/partial.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := Parse("config.yaml", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.Bucket != "mem://" || c.Sales.LookbackDays != 3 || len(c.Finance.Regions) != 1 || c.Finance.Regions[0] != "US" {
		t.Errorf("the file's keys: bucket %q lookback %d regions %v", c.Storage.Bucket, c.Sales.LookbackDays, c.Finance.Regions)
	}
	if !c.UsesSimulator() || c.VendorNumber != shipped.VendorNumber || !c.Sales.Enabled || !c.Finance.Enabled ||
		!c.Finance.Detail || !c.Reviews.Enabled || len(c.Sales.Reports) != len(shipped.Sales.Reports) ||
		c.Sales.InitialDays != shipped.Sales.InitialDays || c.Lock.Mode != shipped.Lock.Mode ||
		c.API.MaxBudgetWait != shipped.API.MaxBudgetWait || c.Storage.DuckDB != shipped.Storage.DuckDB {
		t.Errorf("defaults not taken from the shipped config.yaml: %+v", c)
	}
}

func TestKeyFromEnvSatisfiesKeyPath(t *testing.T) {
	b, err := os.ReadFile("testdata/real.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	noPath := strings.Replace(string(b), "key_path: /secrets/AuthKey_2X9R4HXF34.p8", "key_env: MY_KEY", 1)
	t.Setenv("MY_KEY", "")
	if _, err := Parse("x.yml", []byte(noPath)); err == nil || !strings.Contains(err.Error(), "MY_KEY") {
		t.Fatalf("want error naming MY_KEY, got %v", err)
	}
	t.Setenv("MY_KEY", "-----BEGIN PRIVATE KEY-----")
	if _, err := Parse("x.yml", []byte(noPath)); err != nil {
		t.Fatal(err)
	}
}
