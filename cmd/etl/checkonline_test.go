package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	etl "github.com/ascetl/etl"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/simulator"
)

// TestCheckConfigOnline: check-config --online makes one authenticated request, so a key
// that parses but that the API does not accept (another team's) fails before a run; the
// right key passes, and without --online no request is made.
func TestCheckConfigOnline(t *testing.T) {
	c, err := config.Parse("test", etl.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := startSimulator(c, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Stop()
	dir := t.TempDir()
	_, foreign, err := simulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "good.p8"), sim.PEM, 0o600)
	os.WriteFile(filepath.Join(dir, "foreign.p8"), foreign, 0o600)
	cfgWith := func(key string) string {
		return writeConfig(t, dir, "base_url: simulator", "base_url: "+sim.Base,
			`issuer_id: ""`, "issuer_id: "+sim.Issuer, `key_id: ""`, "key_id: "+sim.KeyID,
			`key_path: ""`, "key_path: "+filepath.Join(dir, key))
	}
	tests := []struct {
		key, flag string
		code      int
		want      string
	}{
		{"foreign.p8", "--online", 2, "the API refused the credentials"},
		{"foreign.p8", "", 0, ": ok ("}, // offline: the key parses, nothing is asked
		{"good.p8", "--online", 0, "online: ok (GET /v1/apps answered with key " + sim.KeyID},
	}
	for _, tt := range tests {
		args := []string{"check-config", "--config", cfgWith(tt.key)}
		if tt.flag != "" {
			args = append(args, tt.flag)
		}
		code, out, errs := runCLI(t, args...)
		if code != tt.code || !strings.Contains(out+errs, tt.want) {
			t.Errorf("%s %s: exit %d (want %d)\n%s%s", tt.key, tt.flag, code, tt.code, out, errs)
		}
		if strings.Contains(out+errs, "PRIVATE KEY") {
			t.Errorf("the key leaked into the output")
		}
	}
}
