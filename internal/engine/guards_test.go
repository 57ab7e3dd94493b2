package engine_test

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob/memblob"

	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// linesSource serves one text payload; each line is a row of a replace table, in memory or
// streamed.
type linesSource struct {
	text   string
	stream bool
}

var linesTable = &schemas.Table{Name: "lines", Family: report.Reviews, Mode: schemas.Replace}

var linesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "title", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: schemas.LineageSourceKey, Type: arrow.BinaryTypes.String},
	{Name: schemas.LineageSourceLine, Type: arrow.PrimitiveTypes.Int64},
}, nil)

func (s *linesSource) Family() report.Family    { return report.Reviews }
func (s *linesSource) Tables() []*schemas.Table { return []*schemas.Table{linesTable} }

func (s *linesSource) Plan(context.Context, *engine.PlanEnv) (engine.Plan, error) {
	return engine.Plan{Units: []engine.Planned{{Unit: crawlUnit}}}, nil
}

func (s *linesSource) Fetch(_ context.Context, env *engine.FetchEnv, _ engine.Planned) (engine.Fetched, error) {
	if err := env.Put("lines.txt", strings.NewReader(s.text)); err != nil {
		return engine.Fetched{}, err
	}
	return engine.Fetched{Outcome: engine.Data}, nil
}

func (s *linesSource) Parse(_ context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	p := in.Version.Payloads[0]
	rc, err := in.Open(p)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b := array.NewRecordBuilder(in.Alloc, linesSchema)
	defer b.Release()
	sc := bufio.NewScanner(rc)
	for n := 1; sc.Scan(); n++ {
		b.Field(0).(*array.StringBuilder).Append(sc.Text())
		b.Field(1).(*array.StringBuilder).Append(p.Key)
		b.Field(2).(*array.Int64Builder).Append(int64(n))
	}
	rec := b.NewRecordBatch()
	out := engine.Output{Table: linesTable, Partition: "p=1", Primary: true}
	if s.stream {
		out.Stream = &oneBatch{rec: rec}
	} else {
		out.Records = []arrow.RecordBatch{rec}
	}
	return &engine.Parsed{Outputs: []engine.Output{out}, Release: rec.Release}, nil
}

// oneBatch streams one record batch.
type oneBatch struct {
	rec  arrow.RecordBatch
	done bool
}

func (o *oneBatch) Schema() *arrow.Schema          { return o.rec.Schema() }
func (o *oneBatch) RecordBatch() arrow.RecordBatch { return o.rec }
func (o *oneBatch) Err() error                     { return nil }
func (o *oneBatch) Next() bool {
	if o.done {
		return false
	}
	o.done = true
	return true
}

func rows(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("row\n")
	}
	return b.String()
}

// TestShrinkHeld: a version that would replace a loaded unit's partition with far fewer
// rows is archived and held (the partition and the ledger's rows stay; exit 3) until a
// pass allows it; in memory and streamed alike.
func TestShrinkHeld(t *testing.T) {
	for _, stream := range []bool{false, true} {
		name := "records"
		if stream {
			name = "stream"
		}
		t.Run(name, func(t *testing.T) {
			b := memblob.OpenBucket(nil)
			defer b.Close()
			st := load.New(b)
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			now := time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)
			pass := func(text string, allow bool) (*engine.Summary, load.Entry, []byte) {
				t.Helper()
				now = now.Add(time.Minute)
				r := &engine.Runner{Store: st, API: noAPI{}, Sources: []engine.Source{&linesSource{text: text, stream: stream}},
					Now: func() time.Time { return now }, Alloc: mem, AllowShrink: allow}
				sum, err := r.Run(context.Background(), engine.Window{})
				if err != nil {
					t.Fatal(err)
				}
				e, _, err := st.Ledger().Get(context.Background(), crawlUnit)
				if err != nil {
					t.Fatal(err)
				}
				obj, err := b.ReadAll(context.Background(), load.ParquetKey("lines", "p=1"))
				if err != nil {
					t.Fatal(err)
				}
				return sum, e, obj
			}
			sum, e, good := pass(rows(40), false)
			if sum.ExitCode() != engine.ExitOK || e.Rows != 40 {
				t.Fatalf("first pass: exit %d, rows %d", sum.ExitCode(), e.Rows)
			}
			for _, tt := range []struct {
				rows int
				held bool
			}{{0, true}, {19, true}, {20, false}, {40, false}} {
				sum, e, obj := pass(rows(tt.rows), false)
				if !tt.held {
					if sum.ExitCode() != engine.ExitOK {
						t.Fatalf("%d rows: exit %d: %v", tt.rows, sum.ExitCode(), sum.Failures)
					}
					continue
				}
				want := "held: the new version has " + strconv.Itoa(tt.rows) + " rows where 40 are loaded; pass --allow-shrink to apply it"
				if sum.ExitCode() != engine.ExitPartial || sum.Totals().Held != 1 || e.State != load.Loaded || e.Rows != 40 ||
					e.Error != want || string(obj) != string(good) {
					t.Fatalf("%d rows: exit %d, totals %+v, entry %s rows %d error %q, partition changed %v",
						tt.rows, sum.ExitCode(), sum.Totals(), e.State, e.Rows, e.Error, string(obj) != string(good))
				}
				if len(sum.Failures) != 1 || !strings.Contains(sum.Failures[0], want) {
					t.Errorf("failures %v", sum.Failures)
				}
				last := e.Versions[len(e.Versions)-1]
				if last.Loaded || last.Error != want || e.Loaded == last.ID {
					t.Errorf("held version %+v (loaded %s)", last, e.Loaded)
				}
				if tt.rows == 19 {
					// The same bytes again: still held; allowed: applied.
					if sum, _, _ := pass(rows(19), false); sum.Totals().Held != 1 {
						t.Errorf("again: %+v", sum.Totals())
					}
					sum, e, _ := pass(rows(19), true)
					if sum.ExitCode() != engine.ExitOK || e.Rows != 19 || e.Error != "" {
						t.Fatalf("allowed: exit %d, rows %d, error %q", sum.ExitCode(), e.Rows, e.Error)
					}
				}
			}
		})
	}
}

// TestInvalidUTF8Refused: a string that is not valid UTF-8 never reaches Parquet; the
// version fails naming its key, line and column.
func TestInvalidUTF8Refused(t *testing.T) {
	b := memblob.OpenBucket(nil)
	defer b.Close()
	st := load.New(b)
	r := &engine.Runner{Store: st, API: noAPI{}, Sources: []engine.Source{&linesSource{text: "ok\nCaf\xe9\n"}},
		Now: func() time.Time { return time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC) }}
	sum, err := r.Run(context.Background(), engine.Window{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ExitCode() != engine.ExitFailed || len(sum.Failures) != 1 ||
		!strings.Contains(sum.Failures[0], `/lines.txt.gz:2: column "title": not valid UTF-8 "Caf\xe9" (table lines)`) {
		t.Fatalf("exit %d: %v", sum.ExitCode(), sum.Failures)
	}
	if ok, _ := b.Exists(context.Background(), load.ParquetKey("lines", "p=1")); ok {
		t.Error("the partition was written")
	}
}
