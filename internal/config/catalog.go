package config

// Catalog configures the dimension snapshots (apps, versions, builds, products) (issue 9).
type Catalog struct {
	Enabled bool `yaml:"enabled"`
}

// TestFlight configures the optional TestFlight usage family (issue 9).
type TestFlight struct {
	Enabled bool `yaml:"enabled"`
}

// XcodeCloud configures the optional Xcode Cloud family (issue 9).
type XcodeCloud struct {
	Enabled bool `yaml:"enabled"`
}

func (c *Config) defaultsCatalog() {}

func (c *Config) validateCatalog(add func(string, string, ...any)) {}
