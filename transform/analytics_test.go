package transform

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// analyticsResult is every month of one instance as strings.
type analyticsResult struct {
	months map[string]map[string][]string // month → column → values
	rows   int64
	drift  Drift
	err    error
}

func parseAnalytics(t *testing.T, report string, inst AnalyticsInstance, segs ...string) analyticsResult {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, ok := schemas.LookupAnalyticsReport(report)
	if !ok {
		t.Fatalf("no report %q", report)
	}
	p, err := NewAnalyticsParser(table(t, r.Table), r, inst, mem, extractedAt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release()
	res := analyticsResult{months: map[string]map[string][]string{}}
	for i, s := range segs {
		if err := p.AddSegment("raw/seg-"+string(rune('a'+i))+".csv.gz", strings.NewReader(s)); err != nil {
			res.err = err
			return res
		}
	}
	for _, m := range p.Months() {
		rec := p.Record(m)
		if !rec.Schema().Equal(p.Schema()) {
			t.Fatal("record schema differs from Schema()")
		}
		cols := map[string][]string{}
		for c := 0; c < int(rec.NumCols()); c++ {
			cols[rec.ColumnName(c)] = values(rec.Column(c))
		}
		res.months[m] = cols
		rec.Release()
	}
	res.rows, res.drift = p.Rows(), p.Drift()
	return res
}

var daily = AnalyticsInstance{ID: "inst-1", Granularity: "DAILY", ProcessingDate: "2025-01-08", AccessType: "ONGOING"}

func TestAnalyticsIngestrFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/analytics/app_downloads_detailed_segment_ingestr-fixture.tsv")
	if err != nil {
		t.Fatal(err)
	}
	res := parseAnalytics(t, "App Downloads Detailed", daily, string(b))
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.rows != 3 || len(res.months) != 1 {
		t.Fatalf("rows %d months %v", res.rows, res.months)
	}
	if len(res.drift.Unknown) != 0 || len(res.drift.Missing) != 0 {
		t.Errorf("drift %+v", res.drift)
	}
	c := res.months["2025-01"]
	want := map[string]string{
		"date":             "2025-01-07|2025-01-07|2025-01-07",
		"counts":           "590|16|11",
		"territory":        "FR|SG|MX",
		"source_info":      "<null>|com.burbn.instagram|<null>", // "" is null
		"platform_version": "iOS 18.1|iOS 18.1|iOS 18.3",
		"processing_date":  "2025-01-08|2025-01-08|2025-01-08",
		"granularity":      "DAILY|DAILY|DAILY",
		"instance_id":      "inst-1|inst-1|inst-1",
		"access_type":      "ONGOING|ONGOING|ONGOING",
		"_source_line":     "2|3|4",
	}
	for col, w := range want {
		if got := strings.Join(c[col], "|"); got != w {
			t.Errorf("%s = %s, want %s", col, got, w)
		}
	}
}

// Rows are split by the month of their date; the instance's processing date is written on
// every row, superseding a file's own Processing Date column.
func TestAnalyticsMonthsAndProcessingDate(t *testing.T) {
	inst := AnalyticsInstance{ID: "i2", Granularity: "DAILY", ProcessingDate: "2025-02-02", AccessType: "ONE_TIME_SNAPSHOT"}
	seg1 := "App Apple Identifier\tCrashes\tdate\tApp Name\tApp Version\tDevice\tPlatform Version\tUnique Devices\tProcessing Date\r\n" +
		"1\t5\t2025-01-30\tAcme\t1.0\tiPhone\tiOS 18.1\t3\t2025-02-02\r\n" +
		"1\t7\t2025-02-01\tAcme\t1.0\tiPad\t\"\"\t4\t2025-02-02\r\n"
	seg2 := "Date\tApp Apple Identifier\tCrashes\tUnique Devices\tApp Name\tApp Version\tDevice\tPlatform Version\n" +
		"2025-01-31\t1\t2\t1\tAcme\t1.1\tiPhone\tiOS 18.2\n\n"
	res := parseAnalytics(t, "App Crashes", inst, seg1, seg2)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.rows != 3 || len(res.months) != 2 {
		t.Fatalf("rows %d, months %d", res.rows, len(res.months))
	}
	jan, feb := res.months["2025-01"], res.months["2025-02"]
	if strings.Join(jan["crashes"], ",") != "5,2" || strings.Join(feb["crashes"], ",") != "7" {
		t.Errorf("split: jan %v feb %v", jan["crashes"], feb["crashes"])
	}
	if strings.Join(jan["_source_key"], ",") != "raw/seg-a.csv.gz,raw/seg-b.csv.gz" || strings.Join(jan["_source_line"], ",") != "2,2" {
		t.Errorf("lineage %v %v", jan["_source_key"], jan["_source_line"])
	}
	if jan["processing_date"][0] != "2025-02-02" || feb["access_type"][0] != "ONE_TIME_SNAPSHOT" || feb["platform_version"][0] != "<null>" {
		t.Errorf("meta %v %v %v", jan["processing_date"], feb["access_type"], feb["platform_version"])
	}
}

