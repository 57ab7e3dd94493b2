package config

// Analytics configures the Analytics Reports API family (issue 3).
type Analytics struct {
	Enabled bool `yaml:"enabled"`
}

func (c *Config) defaultsAnalytics() {}

func (c *Config) validateAnalytics(add func(string, string, ...any)) {}
