package load

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"

	"github.com/ascetl/etl/report"
)

// State is where a unit stands in the ledger.
type State string

const (
	Loaded  State = "loaded"  // rows are in Parquet
	Empty   State = "empty"   // Apple said there is no data for the unit
	Pending State = "pending" // not published yet; polled again next run
	Failed  State = "failed"  // last attempt failed; see Error and Attempts
	Expired State = "expired" // Apple no longer serves it
)

// Valid reports whether st is one of the defined states.
func (st State) Valid() bool {
	switch st {
	case Loaded, Empty, Pending, Failed, Expired:
		return true
	}
	return false
}

// Entry is the ledger record of one unit.
//
// State is where the unit stands; Error is the last attempt's error. A loaded unit whose
// last attempt failed (a re-fetched or imported payload that does not parse) stays loaded
// — its data stands — with Error set and the failed version in Versions.
type Entry struct {
	Unit       report.Unit  `json:"unit"`
	Account    string       `json:"account,omitempty"` // the account (config accounts:) the unit is loaded for; empty in the single-account form
	State      State        `json:"state"`
	Ref        string       `json:"ref,omitempty"`            // the source's handle (an analytics instance id)
	Cursor     string       `json:"cursor,omitempty"`         // the source's incremental state, from the loaded version
	Loaded     string       `json:"loaded_version,omitempty"` // id of the archived version the Parquet comes from
	Versions   []VersionRef `json:"versions,omitempty"`       // every archived version, in fetch order
	Version    string       `json:"version,omitempty"`        // report version, e.g. "1_0"
	Rows       int64        `json:"rows"`                     // rows loaded
	Bytes      int64        `json:"bytes,omitempty"`          // Parquet bytes
	RawKey     string       `json:"raw_key,omitempty"`        // raw archive object
	RawBytes   int64        `json:"raw_bytes,omitempty"`      // raw payload bytes
	Checksum   string       `json:"checksum,omitempty"`       // sha256 hex of the raw payload
	Objects    []string     `json:"objects,omitempty"`        // Parquet keys written
	HeaderHash string       `json:"header_hash,omitempty"`    // hash of the report header line
	Layout     string       `json:"layout,omitempty"`         // the file layout recognised, e.g. SALES/SUMMARY 2014
	Drift      []string     `json:"drift,omitempty"`          // schema drift notes
	Error      string       `json:"error,omitempty"`
	Attempts   int          `json:"attempts,omitempty"`
	FirstSeen  time.Time    `json:"first_seen,omitzero"`
	UpdatedAt  time.Time    `json:"updated_at,omitzero"`
	LoadedAt   time.Time    `json:"loaded_at,omitzero"`
}

// VersionRef is what the ledger knows of one archived version of its unit.
type VersionRef struct {
	ID        string    `json:"id"`
	FetchedAt time.Time `json:"fetched_at"`
	Digest    string    `json:"digest"`
	Origin    string    `json:"origin,omitempty"`
	Loaded    bool      `json:"loaded,omitempty"` // its rows were loaded (merge sources replay every one)
	Error     string    `json:"error,omitempty"`  // why it did not load
}

// FindVersion finds a version of the entry by id.
func (e *Entry) FindVersion(id string) (*VersionRef, bool) {
	for i := range e.Versions {
		if e.Versions[i].ID == id {
			return &e.Versions[i], true
		}
	}
	return nil, false
}

// VersionByDigest finds a version of the entry by its digest (the newest one).
func (e *Entry) VersionByDigest(digest string) (*VersionRef, bool) {
	for i := len(e.Versions) - 1; i >= 0; i-- {
		if e.Versions[i].Digest == digest {
			return &e.Versions[i], true
		}
	}
	return nil, false
}

// ledgerPrefix is where entries live: one JSON object per unit, so parallel units never
// write the same object.
const ledgerPrefix = "_etl/ledger/"

// ledgerListConcurrency bounds concurrent reads in Ledger.List.
const ledgerListConcurrency = 16

// Ledger records unit states in the bucket.
type Ledger struct {
	s *Store
}

