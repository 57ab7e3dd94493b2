package config

// Catalog configures the dimension snapshots (apps, versions, builds, in-app purchases,
// subscriptions): each run reads the catalog of every app and merges it into the dim_*
// tables, keeping the history of every attribute (a renamed app keeps both names).
type Catalog struct {
	Enabled bool `yaml:"enabled"`
	// Apps are App Apple IDs; empty means every app the key can see (GET /v1/apps), so
	// that every id in the sales and finance reports finds its names. They are also the
	// apps of TestFlight and Xcode Cloud (empty: the apps on sale).
	Apps []string `yaml:"apps"`
	// Builds is how many of each app's most recent builds are kept current in dim_builds
	// (older builds keep the rows already loaded).
	Builds int `yaml:"builds"`
	// Versions is how many of each app's most recent App Store versions are read.
	Versions int `yaml:"versions"`
}

// TestFlight configures the optional TestFlight usage family: beta tester usage per app
// and beta build usage per recent build. It runs on its own, the catalog on or off.
type TestFlight struct {
	Enabled bool `yaml:"enabled"`
	// Period is the window Apple aggregates usage over: P7D, P30D, P90D or P365D.
	Period string `yaml:"period"`
	// Builds is how many of each app's most recent builds get build usage metrics.
	Builds int `yaml:"builds"`
}

// XcodeCloud configures the optional Xcode Cloud family: build runs of every Xcode Cloud
// product of the apps, with their actions and issue counts. It runs on its own, the
// catalog on or off.
type XcodeCloud struct {
	Enabled bool `yaml:"enabled"`
	// Runs is how many of each product's most recent build runs are read per run.
	Runs int `yaml:"runs"`
}

func (c *Config) defaultsCatalog() {
	def(&c.Catalog.Builds, 50)
	def(&c.Catalog.Versions, 50)
	def(&c.TestFlight.Period, "P30D")
	def(&c.TestFlight.Builds, 5)
	def(&c.XcodeCloud.Runs, 50)
}

func (c *Config) validateCatalog(add func(string, string, ...any)) {
	validateApps(add, "catalog.apps", c.Catalog.Apps)
	for _, n := range []struct {
		path     string
		v, lo, h int
	}{
		{"catalog.builds", c.Catalog.Builds, 1, 200},
		{"catalog.versions", c.Catalog.Versions, 1, 200},
		{"testflight.builds", c.TestFlight.Builds, 0, 50},
		{"xcode_cloud.runs", c.XcodeCloud.Runs, 1, 200},
	} {
		if n.v < n.lo || n.v > n.h {
			add(n.path, "%d must be between %d and %d", n.v, n.lo, n.h)
		}
	}
	switch c.TestFlight.Period {
	case "P7D", "P30D", "P90D", "P365D":
	default:
		add("testflight.period", "%q must be P7D, P30D, P90D or P365D (Apple's usage windows)", c.TestFlight.Period)
	}
}
