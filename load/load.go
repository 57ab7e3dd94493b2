package load

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"

	"github.com/ascetl/etl/schemas"
)

// Input is what one unit of work contributes to one partition of a table.
type Input struct {
	// Records are the unit's rows, in memory. The caller keeps ownership.
	Records []arrow.RecordBatch
	// Stream, instead of Records, streams the rows straight into the Parquet writer
	// (Replace tables only: a million-row sales report never sits in memory). A stream
	// that fails (its Err is set) aborts the write and leaves the stored object as it was.
	Stream RecordReader
	// Schema is the schema of an input with no records (the partition becomes an empty
	// file carrying it); default: the table's own Arrow schema.
	Schema *arrow.Schema
	// Keys, for MergeByKey tables, are the keys the unit speaks for: stored rows with one
	// of these keys are dropped even when the unit has no row for it (a review whose
	// response was deleted). The keys of Records are always included.
	Keys []string
	// Scope, for SlowlyChanging tables, says which stored entities the snapshot covers
	// completely: a current row in scope whose key the snapshot lacks is closed (the
	// entity disappeared). nil closes nothing.
	Scope *Scope
	// Day is the snapshot day of a SlowlyChanging input (UTC).
	Day time.Time
	// Period, for a table stored by month (schemas.Table.PeriodColumn), is the first day of
	// the unit's period: the input is that period's object in the month partition
	// (PeriodKey), or waits for compaction when the month is compacted already
	// (PendingKey; see compact.go).
	Period time.Time
}

// Scope selects stored rows by the value of one column, or every row (All).
type Scope struct {
	All    bool
	Column string
	Values []string
}

func (s *Scope) has(schema *arrow.Schema, r row) bool {
	if s == nil {
		return false
	}
	if s.All {
		return true
	}
	idx := schema.FieldIndices(s.Column)
	if len(idx) != 1 {
		return false
	}
	v, _ := r[idx[0]].(string)
	for _, x := range s.Values {
		if x == v {
			return true
		}
	}
	return false
}

// Result is what Load left at Key.
type Result struct {
	Key       string
	Rows      int64 // rows in the object
	Bytes     int64 // size of the object
	Unchanged bool  // the object already held exactly these bytes and was not rewritten
}

// Load is the one way rows reach a table: it writes one unit's input into the partition
// of table t at partition (t.PartitionPath) the way the table's Mode says (a table stored
// by month takes one object per period: Input.Period):
//
//   - Replace: the input is the whole partition.
//   - MergeByKey: stored rows whose key (t.MergeKey) is among the input's keys are
//     replaced by the input's rows for that key — unless they hold the same data
//     (lineage aside), in which case the stored rows, lineage included, are kept;
//     stored rows of other keys stay.
//   - SlowlyChanging: the input is a snapshot of entities on in.Day (see mergeSCD).
//
// Every result except a stream is rendered in memory first and compared with the stored
// object: equal bytes are not written again (Result.Unchanged), so a re-run with the same
// data changes nothing. Merge results are sorted by every column, so their bytes depend
// on the set of rows only. Schemas are unioned by column name (unionSchema). The write is
// atomic; on any error, or when ctx ends, the stored object is left as it was. Loads of
// one object are serialised (merges read, modify and write).
func (s *Store) Load(ctx context.Context, t *schemas.Table, partition string, in Input, opt ParquetOptions) (Result, error) {
	key := ParquetKey(t.Name, partition)
	if t.PeriodColumn != "" {
		k, err := s.periodObjectKey(ctx, t, partition, in.Period)
		if err != nil {
			return Result{}, fmt.Errorf("load %s: %w", key, err)
		}
		key = k
	}
	unlock := s.lockKey(key)
	defer unlock()
	if opt.Alloc == nil {
		opt.Alloc = memory.DefaultAllocator
	}
	res, err := s.load(ctx, t, key, in, opt)
	if err != nil {
		return Result{}, fmt.Errorf("load %s: %w", key, err)
	}
	return res, nil
}

