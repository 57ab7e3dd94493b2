package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A killed writer's temporary files go at the next run that holds the lock; with the lock
// off (another writer may be mid-write) they stay; objects, and the temporaries of runs
// waiting for the lock, are never touched. A shard, whose sibling shards write at the same
// time, removes only temporaries older than shardedSweepAge.
func TestSweepTemporaries(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		sharded bool
		age     time.Duration
		gone    bool
	}{
		{"exit", false, time.Second, true},
		{"wait", false, time.Second, true},
		{"off", false, time.Second, false},
		{"exit", true, time.Second, false},
		{"exit", true, shardedSweepAge + time.Minute, true},
	} {
		dir := t.TempDir()
		cfg := writeConfig(t, dir)
		c, err := (&env{configPath: cfg}).loadConfig()
		if err != nil {
			t.Fatal(err)
		}
		data := filepath.Join(dir, "data", "parquet", "t", "p=1")
		os.MkdirAll(data, 0o755)
		obj := filepath.Join(data, "data.parquet")
		tmp := obj + ".18edc684ece07b83.tmp"
		lockTmp := filepath.Join(dir, "data", "_etl", "lock", "run", ".00000000000000000001.json.123.tmp")
		os.MkdirAll(filepath.Dir(lockTmp), 0o755)
		old := time.Now().Add(-tc.age)
		for _, p := range []string{obj, tmp, lockTmp} {
			os.WriteFile(p, []byte("x"), 0o644)
			os.Chtimes(p, old, old)
		}
		sweepTemporaries(c, tc.mode, tc.sharded, slog.New(slog.DiscardHandler))
		for p, want := range map[string]bool{obj: true, tmp: !tc.gone, lockTmp: true} {
			if _, err := os.Stat(p); (err == nil) != want {
				t.Errorf("mode %s sharded %v age %s: %s exists %v, want %v", tc.mode, tc.sharded, tc.age, filepath.Base(p), err == nil, want)
			}
		}
	}
}
