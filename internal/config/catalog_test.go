package config

import (
	"strings"
	"testing"

	etl "github.com/ascetl/etl"
)

func TestCatalogDefaultsAndValidation(t *testing.T) {
	c, err := Parse("config.yaml", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Catalog.Enabled || c.TestFlight.Enabled || c.XcodeCloud.Enabled || c.TestFlight.Period != "P30D" ||
		c.Catalog.Builds != 50 || c.XcodeCloud.Runs != 50 {
		t.Errorf("defaults: %+v %+v %+v", c.Catalog, c.TestFlight, c.XcodeCloud)
	}
	// No app lists anywhere is valid against the real API too: the run discovers the apps.
	real := `api:
  base_url: https://api.appstoreconnect.apple.com
  issuer_id: 57246542-96fe-1a63-e053-0824d011072a
  key_id: 2X9R4HXF34
  key_path: /secrets/AuthKey.p8
vendor_number: "85012345"
reviews: {enabled: true}
metrics: {enabled: true}
`
	if _, err := Parse("real.yml", []byte(real)); err != nil {
		t.Errorf("no apps listed: %v", err)
	}
	bad := real + `catalog:
  apps: ["12a", "1"]
  builds: 201
testflight:
  period: P2D
  builds: 51
xcode_cloud:
  runs: 201
`
	_, err = Parse("bad.yml", []byte(bad))
	if err == nil {
		t.Fatal("bad catalog config accepted")
	}
	for _, want := range []string{`line 10: catalog.apps[0]: "12a" must be an App Apple ID`, "line 11: catalog.builds: 201 must be between 1 and 200",
		`line 13: testflight.period: "P2D" must be P7D, P30D, P90D or P365D`, "line 14: testflight.builds", "line 16: xcode_cloud.runs"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