func (s *Store) load(ctx context.Context, t *schemas.Table, key string, in Input, opt ParquetOptions) (Result, error) {
	if in.Stream != nil {
		if t.Mode != schemas.Replace || len(in.Records) > 0 {
			return Result{}, fmt.Errorf("a stream loads only a replace table, and alone")
		}
		info, err := s.WriteParquet(ctx, key, in.Stream, opt)
		if err != nil {
			return Result{}, err
		}
		return Result{Key: key, Rows: info.Rows, Bytes: info.Bytes}, nil
	}
	schema := in.Schema
	if len(in.Records) > 0 {
		schema = in.Records[0].Schema()
	}
	if schema == nil {
		schema = t.ArrowSchema(nil)
	}
	old, exists, err := s.readExisting(ctx, key)
	if err != nil {
		return Result{}, err
	}
	var out arrow.RecordBatch
	switch t.Mode {
	case schemas.Replace:
		out, err = concatRecords(opt.Alloc, schema, in.Records)
	case schemas.MergeByKey, schemas.SlowlyChanging:
		out, err = s.mergeInput(ctx, t, schema, old, exists, in, opt.Alloc)
	default:
		err = fmt.Errorf("table %s: unknown load mode %s", t.Name, t.Mode)
	}
	if err != nil {
		return Result{}, err
	}
	defer out.Release()
	data, err := renderParquet(ctx, out, opt)
	if err != nil {
		return Result{}, err
	}
	res := Result{Key: key, Rows: out.NumRows(), Bytes: int64(len(data))}
	if exists && bytes.Equal(data, old) {
		res.Unchanged = true
		return res, nil
	}
	wopts := &blob.WriterOptions{ContentType: "application/vnd.apache.parquet", BufferSize: parquetBufferSize}
	if _, err := s.write(ctx, key, wopts, func(w *countingWriter) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		return Result{}, err
	}
	return res, nil
}

// readExisting returns the stored object's bytes, if any.
func (s *Store) readExisting(ctx context.Context, key string) ([]byte, bool, error) {
	old, err := s.b.ReadAll(ctx, key)
	if IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return old, true, nil
}

// mergeInput merges the input into the stored rows (MergeByKey or SlowlyChanging).
func (s *Store) mergeInput(ctx context.Context, t *schemas.Table, schema *arrow.Schema, old []byte, exists bool, in Input, mem memory.Allocator) (arrow.RecordBatch, error) {
	var oldSchema *arrow.Schema
	var oldTbl arrow.Table
	if exists {
		var err error
		if oldTbl, err = readTable(ctx, old, mem); err != nil {
			return nil, fmt.Errorf("existing object: %w", err)
		}
		defer oldTbl.Release()
		oldSchema = oldTbl.Schema()
	}
	union, err := unionSchema(schema, oldSchema)
	if err != nil {
		return nil, err
	}
	set := &rowSet{schema: union}
	var fresh []row
	for _, rec := range in.Records {
		if fresh, err = rowsOf(fresh, union, rec); err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
	}
	var stored []row
	if oldTbl != nil {
		if stored, err = rowsOfTable(nil, union, oldTbl); err != nil {
			return nil, fmt.Errorf("existing object: %w", err)
		}
	}
	keyIdx := union.FieldIndices(t.MergeKey())
	if len(keyIdx) != 1 {
		return nil, fmt.Errorf("table %s: no key column %q", t.Name, t.MergeKey())
	}
	if t.Mode == schemas.SlowlyChanging {
		set.rows, err = mergeSCD(union, keyIdx[0], stored, fresh, in.Scope, in.Day)
	} else {
		set.rows, err = mergeByKey(union, keyIdx[0], stored, fresh, in.Keys)
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return set.record(mem)
}

// concatRecords joins records of one schema into one batch (an empty one of schema when
// there are none).
func concatRecords(mem memory.Allocator, schema *arrow.Schema, recs []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(recs) == 0 {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		return b.NewRecordBatch(), nil
	}
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	tbl := array.NewTableFromRecords(schema, recs)
	defer tbl.Release()
	cols := make([]arrow.Array, tbl.NumCols())
	for i := range cols {
		c, err := array.Concatenate(tbl.Column(i).Data().Chunks(), mem)
		if err != nil {
			for _, x := range cols[:i] {
				x.Release()
			}
			return nil, fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
		}
		cols[i] = c
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	return array.NewRecordBatch(schema, cols, tbl.NumRows()), nil
}

// keyLocks serialises loads of one object within a process.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	n int
}

func (s *Store) lockKey(key string) func() {
	s.locks.mu.Lock()
	if s.locks.m == nil {
		s.locks.m = map[string]*keyLock{}
	}
	l := s.locks.m[key]
	if l == nil {
		l = &keyLock{}
		s.locks.m[key] = l
	}
	l.n++
	s.locks.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		s.locks.mu.Lock()
		if l.n--; l.n == 0 {
			delete(s.locks.m, key)
		}
		s.locks.mu.Unlock()
	}
}
