package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/load"
)

// RunsPrefix is where run manifests live: one JSON object per run.
const RunsPrefix = "_etl/runs/"

// Manifest records one run: what was asked, what happened per table and family, what it
// cost in requests, and what changed (versions adopted, schema drift, late units). It is
// written to _etl/runs/<id>.json when the run ends, interrupted or not.
type Manifest struct {
	ID         string   `json:"id"`                 // 20261121T222000Z-1a2b3c4d: sorts by start time
	Command    string   `json:"command"`            // run, backfill, import, reparse, schedule:<job>
	Families   []string `json:"families,omitempty"` // the run's family filter (empty: every enabled one)
	From       string   `json:"from,omitempty"`     // backfill window
	To         string   `json:"to,omitempty"`
	Host       string   `json:"host,omitempty"`
	Version    string   `json:"version"`     // etl build (module version or VCS revision)
	ConfigHash string   `json:"config_hash"` // config.Config.Hash: effective config without credentials

	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	DurationSeconds float64   `json:"duration_seconds"`
	ExitCode        int       `json:"exit_code"`
	Error           string    `json:"error,omitempty"`

	Planned  int               `json:"planned"`
	Totals   Counts            `json:"totals"`
	Tables   map[string]Counts `json:"tables,omitempty"`
	PerFam   map[string]Counts `json:"families_detail,omitempty"`
	Requests int64             `json:"requests"`
	Retries  int64             `json:"retries"`
	Throttle int64             `json:"throttled_429"`
	Server5x int64             `json:"server_errors"`

	// Accounts counts the units per account of a run over several accounts.
	Accounts map[string]Counts `json:"accounts,omitempty"`

	Notes    []NoteCount `json:"notices,omitempty"`
	Late     []LateUnit  `json:"late,omitempty"`
	Failures []string    `json:"failures,omitempty"`
}

// Counts are unit outcomes with rows, bytes and the summed unit durations.
type Counts struct {
	Loaded    int     `json:"loaded"`
	Unchanged int     `json:"unchanged"`
	Deferred  int     `json:"deferred"`
	Empty     int     `json:"empty"`
	Pending   int     `json:"pending"`
	Failed    int     `json:"failed"`
	Held      int     `json:"held,omitempty"` // of the failed: versions held by the shrink guard
	Expired   int     `json:"expired"`
	Rows      int64   `json:"rows"`
	Bytes     int64   `json:"bytes"`
	Written   int     `json:"objects_written"`
	Seconds   float64 `json:"unit_seconds,omitempty"`
}

// LateUnit is a unit pending past its freshness due time.
type LateUnit struct {
	Unit string    `json:"unit"`
	Due  time.Time `json:"due"`
}

func countsOf(t TableSummary) Counts {
	return Counts{Loaded: t.Loaded, Unchanged: t.Unchanged, Deferred: t.Deferred, Empty: t.Empty,
		Pending: t.Pending, Failed: t.Failed, Held: t.Held, Expired: t.Expired, Rows: t.Rows, Bytes: t.Bytes, Written: t.Written,
		Seconds: t.Dur.Seconds()}
}

// NewRunID makes a run id from the start time and 4 random bytes.
func NewRunID(start time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return start.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// NewManifest starts the manifest of a run.
func NewManifest(id, command string, cfg *config.Config, start time.Time) *Manifest {
	host, _ := os.Hostname()
	return &Manifest{ID: id, Command: command, Host: host, Version: BuildVersion(),
		ConfigHash: cfg.Hash(), Started: start.UTC()}
}

// Finish fills the manifest from the run's summary (which may be nil when the run failed
// before planning), the API client's counters and the outcome.
func (m *Manifest) Finish(cfg *config.Config, sum *Summary, st *extract.Stats, exit int, runErr error, end time.Time) {
	m.Finished = end.UTC()
	m.DurationSeconds = end.Sub(m.Started).Seconds()
	m.ExitCode = exit
	if runErr != nil {
		m.Error = runErr.Error()
	}
	if st != nil {
		m.Requests, m.Retries, m.Throttle, m.Server5x = st.Requests, st.Retries, st.Throttled, st.ServerErrors
	}
	if sum == nil {
		return
	}
	m.Planned = sum.Planned
	m.Totals = countsOf(sum.Totals())
	m.Tables = map[string]Counts{}
	for n, t := range sum.Tables {
		m.Tables[n] = countsOf(*t)
	}
	m.PerFam = map[string]Counts{}
	for f, t := range sum.Families {
		m.PerFam[string(f)] = countsOf(*t)
	}
	for n, a := range sum.Accounts {
		if m.Accounts == nil {
			m.Accounts = map[string]Counts{}
		}
		m.Accounts[n] = countsOf(a.TableSummary)
	}
	m.Notes = sum.Notes
	m.Failures = slices.Clone(sum.Failures)
	sort.Strings(m.Failures)
	for _, u := range sum.Late {
		due, _ := DueAt(cfg, u)
		m.Late = append(m.Late, LateUnit{Unit: u.ID(), Due: due.UTC()})
	}
}

// ManifestKey is the object key of run id's manifest.
func ManifestKey(id string) string { return RunsPrefix + id + ".json" }

// WriteManifest stores m at _etl/runs/<id>.json (atomically, as every write).
func WriteManifest(ctx context.Context, s *load.Store, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("manifest %s: %w", m.ID, err)
	}
	key := ManifestKey(m.ID)
	return s.PutBytes(ctx, key, append(b, '\n'), "application/json")
}

// ListManifests returns up to limit run manifests (all when limit <= 0), newest first.
func ListManifests(ctx context.Context, s *load.Store, limit int) ([]Manifest, error) {
	keys, err := s.List(ctx, RunsPrefix)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, k := range keys {
		if strings.HasSuffix(k, ".json") && path.Dir(k)+"/" == RunsPrefix {
			ids = append(ids, k)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]Manifest, 0, len(ids))
	for _, k := range ids {
		b, err := s.Bucket().ReadAll(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", k, err)
		}
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("read %s: %w", k, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// BuildVersion is the etl build: the module version, else the VCS revision, else "devel".
func BuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
