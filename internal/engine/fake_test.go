package engine

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// fakeSource is a Source whose Plan and Fetch answer what the test sets. Its payloads are
// text, one row "id=value" a line; a line "bad" does not parse, and neither does any line
// while broken is set (a parser bug, fixed later).
type fakeSource struct {
	fam   report.Family
	table *schemas.Table

	mu      sync.Mutex
	units   []Planned
	planErr error
	answers map[string][]answer // by unit id, in order; the last one repeats
	fetches map[string]int
	parsed  []string // "<unit id> <version id>" of every Parse, in order
	broken  bool
	reject  string // a line containing it does not parse (a parser change)
	// onParse, when set, runs at the start of every Parse (a test cancelling a pass).
	onParse func(in *ParseInput)
}

// answer is one Fetch's result.
type answer struct {
	outcome  Outcome
	detail   string
	payloads []payload
	err      error
	cursor   string
	// during, when set, runs inside Fetch after the payloads are put.
	during func()
}

type payload struct{ name, body string }

// data is an answer with one payload of rows.
func data(name string, rows ...string) answer {
	return answer{outcome: Data, payloads: []payload{{name, strings.Join(rows, "\n") + "\n"}}}
}

func salesUnit(period string) report.Unit {
	return report.Unit{Family: report.Sales, Type: "SALES", SubType: "SUMMARY", Frequency: report.Daily, Vendor: "1", Period: period}
}

func reviewUnit(month string) report.Unit {
	return report.Unit{Family: report.Reviews, Type: "CUSTOMER_REVIEWS", Vendor: "1", Period: month}
}

// oneUnit is a fixture with a plain source planning one sales unit, which answers rows.
func oneUnit(t *testing.T, rows ...string) (*fixture, *fakeSource, report.Unit) {
	f := newFixture(t)
	src := newPlainSource()
	u := salesUnit("2026-11-20")
	src.plan(u)
	src.answer(u, data("r.txt", rows...))
	return f, src, u
}

// newPlainSource is a family of Replace tables (one partition per unit, like sales).
func newPlainSource() *fakeSource {
	return &fakeSource{fam: report.Sales, answers: map[string][]answer{}, fetches: map[string]int{},
		table: &schemas.Table{Name: "fake_plain", Columns: fakeColumns()}}
}

// newMergeSource is a family of one MergeByKey table that every unit merges into (like
// reviews: history matters).
func newMergeSource() *fakeSource {
	return &fakeSource{fam: report.Reviews, answers: map[string][]answer{}, fetches: map[string]int{},
		table: &schemas.Table{Name: "fake_merge", Mode: schemas.MergeByKey, Key: "id", Columns: fakeColumns()}}
}

func fakeColumns() []schemas.Column {
	return []schemas.Column{{Name: "id", Kind: schemas.String}, {Name: "value", Kind: schemas.String}}
}

// partition is where a unit's rows go: its own partition for Replace, one shared one for
// MergeByKey.
func (s *fakeSource) partition(u report.Unit) string {
	if s.table.Mode == schemas.Replace {
		return "period=" + u.Period
	}
	return "app_id=" + u.Vendor
}

func (s *fakeSource) parquetKey(u report.Unit) string {
	return load.ParquetKey(s.table.Name, s.partition(u))
}

// plan sets the units Plan returns.
func (s *fakeSource) plan(units ...report.Unit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.units = nil
	for _, u := range units {
		s.units = append(s.units, Planned{Unit: u})
	}
}

// answer queues Fetch answers for u, replacing what was queued.
func (s *fakeSource) answer(u report.Unit, as ...answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[u.ID()] = as
}

func (s *fakeSource) setBroken(b bool) {
	s.mu.Lock()
	s.broken = b
	s.mu.Unlock()
}

func (s *fakeSource) setReject(text string) {
	s.mu.Lock()
	s.reject = text
	s.mu.Unlock()
}

func (s *fakeSource) resetParses() {
	s.mu.Lock()
	s.parsed = nil
	s.mu.Unlock()
}

func (s *fakeSource) fetchCount(u report.Unit) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches[u.ID()]
}

func (s *fakeSource) parses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.parsed)
}

func (s *fakeSource) Family() report.Family    { return s.fam }
func (s *fakeSource) Tables() []*schemas.Table { return []*schemas.Table{s.table} }

func (s *fakeSource) Plan(ctx context.Context, env *PlanEnv) (Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Plan{Units: slices.Clone(s.units)}, s.planErr
}

func (s *fakeSource) Fetch(ctx context.Context, env *FetchEnv, p Planned) (Fetched, error) {
	s.mu.Lock()
	id := p.Unit.ID()
	s.fetches[id]++
	as := s.answers[id]
	if len(as) == 0 {
		s.mu.Unlock()
		return Fetched{}, fmt.Errorf("fake: no answer for %s", id)
	}
	a := as[0]
	if len(as) > 1 {
		s.answers[id] = as[1:]
	}
	s.mu.Unlock()
	for _, pl := range a.payloads {
		if err := env.Put(pl.name, strings.NewReader(pl.body)); err != nil {
			return Fetched{}, err
		}
	}
	if a.during != nil {
		a.during()
	}
	if err := ctx.Err(); err != nil {
		return Fetched{}, err
	}
	return Fetched{Outcome: a.outcome, Detail: a.detail, Cursor: a.cursor}, a.err
}

