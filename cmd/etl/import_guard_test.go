package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportAnalyticsLookingFile: `printf 'Date\tCounts\n2026-11-01\t5\n' > y.txt && etl
// import y.txt` gives a clear error, never a panic.
func TestImportAnalyticsLookingFile(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	y := filepath.Join(dir, "y.txt")
	if err := os.WriteFile(y, []byte("Date\tCounts\n2026-11-01\t5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "import", "--config", cfg, "--no-views", y)
	if code != 1 || !strings.Contains(out, "y.txt: detect y.txt: the header looks like analytics_") ||
		!strings.Contains(out, "which is not imported from a file") || strings.Contains(errs, "panic") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
}
