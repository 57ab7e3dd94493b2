package ddl

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/schemas"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenTables are the loader tables the golden files show, one per partition layout:
// sales weekly (vendor, report_date by week), finance regional (region enum, fiscal
// period), payments (a Rate column), reviews (app_id, month), metrics (snapshot_date),
// a catalog dimension (vendor only); plus a mart with the types DuckDB writes.
var goldenTables = []string{"sales_summary_weekly", "finance_financial", "finance_payments",
	"customer_reviews", "perf_metrics", "dim_apps"}

func goldenMart() Table {
	return FromArrow("mart_revenue_monthly", MartDir("mart_revenue_monthly"), arrow.NewSchema([]arrow.Field{
		{Name: "month", Type: arrow.FixedWidthTypes.Date32},
		{Name: "app_id", Type: arrow.BinaryTypes.String},
		{Name: "apps", Type: arrow.PrimitiveTypes.Int32},
		{Name: "proceeds_reporting", Type: &arrow.Decimal128Type{Precision: 38, Scale: 6}},
		{Name: "share", Type: arrow.PrimitiveTypes.Float64},
		{Name: "built_at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	}, nil))
}

func goldenInput(t *testing.T) []Table {
	t.Helper()
	var out []Table
	for _, name := range goldenTables {
		st, ok := schemas.Lookup(name)
		if !ok {
			t.Fatalf("no table %s in schemas", name)
		}
		d, err := FromSchema(st)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return append(out, goldenMart())
}

func goldenOptions(e Engine) Options {
	o := Options{
		Location: "s3://lake/asc",
		// A Wednesday: the weekly range must start on the Monday before, the monthly
		// one on the 1st.
		Since:  time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC),
		Values: map[string][]string{"vendor": {"85012345", "85012399"}},
	}
	if e == BigQuery {
		o.Location = "gs://lake/asc/"
		o.Schema = "my-project.appstore"
	}
	if e == Trino {
		o.Schema = "hive.appstore"
	}
	return o
}

func TestGolden(t *testing.T) {
	tables := goldenInput(t)
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) {
			opt := goldenOptions(e)
			stmts, err := Statements(e, tables, opt)
			if err != nil {
				t.Fatal(err)
			}
			got := Script(e, stmts, opt)
			path := filepath.Join("testdata", string(e)+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/ddl -update)", err)
			}
			if diff := lineDiff(string(want), got); diff != "" {
				t.Errorf("%s differs from the output (go test ./internal/ddl -update rewrites it):\n%s", path, diff)
			}
		})
	}
}

// TestEveryTableAndKey runs every table of schemas through every engine and checks that
// each table is created once at its location, with every file column and every
// partition key, and (Athena) a projection for every key.
func TestEveryTableAndKey(t *testing.T) {
	tables, err := FromSchemas(schemas.All())
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != len(schemas.All()) || len(tables) < 50 {
		t.Fatalf("%d tables from %d schemas", len(tables), len(schemas.All()))
	}
	for _, e := range Engines() {
		opt := goldenOptions(e)
		stmts, err := Statements(e, tables, opt)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		g, _ := newGenerator(e, opt)
		byTable := map[string][]string{}
		for _, s := range stmts {
			byTable[s.Table] = append(byTable[s.Table], s.SQL)
		}
		for _, st := range schemas.All() {
			sqls := byTable[st.Name]
			if len(sqls) == 0 {
				t.Errorf("%s: no statement for %s", e, st.Name)
				continue
			}
			create := sqls[0]
			if n := strings.Count(create, "CREATE "); n != 1 || !strings.Contains(create, g.qualified(st.Name)) {
				t.Errorf("%s %s: first statement is not its CREATE:\n%s", e, st.Name, create)
			}
			if loc := strings.TrimRight(opt.Location, "/") + "/parquet/" + st.Name + "/"; !strings.Contains(create, "'"+loc) {
				t.Errorf("%s %s: location %s missing", e, st.Name, loc)
			}
			for _, f := range st.ArrowSchema(nil).Fields() {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(g.ident(f.Name)) + ` \S`).MatchString(create) {
					t.Errorf("%s %s: column %s missing", e, st.Name, f.Name)
				}
			}
			for _, pk := range st.Partition {
				if !strings.Contains(create, g.ident(pk.Name)) {
					t.Errorf("%s %s: partition key %s missing", e, st.Name, pk.Name)
				}
				if e == Athena && !strings.Contains(create, "'projection."+pk.Name+".type'") {
					t.Errorf("athena %s: no projection for %s", st.Name, pk.Name)
				}
			}
			if e == Athena && len(st.Partition) > 0 && !strings.Contains(create, "'storage.location.template'") {
				t.Errorf("athena %s: no storage.location.template", st.Name)
			}
		}
	}
}

