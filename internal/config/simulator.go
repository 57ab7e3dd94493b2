package config

import "github.com/ascetl/etl/simulator"

// validateSimulator checks simulator.faults (the storm's syntax: simulator.ParseStorm).
func (c *Config) validateSimulator(add func(string, string, ...any)) {
	if _, err := simulator.ParseStorm(c.Simulator.Faults); err != nil {
		add("simulator.faults", "%v (e.g. \"500=0.2,429=0.1,reset=0.05,truncate=0.05\"; \"\" for none)", err)
	}
}

// SimulatorStorm is the storm simulator.faults describes (none when it is empty or invalid:
// Parse refused an invalid one).
func (c *Config) SimulatorStorm() simulator.Storm {
	st, _ := simulator.ParseStorm(c.Simulator.Faults)
	return st
}
