package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Bucket lock
//
// A lock named N lives under _etl/lock/N/ as a chain of generations: objects named
// <generation>.json (20 digits, so they sort by number), each holding a LockInfo. The
// highest generation is the lock's state: held by its owner until Expires, unless it is a
// released tombstone. Every change of state — acquire, take over a stale lock, refresh,
// release — is the conditional creation (PutIfAbsent) of the NEXT generation:
//
//   - acquire: read the highest generation g; if it is held and not expired, fail with
//     ErrLocked; otherwise create g+1. Two runs racing for a free or stale lock both try
//     to create the same key g+1 and the store lets exactly one of them succeed; the loser
//     reads again and finds the lock held.
//   - refresh: the holder of g creates g+1 with a later expiry. If that key exists,
//     somebody took the lock over after it expired (the holder stalled past its TTL): the
//     holder has lost it (ErrLockLost) and must stop writing.
//   - release: the holder creates g+1 as a released tombstone (ErrLockLost if it cannot).
//
// After a successful create, older generations are deleted (best effort) so the chain
// stays short. Because deleted keys could be created again by a very slow contender that
// read the chain before they were pruned, a winner lists the chain once more after its
// create and only holds the lock if its generation is still the highest; a stale key
// below the top is ignored and pruned later.
//
// The conditional create is blob.WriterOptions.IfNotExist on object stores (memblob, S3
// If-None-Match, GCS, Azure). For file:// buckets gocloud checks existence and then
// renames, which is not atomic across processes, so a Store told its local directory
// (UseLocalDir) hard-links a complete temporary file into place instead: link(2) fails
// with EEXIST if the name exists, atomically.
//
// Expiry compares the taker's clock with the holder's: keep the TTL well above the clock
// skew between machines (minutes, not seconds).
//
// A holder that died (kill -9, OOM, a crash) cannot release its lock, and waiting for its
// TTL refuses every run for minutes. So each generation records the holder's host, PID and
// PID namespace, and a taker on the same host (same hostname and same PID namespace: the
// PID means the same process) that finds the holder's process gone takes the lock over at
// once, as it would an expired one (lock_alive_*.go: signal 0, and a zombie counts as
// gone). Another host cannot see the holder's processes, so the TTL still rules there; a
// PID reused by another process reads as alive, which only means waiting for the TTL.

// ErrLocked is wrapped by the error AcquireLock returns when another holder has the lock;
// errors.As it to a *LockedError for who and since when.
var ErrLocked = errors.New("lock held")

// ErrLockLost is returned by Refresh and Release when the lock was taken over because it
// expired: whatever the holder is doing must stop.
var ErrLockLost = errors.New("lock lost (it expired and was taken over)")

// LockPrefix is where locks live in the bucket.
const LockPrefix = "_etl/lock/"

// LockInfo is one generation of a lock.
type LockInfo struct {
	Name       string    `json:"name"`
	Generation uint64    `json:"generation"`
	Owner      string    `json:"owner"` // who holds it, e.g. "etl run host=pod-1 pid=7 run=…"
	Token      string    `json:"token"` // random per acquisition
	Since      time.Time `json:"since"` // acquired at
	Expires    time.Time `json:"expires"`
	Released   bool      `json:"released,omitempty"`
	// Host, PID and PIDNS identify the holder's process, so that a taker on the same host
	// can tell it is dead (empty in locks written before they were recorded).
	Host  string `json:"host,omitempty"`
	PID   int    `json:"pid,omitempty"`
	PIDNS string `json:"pid_ns,omitempty"` // Linux: /proc/self/ns/pid, e.g. "pid:[4026531836]"
}

// holderDead reports whether the generation's holder is a process of this host that no
// longer runs.
func (i LockInfo) holderDead() bool {
	if i.Host == "" || i.PID <= 0 {
		return false
	}
	host, pid, ns := lockSelf()
	if i.Host != host || i.PIDNS != ns {
		return false
	}
	return i.PID != pid && !processAlive(i.PID)
}

// lockSelf is this process as a lock records it; tests replace it.
var lockSelf = defaultLockSelf

func defaultLockSelf() (host string, pid int, pidNS string) {
	host, _ = os.Hostname()
	return host, os.Getpid(), pidNamespace()
}

// processAlive reports whether a process of this host runs; tests replace it.
var processAlive = alive

// Held reports whether the generation means "held" at time now.
func (i LockInfo) Held(now time.Time) bool { return !i.Released && now.Before(i.Expires) }