// TestKeyRules: every partition key in schemas has an explicit projection rule, so a new
// key is a decision rather than a fallback.
func TestKeyRules(t *testing.T) {
	for _, st := range schemas.All() {
		for _, pk := range st.Partition {
			if _, ok := keyRules[pk.Name]; !ok {
				t.Errorf("table %s: partition key %s has no Athena projection rule (keyRules)", st.Name, pk.Name)
			}
		}
	}
}

// partitionTypeRE finds the type of a partition key in each engine's CREATE: the key's
// column line in the partition clause (Athena, BigQuery) or the column list (Trino, Spark,
// where partition columns are the last columns).
func keyTypeIn(g *generator, create, key string) string {
	m := regexp.MustCompile(`(?m)^  `+regexp.QuoteMeta(g.ident(key))+` (\S+?),?$`).FindAllStringSubmatch(create, -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1][1]
}

// TestPartitionTypesAgreeWithDuckDB: DuckDB's views type the hive keys with
// schemas.PartitionKey.DuckType (hive_types, warehouse.TableViews); each engine's DDL must
// type every key the same way, or a query comparing report_date with a date (or vendor
// with a string) would behave differently in DuckDB and in the engine.
func TestPartitionTypesAgreeWithDuckDB(t *testing.T) {
	want := map[string]map[Engine]string{
		"VARCHAR": {Trino: "varchar", Athena: "string", Spark: "STRING", BigQuery: "STRING"},
		"DATE":    {Trino: "date", Athena: "date", Spark: "DATE", BigQuery: "DATE"},
	}
	tables, err := FromSchemas(schemas.All())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range Engines() {
		opt := goldenOptions(e)
		g, _ := newGenerator(e, opt)
		for i, st := range schemas.All() {
			ss, err := g.table(tables[i])
			if err != nil {
				t.Fatal(err)
			}
			for _, pk := range st.Partition {
				w, ok := want[pk.DuckType]
				if !ok {
					t.Fatalf("table %s: key %s has DuckDB type %s, which this test does not know", st.Name, pk.Name, pk.DuckType)
				}
				if got := keyTypeIn(g, ss[0], pk.Name); got != w[e] {
					t.Errorf("%s %s: key %s typed %q, DuckDB hive_types says %s (want %q)", e, st.Name, pk.Name, got, pk.DuckType, w[e])
				}
			}
		}
	}
}

func TestColumnTypes(t *testing.T) {
	kinds := []schemas.Kind{schemas.String, schemas.Int64, schemas.Decimal, schemas.DateMDY, schemas.DateISO,
		schemas.Timestamp, schemas.Float64, schemas.Bool, schemas.Rate}
	want := map[Engine][]string{
		Trino:    {"varchar", "bigint", "decimal(18,6)", "date", "date", "timestamp(3)", "double", "boolean", "decimal(18,10)"},
		Athena:   {"string", "bigint", "decimal(18,6)", "date", "date", "timestamp", "double", "boolean", "decimal(18,10)"},
		Spark:    {"STRING", "BIGINT", "DECIMAL(18,6)", "DATE", "DATE", "TIMESTAMP", "DOUBLE", "BOOLEAN", "DECIMAL(18,10)"},
		BigQuery: {"STRING", "INT64", "NUMERIC", "DATE", "DATE", "TIMESTAMP", "FLOAT64", "BOOL", "BIGNUMERIC"},
	}
	for _, e := range Engines() {
		g, err := newGenerator(e, goldenOptions(e))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, k := range kinds {
			s, err := g.colType(k.ArrowType())
			if err != nil {
				t.Fatalf("%s %s: %v", e, k, err)
			}
			got = append(got, s)
		}
		if !slices.Equal(want[e], got) {
			t.Errorf("%s types:\n got %q\nwant %q", e, got, want[e])
		}
	}
}

