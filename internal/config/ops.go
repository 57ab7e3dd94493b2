package config

// Schedule configures `etl schedule` (issue 6).
type Schedule struct{}

// Lock configures the overlap lock in the bucket (issue 6).
type Lock struct{}

// Freshness configures when a pending unit is late (issue 6).
type Freshness struct{}

func (c *Config) defaultsOps() {}

func (c *Config) validateOps(add func(string, string, ...any)) {}
