package territory

import (
	"regexp"
	"testing"
)

func TestAlpha2Known(t *testing.T) {
	for _, c := range []struct{ a3, a2 string }{
		{"USA", "US"}, {"GBR", "GB"}, {"DEU", "DE"}, {"JPN", "JP"}, {"CHE", "CH"},
		{"ALA", "AX"}, {"CIV", "CI"}, {"KOR", "KR"}, {"PRK", "KP"}, {"SSD", "SS"},
		{"BES", "BQ"}, {"CUW", "CW"}, {"SXM", "SX"}, {"TWN", "TW"}, {"ATA", "AQ"},
		{"XKS", "XK"}, {"ANT", "AN"},
	} {
		got, ok := Alpha2(c.a3)
		if !ok || got != c.a2 {
			t.Errorf("Alpha2(%q) = %q, %v; want %q, true", c.a3, got, ok, c.a2)
		}
		back, ok := Alpha3(c.a2)
		if !ok || back != c.a3 {
			t.Errorf("Alpha3(%q) = %q, %v; want %q, true", c.a2, back, ok, c.a3)
		}
	}
}

func TestUnknown(t *testing.T) {
	for _, c := range []string{"", "usa", "US", "USAA", "ZZZ", "XXX", " USA"} {
		if got, ok := Alpha2(c); ok || got != "" {
			t.Errorf("Alpha2(%q) = %q, %v; want \"\", false", c, got, ok)
		}
	}
	for _, c := range []string{"", "us", "USA", "ZZ", "U"} {
		if got, ok := Alpha3(c); ok || got != "" {
			t.Errorf("Alpha3(%q) = %q, %v; want \"\", false", c, got, ok)
		}
	}
}

func TestTableRoundTripAndUnique(t *testing.T) {
	if len(iso) != 249 {
		t.Errorf("ISO table has %d codes, want 249", len(iso))
	}
	re3, re2 := regexp.MustCompile(`^[A-Z]{3}$`), regexp.MustCompile(`^[A-Z]{2}$`)
	seen := map[string]string{}
	for _, m := range []map[string]string{iso, extras} {
		for a3, a2 := range m {
			if !re3.MatchString(a3) || !re2.MatchString(a2) {
				t.Errorf("malformed entry %q → %q", a3, a2)
			}
			if prev, dup := seen[a2]; dup {
				t.Errorf("alpha-2 %q used by %s and %s", a2, prev, a3)
			}
			seen[a2] = a3
			got2, ok := Alpha2(a3)
			if !ok || got2 != a2 {
				t.Errorf("Alpha2(%q) = %q, %v", a3, got2, ok)
			}
			got3, ok := Alpha3(a2)
			if !ok || got3 != a3 {
				t.Errorf("Alpha3(%q) = %q, %v", a2, got3, ok)
			}
		}
	}
	if len(to2) != len(iso)+len(extras) || len(to3) != len(to2) {
		t.Errorf("lookup tables have %d/%d entries, want %d", len(to2), len(to3), len(iso)+len(extras))
	}
	for a3 := range extras {
		if IsISO(a3) {
			t.Errorf("extra %s is also in the ISO table", a3)
		}
	}
	if !IsISO("USA") || IsISO("XKS") || IsISO("ZZZ") {
		t.Error("IsISO wrong")
	}
}

// appleTerritories is the filter[territory] enum of GET /v1/apps/{id}/customerReviews in
// the App Store Connect OpenAPI spec (openapi-reporting.json).
var appleTerritories = []string{
	"ABW", "AFG", "AGO", "AIA", "ALB", "AND", "ANT", "ARE", "ARG", "ARM", "ASM", "ATG",
	"AUS", "AUT", "AZE", "BDI", "BEL", "BEN", "BES", "BFA", "BGD", "BGR", "BHR", "BHS",
	"BIH", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BWA", "CAF", "CAN",
	"CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV", "CRI",
	"CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU", "DJI", "DMA", "DNK", "DOM", "DZA",
	"ECU", "EGY", "ERI", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM",
	"GAB", "GBR", "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC",
	"GRD", "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HND", "HRV", "HTI", "HUN", "IDN",
	"IMN", "IND", "IRL", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ",
	"KEN", "KGZ", "KHM", "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA",
	"LIE", "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAR", "MCO", "MDA", "MDG", "MDV",
	"MEX", "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR",
	"MTQ", "MUS", "MWI", "MYS", "MYT", "NAM", "NCL", "NER", "NFK", "NGA", "NIC", "NIU",
	"NLD", "NOR", "NPL", "NRU", "NZL", "OMN", "PAK", "PAN", "PER", "PHL", "PLW", "PNG",
	"POL", "PRI", "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU",
	"SEN", "SGP", "SHN", "SLB", "SLE", "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP",
	"SUR", "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "TCA", "TCD", "TGO", "THA", "TJK",
	"TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI",
	"URY", "USA", "UZB", "VAT", "VCT", "VEN", "VGB", "VIR", "VNM", "VUT", "WLF", "WSM",
	"XKS", "YEM", "ZAF", "ZMB", "ZWE",
}

func TestAppleEnumCovered(t *testing.T) {
	if len(appleTerritories) != 233 {
		t.Fatalf("enum has %d codes", len(appleTerritories))
	}
	for _, a3 := range appleTerritories {
		if _, ok := Alpha2(a3); !ok {
			t.Errorf("Apple territory %s has no alpha-2 code", a3)
		}
	}
}
