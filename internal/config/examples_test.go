package config

import (
	"path/filepath"
	"testing"
)

// Every configuration under examples/ is valid as shipped.
func TestExamplesAreValid(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if filepath.Base(f) == "two-accounts.yaml" && (!c.MultiAccount() || len(c.Accounts) != 2 || !c.UsesSimulator()) {
			t.Errorf("%s: %d accounts, simulator %v", f, len(c.Accounts), c.UsesSimulator())
		}
	}
}
