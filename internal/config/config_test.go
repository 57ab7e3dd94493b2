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
