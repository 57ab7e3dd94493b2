package load

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// legacyPeriod is the hive key of the sales layout before tables were stored by month:
// parquet/<table>/vendor=<n>/report_date=<YYYY-MM-DD>/data.parquet, report_date in the
// path only. DuckDB fails a view whose files do not all have the same keys, so these are
// moved into the month layout (MigrateLegacy) before anything else is compacted.
const legacyPeriod = "report_date="

// TableCompaction is what CompactTable did to one table.
type TableCompaction struct {
	Migrated int // legacy objects moved into the month layout
	Months   []CompactResult
}

// CompactTable migrates t's legacy objects and compacts every month partition that has
// period objects (etl compact). under is the partition prefix of one account
// ("account=<name>", engine.AccountKey) or "" for the single-account form, whose walk
// leaves account partitions alone.
func (s *Store) CompactTable(ctx context.Context, t *schemas.Table, under string, opt CompactOptions) (TableCompaction, error) {
	var out TableCompaction
	if t.PeriodColumn == "" {
		return out, nil
	}
	root := "parquet/" + t.Name + "/" + prefixOf(under)
	keys, err := s.List(ctx, root)
	if err != nil {
		return out, err
	}
	var vendors []string
	var parts []string
	for _, k := range keys {
		rest := strings.TrimPrefix(k, root)
		if under == "" && strings.HasPrefix(rest, "account=") {
			continue // another account's partitions
		}
		if v, _, ok := strings.Cut(rest, "/"); ok && !slices.Contains(vendors, v) {
			vendors = append(vendors, v)
		}
		if dir := path.Dir(rest); strings.Contains(dir, "/month=") && !slices.Contains(parts, prefixOf(under)+dir) {
			parts = append(parts, prefixOf(under)+dir)
		}
	}
	for _, v := range vendors {
		vendor, ok := strings.CutPrefix(v, "vendor=")
		if !ok {
			continue
		}
		moved, err := s.MigrateLegacy(ctx, t, under, vendor, opt)
		out.Migrated += len(moved)
		for _, p := range moved {
			if !slices.Contains(parts, p) {
				parts = append(parts, p)
			}
		}
		if err != nil {
			return out, err
		}
	}
	slices.Sort(parts)
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		res, err := s.CompactMonth(ctx, t, p, opt)
		if err != nil {
			return out, err
		}
		if len(res.Folded) > 0 {
			out.Months = append(out.Months, res)
		}
	}
	return out, nil
}

// prefixOf is the path prefix of the partitions under one account ("" for none).
func prefixOf(under string) string {
	if under == "" {
		return ""
	}
	return strings.TrimSuffix(under, "/") + "/"
}

// MigrateLegacy moves the legacy objects of one vendor of t (under an account's prefix, as
// CompactTable) into the month layout: each becomes its period's object (with
// report_date as a column) or, in a compacted month, a pending period; its ledger entry
// is repointed and the old object deleted. It returns the month partitions it wrote into.
func (s *Store) MigrateLegacy(ctx context.Context, t *schemas.Table, under, vendor string, opt CompactOptions) ([]string, error) {
	if opt.Alloc == nil {
		opt.Alloc = memory.DefaultAllocator
	}
	keys, err := s.List(ctx, "parquet/"+t.Name+"/"+prefixOf(under)+"vendor="+vendor+"/"+legacyPeriod)
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, k := range keys {
		dir := path.Base(path.Dir(k))
		dayStr, ok := strings.CutPrefix(dir, legacyPeriod)
		if !ok || path.Base(k) != MonthObject {
			continue
		}
		day, err := time.Parse(time.DateOnly, dayStr)
		if err != nil {
			continue
		}
		part, err := t.PartitionPath(vendor, day.Format("2006-01"))
		if err != nil {
			return parts, err
		}
		part = prefixOf(under) + part
		if err := s.migrateOne(ctx, t, k, part, day, opt); err != nil {
			return parts, fmt.Errorf("migrate %s: %w", k, err)
		}
		if !slices.Contains(parts, part) {
			parts = append(parts, part)
		}
	}
	return parts, nil
}

func (s *Store) migrateOne(ctx context.Context, t *schemas.Table, key, part string, day time.Time, opt CompactOptions) error {
	o, err := s.openParquet(ctx, key, opt.Alloc)
	if err != nil {
		return err
	}
	defer o.close()
	if len(o.schema.FieldIndices(t.PeriodColumn)) > 0 {
		return fmt.Errorf("already has a %s column", t.PeriodColumn)
	}
	// The table's order: columns and extras, then the period column, then lineage.
	fields := o.schema.Fields()
	at := slices.IndexFunc(fields, func(f arrow.Field) bool { return schemas.IsLineage(f.Name) })
	if at < 0 {
		at = len(fields)
	}
	col := arrow.Field{Name: t.PeriodColumn, Type: arrow.FixedWidthTypes.Date32, Nullable: true}
	fields = slices.Insert(fields, at, col)
	schema := arrow.NewSchema(fields, nil)
	date := arrow.Date32FromTime(day)
	add := func(n int) map[string]arrow.Array {
		b := array.NewDate32Builder(opt.Alloc)
		defer b.Release()
		b.Reserve(n)
		for i := 0; i < n; i++ {
			b.UnsafeAppend(date)
		}
		return map[string]arrow.Array{t.PeriodColumn: b.NewArray()}
	}
	newKey, err := s.periodObjectKey(ctx, t, part, day)
	if err != nil {
		return err
	}
	popt := ParquetOptions{RowGroupRows: opt.RowGroupRows, Alloc: opt.Alloc}
	if _, err := s.writeParquet(ctx, newKey, schema, popt, func(pw *pqWriter) error {
		return writeSegments(ctx, pw, []segment{{src: o, n: o.pf.NumRowGroups(), add: add}}, schema,
			func(int) error { return nil })
	}); err != nil {
		return fmt.Errorf("write %s: %w", newKey, err)
	}
	ctx = context.WithoutCancel(ctx)
	if err := s.repointUnit(ctx, t, part, day.Format(time.DateOnly), []string{key}, newKey); err != nil {
		return err
	}
	return s.Delete(ctx, key)
}

// withColumns adds columns to rec (which it releases), after its own.
func withColumns(rec arrow.RecordBatch, add map[string]arrow.Array) (arrow.RecordBatch, error) {
	defer rec.Release()
	fields := rec.Schema().Fields()
	cols := append([]arrow.Array(nil), rec.Columns()...)
	for _, name := range slices.Sorted(maps.Keys(add)) {
		a := add[name]
		defer a.Release()
		if int64(a.Len()) != rec.NumRows() {
			return nil, fmt.Errorf("column %s: %d values for %d rows", name, a.Len(), rec.NumRows())
		}
		fields = append(fields, arrow.Field{Name: name, Type: a.DataType(), Nullable: true})
		cols = append(cols, a)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows()), nil
}
