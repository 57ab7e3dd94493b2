package load

// Compaction of tables stored by month (schemas.Table.PeriodColumn; BENCHMARKS.md and
// README "Layout"). In a month partition parquet/<table>/vendor=<n>/month=<YYYY-MM>/:
//
//   - <YYYY-MM-DD>.parquet is one period's object (a daily report, a week starting that
//     day) while the month is open;
//   - data.parquet is the compacted month: every period's rows, in order of period, each
//     period in row groups of its own (so the statistics of report_date prune by day),
//     with the list of periods in the footer ("ascetl.periods");
//   - _<YYYY-MM-DD>.pending is a period loaded into an already compacted month (late data,
//     a restatement, a reparse), which no reader sees (DuckDB reads *.parquet; Hive, Spark,
//     Trino and Athena skip names starting with "_") until compaction folds it into the
//     month's object.
//
// Compacting a month writes data.parquet, then points the ledger entries of the periods
// folded in at it, then deletes their objects: every step leaves each loaded entry backed
// by an object, and a run interrupted in between is finished by the next compaction
// (which finds the same periods and writes the same bytes). The month object is a function
// of its periods' rows only (the encoder's bytes do not depend on batches), so reparse and
// a second compaction give the same bytes, and a period whose object is unchanged costs
// no rewrite (its sha256 is in the footer).

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// MonthObject is the name of a compacted month's object in its partition.
const MonthObject = "data.parquet"

// periodsMeta is the footer key listing a month object's periods.
const periodsMeta = "ascetl.periods"

// PeriodKey is the object of one period of a table stored by month while the month is
// open: parquet/<table>/<partition>/<YYYY-MM-DD>.parquet, named by the period's first day.
func PeriodKey(table, partition string, day time.Time) string {
	return "parquet/" + table + "/" + partition + "/" + day.Format(time.DateOnly) + ".parquet"
}

// PendingKey is where a period loaded into a compacted month waits for compaction.
func PendingKey(table, partition string, day time.Time) string {
	return "parquet/" + table + "/" + partition + "/_" + day.Format(time.DateOnly) + ".pending"
}

// periodObjectKey is where a unit's period goes: its own object, or a pending one when its
// month is compacted already.
func (s *Store) periodObjectKey(ctx context.Context, t *schemas.Table, partition string, day time.Time) (string, error) {
	if day.IsZero() {
		return "", fmt.Errorf("table %s is stored by period: the input has no period", t.Name)
	}
	compacted, err := s.Exists(ctx, ParquetKey(t.Name, partition))
	if err != nil {
		return "", err
	}
	if compacted {
		return PendingKey(t.Name, partition, day), nil
	}
	return PeriodKey(t.Name, partition, day), nil
}

// CompactOptions say which months compaction may close.
type CompactOptions struct {
	// Now is the clock. A month is complete SettleDays days after its last day: then its
	// period objects are compacted. A month already compacted takes its pending periods
	// whatever its age.
	Now        time.Time
	SettleDays int
	Alloc      memory.Allocator
	// RowGroupRows bounds the row groups of the month object (default DefaultRowGroupRows;
	// a period's rows never share a row group with another period's).
	RowGroupRows int64
}

// CompactResult is what compacting one month did.
type CompactResult struct {
	Key     string   // the month object
	Periods int      // periods in it
	Rows    int64    // rows in it
	Written bool     // the month object was (re)written
	Folded  []string // period and pending objects folded in (and deleted)
}

// periodInfo describes one period of a month object (its footer).
type periodInfo struct {
	Period    string   `json:"period"` // first day, YYYY-MM-DD
	Rows      int64    `json:"rows"`
	RowGroups int      `json:"row_groups"`
	Columns   []string `json:"columns"` // the period's own columns (the object has their union)
	SHA256    string   `json:"sha256"`  // of the period's own object
}

// periodSource is where compaction takes one period's rows from.
type periodSource struct {
	info periodInfo
	key  string // its own object ("" when taken from the month object)
	rg0  int    // first row group in the month object
}