func TestDateSteps(t *testing.T) {
	wed := time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)
	sun := time.Date(2024, 1, 7, 0, 0, 0, 0, time.UTC)
	mon := time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		key, freq string
		since     time.Time
		start     string
		unit      string
	}{
		{"report_date", "DAILY", wed, "2024-01-03", "DAYS"},
		{"report_date", "WEEKLY", wed, "2024-01-01", "WEEKS"},
		{"report_date", "WEEKLY", sun, "2024-01-01", "WEEKS"},
		{"report_date", "WEEKLY", mon, "2024-01-08", "WEEKS"},
		{"report_date", "MONTHLY", wed, "2024-01-01", "MONTHS"},
		{"report_date", "YEARLY", time.Date(2024, 5, 9, 0, 0, 0, 0, time.UTC), "2024-01-01", "YEARS"},
		{"snapshot_date", "", wed, "2024-01-03", "DAYS"},
	}
	for _, c := range cases {
		start, unit := dateStep(c.key, c.freq, c.since)
		if got := start.Format("2006-01-02"); got != c.start || unit != c.unit {
			t.Errorf("dateStep(%s, %s, %s) = %s %s, want %s %s", c.key, c.freq, c.since.Format("2006-01-02"), got, unit, c.start, c.unit)
		}
		if c.unit == "WEEKS" && start.Weekday() != time.Monday {
			t.Errorf("weekly start %s is a %s", start.Format("2006-01-02"), start.Weekday())
		}
	}
}

func TestErrors(t *testing.T) {
	sales, _ := schemas.Lookup("sales_summary_daily")
	tbl, err := FromSchema(sales)
	if err != nil {
		t.Fatal(err)
	}
	dup := tbl
	dup.Fields = append(append([]arrow.Field(nil), tbl.Fields...), arrow.Field{Name: "vendor", Type: arrow.BinaryTypes.String})
	list := Table{Name: "m", Dir: MartDir("m"), Fields: []arrow.Field{{Name: "xs", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)}}}
	cases := []struct {
		name   string
		e      Engine
		tables []Table
		opt    Options
		want   string
	}{
		{"no location", Trino, []Table{tbl}, Options{}, "no location"},
		{"quote in location", Spark, []Table{tbl}, Options{Location: "s3://a'b"}, "not allowed in a string literal"},
		{"not a URL", Spark, []Table{tbl}, Options{Location: "/data"}, "is not a URL"},
		{"athena needs s3", Athena, []Table{tbl}, Options{Location: "gs://lake"}, "Athena reads only s3://"},
		{"bigquery needs gs", BigQuery, []Table{tbl}, Options{Location: "s3://lake"}, "through a connection"},
		{"bad schema", Trino, []Table{tbl}, Options{Location: "s3://lake", Schema: "a.`b"}, `schema "a.` + "`" + `b"`},
		{"key also a column", Trino, []Table{dup}, Options{Location: "s3://lake"}, "partition key vendor is also a file column"},
		{"unmapped type", BigQuery, []Table{list}, Options{Location: "gs://lake"}, "column xs: arrow type list<item: int64, nullable> has no bigquery mapping"},
		{"unsafe enum value", Athena, []Table{tbl}, Options{Location: "s3://lake", Values: map[string][]string{"vendor": {"1,2"}}}, `value "1,2" is not a partition value`},
		{"unknown engine", Engine("presto"), []Table{tbl}, Options{Location: "s3://lake"}, `engine "presto" unknown`},
	}
	for _, c := range cases {
		_, err := Statements(c.e, c.tables, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
	if _, err := KeyType("BIGINT"); err == nil {
		t.Error("KeyType(BIGINT): no error")
	}
}

func TestParseEngine(t *testing.T) {
	for _, e := range Engines() {
		got, err := ParseEngine(strings.ToUpper(string(e)))
		if err != nil || got != e {
			t.Errorf("ParseEngine(%s) = %s, %v", e, got, err)
		}
	}
}

// FuzzIdent: a name checkIdent accepts is quoted into exactly one token that gives the
// name back, for every engine.
func FuzzIdent(f *testing.F) {
	for _, s := range []string{"vendor", "_source_key", "a b", "a\"b", "x`y", "ü", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkIdent(s) != nil {
			return
		}
		for _, e := range Engines() {
			g := &generator{e: e}
			q := g.ident(s)
			open, body := q[:1], q[1:len(q)-1]
			if q[len(q)-1:] != open || strings.Contains(body, open) || body != s {
				t.Fatalf("%s: %q quoted as %q", e, s, q)
			}
		}
	})
}

// lineDiff names the first lines where want and got differ ("" when equal).
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n   got %q\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