// LockedError says who holds a lock.
type LockedError struct {
	Name           string
	Holder         string
	Since, Expires time.Time
	GenerationKey  string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("lock %s is held by %s since %s (expires %s unless refreshed; object %s)",
		e.Name, e.Holder, e.Since.UTC().Format(time.RFC3339), e.Expires.UTC().Format(time.RFC3339), e.GenerationKey)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Lock is a held lock. Refresh it every TTL/3 or so (Keep does) and Release it when done.
type Lock struct {
	s    *Store
	ttl  time.Duration
	mu   sync.Mutex
	info LockInfo
	dead *LockInfo // the generation of a dead holder this lock was taken over from
}

// TakenFromDead returns the generation of the holder whose process had died when this
// lock was acquired (taken over before its expiry); ok is false otherwise.
func (l *Lock) TakenFromDead() (info LockInfo, ok bool) {
	if l.dead == nil {
		return LockInfo{}, false
	}
	return *l.dead, true
}

// lockNow is the clock of the lock protocol; tests replace it.
var lockNow = time.Now

var lockNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
var genRE = regexp.MustCompile(`^([0-9]{20})\.json$`)

func lockDir(name string) string { return LockPrefix + name + "/" }

func genKey(name string, g uint64) string { return fmt.Sprintf("%s%020d.json", lockDir(name), g) }

// UseLocalDir tells the store the local directory behind its file:// bucket, so that
// PutIfAbsent is atomic across processes. Call it before any use.
func (s *Store) UseLocalDir(dir string) { s.dir = dir }

// PutIfAbsent creates key with data unless it exists; created is false (and err nil) when
// it existed. It is atomic: of several concurrent callers for one key, one creates it.
func (s *Store) PutIfAbsent(ctx context.Context, key string, data []byte) (created bool, err error) {
	if s.dir != "" {
		return putIfAbsentFile(filepath.Join(s.dir, filepath.FromSlash(key)), data)
	}
	// Upload, not WriteAll: gocloud v0.47's azureblob panics when a Write-path upload
	// fails, which is exactly what a lost create-if-absent race is (internal/blobs).
	err = s.b.Upload(ctx, key, bytes.NewReader(data), &blob.WriterOptions{IfNotExist: true, ContentType: "application/json"})
	switch gcerrors.Code(err) {
	case gcerrors.OK:
		return true, nil
	case gcerrors.FailedPrecondition, gcerrors.AlreadyExists:
		return false, nil
	}
	return false, fmt.Errorf("create %s: %w", key, err)
}

// putIfAbsentFile writes a complete temporary file beside p and hard-links it to p.
func putIfAbsentFile(p string, data []byte) (bool, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return false, fmt.Errorf("create %s: %w", p, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*.tmp")
	if err != nil {
		return false, fmt.Errorf("create %s: %w", p, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("create %s: %w", p, err)
	}
	if err := os.Link(tmp.Name(), p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("create %s: %w", p, err)
	}
	return true, nil
}

// ReadLock returns the current (highest) generation of the named lock; ok is false when
// the lock was never taken.
func (s *Store) ReadLock(ctx context.Context, name string) (info LockInfo, ok bool, err error) {
	gens, err := s.lockGens(ctx, name)
	if err != nil || len(gens) == 0 {
		return LockInfo{}, false, err
	}
	info, err = s.readGen(ctx, name, gens[len(gens)-1])
	return info, err == nil, err
}

// lockGens lists the generations present, ascending.
func (s *Store) lockGens(ctx context.Context, name string) ([]uint64, error) {
	var names []string
	if s.dir != "" {
		// Read the directory itself: fileblob's List stats every entry and fails on a
		// generation pruned (or a temporary file removed) between readdir and stat.
		des, err := os.ReadDir(filepath.Join(s.dir, filepath.FromSlash(lockDir(name))))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("list %s: %w", lockDir(name), err)
		}
		for _, de := range des {
			names = append(names, de.Name())
		}
	} else {
		keys, err := s.List(ctx, lockDir(name))
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if path.Dir(k)+"/" == lockDir(name) {
				names = append(names, path.Base(k))
			}
		}
	}
	var gens []uint64
	for _, n := range names {
		m := genRE.FindStringSubmatch(n)
		if m == nil {
			continue // a temporary file, or junk
		}
		g, _ := strconv.ParseUint(m[1], 10, 64)
		gens = append(gens, g)
	}
	slices.Sort(gens)
	return gens, nil
}

func (s *Store) readGen(ctx context.Context, name string, g uint64) (LockInfo, error) {
	key := genKey(name, g)
	b, err := s.b.ReadAll(ctx, key)
	if err != nil {
		return LockInfo{}, fmt.Errorf("read %s: %w", key, err)
	}
	var info LockInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return LockInfo{}, fmt.Errorf("read %s: %w", key, err)
	}
	info.Generation = g
	return info, nil
}