func TestAnalyticsCommaDelimited(t *testing.T) {
	seg := "Date,App Apple Identifier,Count,Unique Devices,Processing Date,App Name,App Version,Build,Device,Platform,Release Type,Territory,Brand New\n" +
		"2025-01-07,1,12,9,2025-01-08,\"Acme, Inc.\",4.2,\"\",iPhone,iOS,App Store,FR,x\n" +
		"2025-01-06,1,3,3,2025-01-08,\"Say \"\"hi\"\"\",4.2,420,iPad,iPadOS,TestFlight,\"\",\n"
	res := parseAnalytics(t, "App Crashes Expanded", daily, seg)
	if res.err != nil {
		t.Fatal(res.err)
	}
	c := res.months["2025-01"]
	if got := strings.Join(c["app_name"], "|"); got != `Acme, Inc.|Say "hi"` {
		t.Errorf("app_name %s", got)
	}
	if got := strings.Join(c["count"], "|"); got != "12|3" || strings.Join(c["build"], "|") != "<null>|420" || c["territory"][1] != "<null>" {
		t.Errorf("count %s build %v territory %v", got, c["build"], c["territory"])
	}
	if strings.Join(res.drift.Unknown, ",") != "Brand New" || strings.Join(c["brand_new"], ",") != "x,<null>" {
		t.Errorf("drift %+v, brand_new %v", res.drift, c["brand_new"])
	}
	if strings.Join(c["_source_line"], ",") != "2,3" {
		t.Errorf("lines %v", c["_source_line"])
	}
}

func TestAnalyticsSniff(t *testing.T) {
	for in, want := range map[string]byte{"a\tb,c": '\t', "a,b": ',', "a": '\t', `"a","b"`: ','} {
		if got := SniffDelimiter([]byte(in)); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestAnalyticsErrors(t *testing.T) {
	hdr := "Date\tApp Apple Identifier\tCrashes\tUnique Devices\tApp Name\tApp Version\tDevice\tPlatform Version\n"
	tests := []struct {
		name string
		segs []string
		want []string
	}{
		{"bad int", []string{hdr + "2025-01-07\t1\t1x\t1\tA\t1\tiPhone\tiOS\n"}, []string{"raw/seg-a.csv.gz:2", `column "Crashes"`, "invalid integer", `"1x"`}},
		{"bad date", []string{hdr + "2025-1-07\t1\t1\t1\tA\t1\tiPhone\tiOS\n"}, []string{"raw/seg-a.csv.gz:2", `column "Date"`, "invalid date"}},
		{"short row", []string{hdr + "2025-01-07\t1\t1\n"}, []string{"raw/seg-a.csv.gz:2", "row has 3 fields, header has 8"}},
		{"empty", []string{""}, []string{"empty segment"}},
		{"wrong report", []string{"Foo\tBar\n1\t2\n"}, []string{"header does not match table analytics_app_crashes"}},
		{"segments differ", []string{hdr, strings.TrimSuffix(hdr, "\n") + "\tExtra\n"}, []string{"raw/seg-b.csv.gz:1", "columns differ"}},
		{"bad csv", []string{"Date,App Apple Identifier,Crashes,Unique Devices,App Name,App Version,Device,Platform Version\n2025-01-07,1,1,1,\"A\"x,1,iPhone,iOS\n"}, []string{"raw/seg-a.csv.gz:2"}},
	}
	for _, tt := range tests {
		res := parseAnalytics(t, "App Crashes", daily, tt.segs...)
		if res.err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		var pe *ParseError
		if !errors.As(res.err, &pe) {
			t.Errorf("%s: %T is not a *ParseError", tt.name, res.err)
		}
		for _, w := range tt.want {
			if !strings.Contains(res.err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tt.name, res.err, w)
			}
		}
	}
	if _, err := NewAnalyticsParser(table(t, "analytics_app_crashes"), schemas.AnalyticsReport{DateColumn: "date"},
		AnalyticsInstance{ProcessingDate: "2025-13-01"}, nil, extractedAt); err == nil {
		t.Error("bad processing date accepted")
	}
}