// CompactMonth compacts one month partition of t (e.g. "vendor=1/month=2025-01"): see the
// top of compact.go. A month that is still open and not compacted yet is left alone.
// Loads into the same table must not run meanwhile (the Runner compacts after its units).
func (s *Store) CompactMonth(ctx context.Context, t *schemas.Table, partition string, opt CompactOptions) (CompactResult, error) {
	res, err := s.compactMonth(ctx, t, partition, opt)
	if err != nil {
		return res, fmt.Errorf("compact %s/%s: %w", t.Name, partition, err)
	}
	return res, nil
}

func (s *Store) compactMonth(ctx context.Context, t *schemas.Table, partition string, opt CompactOptions) (CompactResult, error) {
	if t.PeriodColumn == "" {
		return CompactResult{}, fmt.Errorf("table %s is not stored by month", t.Name)
	}
	if opt.Alloc == nil {
		opt.Alloc = memory.DefaultAllocator
	}
	month, err := monthOf(partition)
	if err != nil {
		return CompactResult{}, err
	}
	monthKey := ParquetKey(t.Name, partition)
	res := CompactResult{Key: monthKey}
	keys, err := s.List(ctx, "parquet/"+t.Name+"/"+partition+"/")
	if err != nil {
		return res, err
	}
	compacted, own := false, map[string]string{} // period -> its newest object
	for _, k := range keys {
		base := path.Base(k)
		if base == MonthObject {
			compacted = true
			continue
		}
		if day, ok := periodOfName(base); ok {
			if strings.HasPrefix(base, "_") || own[day] == "" {
				own[day] = k // a pending period is newer than a period object
			}
			res.Folded = append(res.Folded, k)
		}
	}
	// A complete month is compacted when that spares objects: a monthly or yearly report
	// (one period a month), or a month with a single day of sales, keeps its one object.
	complete := !opt.Now.Before(month.AddDate(0, 1, opt.SettleDays))
	if len(res.Folded) == 0 || (!compacted && (!complete || len(own) < 2)) {
		return CompactResult{}, nil
	}
	var old []periodSource
	if compacted {
		if old, err = s.monthPeriods(ctx, monthKey); err != nil {
			return res, err
		}
	}
	plan, err := s.planMonth(ctx, old, own)
	if err != nil {
		return res, err
	}
	for _, p := range plan {
		res.Rows += p.info.Rows
	}
	res.Periods = len(plan)
	if !samePeriods(old, plan) {
		if err := s.writeMonth(ctx, monthKey, plan, opt); err != nil {
			return res, err
		}
		res.Written = true
	}
	// The month object holds every period now: the ledger, then the folded objects.
	ctx = context.WithoutCancel(ctx)
	if err := s.repointLedger(ctx, t, partition, res.Folded, monthKey); err != nil {
		return res, err
	}
	for _, k := range res.Folded {
		if err := s.Delete(ctx, k); err != nil {
			return res, err
		}
	}
	return res, nil
}

// monthOf parses the month of a partition path ending in month=YYYY-MM.
func monthOf(partition string) (time.Time, error) {
	v, ok := strings.CutPrefix(path.Base(partition), "month=")
	if ok {
		if m, err := time.Parse("2006-01", v); err == nil {
			return m, nil
		}
	}
	return time.Time{}, fmt.Errorf("partition %q does not end in month=YYYY-MM", partition)
}

// periodOfName recognises <YYYY-MM-DD>.parquet and _<YYYY-MM-DD>.pending.
func periodOfName(base string) (string, bool) {
	var day string
	switch {
	case strings.HasSuffix(base, ".parquet"):
		day = strings.TrimSuffix(base, ".parquet")
	case strings.HasPrefix(base, "_") && strings.HasSuffix(base, ".pending"):
		day = strings.TrimSuffix(strings.TrimPrefix(base, "_"), ".pending")
	default:
		return "", false
	}
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return "", false
	}
	return day, true
}

