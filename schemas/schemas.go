// Package schemas holds the typed table definitions of every report the pipeline loads:
// one Table per sales reportType/reportSubType/frequency (report.SalesCombos) plus the two
// finance tables. Columns are matched to Apple's headers by name (never by position), and
// each table knows its Arrow schema, partition keys and which columns carry units and
// proceeds.
package schemas

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/report"
)

// Decimal precision and scale of every money column (decimal128(18,6)).
const (
	DecimalPrecision = 18
	DecimalScale     = 6
)

// RateScale is the scale of exchange-rate columns (Kind Rate: decimal128(18,10)).
const RateScale = 10

// Kind is the logical type of a column.
type Kind int

const (
	String    Kind = iota // utf8: ids, SKUs, codes, free text
	Int64                 // int64: counts, units
	Decimal               // decimal128(18,6): money
	DateMDY               // date32 from MM/DD/YYYY (sales, finance)
	DateISO               // date32 from YYYY-MM-DD (subscription family)
	Timestamp             // timestamp[us, UTC] (JSON sources; ISO 8601 with an offset)
	Float64               // float64: measurements (metric values, weights), never money
	Bool                  // bool
	Rate                  // decimal128(18,10): exchange rates (more places than money)
)

func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Int64:
		return "int64"
	case Decimal:
		return "decimal"
	case DateMDY:
		return "date(MM/DD/YYYY)"
	case DateISO:
		return "date(YYYY-MM-DD)"
	case Timestamp:
		return "timestamp"
	case Float64:
		return "float64"
	case Bool:
		return "bool"
	case Rate:
		return "rate"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ArrowType is the Arrow type a column of this kind is stored as.
func (k Kind) ArrowType() arrow.DataType {
	switch k {
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Decimal:
		return &arrow.Decimal128Type{Precision: DecimalPrecision, Scale: DecimalScale}
	case DateMDY, DateISO:
		return arrow.FixedWidthTypes.Date32
	case Timestamp:
		return arrow.FixedWidthTypes.Timestamp_us
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case Rate:
		return &arrow.Decimal128Type{Precision: DecimalPrecision, Scale: RateScale}
	}
	return arrow.BinaryTypes.String
}

// Column is one expected column of a report.
type Column struct {
	Name     string   // Parquet column name: ColumnName(Header)
	Header   string   // Apple's header text, exact
	Aliases  []string // older or alternative header spellings of the same column
	Kind     Kind
	Optional bool // appended only in some files; its absence is not drift
}

// Layout says how a file of the table is framed around its header and rows.
type Layout int

const (
	Plain         Layout = iota // header line, rows (tolerates "Total…" lines)
	Financial                   // header, rows, Total_Rows/Total_Amount/Total_Units footer, maybe several blocks
	FinanceDetail               // key/value preamble, header, rows, per-country summary table
	// Derived tables hold rows taken from another report's file (the finance summary
	// tables): no file of their own, so NewReader and Detect never choose them.
	Derived
	// PaymentsCSV is Apple's "Payments and Financial Reports" CSV, read by ParsePayments.
	PaymentsCSV
)

// PartitionKey is one hive partition key of a table (in the object path, not in the file).
type PartitionKey struct {
	Name     string
	DuckType string // for DuckDB hive_types: VARCHAR, DATE
}

// ProceedsSpec names the columns from which proceeds are computed.
type ProceedsSpec struct {
	Amount   string // per-unit amount, or already extended when Quantity is ""
	Quantity string // multiplier of Amount; "" when Amount is extended
	Currency string // currency of Amount
}

// LoadMode says how a table's partitions take a unit's rows (load.Store.Load).
type LoadMode int

const (
	// Replace: the unit's rows are the whole partition (sales, finance, metrics snapshots).
	Replace LoadMode = iota
	// MergeByKey: the unit's rows replace the stored rows with the same Key; stored rows
	// of other keys stay (reviews, analytics instances, TestFlight, Xcode Cloud).
	MergeByKey
	// SlowlyChanging: type-2 history by Key with valid_from, valid_to and is_current
	// (the dim_* tables): a changed entity gets its current row closed and a new one opened.
	SlowlyChanging
)

func (m LoadMode) String() string {
	switch m {
	case Replace:
		return "replace"
	case MergeByKey:
		return "merge-by-key"
	case SlowlyChanging:
		return "slowly-changing"
	}
	return fmt.Sprintf("LoadMode(%d)", int(m))
}