// Ledger returns the ledger kept in the store's bucket.
func (s *Store) Ledger() *Ledger { return &Ledger{s: s} }

// LedgerKey is the object key of u's entry: _etl/ledger/<u.ID()>.json.
func LedgerKey(u report.Unit) string { return ledgerPrefix + u.ID() + ".json" }

// Get returns u's entry; ok is false (and err nil) if the unit has none.
func (l *Ledger) Get(ctx context.Context, u report.Unit) (e Entry, ok bool, err error) {
	if err := u.Validate(); err != nil {
		return Entry{}, false, fmt.Errorf("ledger get: %w", err)
	}
	key := LedgerKey(u)
	e, err = l.read(ctx, key)
	if IsNotFound(err) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	return e, true, nil
}

// Put writes e as its unit's entry, replacing the previous one atomically. The unit must
// be valid and the state known. A zero UpdatedAt is set to now (UTC) and a zero FirstSeen
// to UpdatedAt.
func (l *Ledger) Put(ctx context.Context, e Entry) error {
	key, data, err := l.encode(e)
	if err != nil {
		return err
	}
	_, err = l.s.write(ctx, key, &blob.WriterOptions{ContentType: "application/json"},
		func(w *countingWriter) error {
			_, err := w.Write(data)
			return err
		})
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// Create writes e as its unit's entry only if the unit has none yet: created is false (and
// err nil) when an entry exists, written by another process meanwhile. Of several
// processes creating one unit's entry at once, exactly one succeeds (Store.PutIfAbsent),
// so two shards or two runs never both take a new unit.
func (l *Ledger) Create(ctx context.Context, e Entry) (created bool, err error) {
	key, data, err := l.encode(e)
	if err != nil {
		return false, err
	}
	return l.s.PutIfAbsent(ctx, key, data)
}

// encode validates e, fills its times like Put and renders it.
func (l *Ledger) encode(e Entry) (key string, data []byte, err error) {
	if err := e.Unit.Validate(); err != nil {
		return "", nil, fmt.Errorf("ledger put: %w", err)
	}
	key = LedgerKey(e.Unit)
	if !e.State.Valid() {
		return "", nil, fmt.Errorf("write %s: unknown state %q", key, e.State)
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = time.Now().UTC()
	}
	if e.FirstSeen.IsZero() {
		e.FirstSeen = e.UpdatedAt
	}
	data, err = json.MarshalIndent(e, "", "  ")
	if err != nil {
		return "", nil, fmt.Errorf("write %s: %w", key, err)
	}
	return key, append(data, '\n'), nil
}

// List returns the entries whose unit ID starts with prefix ("" for all), e.g.
// "sales/SALES/SUMMARY/DAILY/85012345/", sorted by unit ID. Entries are read
// concurrently. A corrupt entry fails the whole listing with an error naming its key.
func (l *Ledger) List(ctx context.Context, prefix string) ([]Entry, error) {
	keys, err := l.s.List(ctx, ledgerPrefix+prefix)
	if err != nil {
		return nil, err
	}
	keys = filterJSON(keys)
	entries := make([]Entry, len(keys))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, ledgerListConcurrency)
	)
	for i, key := range keys {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			e, err := l.read(ctx, key)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
				return
			}
			entries[i] = e
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", ledgerPrefix+prefix, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Unit.ID() < entries[j].Unit.ID() })
	return entries, nil
}

func filterJSON(keys []string) []string {
	out := keys[:0]
	for _, k := range keys {
		if strings.HasSuffix(k, ".json") {
			out = append(out, k)
		}
	}
	return out
}

// read decodes the entry at key and checks it is filed under its own unit.
func (l *Ledger) read(ctx context.Context, key string) (Entry, error) {
	data, err := l.s.b.ReadAll(ctx, key)
	if err != nil {
		return Entry{}, fmt.Errorf("read %s: %w", key, err)
	}
	e, err := DecodeEntry(key, data)
	if err != nil {
		return Entry{}, fmt.Errorf("read %w", err)
	}
	return e, nil
}