func (s *fakeSource) Parse(ctx context.Context, in *ParseInput) (*Parsed, error) {
	s.mu.Lock()
	s.parsed = append(s.parsed, in.Unit.ID()+" "+in.Version.ID)
	broken, reject, hook := s.broken, s.reject, s.onParse
	s.mu.Unlock()
	if hook != nil {
		hook(in)
	}
	b := array.NewRecordBuilder(in.Alloc, s.table.ArrowSchema(nil))
	defer b.Release()
	for _, p := range in.Version.Payloads {
		if err := s.parsePayload(in, p, b, broken, reject); err != nil {
			return nil, err
		}
	}
	rec := b.NewRecordBatch()
	out := Output{Table: s.table, Partition: s.partition(in.Unit), Input: Records(rec), Primary: true}
	return &Parsed{Outputs: []Output{out}, Release: rec.Release}, nil
}

func (s *fakeSource) parsePayload(in *ParseInput, p load.Payload, b *array.RecordBuilder, broken bool, reject string) error {
	r, err := in.Open(p)
	if err != nil {
		return err
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		id, value, ok := strings.Cut(sc.Text(), "=")
		if broken || !ok || reject != "" && strings.Contains(sc.Text(), reject) {
			return fmt.Errorf("%s: line %d: not id=value", p.Key, line)
		}
		b.Field(0).(*array.StringBuilder).Append(id)
		b.Field(1).(*array.StringBuilder).Append(value)
		b.Field(2).(*array.StringBuilder).Append(p.Key)
		b.Field(3).(*array.Int64Builder).Append(int64(line))
		b.Field(4).AppendNull()
		b.Field(5).(*array.TimestampBuilder).Append(arrow.Timestamp(in.Version.FetchedAt.UnixMicro()))
	}
	return sc.Err()
}

// noAPI is the API of passes whose Sources never call it.
type noAPI struct{ API }

// fixture is one installation: a spied in-memory bucket, a settable clock, a checked
// allocator.
type fixture struct {
	t     *testing.T
	spy   *spyBucket
	store *load.Store
	mem   *memory.CheckedAllocator
	mu    sync.Mutex
	now   time.Time
}

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	b, spy := newSpyBucket(t)
	f := &fixture{t: t, spy: spy, store: load.New(b), mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), now: t0}
	t.Cleanup(func() { f.mem.AssertSize(t, 0) })
	return f
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }

// tick moves the clock on by d.
func (f *fixture) tick(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func (f *fixture) runner(srcs ...Source) *Runner {
	return &Runner{Store: f.store, API: noAPI{}, Sources: srcs, Now: f.clock, Alloc: f.mem, Workers: 2}
}

// run is one pass (a run: no window), failing the test on an error.
func (f *fixture) run(srcs ...Source) *Summary {
	f.t.Helper()
	sum, err := f.runner(srcs...).Run(context.Background(), Window{})
	if err != nil {
		f.t.Fatalf("run: %v", err)
	}
	return sum
}

// entry is u's ledger entry (the test fails when there is none).
func (f *fixture) entry(u report.Unit) load.Entry {
	f.t.Helper()
	e, ok, err := f.store.Ledger().Get(context.Background(), u)
	if err != nil || !ok {
		f.t.Fatalf("ledger %s: %v (found %v)", u.ID(), err, ok)
	}
	return e
}

// snapshot maps every key under prefix to the sha256 of its content.
func (f *fixture) snapshot(prefix string) map[string]string {
	f.t.Helper()
	keys, err := f.store.List(context.Background(), prefix)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		b, err := f.store.Bucket().ReadAll(context.Background(), k)
		if err != nil {
			f.t.Fatal(err)
		}
		h := sha256.Sum256(b)
		out[k] = hex.EncodeToString(h[:])
	}
	return out
}

// rows reads a Parquet object back as "id=value@line" lines.
func (f *fixture) rows(key string) []string {
	f.t.Helper()
	tbl, err := f.store.ReadTable(context.Background(), key, f.mem)
	if err != nil {
		f.t.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	var out []string
	for tr.Next() {
		r := tr.RecordBatch()
		ids, vals := r.Column(0).(*array.String), r.Column(1).(*array.String)
		for i := 0; i < int(r.NumRows()); i++ {
			out = append(out, ids.Value(i)+"="+vals.Value(i))
		}
	}
	return out
}

// versionDirs lists the archived version ids of u (those with a manifest).
func (f *fixture) versionDirs(u report.Unit) []string {
	f.t.Helper()
	vs, err := f.store.ListVersions(context.Background(), load.RawDir(u))
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