// Table is one Parquet table (and DuckDB view). It owns the table's name, its columns,
// its partition layout (PartitionPath) and how its partitions take new rows (Mode, Key).
type Table struct {
	Name        string
	Family      report.Family
	Type        string
	SubType     string
	Frequencies []string // the one frequency of the table (empty for finance)
	Layout      Layout
	Columns     []Column
	Partition   []PartitionKey
	Provisional bool   // layout not confirmed against a real Apple file
	UnitsColumn string // column name of the unit count
	Proceeds    *ProceedsSpec
	// Mode is how a partition takes a unit's rows; Key is the merge key column of
	// MergeByKey and SlowlyChanging tables (the first column when empty).
	Mode LoadMode
	Key  string
	// PeriodColumn, when set, is a DATE column every file of the table holds: the first
	// day of the unit's period (sales: report_date). Such a table is partitioned by month
	// (Partition ends with "month"): each period of an open month is its own object in the
	// month's directory, named by that day (load.PeriodKey), and a completed month is
	// compacted into one object (load.ParquetKey of the month) with row groups by day, so
	// filters on the column still prune by the row groups' statistics.
	PeriodColumn string
	// Versions are the column sets Apple has used for the report, oldest first (see
	// layouts.go); empty for tables whose drift is measured against Columns alone.
	Versions []LayoutVersion

	idx *columnIndex // see ColumnIndex
}

// MergeKey is the key column of a MergeByKey or SlowlyChanging table.
func (t *Table) MergeKey() string {
	if t.Key != "" || len(t.Columns) == 0 {
		return t.Key
	}
	return t.Columns[0].Name
}