// AcquireLock takes the named lock (key _etl/lock/<name>/) for owner for ttl, taking over
// a lock whose holder let it expire. When another holder has it, the error wraps
// ErrLocked (as a *LockedError naming the holder).
func (s *Store) AcquireLock(ctx context.Context, name, owner string, ttl time.Duration) (*Lock, error) {
	if !lockNameRE.MatchString(name) {
		return nil, fmt.Errorf("lock name %q: lowercase letters, digits, - and _ only", name)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("lock %s: ttl must be positive", name)
	}
	token := randomToken()
	for attempt := 0; attempt < 10; attempt++ {
		gens, err := s.lockGens(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		var top uint64
		var dead *LockInfo
		if len(gens) > 0 {
			top = gens[len(gens)-1]
			cur, err := s.readGen(ctx, name, top)
			if IsNotFound(err) {
				continue // pruned between list and read: look again
			}
			if err != nil {
				return nil, fmt.Errorf("lock %s: %w", name, err)
			}
			if cur.Held(lockNow()) {
				if !cur.holderDead() {
					return nil, &LockedError{Name: name, Holder: cur.Owner, Since: cur.Since, Expires: cur.Expires, GenerationKey: genKey(name, top)}
				}
				dead = &cur // its process is gone: take it over now, as if it had expired
			}
		}
		now := lockNow().UTC()
		host, pid, ns := lockSelf()
		l := &Lock{s: s, ttl: ttl, dead: dead, info: LockInfo{Name: name, Generation: top + 1, Owner: owner, Token: token,
			Since: now, Expires: now.Add(ttl), Host: host, PID: pid, PIDNS: ns}}
		won, err := l.advance(ctx, l.info)
		if err != nil {
			return nil, err
		}
		if won {
			return l, nil
		}
	}
	return nil, fmt.Errorf("lock %s: too much contention, giving up", name)
}

// AcquireLockWait is AcquireLock that waits while the lock is held, polling, up to wait.
// On timeout it returns the last ErrLocked error.
func (s *Store) AcquireLockWait(ctx context.Context, name, owner string, ttl, wait time.Duration) (*Lock, error) {
	deadline := time.Now().Add(wait)
	poll := min(max(ttl/100, 50*time.Millisecond), 2*time.Second)
	for {
		l, err := s.AcquireLock(ctx, name, owner, ttl)
		if err == nil || !errors.Is(err, ErrLocked) || time.Now().Add(poll).After(deadline) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll/2 + mrand.N(poll)): // jitter: contenders do not poll in step
		}
	}
}

// advance creates generation next.Generation and, when it is the top afterwards, makes it
// the lock's state and prunes the generations below. won is false when another writer
// created that generation or a higher one.
func (l *Lock) advance(ctx context.Context, next LockInfo) (won bool, err error) {
	name := next.Name
	data, _ := json.Marshal(next)
	created, err := l.s.PutIfAbsent(ctx, genKey(name, next.Generation), data)
	if err != nil || !created {
		return false, err
	}
	gens, err := l.s.lockGens(ctx, name)
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", name, err)
	}
	if len(gens) == 0 || gens[len(gens)-1] != next.Generation {
		return false, nil // a higher generation exists: ours was a stale re-creation
	}
	l.mu.Lock()
	l.info = next
	l.mu.Unlock()
	for _, g := range gens[:len(gens)-1] {
		_ = l.s.Delete(ctx, genKey(name, g)) // best effort; the top alone decides
	}
	return true, nil
}

// Info returns the lock's current generation.
func (l *Lock) Info() LockInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.info
}

// Refresh extends the lock by its TTL from now. ErrLockLost means it expired and was
// taken over.
func (l *Lock) Refresh(ctx context.Context) error {
	cur := l.Info()
	if cur.Released {
		return fmt.Errorf("lock %s: refresh after release", cur.Name)
	}
	next := cur
	next.Generation++
	next.Expires = lockNow().UTC().Add(l.ttl)
	won, err := l.advance(ctx, next)
	if err != nil {
		return err
	}
	if !won {
		return fmt.Errorf("lock %s: %w", cur.Name, ErrLockLost)
	}
	return nil
}

// Release gives the lock up. ErrLockLost means it had expired and was taken over (the
// work done under it may have overlapped another holder's).
func (l *Lock) Release(ctx context.Context) error {
	cur := l.Info()
	if cur.Released {
		return nil
	}
	next := cur
	next.Generation++
	next.Released = true
	next.Expires = lockNow().UTC()
	won, err := l.advance(ctx, next)
	if err != nil {
		return err
	}
	if !won {
		return fmt.Errorf("lock %s: %w", cur.Name, ErrLockLost)
	}
	return nil
}

// Keep refreshes the lock every TTL/3 until stop is called; if a refresh finds the lock
// lost (or keeps failing until it would have expired) lost is called once with the error,
// and the caller should abort its work.
func (l *Lock) Keep(ctx context.Context, lost func(error)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		every := l.ttl / 3
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := l.Refresh(ctx)
			if ctx.Err() != nil {
				return
			}
			if err == nil {
				continue
			}
			if errors.Is(err, ErrLockLost) || lockNow().After(l.Info().Expires) {
				lost(err)
				return
			}
			// A transient error: try again next tick, while the lock is still ours.
		}
	}()
	return func() { cancel(); <-done }
}

func randomToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
