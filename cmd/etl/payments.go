package main

import (
	"fmt"
	"io"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/simulator"
)

// writeSimPayments writes the embedded simulator's "Payments and Financial Reports" CSV of
// one fiscal period (YYYY-MM) into dir, for `etl import` (Apple serves that report on the
// Payments page only, never through the API): `etl simulate --payments 2026-02 --out DIR`.
func writeSimPayments(c *config.Config, period, dir string, w io.Writer) error {
	sim := simulator.New(simulator.Options{Seed: c.Simulator.Seed, Vendor: c.VendorNumber})
	path, err := sim.WritePaymentsReport(dir, period)
	if err != nil {
		return fmt.Errorf("payments report %s: %w", period, err)
	}
	fmt.Fprintf(w, "wrote %s (import it with: etl import %s)\n", path, path)
	return nil
}
