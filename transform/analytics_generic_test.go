package transform

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// parseGeneric is parseAnalytics for a report without a schema; it also returns the table.
func parseGeneric(t *testing.T, report string, inst AnalyticsInstance, segs ...string) (analyticsResult, *schemas.Table, *arrow.Schema) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p, err := NewGenericAnalyticsParser(report, inst, mem, extractedAt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	res := analyticsResult{months: map[string]map[string][]string{}}
	for i, s := range segs {
		if err := p.AddSegment("raw/seg-"+string(rune('a'+i))+".csv.gz", strings.NewReader(s)); err != nil {
			res.err = err
			return res, p.Table(), p.Schema()
		}
	}
	for _, m := range p.Months() {
		rec := p.Record(m)
		cols := map[string][]string{}
		for c := 0; c < int(rec.NumCols()); c++ {
			cols[rec.ColumnName(c)] = values(rec.Column(c))
		}
		res.months[m] = cols
		rec.Release()
	}
	res.rows, res.drift = p.Rows(), p.Drift()
	return res, p.Table(), p.Schema()
}

const widgetSeg1 = "\xef\xbb\xbfDate\tApp Apple Identifier\tCounts\tUnique Devices\tAverage Duration\tProcessing Date\tApp Name\tWidget Family\tBuild\tTerritory\r\n" +
	"2026-10-31\t1234\t15\t9\t12.50\t2026-11-02\tCaf\xe9 \xdcbung\tsystemSmall\t401\tFR\r\n" +
	"2026-11-01\t1234\t7\t5\t3\t2026-11-02\tCafé Übung\t\"\"\t402\tDE\r\n"

const widgetSeg2 = "Date\tApp Apple Identifier\tCounts\tUnique Devices\tAverage Duration\tProcessing Date\tApp Name\tWidget Family\tBuild\tTerritory\n" +
	"2026-11-01\t1234\t4\t4\t0.25\t2026-11-02\tCafé Übung\taccessoryCircular\tbeta-7\tUS\n"

func TestGenericAnalyticsParser(t *testing.T) {
	inst := AnalyticsInstance{ID: "inst-9", Granularity: "DAILY", ProcessingDate: "2026-11-02", AccessType: "ONE_TIME_SNAPSHOT"}
	res, tb, sch := parseGeneric(t, "Home Screen Widget Usage", inst, widgetSeg1, widgetSeg2)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if tb.Name != "analytics_home_screen_widget_usage" || tb.Type != "HOME_SCREEN_WIDGET_USAGE" || tb.UnitsColumn != "counts" {
		t.Errorf("table %s %s units %s", tb.Name, tb.Type, tb.UnitsColumn)
	}
	wantTypes := map[string]string{"date": "date32", "app_apple_identifier": "utf8", "counts": "int64",
		"unique_devices": "int64", "average_duration": "decimal(18, 6)", "app_name": "utf8", "widget_family": "utf8",
		"build": "utf8", "territory": "utf8", "processing_date": "date32", "granularity": "utf8", "instance_id": "utf8",
		"access_type": "utf8"}
	for name, want := range wantTypes {
		idx := sch.FieldIndices(name)
		if len(idx) != 1 || sch.Field(idx[0]).Type.String() != want {
			t.Errorf("column %s: %v, want %s", name, idx, want)
		}
	}
	if res.rows != 3 || len(res.months) != 2 || len(res.drift.Unknown)+len(res.drift.Missing) != 0 {
		t.Fatalf("rows %d months %d drift %+v", res.rows, len(res.months), res.drift)
	}
	oct, nov := res.months["2026-10"], res.months["2026-11"]
	checks := []struct {
		got  []string
		want string
	}{
		{oct["app_name"], "Café Übung"}, {oct["average_duration"], "12.500000"}, {oct["access_type"], "ONE_TIME_SNAPSHOT"},
		{nov["counts"], "7|4"}, {nov["widget_family"], "<null>|accessoryCircular"}, {nov["build"], "402|beta-7"},
		{nov["instance_id"], "inst-9|inst-9"}, {nov["processing_date"], "2026-11-02|2026-11-02"},
		{nov["_source_key"], "raw/seg-a.csv.gz|raw/seg-b.csv.gz"}, {nov["_source_line"], "3|2"},
	}
	for i, c := range checks {
		if got := strings.Join(c.got, "|"); got != c.want {
			t.Errorf("check %d: %q, want %q", i, got, c.want)
		}
	}
}

