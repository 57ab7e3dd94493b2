// Package ddl writes external-table DDL for engines other than DuckDB — Trino (Hive
// connector), Amazon Athena, Spark SQL and BigQuery — over the hive-partitioned Parquet
// tree the loader writes (<root>/parquet/<table>/<key>=<value>/.../data.parquet).
//
// The tables come from schemas (FromSchemas): the file columns, lineage included, typed
// from schemas.Kind through the table's Arrow schema, then the hive partition keys typed
// from schemas.PartitionKey.DuckType (the same types DuckDB's hive_types get, so every
// engine reads a key as DuckDB does). Tables that are not in schemas — the marts under
// parquet/marts/, which keep every column inside the file and have no partitions — come
// from their Arrow schema (FromArrow).
//
// Nothing here talks to an engine or links DuckDB: the output is text to paste or run.
// What each engine needs besides the CREATE statement (Trino's partition sync, Spark's
// MSCK REPAIR, Athena's partition projection) is written next to it; see the README
// section "Reading the bucket from Trino, Athena, Spark and BigQuery".
package ddl

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/schemas"
)

// Engine is a query engine DDL is written for.
type Engine string

const (
	Trino    Engine = "trino"    // Trino's Hive connector (also Starburst, Presto with edits)
	Athena   Engine = "athena"   // Amazon Athena (Hive DDL, partition projection)
	Spark    Engine = "spark"    // Spark SQL data source tables (Databricks, EMR, Glue jobs)
	BigQuery Engine = "bigquery" // BigQuery external tables (GCS, or S3/Azure via a connection)
)

// Engines lists every engine, in the order the CLI documents them.
func Engines() []Engine { return []Engine{Trino, Athena, Spark, BigQuery} }

// ParseEngine names an engine (case-insensitive).
func ParseEngine(s string) (Engine, error) {
	for _, e := range Engines() {
		if strings.EqualFold(s, string(e)) {
			return e, nil
		}
	}
	names := make([]string, 0, 4)
	for _, e := range Engines() {
		names = append(names, string(e))
	}
	return "", fmt.Errorf("engine %q unknown (one of %s)", s, strings.Join(names, ", "))
}

// DefaultSchema is the schema (Trino), database (Athena, Spark) or dataset (BigQuery) the
// tables are created in unless Options.Schema names another. Not "asc", which is a
// reserved word in every one of these dialects.
const DefaultSchema = "appstore"

// DefaultSince is the first day Athena's date projections cover unless Options.Since
// says otherwise: the App Store opened in July 2008, so no report is older.
var DefaultSince = time.Date(2008, 7, 1, 0, 0, 0, 0, time.UTC)

// Options are the choices of one DDL script.
type Options struct {
	// Location is the bucket root the loader writes to (the directory that holds
	// parquet/), e.g. s3://lake/asc or gs://lake/asc; no trailing slash needed. It must
	// not contain quotes, backslashes or control characters.
	Location string
	// Schema holds the tables: "appstore" by default. Dotted names are qualified:
	// "hive.appstore" (Trino catalog.schema), "my-project.appstore" (BigQuery).
	Schema string
	// Since is the first day of data, for Athena's date projection ranges (DefaultSince
	// when zero). A narrower range makes unfiltered Athena queries list fewer prefixes.
	Since time.Time
	// Values lists the known values of a partition key, e.g. {"vendor": {"85012345"}}:
	// Athena then projects the key as an enum, and queries need not filter on it. A key
	// without values is projected as "injected", and every Athena query must then give
	// it in its WHERE clause (vendor = '…' or vendor IN (…)).
	Values map[string][]string
	// Connection is BigQuery's WITH CONNECTION (project.region.connection): needed for
	// BigLake tables and for buckets in S3 or Azure (BigQuery Omni).
	Connection string
}

func (o Options) schema() string {
	if o.Schema == "" {
		return DefaultSchema
	}
	return o.Schema
}

func (o Options) since() time.Time {
	if o.Since.IsZero() {
		return DefaultSince
	}
	return o.Since.UTC()
}

// Table is one external table: its name, its directory below Options.Location, the
// columns stored in its files and its hive partition keys in path order.
type Table struct {
	Name      string
	Dir       string        // e.g. "parquet/sales_summary_daily"
	Fields    []arrow.Field // file columns, in file order
	Partition []Key
	// Frequency is the sales frequency (DAILY, WEEKLY, MONTHLY, YEARLY) or "": it sets
	// the step of Athena's report_date projection.
	Frequency string
}

// Key is one hive partition key, typed as DuckDB's hive_types type it.
type Key struct {
	Name string
	Type arrow.DataType // String or Date32
}

