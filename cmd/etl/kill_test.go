package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ascetl/etl/load"
)

// killClock is the still clock of the kill test's runs: Saturday 2026-11-21, noon Pacific.
var killClock = time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)

// TestHelperProcessETLStill is not a test: it is the etl binary, with its clock standing
// still at killClock, when re-executed by TestSIGKILLAtRandomPoints.
func TestHelperProcessETLStill(t *testing.T) {
	if os.Getenv("ETL_HELPER_STILL") != "1" {
		return
	}
	clock = func() time.Time { return killClock }
	args := strings.Split(os.Getenv("ETL_HELPER_ARGS"), "\x1f")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := realMain(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func stillProcess(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessETLStill$")
	cmd.Env = append(os.Environ(), "ETL_HELPER_STILL=1", "ETL_HELPER_ARGS="+strings.Join(args, "\x1f"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// killConfig is the default config (every family it enables) in dir, with a lock that a
// killed holder leaves for at most 3 s.
func killConfig(t *testing.T, dir string) string {
	return writeConfig(t, dir, "mode: exit", "mode: wait", "ttl: 5m", "ttl: 3s", "max_wait: 1h", "max_wait: 2m")
}

// files maps every file under root (slash-separated, relative) to the sha256 of its content.
func files(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSIGKILLAtRandomPoints re-executes the etl binary on a file:// bucket and kills it with
// SIGKILL at ten seeded random moments of its runs (planning, fetching, archiving, writing
// Parquet, writing the ledger: wherever the moment falls), then runs it to the end. Each
// bucket must then hold exactly what one uninterrupted run leaves: every Parquet object
// and every archived object byte for byte (the clock stands still, so versions fetched by
// different processes carry the same fetch time and id), the same ledger with no failed
// unit, and nothing else — no temporary file, no object outside parquet/, raw/ and _etl/,
// no Parquet object the ledger does not list, no archived object outside a version with a
// complete manifest that the ledger lists.
func TestSIGKILLAtRandomPoints(t *testing.T) {
	old := clock
	clock = func() time.Time { return killClock }
	defer func() { clock = old }()
	refDir := t.TempDir()
	refCfg := killConfig(t, refDir)

	t0 := time.Now()
	if code, out, errs := runCLI(t, "run", "--config", refCfg, "--no-views"); code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s\n%s", code, out, errs)
	}
	full := time.Since(t0)
	want := files(t, filepath.Join(refDir, "data"))

	// Each run resumes what the killed ones left, so a bucket's kills land further and
	// further into the work (planning, fetching, archiving, Parquet and ledger writes of
	// every family) until a run finishes before its kill moment. That bucket is then
	// finished and compared; the next round starts on an empty one, until ten kills.
	rng := rand.New(rand.NewPCG(16, 9))
	killed, finished, rounds := 0, 0, 0
	for killed < 10 && rounds < 6 {
		rounds++
		killDir := t.TempDir()
		killCfg := killConfig(t, killDir)
		for i := 0; killed < 10; i++ {
			// The moment: from just after the start to a sixth of an uninterrupted run
			// (the binary's start-up included).
			at := 200*time.Millisecond + time.Duration(rng.Int64N(int64(full/6)))
			waited := waitLockFree(t, killDir)
			cmd, out := stillProcess(t, "run", "--config", killCfg, "--no-views")
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				finished++
				t.Logf("round %d run %d finished before its kill at %s: %v", rounds, i+1, at.Round(time.Millisecond), err)
				if err != nil && !strings.Contains(out.String(), "interrupted") {
					t.Logf("output:\n%s", lastLines(out.String(), 20))
				}
			case <-time.After(at):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				<-done
				killed++
				t.Logf("round %d run %d killed at %s (after %s waiting for the killed run's lock to expire): %d units loaded so far",
					rounds, i+1, at.Round(time.Millisecond), waited.Round(time.Millisecond), loadedUnits(t, killDir))
				continue
			}
			break
		}
		waitLockFree(t, killDir)
		t1 := time.Now()
		code, out, errs := runCLI(t, "run", "--config", killCfg, "--no-views")
		if code != 0 {
			t.Fatalf("round %d: run after the kills: exit %d\n%s\n%s", rounds, code, out, errs)
		}
		t.Logf("round %d: the run after the kills %s", rounds, time.Since(t1).Round(time.Millisecond))
		sameBucket(t, killDir, want)
	}
	t.Logf("uninterrupted run %s; %d kills in %d rounds, %d runs finished first",
		full.Round(time.Millisecond), killed, rounds, finished)
	if killed < 10 {
		t.Errorf("only %d runs were killed: the test proves little", killed)
	}
}

// sameBucket checks that dir's bucket holds exactly what the uninterrupted run left (want).
func sameBucket(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := files(t, filepath.Join(dir, "data"))
	checkNoStrays(t, dir, got)
	for k, v := range want {
		if !keepsAcrossRuns(k) {
			continue
		}
		if got[k] != v {
			t.Errorf("%s differs from the uninterrupted run", k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && keepsAcrossRuns(k) {
			t.Errorf("%s is not in the uninterrupted run's bucket", k)
		}
	}
}

// waitLockFree waits until the lock a killed run left has expired (lock.ttl 3s), so that
// the next run's kill moment counts from when it can work. (A dead holder on the same host
// is not taken over early: that is the lock's business, not this test's.)
func waitLockFree(t *testing.T, dir string) time.Duration {
	t.Helper()
	store, closeFn := killStore(t, dir)
	defer closeFn()
	t0 := time.Now()
	for {
		info, ok, err := store.ReadLock(context.Background(), "run")
		if err != nil {
			t.Fatal(err)
		}
		if !ok || !info.Held(time.Now()) {
			return time.Since(t0)
		}
		if time.Since(t0) > 30*time.Second {
			t.Fatalf("the lock is still held: %+v", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loadedUnits counts the ledger's loaded units.
func loadedUnits(t *testing.T, dir string) int {
	store, closeFn := killStore(t, dir)
	defer closeFn()
	es, err := store.Ledger().List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.State == load.Loaded {
			n++
		}
	}
	return n
}

func killStore(t *testing.T, dir string) (*load.Store, func()) {
	t.Helper()
	b, err := openBucket(context.Background(), "file://"+filepath.ToSlash(filepath.Join(dir, "data"))+"?metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	return load.New(b), func() { b.Close() }
}

// keepsAcrossRuns: Parquet, the archive and the ledger must be as one run leaves them; run
// manifests (one per run) and the lock are per run.
func keepsAcrossRuns(key string) bool {
	return strings.HasPrefix(key, "parquet/") || strings.HasPrefix(key, load.RawPrefix) || strings.HasPrefix(key, "_etl/ledger/")
}

// checkNoStrays requires every object of the bucket to be accounted for: Parquet objects
// listed by a ledger entry, archived objects of a version with its manifest that a ledger
// entry lists, the ledger, run manifests and the lock; and no failed or pending unit.
func checkNoStrays(t *testing.T, dir string, got map[string]string) {
	t.Helper()
	store, closeFn := killStore(t, dir)
	defer closeFn()
	es, err := store.Ledger().List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	objects, versions := map[string]bool{}, map[string]bool{}
	for _, e := range es {
		if e.State != load.Loaded && e.State != load.Empty && e.State != load.Expired {
			t.Errorf("ledger: %s is %s (%s)", e.Unit.ID(), e.State, e.Error)
		}
		for _, k := range e.Objects {
			objects[k] = true
		}
		for _, v := range e.Versions {
			versions[load.RawPrefix+e.Unit.ID()+"/"+v.ID+"/"] = true
		}
	}
	var strays []string
	for k := range got {
		switch {
		case strings.HasPrefix(k, "parquet/"):
			if !objects[k] {
				strays = append(strays, k+" (not in the ledger)")
			}
		case strings.HasPrefix(k, load.RawPrefix):
			dir := k[:strings.LastIndexByte(k, '/')+1]
			if _, ok := got[dir+load.VersionManifest]; !ok || !versions[dir] {
				strays = append(strays, k+" (no manifest, or a version the ledger does not list)")
			}
		case strings.HasPrefix(k, "_etl/ledger/") && strings.HasSuffix(k, ".json"),
			strings.HasPrefix(k, "_etl/runs/") && strings.HasSuffix(k, ".json"),
			strings.HasPrefix(k, load.LockPrefix):
		default:
			strays = append(strays, k)
		}
	}
	sort.Strings(strays)
	for _, s := range strays {
		t.Errorf("stray object: %s", s)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