// monthPeriods reads the period list of a month object.
func (s *Store) monthPeriods(ctx context.Context, key string) ([]periodSource, error) {
	o, err := s.openParquet(ctx, key, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	defer o.close()
	var infos []periodInfo
	if err := json.Unmarshal([]byte(o.meta(periodsMeta)), &infos); err != nil {
		return nil, fmt.Errorf("%s: footer %s: %w", key, periodsMeta, err)
	}
	out := make([]periodSource, len(infos))
	rg := 0
	for i, p := range infos {
		out[i] = periodSource{info: p, rg0: rg}
		rg += p.RowGroups
	}
	if rg != o.pf.NumRowGroups() {
		return nil, fmt.Errorf("%s: footer lists %d row groups, the file has %d", key, rg, o.pf.NumRowGroups())
	}
	return out, nil
}

// planMonth is the month's periods in order: each from its own object when it has one,
// else from the month object.
func (s *Store) planMonth(ctx context.Context, old []periodSource, own map[string]string) ([]periodSource, error) {
	var plan []periodSource
	for _, p := range old {
		if own[p.info.Period] == "" {
			plan = append(plan, p)
		}
	}
	for day, k := range own {
		info, err := s.periodObjectInfo(ctx, k, day)
		if err != nil {
			return nil, err
		}
		plan = append(plan, periodSource{info: info, key: k})
	}
	slices.SortFunc(plan, func(a, b periodSource) int { return strings.Compare(a.info.Period, b.info.Period) })
	return plan, nil
}

// periodObjectInfo describes a period's own object.
func (s *Store) periodObjectInfo(ctx context.Context, key, day string) (periodInfo, error) {
	o, err := s.openParquet(ctx, key, memory.DefaultAllocator)
	if err != nil {
		return periodInfo{}, err
	}
	defer o.close()
	sum := o.sha256
	if sum == "" {
		if sum, err = s.objectSHA256(ctx, key); err != nil {
			return periodInfo{}, err
		}
	}
	info := periodInfo{Period: day, Rows: o.pf.NumRows(), SHA256: sum}
	for _, f := range o.schema.Fields() {
		info.Columns = append(info.Columns, f.Name)
	}
	return info, nil
}

// samePeriods reports whether the plan is exactly what the month object holds.
func samePeriods(old, plan []periodSource) bool {
	if len(old) == 0 || len(old) != len(plan) {
		return false
	}
	for i := range old {
		a, b := old[i].info, plan[i].info
		if a.Period != b.Period || a.SHA256 != b.SHA256 || a.Rows != b.Rows || !slices.Equal(a.Columns, b.Columns) {
			return false
		}
	}
	return true
}

// writeMonth renders the plan into the month object.
func (s *Store) writeMonth(ctx context.Context, key string, plan []periodSource, opt CompactOptions) error {
	var month *parquetObject
	if slices.ContainsFunc(plan, func(p periodSource) bool { return p.key == "" }) {
		var err error
		if month, err = s.openParquet(ctx, key, opt.Alloc); err != nil {
			return err
		}
		defer month.close()
	}
	srcs := make([]*parquetObject, len(plan))
	defer func() {
		for _, o := range srcs {
			if o != nil {
				o.close()
			}
		}
	}()
	var schema *arrow.Schema
	for i, p := range plan {
		var sc *arrow.Schema
		if p.key == "" {
			sc = month.schema
		} else {
			o, err := s.openParquet(ctx, p.key, opt.Alloc)
			if err != nil {
				return err
			}
			srcs[i], sc = o, o.schema
		}
		var err error
		if schema, err = unionPeriods(schema, sc, p.info.Columns); err != nil {
			return fmt.Errorf("period %s: %w", p.info.Period, err)
		}
	}
	segs := make([]segment, len(plan))
	for i, p := range plan {
		if srcs[i] == nil {
			segs[i] = segment{src: month, first: p.rg0, n: p.info.RowGroups}
		} else {
			segs[i] = segment{src: srcs[i], n: srcs[i].pf.NumRowGroups()}
		}
	}
	popt := ParquetOptions{RowGroupRows: opt.RowGroupRows, Alloc: opt.Alloc}
	_, err := s.writeParquet(ctx, key, schema, popt, func(pw *pqWriter) error {
		infos := make([]periodInfo, len(plan))
		before := 0
		err := writeSegments(ctx, pw, segs, schema, func(i int) error {
			if err := pw.EndRowGroup(); err != nil { // a period's rows end its row group
				return err
			}
			infos[i] = plan[i].info
			infos[i].RowGroups = pw.w.NumRowGroups() - before
			before = pw.w.NumRowGroups()
			return nil
		})
		if err != nil {
			return err
		}
		meta, err := json.Marshal(infos)
		if err != nil {
			return err
		}
		return pw.AppendKeyValue(periodsMeta, string(meta))
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// segment is row groups [first, first+n) of src to copy (add, when set, supplies columns
// src lacks: the report_date of a legacy object).
type segment struct {
	src      *parquetObject
	first, n int
	add      func(rows int) map[string]arrow.Array
}

// fed is one row group read ahead (rec, in the target schema), or the end of segment seg.
type fed struct {
	rec  arrow.RecordBatch
	seg  int
	last bool
	err  error
}

// writeSegments copies the segments' row groups into pw, in schema, calling end after
// each segment. The row groups are read (and projected) on another goroutine, one ahead
// of the encoding.
func writeSegments(ctx context.Context, pw *pqWriter, segs []segment, schema *arrow.Schema, end func(seg int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan fed, 1)
	go func() {
		defer close(ch)
		send := func(f fed) bool {
			select {
			case ch <- f:
				return true
			case <-ctx.Done():
				if f.rec != nil {
					f.rec.Release()
				}
				return false
			}
		}
		for i, sg := range segs {
			for g := sg.first; g < sg.first+sg.n; g++ {
				rec, err := readProjected(ctx, sg, g, schema)
				if !send(fed{rec: rec, seg: i, err: err}) || err != nil {
					return
				}
			}
			if !send(fed{seg: i, last: true}) {
				return
			}
		}
	}()
	defer func() {
		cancel()
		for f := range ch { // the reader stops; free what it had read
			if f.rec != nil {
				f.rec.Release()
			}
		}
	}()
	for f := range ch {
		if f.err != nil {
			return f.err
		}
		if f.last {
			if err := end(f.seg); err != nil {
				return err
			}
			continue
		}
		err := pw.Write(f.rec)
		f.rec.Release()
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// readProjected reads row group g of the segment's object in schema.
func readProjected(ctx context.Context, sg segment, g int, schema *arrow.Schema) (arrow.RecordBatch, error) {
	rec, err := sg.src.rowGroup(ctx, g)
	if err != nil {
		return nil, err
	}
	if sg.add != nil {
		if rec, err = withColumns(rec, sg.add(int(rec.NumRows()))); err != nil {
			return nil, err
		}
	}
	out, err := project(rec, schema, sg.src.mem)
	rec.Release()
	return out, err
}

// unionPeriods adds a period's columns (named in cols, typed by sc) to the month's schema:
// the first period's columns in order, then each new column as it first appears. A column
// some period lacks is nullable.
func unionPeriods(acc, sc *arrow.Schema, cols []string) (*arrow.Schema, error) {
	var fields []arrow.Field
	if acc != nil {
		fields = acc.Fields()
	}
	for _, name := range cols {
		idx := sc.FieldIndices(name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("column %s: %d in the object", name, len(idx))
		}
		f := sc.Field(idx[0])
		if j := slices.IndexFunc(fields, func(g arrow.Field) bool { return g.Name == name }); j >= 0 {
			if !arrow.TypeEqual(fields[j].Type, f.Type) {
				return nil, fmt.Errorf("column %s: type %s conflicts with %s", name, f.Type, fields[j].Type)
			}
			fields[j].Nullable = fields[j].Nullable || f.Nullable
			continue
		}
		if acc != nil {
			f.Nullable = true // earlier periods lack it
		}
		f.Metadata = arrow.Metadata{}
		fields = append(fields, f)
	}
	if acc != nil {
		for i, g := range fields {
			if !slices.Contains(cols, g.Name) {
				fields[i].Nullable = true // this period lacks it
			}
		}
	}
	return arrow.NewSchema(fields, nil), nil
}
