package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/simulator"
)

func cmdSimulate(ctx context.Context, e *env, args []string) int {
	fs := e.flags("simulate")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	keyOut := fs.String("key-out", "simulator-key.p8", "where to write the generated .p8 key for clients")
	seed := fs.Int64("seed", 0, "data and fault seed (default: the config's simulator.seed)")
	faults := fs.String("faults", "", `HTTP faults per request, e.g. "500=0.2,429=0.1,reset=0.05,truncate=0.05" (default: the config's simulator.faults)`)
	payments := fs.String("payments", "", "write the Payments and Financial Reports CSV of this fiscal period (YYYY-MM) to --out and exit")
	out := fs.String("out", ".", "with --payments: the directory to write it in")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, err := e.loadConfig()
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 2
	}
	if *seed != 0 {
		c.Simulator.Seed = *seed
	}
	if *payments != "" {
		if err := writeSimPayments(c, *payments, *out, e.stdout); err != nil {
			fmt.Fprintln(e.stderr, "etl:", err)
			return 1
		}
		return 0
	}
	if *faults != "" {
		if _, err := simulator.ParseStorm(*faults); err != nil {
			fmt.Fprintln(e.stderr, "etl: --faults:", err)
			return 2
		}
		c.Simulator.Faults = *faults
	}
	sim, err := startSimulator(c, *addr)
	if err != nil {
		fmt.Fprintln(e.stderr, "etl:", err)
		return 1
	}
	defer sim.Stop()
	writeKey := func(path string, pem []byte) error { return os.WriteFile(path, pem, 0o600) }
	if c.MultiAccount() {
		if err := simulateAccounts(e.stdout, sim, c, *keyOut, writeKey); err != nil {
			fmt.Fprintln(e.stderr, "etl: write key:", err)
			return 1
		}
		<-ctx.Done()
		return 0
	}
	k := sim.Accounts[config.DefaultAccount]
	if err := writeKey(*keyOut, k.PEM); err != nil {
		fmt.Fprintln(e.stderr, "etl: write key:", err)
		return 1
	}
	if st := c.SimulatorStorm(); st.Active() {
		fmt.Fprintf(e.stdout, "faults per request: %s (seed %d)\n", st, c.Simulator.Seed)
	}
	fmt.Fprintf(e.stdout, "simulator listening on %s (vendor %s)\nconfigure:\n  api:\n    base_url: %s\n    issuer_id: %s\n    key_id: %s\n    key_path: %s\n",
		sim.Base, c.VendorNumber, sim.Base, k.Issuer, k.KeyID, *keyOut)
	<-ctx.Done()
	return 0
}
