package engine_test

import (
	"testing"

	"github.com/ascetl/etl/internal/engine"
)

func TestShrinks(t *testing.T) {
	tests := []struct {
		loaded, rows int64
		want         bool
	}{
		{0, 0, false},     // nothing loaded: nothing to lose
		{246, 246, false}, // the same file
		{246, 300, false}, // grew
		{246, 0, true},    // header-only file
		{1, 0, true},      // zero is held at any size
		{246, 122, true},  // cut at a line boundary before the middle
		{246, 123, false}, // exactly half is kept
		{246, 200, false}, // a restatement, or a late cut: passes the count
		{19, 1, false},    // small units vary for real
		{20, 9, true},
		{20, 10, false},
	}
	for _, tt := range tests {
		if got := engine.Shrinks(tt.loaded, tt.rows); got != tt.want {
			t.Errorf("Shrinks(%d, %d) = %v, want %v", tt.loaded, tt.rows, got, tt.want)
		}
	}
}