// The same report gives the same column types whatever an instance's values look like,
// so instances merge into one table.
func TestGenericAnalyticsTypesStable(t *testing.T) {
	a := "Date\tBuild\tCounts\tTerritory\n2026-11-01\t401\t3\tFR\n"
	b := "Date\tBuild\tCounts\tTerritory\n2026-11-02\tbeta\t\"\"\t\"\"\n"
	c := "Date\tCounts\tBuild\tNew Metric Rate\tTerritory\n2026-11-03\t1\t\"\"\t0.5\tUS\n"
	var types []map[string]string
	for _, seg := range []string{a, b, c} {
		res, _, sch := parseGeneric(t, "App Runtime Usage", daily, seg)
		if res.err != nil {
			t.Fatal(res.err)
		}
		m := map[string]string{}
		for _, f := range sch.Fields() {
			m[f.Name] = f.Type.String()
		}
		types = append(types, m)
	}
	for _, col := range []string{"date", "build", "counts", "territory"} {
		if types[0][col] != types[1][col] || types[1][col] != types[2][col] {
			t.Errorf("%s typed %s / %s / %s", col, types[0][col], types[1][col], types[2][col])
		}
	}
	if types[2]["new_metric_rate"] != "decimal(18, 6)" {
		t.Errorf("new column typed %s", types[2]["new_metric_rate"])
	}
}

func TestGenericAnalyticsErrors(t *testing.T) {
	header := "Date\tCounts\tTerritory\n"
	tests := []struct {
		name, report string
		segs         []string
		want         error
		column       string
	}{
		{"fraction in a count", "App Opt In", []string{header + "2026-11-01\t1.5\tFR\n"}, ErrInvalidInt, "Counts"},
		{"bad date", "App Opt In", []string{header + "2026-13-01\t1\tFR\n"}, ErrInvalidDate, "Date"},
		{"empty segment", "App Opt In", []string{"\n\n"}, ErrHeader, ""},
		{"segments differ", "App Opt In", []string{header, "Date\tCounts\tTerritory\tExtra\n"}, ErrHeader, ""},
		{"row shape", "App Opt In", []string{header + "2026-11-01\t1\n"}, ErrRowShape, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _, _ := parseGeneric(t, tt.report, daily, tt.segs...)
			var pe *ParseError
			if !errors.Is(res.err, tt.want) || !errors.As(res.err, &pe) || pe.Column != tt.column || pe.Key == "" {
				t.Fatalf("err %v, want %v in column %q", res.err, tt.want, tt.column)
			}
		})
	}
	if _, err := NewGenericAnalyticsParser("  ", daily, nil, extractedAt); err == nil {
		t.Error("blank report name accepted")
	}
	if _, err := NewGenericAnalyticsParser("X", AnalyticsInstance{ProcessingDate: "2026-02-30"}, nil, extractedAt); err == nil {
		t.Error("bad processing date accepted")
	}
}

// A comma-delimited segment without a date column: rows go to the processing month.
func TestGenericAnalyticsCommaNoDate(t *testing.T) {
	seg := "App Name,Widget Kind,Number of Widgets\n\"Café, Übung\",Clock,12\nCafé Übung,\"\",3\n"
	res, tb, _ := parseGeneric(t, "Home Screen Widgets", daily, seg)
	if res.err != nil {
		t.Fatal(res.err)
	}
	m := res.months["2025-01"]
	if res.rows != 2 || strings.Join(m["app_name"], "|") != "Café, Übung|Café Übung" || strings.Join(m["number_of_widgets"], "|") != "12|3" ||
		strings.Join(m["widget_kind"], "|") != "Clock|<null>" || tb.UnitsColumn != "number_of_widgets" {
		t.Errorf("rows %d %v", res.rows, m)
	}
}

func TestNewAnalyticsSegmentParser(t *testing.T) {
	for name, generic := range map[string]bool{"App Downloads Standard": false, "app crashes": false, "Home Screen Widgets": true} {
		p, err := NewAnalyticsSegmentParser(name, daily, nil, extractedAt)
		if err != nil {
			t.Fatal(err)
		}
		_, isGeneric := p.(*GenericAnalyticsParser)
		if isGeneric != generic || p.Table() == nil {
			t.Errorf("%s: generic %v", name, isGeneric)
		}
		p.Release()
	}
}
