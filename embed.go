// Package etl holds the files embedded into the binary: the default configuration.
package etl

import _ "embed"

// DefaultConfig is config.yaml as shipped: the whole pipeline against the embedded simulator.
//
//go:embed config.yaml
var DefaultConfig []byte
