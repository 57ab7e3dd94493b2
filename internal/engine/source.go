// Package engine runs every report family the same way. A family is a Source (a driver:
// plan the units that exist, fetch one unit's payloads, parse an archived version into
// records); the Runner (the portable type) owns everything else, written once: the ledger
// lifecycle, the append-only raw archive, parsing and loading, one log line per unit,
// progress, the summary, drift notices and the run manifest. So `etl run`, `backfill`,
// `import`, `reparse` and `status` behave the same for every family, and enginetest's
// conformance suite proves each Source the same way.
package engine

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// Source is one report family. Its methods are called by the Runner only; a Source holds
// its own configuration and may keep state for one pass (the version adopted for a report
// kind, the apps discovered), but never writes to the bucket: archive, Parquet and ledger
// are the Runner's.
//
// Plan, Fetch and Parse may be called concurrently for different units.
type Source interface {
	// Family names the family. It is the first segment of every unit id, ledger key and
	// raw archive key of the family's units.
	Family() report.Family

	// Tables lists the tables the family loads; each table's Mode says how its
	// partitions take a unit's rows.
	Tables() []*schemas.Table

	// Plan returns the units that exist for env.Window: for a run, the periods since the
	// newest loaded one minus the family's lookback up to the newest Apple should have
	// published; for a backfill, every period in [From, To] Apple still keeps. Plan
	// may call the API to list what exists (analytics instances, the apps of the key)
	// and keep request lifecycles in order. It need not filter by ledger state: the
	// Runner skips what is loaded and final, re-polls what is pending or failed, and
	// orders the work. A scope that cannot be planned (a listing that fails) goes in
	// Plan.Failures; an error return fails the whole family for this pass.
	Plan(ctx context.Context, env *PlanEnv) (Plan, error)

	// Fetch fetches one unit: every payload, in order, through env.Put (the Runner
	// archives them as one version once Fetch returns Data). Fetched.Outcome says what
	// Apple answered. An error is a failed attempt; extract.ErrBudgetExhausted means the
	// request budget ran out (the unit stays pending). Payloads must be put as received:
	// the archive keeps them byte for byte.
	Fetch(ctx context.Context, env *FetchEnv, u Planned) (Fetched, error)

	// Parse turns one archived version into records for the family's tables. It must not
	// touch the network: reparse and import call it with no API. A bad payload is an
	// error naming the payload's key and the line or field. Parse may return at most one
	// streaming output (Output.Stream), and then only that one.
	Parse(ctx context.Context, in *ParseInput) (*Parsed, error)
}

// Detector is implemented by a Source whose reports can be downloaded by hand from App
// Store Connect and imported as files (`etl import FILE`).
type Detector interface {
	// Detect recognises a file from its name and the start of its content (decompressed)
	// and returns the unit it holds. ok is false when the file is not the family's; an
	// error means it is, but the unit cannot be told (and says what to pass).
	Detect(name string, head []byte, hints ImportHints) (u Planned, ok bool, err error)
}

// ImportHints fill in what a file cannot tell.
type ImportHints struct {
	Vendor string // default: the config's vendor number
	Period string
	Region string
}

// API is the App Store Connect client, as the Sources use it (extract.Client).
type API interface {
	extract.JSONGetter
	SalesReport(ctx context.Context, u report.Unit, version string) (*extract.Report, error)
	FinanceReport(ctx context.Context, u report.Unit) (*extract.Report, error)
	PostJSON(ctx context.Context, path string, body []byte) ([]byte, error)
	Delete(ctx context.Context, path string) error
	Download(ctx context.Context, rawURL string) ([]byte, error)
}

// Window says which units a pass is about.
type Window struct {
	From, To time.Time // a backfill's days (inclusive); zero for a run
	Force    bool      // fetch units already loaded or empty again
	Families []report.Family
}

// Backfill reports whether the window is a backfill's.
func (w Window) Backfill() bool { return !w.From.IsZero() }

// PlanEnv is what Plan gets.
type PlanEnv struct {
	API     API
	Now     time.Time
	Window  Window
	Entries map[string]load.Entry // the family's ledger, by unit id
	Log     *slog.Logger
	Note    func(Note)
}

