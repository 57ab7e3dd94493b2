package reconcile

import (
	"context"
	"fmt"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
)

// ResultsVersion is the _report_version of reconcile_results rows: the version of the check
// definitions (bump it when a check's meaning changes, so old and new runs can be told apart).
const ResultsVersion = "1"

// Store writes the report into reconcile_results, partition run=<run id>, through the one
// load path (load.Store.Load; the table replaces its partition, and a run id is never
// reused, so every run adds one object and earlier runs stay).
func Store(ctx context.Context, st *load.Store, r *Report, opt load.ParquetOptions) (load.Result, error) {
	t, ok := schemas.Lookup(schemas.ReconcileResultsTable)
	if !ok {
		return load.Result{}, fmt.Errorf("reconcile: table %s not registered", schemas.ReconcileResultsTable)
	}
	part, err := t.PartitionPath(r.RunID)
	if err != nil {
		return load.Result{}, fmt.Errorf("reconcile: %w", err)
	}
	mem := opt.Alloc
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rec, err := r.Record(mem)
	if err != nil {
		return load.Result{}, err
	}
	defer rec.Release()
	return st.Load(ctx, t, part, load.Input{Records: []arrow.RecordBatch{rec}}, opt)
}

// SourceKey is the _source_key of a run's rows: there is no raw object, so it names the run.
func SourceKey(runID string) string { return "reconcile/" + runID }

// Record renders the rows with reconcile_results' Arrow schema (lineage included:
// _source_key names the run, _source_line is the row's ordinal, _extracted_at the run's
// time). The caller releases it.
func (r *Report) Record(mem memory.Allocator) (arrow.RecordBatch, error) {
	t, _ := schemas.Lookup(schemas.ReconcileResultsTable)
	rb := array.NewRecordBuilder(mem, t.ArrowSchema(nil))
	defer rb.Release()
	col := map[string]array.Builder{}
	for i, f := range rb.Schema().Fields() {
		col[f.Name] = rb.Field(i)
	}
	str := func(name, v string, null bool) {
		b := col[name].(*array.StringBuilder)
		if null {
			b.AppendNull()
			return
		}
		b.Append(v)
	}
	at := arrow.Timestamp(r.CheckedAt.UnixMicro())
	for i, x := range r.Rows {
		str("run_id", r.RunID, false)
		col["checked_at"].(*array.TimestampBuilder).Append(at)
		str("check_name", x.Check, false)
		str("vendor", x.Vendor, x.Vendor == "")
		str("fiscal_period", x.FiscalPeriod, x.FiscalPeriod == "")
		str("scope", x.Scope, false)
		str("currency", x.Currency, x.Currency == "")
		str("measure", x.Measure, false)
		for _, d := range []struct {
			name string
			v    *big.Rat
		}{{"expected", x.Expected}, {"actual", x.Actual}, {"difference", x.Difference}, {"allowed", x.Allowed}} {
			if err := appendDecimal(col[d.name].(*array.Decimal128Builder), d.v); err != nil {
				return nil, fmt.Errorf("reconcile %s %s %s: %s: %w", x.Check, x.Scope, x.Measure, d.name, err)
			}
		}
		str("tolerance", x.Tolerance, false)
		str("result", string(x.Result), false)
		str("note", x.Note, x.Note == "")
		str(schemas.LineageSourceKey, SourceKey(r.RunID), false)
		col[schemas.LineageSourceLine].(*array.Int64Builder).Append(int64(i + 1))
		str(schemas.LineageReportVersion, ResultsVersion, false)
		col[schemas.LineageExtractedAt].(*array.TimestampBuilder).Append(at)
	}
	return rb.NewRecordBatch(), nil
}

var (
	decimalScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(schemas.DecimalScale), nil)
	decimalLimit = new(big.Int).Exp(big.NewInt(10), big.NewInt(schemas.DecimalPrecision), nil)
)

// appendDecimal appends v at the table's scale (6 places, rounded half away from zero);
// nil is NULL. A figure beyond DECIMAL(18,6) is an error, never a silent truncation.
func appendDecimal(b *array.Decimal128Builder, v *big.Rat) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	n := new(big.Int).Mul(v.Num(), decimalScale)
	q, m := new(big.Int).QuoRem(n, v.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(v.Denom()) >= 0 {
		q.Add(q, big.NewInt(int64(n.Sign())))
	}
	if new(big.Int).Abs(q).Cmp(decimalLimit) >= 0 {
		return fmt.Errorf("%s does not fit DECIMAL(%d,%d)", FormatRat(v), schemas.DecimalPrecision, schemas.DecimalScale)
	}
	b.Append(decimal128.FromBigInt(q))
	return nil
}