// TableDir is the directory of a loader table below the bucket root.
func TableDir(table string) string { return "parquet/" + table }

// MartDir is the directory of a mart below the bucket root.
func MartDir(mart string) string { return "parquet/marts/" + mart }

// FromSchema describes a loader table: its Arrow schema (data columns then lineage, no
// drift columns: those are read by name where a file has them and are not declared)
// and its partition keys.
func FromSchema(t *schemas.Table) (Table, error) {
	out := Table{Name: t.Name, Dir: TableDir(t.Name), Fields: t.ArrowSchema(nil).Fields(), Frequency: t.Frequency()}
	for _, pk := range t.Partition {
		typ, err := KeyType(pk.DuckType)
		if err != nil {
			return Table{}, fmt.Errorf("table %s: partition %s: %w", t.Name, pk.Name, err)
		}
		out.Partition = append(out.Partition, Key{Name: pk.Name, Type: typ})
	}
	return out, nil
}

// FromSchemas is FromSchema for every table, in order.
func FromSchemas(ts []*schemas.Table) ([]Table, error) {
	out := make([]Table, 0, len(ts))
	for _, t := range ts {
		d, err := FromSchema(t)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// FromArrow describes an unpartitioned table whose files carry schema s, such as a mart
// (dir MartDir(name)): every column is inside the file.
func FromArrow(name, dir string, s *arrow.Schema) Table {
	return Table{Name: name, Dir: dir, Fields: s.Fields()}
}

// KeyType is the Arrow type of a partition key from its DuckDB hive_types type.
func KeyType(duckType string) (arrow.DataType, error) {
	switch strings.ToUpper(duckType) {
	case "VARCHAR":
		return arrow.BinaryTypes.String, nil
	case "DATE":
		return arrow.FixedWidthTypes.Date32, nil
	}
	return nil, fmt.Errorf("hive type %q has no DDL mapping (VARCHAR or DATE)", duckType)
}

// Statement is one statement of a script, without its terminating ';'.
type Statement struct {
	Table string // the table it belongs to; "" for the schema statement
	SQL   string
}

// Statements is the DDL for tables on engine e: the schema first, then per table its
// CREATE and what the engine needs to see the partitions (Trino, Spark).
func Statements(e Engine, tables []Table, opt Options) ([]Statement, error) {
	g, err := newGenerator(e, opt)
	if err != nil {
		return nil, err
	}
	out := []Statement{{SQL: g.createSchema()}}
	for _, t := range tables {
		ss, err := g.table(t)
		if err != nil {
			return nil, fmt.Errorf("%s ddl: table %s: %w", e, t.Name, err)
		}
		for _, s := range ss {
			out = append(out, Statement{Table: t.Name, SQL: s})
		}
	}
	return out, nil
}

// Script joins statements into one script: a header comment, then every statement ended
// by ';' and separated by a blank line.
func Script(e Engine, stmts []Statement, opt Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s DDL written by `etl ddl --engine %s` over %s\n", engineTitle(e), e, strings.TrimRight(opt.Location, "/"))
	for _, line := range scriptNotes(e) {
		b.WriteString("-- " + line + "\n")
	}
	for _, s := range stmts {
		b.WriteString("\n" + s.SQL + ";\n")
	}
	return b.String()
}

func engineTitle(e Engine) string {
	switch e {
	case Trino:
		return "Trino (Hive connector)"
	case Athena:
		return "Amazon Athena"
	case Spark:
		return "Spark SQL"
	case BigQuery:
		return "BigQuery"
	}
	return string(e)
}

// scriptNotes are the comment lines a script starts with: how to run it.
func scriptNotes(e Engine) []string {
	switch e {
	case Trino:
		return []string{
			"Run with: trino --catalog <hive catalog> --file <this file>. Timestamps are",
			"timestamp(3) (hive.timestamp-precision=MILLISECONDS, the default). New partitions",
			"appear after CALL system.sync_partition_metadata (below): re-run it after etl runs.",
		}
	case Athena:
		return []string{
			"Athena runs one statement per query: run them one by one (etl ddl --split DIR",
			"writes one file each). Partition projection: no MSCK REPAIR is ever needed.",
			"Injected keys (vendor, app_id) must be filtered in every query's WHERE clause.",
		}
	case Spark:
		return []string{
			"Run with: spark-sql -f <this file>. New partitions appear after MSCK REPAIR TABLE",
			"(below): re-run it after etl runs (or ALTER TABLE … RECOVER PARTITIONS).",
		}
	case BigQuery:
		return []string{
			"Run with: bq query --use_legacy_sql=false < <this file>. Partitions are discovered",
			"at query time: nothing to repair.",
		}
	}
	return nil
}

// generator writes one engine's statements.
type generator struct {
	e    Engine
	opt  Options
	root string   // Location without trailing '/'
	sch  []string // schema name parts
}

func newGenerator(e Engine, opt Options) (*generator, error) {
	if _, err := ParseEngine(string(e)); err != nil {
		return nil, err
	}
	root := strings.TrimRight(opt.Location, "/")
	if root == "" {
		return nil, fmt.Errorf("%s ddl: no location (the bucket root holding parquet/)", e)
	}
	if err := checkLiteral(root); err != nil {
		return nil, fmt.Errorf("%s ddl: location: %w", e, err)
	}
	if err := checkLocation(e, root, opt); err != nil {
		return nil, err
	}
	sch := strings.Split(opt.schema(), ".")
	for _, p := range sch {
		if err := checkIdent(p); err != nil {
			return nil, fmt.Errorf("%s ddl: schema %q: %w", e, opt.schema(), err)
		}
	}
	if opt.Connection != "" {
		if err := checkLiteral(opt.Connection); err != nil {
			return nil, fmt.Errorf("%s ddl: connection: %w", e, err)
		}
	}
	return &generator{e: e, opt: opt, root: root, sch: sch}, nil
}

// checkLocation refuses a location the engine cannot read.
func checkLocation(e Engine, root string, opt Options) error {
	scheme, _, ok := strings.Cut(root, "://")
	if !ok {
		return fmt.Errorf("%s ddl: location %q is not a URL (s3://bucket/prefix, gs://…, file:///…)", e, root)
	}
	switch {
	case e == Athena && scheme != "s3":
		return fmt.Errorf("athena ddl: location %q: Athena reads only s3://", root)
	case e == BigQuery && scheme != "gs" && opt.Connection == "":
		return fmt.Errorf("bigquery ddl: location %q: BigQuery reads gs:// (S3 or Azure only through a connection: --connection)", root)
	}
	return nil
}

// tableLocation is the directory URL of a table, with a trailing '/'.
func (g *generator) tableLocation(t Table) string {
	return g.root + "/" + strings.Trim(t.Dir, "/") + "/"
}

// qualified is the quoted schema-qualified name of a table.
func (g *generator) qualified(name string) string {
	parts := make([]string, 0, len(g.sch)+1)
	for _, p := range g.sch {
		parts = append(parts, g.ident(p))
	}
	return strings.Join(append(parts, g.ident(name)), ".")
}

func (g *generator) createSchema() string {
	parts := make([]string, 0, len(g.sch))
	for _, p := range g.sch {
		parts = append(parts, g.ident(p))
	}
	kw := "SCHEMA"
	if g.e == Athena || g.e == Spark {
		kw = "DATABASE"
	}
	return "CREATE " + kw + " IF NOT EXISTS " + strings.Join(parts, ".")
}

func (g *generator) table(t Table) ([]string, error) {
	if err := checkIdent(t.Name); err != nil {
		return nil, err
	}
	if err := checkLiteral(t.Dir); err != nil {
		return nil, fmt.Errorf("dir: %w", err)
	}
	seen := map[string]bool{}
	for _, f := range t.Fields {
		if err := checkIdent(f.Name); err != nil {
			return nil, fmt.Errorf("column: %w", err)
		}
		seen[strings.ToLower(f.Name)] = true
	}
	for _, k := range t.Partition {
		if err := checkIdent(k.Name); err != nil {
			return nil, fmt.Errorf("partition: %w", err)
		}
		if seen[strings.ToLower(k.Name)] {
			// Every engine here refuses a partition column that is also a file column.
			return nil, fmt.Errorf("partition key %s is also a file column", k.Name)
		}
	}
	switch g.e {
	case Trino:
		return g.trino(t)
	case Athena:
		return g.athena(t)
	case Spark:
		return g.spark(t)
	}
	return g.bigquery(t)
}

// columns writes "  name type" lines, joined by ",\n".
func (g *generator) columns(fields []arrow.Field) (string, error) {
	lines := make([]string, 0, len(fields))
	for _, f := range fields {
		typ, err := g.colType(f.Type)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", f.Name, err)
		}
		lines = append(lines, "  "+g.ident(f.Name)+" "+typ)
	}
	return strings.Join(lines, ",\n"), nil
}

func keyFields(keys []Key) []arrow.Field {
	fs := make([]arrow.Field, len(keys))
	for i, k := range keys {
		fs[i] = arrow.Field{Name: k.Name, Type: k.Type}
	}
	return fs
}