// Plan is what exists for a window.
type Plan struct {
	Units    []Planned
	Failures []Failure
}

// Failure is a scope of a family that could not be planned or fetched as a whole (the
// app listing, an app's analytics requests). It is counted as a failed unit of the run,
// but not recorded in the ledger.
type Failure struct {
	Unit report.Unit
	Err  error
}

// Planned is a unit as its Source describes it.
type Planned struct {
	Unit report.Unit
	// Ref is the Source's handle for fetching the unit when the unit's fields do not say
	// (an analytics instance id); the ledger keeps it for re-polls.
	Ref string
	// Final means a loaded unit can no longer change: a run does not fetch it again
	// (an analytics instance, a past day's snapshot). Units that are not final are
	// fetched again whenever a run plans them, and an identical payload changes nothing.
	Final bool
	// Cursor is the incremental state the fetch starts from (the newest review loaded).
	Cursor string
	// ReportVersion is the report version to request, or the one a detected file holds.
	ReportVersion string
}

// FetchEnv is what Fetch gets.
type FetchEnv struct {
	API   API
	Now   time.Time
	Prior load.Entry // the unit's ledger entry (zero when Known is false)
	Known bool
	// Put archives the next payload of this fetch under name (Apple's file name, or
	// page-00001.json): the bytes as received, read to EOF.
	Put  func(name string, body io.Reader) error
	Log  *slog.Logger
	Note func(Note)
}

// Outcome is what Apple answered for a unit.
type Outcome int

const (
	Data   Outcome = iota // payloads were put
	Empty                 // Apple says there is no data: final
	NotYet                // not published yet: polled again next run
	Gone                  // Apple no longer serves it
)

// Fetched is the result of a fetch.
type Fetched struct {
	Outcome       Outcome
	Detail        string // Apple's text for Empty, NotYet and Gone
	ReportVersion string // the report version served (sales)
	Cursor        string // the incremental state after this fetch, kept with the version
	// Incremental says the payloads re-read the newest part of what the unit already
	// holds (a crawl that stops at a watermark, newest first, pages named by position):
	// when each one equals the payload of the same name in the version the unit is
	// loaded from, the fetch brought nothing new, and nothing is archived or loaded (the
	// unit is unchanged). Only for units whose tables merge: a shorter re-read of a
	// replaced partition would lose rows.
	Incremental bool
}

// ParseInput is what Parse gets.
type ParseInput struct {
	Unit    report.Unit
	Version *load.Version
	// Open returns a payload's content, decompressed; errors name its key.
	Open  func(p load.Payload) (io.ReadCloser, error)
	Alloc memory.Allocator
	Note  func(Note)
}

// Parsed is a parsed version: one output per partition it touches.
type Parsed struct {
	Outputs    []Output
	HeaderHash string // of the report's header line, when it has one
	Layout     string // the file layout recognised (sales and finance), for the ledger
	// Release frees what the outputs hold; the Runner calls it once they are loaded.
	Release func()
}

// Output is a unit's contribution to one partition.
type Output struct {
	Table     *schemas.Table
	Partition string // Table.PartitionPath
	load.Input
	// Primary outputs count toward the unit's rows (the others are side tables: the
	// responses of reviews, a finance summary).
	Primary bool
}

// Note is something worth telling once per run: schema drift, a version adopted, a new
// analytics report, a summary that disagrees with the rows. Notes with the same Kind,
// Table and Subject are reported once, with the number of units that raised them.
type Note struct {
	Kind    string // "drift", "version adopted", "check", …
	Table   string
	Subject string // the column, metric or report it is about
	Detail  string // the human text: `unknown column "Foo" kept as text`
	Unit    string // the unit that raised it (filled by the Runner for Fetch and Parse; a Plan's notes are about a scope and keep what the Source set, usually nothing)
}

// Records is a helper for Parse: it wraps in-memory batches as an Input.
func Records(recs ...arrow.RecordBatch) load.Input {
	var out []arrow.RecordBatch
	for _, r := range recs {
		if r != nil {
			out = append(out, r)
		}
	}
	return load.Input{Records: out}
}

// Query is a helper for Sources building API queries.
func Query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}
