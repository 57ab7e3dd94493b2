package main

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ascetl/etl/internal/blobs"
	"github.com/ascetl/etl/internal/blobs/bucketurl"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
)

// shardedSweepAge is how long a temporary file must have been left alone before a
// sharded run removes it (sweepTemporaries).
const shardedSweepAge = 6 * time.Hour

// sweepTemporaries removes the temporary files that a writer killed mid-write (kill -9,
// a crash, a lost machine) left in a file:// bucket: the file driver writes every object
// to "<key>.<hex>.tmp" beside it and renames it into place, so a killed writer leaves them
// behind. They are invisible to the store (listings skip them) but hold disk. It runs
// under the bucket lock, before the pass writes anything, so every temporary file of an
// object is a dead writer's; with lock.mode off another writer may be mid-write, and
// nothing is swept. The lock's own directory is left alone: a run waiting for the lock
// writes its temporaries there while we hold it.
//
// A shard holds its own lock only: the other shards of its job write the same bucket at
// the same time (the shared plan, the ledger), so a sharded run removes only temporaries
// nobody has written to for shardedSweepAge, far longer than any object write takes.
func sweepTemporaries(c *config.Config, lockMode string, sharded bool, log *slog.Logger) {
	if lockMode == "" {
		lockMode = c.Lock.Mode
	}
	if lockMode == config.LockOff {
		return
	}
	u, err := bucketurl.Parse(c.Storage.Bucket)
	if err != nil || u.Scheme != "file" {
		return
	}
	dir, err := blobs.LocalDir(u)
	if err != nil {
		return
	}
	dir = filepath.Join(dir, filepath.FromSlash(u.Prefix))
	start := time.Now()
	if sharded {
		start = start.Add(-shardedSweepAge)
	}
	n := 0
	lockDir := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(load.LockPrefix, "/")))
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p == lockDir {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() || !strings.HasSuffix(d.Name(), ".tmp") {
			return nil
		}
		if info, err := d.Info(); err != nil || !info.ModTime().Before(start) {
			return nil
		}
		if os.Remove(p) == nil {
			n++
		}
		return nil
	})
	if n > 0 {
		log.Info("removed temporary files a killed writer left", "files", n, "dir", dir)
	}
}