// PartitionPath is the hive path of one partition inside the table, e.g.
// "vendor=85012345/month=2026-11", from one value per partition key in order.
// Values must be safe inside an object key (letters, digits, '-', '_', '.'; not starting
// with '.'): keys are never built from free text.
func (t *Table) PartitionPath(values ...string) (string, error) {
	if len(values) != len(t.Partition) {
		return "", fmt.Errorf("table %s: %d partition values for %d keys", t.Name, len(values), len(t.Partition))
	}
	var b strings.Builder
	for i, v := range values {
		if !SafeValue(v) {
			return "", fmt.Errorf("table %s: partition %s value %q is not safe in an object key", t.Name, t.Partition[i].Name, v)
		}
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(t.Partition[i].Name)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String(), nil
}

// SafeValue reports whether v may appear as one segment of an object key.
func SafeValue(v string) bool {
	if v == "" || len(v) > 200 || v[0] == '.' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// IsLineage reports whether a column is one of the lineage columns every table ends with.
func IsLineage(name string) bool {
	switch name {
	case LineageSourceKey, LineageSourceLine, LineageReportVersion, LineageExtractedAt:
		return true
	}
	return false
}

// Lineage column names, appended to every table in this order.
const (
	LineageSourceKey     = "_source_key"
	LineageSourceLine    = "_source_line"
	LineageReportVersion = "_report_version"
	LineageExtractedAt   = "_extracted_at"
)

// ColumnName is the naming rule: header text lowercased, every run of characters other
// than [a-z0-9] replaced by one "_", leading and trailing "_" trimmed.
func ColumnName(header string) string {
	var b strings.Builder
	b.Grow(len(header))
	pending := false
	for i := 0; i < len(header); i++ {
		c := header[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteByte(c)
			continue
		}
		pending = true
	}
	return b.String()
}

// Column finds the table column a header cell denotes, comparing the normalized header
// with each column's Header and Aliases normalized the same way.
func (t *Table) Column(header string) (Column, bool) {
	i := t.ColumnIndex(header)
	if i < 0 {
		return Column{}, false
	}
	return t.Columns[i], true
}

// ColumnIndex is Column returning the index into t.Columns, or -1.
func (t *Table) ColumnIndex(header string) int {
	n := ColumnName(header)
	if n == "" {
		return -1
	}
	if ix := t.idx; ix != nil && ix.n == len(t.Columns) && (ix.n == 0 || ix.first == &t.Columns[0]) {
		if i, ok := ix.byName[n]; ok {
			return i
		}
		return -1
	}
	return t.scanColumns(n)
}

// columnIndex maps every normalized name of a table's columns (Name, Header, Aliases) to
// the first column that has it. It remembers which Columns slice it indexes, so a table
// copied and given other columns falls back to scanning.
type columnIndex struct {
	first  *Column
	n      int
	byName map[string]int
}

// indexColumns builds t's column index; tables built by this package call it once, before
// they are shared.
func (t *Table) indexColumns() *Table {
	ix := &columnIndex{n: len(t.Columns), byName: make(map[string]int, 2*len(t.Columns))}
	if ix.n > 0 {
		ix.first = &t.Columns[0]
	}
	for i, c := range t.Columns {
		for _, name := range append([]string{c.Name, ColumnName(c.Header)}, c.Aliases...) {
			name = ColumnName(name)
			if _, dup := ix.byName[name]; !dup && name != "" {
				ix.byName[name] = i
			}
		}
	}
	t.idx = ix
	return t
}

// scanColumns is ColumnIndex without an index (n normalized).
func (t *Table) scanColumns(n string) int {
	for i, c := range t.Columns {
		if c.Name == n || ColumnName(c.Header) == n {
			return i
		}
		for _, a := range c.Aliases {
			if ColumnName(a) == n {
				return i
			}
		}
	}
	return -1
}

// ArrowSchema is the table's Arrow schema: its columns in order, then the extra (unknown)
// columns as utf8, then the PeriodColumn (date32) if the table has one, then the lineage
// columns. Data columns are nullable, lineage is not.
func (t *Table) ArrowSchema(extra []string) *arrow.Schema {
	fields := make([]arrow.Field, 0, len(t.Columns)+len(extra)+5)
	for _, c := range t.Columns {
		fields = append(fields, arrow.Field{Name: c.Name, Type: c.Kind.ArrowType(), Nullable: true})
	}
	for _, e := range extra {
		fields = append(fields, arrow.Field{Name: e, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	if t.PeriodColumn != "" {
		fields = append(fields, arrow.Field{Name: t.PeriodColumn, Type: arrow.FixedWidthTypes.Date32, Nullable: true})
	}
	fields = append(fields,
		arrow.Field{Name: LineageSourceKey, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: LineageSourceLine, Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: LineageReportVersion, Type: arrow.BinaryTypes.String},
		arrow.Field{Name: LineageExtractedAt, Type: arrow.FixedWidthTypes.Timestamp_us},
	)
	return arrow.NewSchema(fields, nil)
}

// Frequency is the table's frequency ("" for finance tables).
func (t *Table) Frequency() string {
	if len(t.Frequencies) == 0 {
		return ""
	}
	return t.Frequencies[0]
}

var (
	all    []*Table
	byName map[string]*Table
)

func init() {
	all = append(append(append(salesTables(), financeTables()...), reviewTables()...), metricsTables()...)
	all = append(append(all, analyticsTables()...), catalogTables()...)
	all = append(all, financeDerivedTables()...)
	all = append(all, reconcileTables()...)
	byName = make(map[string]*Table, len(all))
	for _, t := range all {
		t.indexColumns()
		if _, dup := byName[t.Name]; dup {
			panic("schemas: duplicate table " + t.Name)
		}
		byName[t.Name] = t
	}
}

// All returns every table: sales tables in report.SalesCombos order, then finance_financial
// and finance_detail, reviews, metrics, analytics, catalog, then finance_summary and
// finance_payments, then reconcile_results. The slice is a copy; the tables are shared and
// must not be modified.
func All() []*Table { return append([]*Table(nil), all...) }

// Lookup finds a table by name.
func Lookup(name string) (*Table, bool) {
	t, ok := byName[name]
	return t, ok
}

// ForUnit returns the table a unit loads into.
func ForUnit(u report.Unit) (*Table, error) {
	name := u.Table()
	t, ok := byName[name]
	if !ok {
		return nil, fmt.Errorf("schemas: no table %q for unit %s", name, u.ID())
	}
	return t, nil
}

// col builds a Column, deriving Name from Header.
func col(header string, k Kind, aliases ...string) Column {
	return Column{Name: ColumnName(header), Header: header, Kind: k, Aliases: aliases}
}

// opt builds an optional Column.
func opt(header string, k Kind) Column {
	c := col(header, k)
	c.Optional = true
	return c
}

// strs builds String columns.
func strs(headers ...string) []Column {
	cs := make([]Column, len(headers))
	for i, h := range headers {
		cs[i] = col(h, String)
	}
	return cs
}

// cols concatenates column groups.
func cols(groups ...[]Column) []Column {
	var out []Column
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// one wraps single columns as a group.
func one(cs ...Column) []Column { return cs }
