package transform

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

var catExt = time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)

func mustTable(t *testing.T, name string) *schemas.Table {
	t.Helper()
	tb, ok := schemas.Lookup(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	return tb
}

func TestCatalogApps(t *testing.T) {
	doc, err := DecodeDocument("raw/apps.json.gz", readTestdata(t, "catalog_apps.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Data) != 2 || doc.Next != "https://api.example/v1/apps?cursor=AQ" {
		t.Fatalf("doc: %d resources, next %q", len(doc.Data), doc.Next)
	}
	tb := mustTable(t, schemas.DimAppsTable)
	var rows []CatalogRow
	for i := range doc.Data {
		r, err := ResourceRow(tb, doc, &doc.Data[i], catExt)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if got := rows[0].Str(tb, "name"); got != "Kachit Notes" || rows[0].Str(tb, "app_id") != "1412345678" || rows[0].Str(tb, "bundle_id") != "com.ascetl.app1" {
		t.Errorf("row 1: %v", rows[0].Vals)
	}
	if got := rows[1].Str(tb, "name"); got != "Café Übung – Deutsch lernen" {
		t.Errorf("name %q: text must be kept byte for byte", got)
	}
	if rows[1].Get(tb, "primary_locale") != nil || rows[1].Get(tb, schemas.ValidFrom) != nil {
		t.Errorf("null member / caller column: %v", rows[1].Vals)
	}
	if rows[1].SourceKey != "raw/apps.json.gz" || rows[1].SourceLine != 2 || !rows[1].ExtractedAt.Equal(catExt) {
		t.Errorf("lineage %+v", rows[1])
	}
}

func TestCatalogBuildsAndRuns(t *testing.T) {
	doc, err := DecodeDocument("k", readTestdata(t, "catalog_builds.json"))
	if err != nil {
		t.Fatal(err)
	}
	tb := mustTable(t, schemas.DimBuildsTable)
	r, err := ResourceRow(tb, doc, &doc.Data[0], catExt)
	if err != nil {
		t.Fatal(err)
	}
	up := time.Date(2026, 11, 2, 18, 15, 30, 0, time.UTC)
	if r.Str(tb, "app_id") != "1412345678" || r.Str(tb, "build_number") != "412" || !r.Get(tb, "uploaded_at").(time.Time).Equal(up) ||
		r.Get(tb, "expired") != false {
		t.Errorf("build 1: %v", r.Vals)
	}
	pr, ok, err := doc.Data[0].Related("k", "preReleaseVersion")
	if err != nil || !ok || pr != "pr-1" {
		t.Fatalf("related: %q %v %v", pr, ok, err)
	}
	inc, ok := doc.Find("preReleaseVersions", pr)
	if !ok {
		t.Fatal("included preReleaseVersion not found")
	}
	if v, err := inc.Attr("k", "version"); err != nil || v == nil || *v != "3.4.12" {
		t.Errorf("version: %v %v", v, err)
	}
	if _, ok, err := doc.Data[1].Related("k", "preReleaseVersion"); ok || err != nil {
		t.Errorf("null linkage: %v %v", ok, err)
	}
	r2, err := ResourceRow(tb, doc, &doc.Data[1], catExt)
	if err != nil {
		t.Fatal(err)
	}
	// Nanoseconds are truncated to microseconds (Parquet precision).
	if got := r2.Get(tb, "uploaded_at").(time.Time); got.Nanosecond() != 123456000 {
		t.Errorf("uploaded_at %v", got)
	}

	doc, err = DecodeDocument("runs", readTestdata(t, "catalog_ci_build_runs.json"))
	if err != nil {
		t.Fatal(err)
	}
	rt := mustTable(t, schemas.XcodeCloudRunsTable)
	run, err := ResourceRow(rt, doc, &doc.Data[0], catExt)
	if err != nil {
		t.Fatal(err)
	}
	if run.Get(rt, "number") != int64(2) || run.Get(rt, "test_failures") != int64(1) || run.Get(rt, "warnings") != int64(3) ||
		run.Str(rt, "commit_author") != "Ada" || run.Str(rt, "commit_message") != "Fix\ttabs\nand lines" ||
		run.Get(rt, "finished_at") != nil || run.Get(rt, "completion_status") != nil || run.Str(rt, "product_id") != "prod-1" ||
		run.Get(rt, "is_pull_request_build") != true {
		t.Errorf("run: %v", run.Vals)
	}
	ids, err := doc.Data[0].RelatedMany("runs", "builds")
	if err != nil || strings.Join(ids, ",") != "5f1c-b1,5f1c-b3" {
		t.Errorf("builds: %v %v", ids, err)
	}
}

func TestCatalogErrors(t *testing.T) {
	tb := mustTable(t, schemas.DimAppsTable)
	rt := mustTable(t, schemas.XcodeCloudRunsTable)
	tests := []struct {
		name, doc string
		table     *schemas.Table
		want      string
		err       error
	}{
		{"not json", `{"data": [`, tb, "k: invalid JSON", ErrInvalidJSON},
		{"no data", `{"links": {}}`, tb, "k: data: missing", ErrMissingField},
		{"api error", `{"errors": [{"status": "403"}]}`, tb, "k: errors: API error document", ErrInvalidJSON},
		{"no id", `{"data": [{"type": "apps", "id": "1"}, {"type": "apps"}]}`, tb, "k: data[1].id: missing", ErrMissingField},
		{"numeric id", `{"data": [{"type": "apps", "id": 7}]}`, tb, "k: data[0].id: want a string", ErrWrongType},
		{"wrong attribute type", `{"data": [{"type": "apps", "id": "1", "attributes": {"name": ["x"]}}]}`, tb,
			"k: data[0].attributes.name: want a string or a number", ErrWrongType},
		{"attributes not an object", `{"data": [{"type": "apps", "id": "1", "attributes": 3}]}`, tb,
			"k: data[0].attributes: want an object", ErrWrongType},
		{"bad date", `{"data": [{"type": "ciBuildRuns", "id": "r", "attributes": {"createdDate": "2026-11-20 08:00"}}]}`, rt,
			`k: data[0].attributes.createdDate: cannot parse "2026-11-20 08:00"`, ErrInvalidDate},
		{"nested wrong type", `{"data": [{"type": "ciBuildRuns", "id": "r", "attributes": {"issueCounts": {"errors": "2"}}}]}`, rt,
			"k: data[0].attributes.issueCounts.errors: want an integer", ErrWrongType},
		{"bad linkage", `{"data": [{"type": "ciBuildRuns", "id": "r", "relationships": {"product": {"data": {"type": "ciProducts"}}}}]}`, rt,
			"", nil}, // linkage without id: null product id, not an error
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := DecodeDocument("k", []byte(tt.doc))
			if err == nil {
				_, err = ResourceRow(tt.table, doc, &doc.Data[0], catExt)
			}
			if tt.err == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var je *JSONError
			if err == nil || !errors.As(err, &je) || !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q (%v)", err, tt.want, tt.err)
			}
		})
	}
}

func TestCatalogRecordRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tb := mustTable(t, schemas.DimBuildsTable)
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	r := NewCatalogRow(tb, "raw/b.json.gz", 3, catExt)
	r.Set(tb, "build_id", "b1")
	r.Set(tb, "uploaded_at", time.Date(2026, 11, 2, 18, 15, 30, 123000, time.UTC))
	r.Set(tb, "expired", true)
	r.Set(tb, schemas.ValidFrom, day)
	r.Set(tb, schemas.IsCurrent, true)
	empty := NewCatalogRow(tb, "raw/b.json.gz", 4, catExt)
	empty.Set(tb, "build_id", "b2")
	rec, err := CatalogRecord(mem, tb, []CatalogRow{r, empty})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if !rec.Schema().Equal(tb.ArrowSchema(nil)) || rec.NumRows() != 2 {
		t.Fatalf("schema %v rows %d", rec.Schema(), rec.NumRows())
	}
	tbl := array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec})
	defer tbl.Release()
	back, err := CatalogRows(tb, tbl)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []CatalogRow{r, empty} {
		if !sameValues(back[i].Vals, want.Vals) || back[i].SourceKey != want.SourceKey || back[i].SourceLine != want.SourceLine || !back[i].ExtractedAt.Equal(catExt) {
			t.Errorf("row %d: got %+v\nwant %+v", i, back[i], want)
		}
	}
	bad := NewCatalogRow(tb, "k", 1, catExt)
	bad.Set(tb, "expired", "yes")
	if _, err := CatalogRecord(mem, tb, []CatalogRow{bad}); err == nil || !strings.Contains(err.Error(), "column expired") {
		t.Errorf("bad value: %v", err)
	}
}

func TestMergeSCD(t *testing.T) {
	tb := mustTable(t, schemas.DimAppsTable)
	d1 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	d2 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	app := func(id, name, key string) CatalogRow {
		r := NewCatalogRow(tb, key, 1, catExt)
		r.Set(tb, "app_id", id)
		r.Set(tb, "name", name)
		return r
	}
	all := func(CatalogRow) bool { return true }
	stored, res := MergeSCD(tb, nil, []CatalogRow{app("2", "Café Übung", "k1"), app("1", "Notes", "k1")}, d1, all)
	if res.Opened != 2 || len(stored) != 2 || stored[0].Str(tb, "app_id") != "1" || stored[0].Get(tb, schemas.IsCurrent) != true {
		t.Fatalf("first snapshot: %+v %v", res, stored)
	}
	// Same catalog again (any day): nothing changes, lineage kept.
	again, res := MergeSCD(tb, stored, []CatalogRow{app("1", "Notes", "k2"), app("2", "Café Übung", "k2")}, d2, all)
	if res.Changed() || res.Unchanged != 2 || again[0].SourceKey != "k1" {
		t.Fatalf("re-run: %+v %v", res, again)
	}
	// App 2 renamed, app 1 gone, app 3 new.
	got, res := MergeSCD(tb, stored, []CatalogRow{app("2", "Café Übung – Deutsch lernen", "k3"), app("3", "Tides", "k3")}, d2, all)
	if res.Opened != 2 || res.Closed != 2 {
		t.Fatalf("result %+v", res)
	}
	var lines []string
	for _, r := range got {
		to := "null"
		if v, ok := r.Get(tb, schemas.ValidTo).(time.Time); ok {
			to = v.Format("01-02")
		}
		lines = append(lines, r.Str(tb, "app_id")+" "+r.Str(tb, "name")+" "+r.Get(tb, schemas.ValidFrom).(time.Time).Format("01-02")+" "+to)
	}
	want := "1 Notes 11-21 11-24|2 Café Übung 11-21 11-24|2 Café Übung – Deutsch lernen 11-24 null|3 Tides 11-24 null"
	if strings.Join(lines, "|") != want {
		t.Errorf("history:\n got %s\nwant %s", strings.Join(lines, "|"), want)
	}
	// A second change the same day replaces the row opened that day (no empty interval).
	got2, _ := MergeSCD(tb, got, []CatalogRow{app("2", "Café", "k4"), app("3", "Tides", "k4")}, d2, all)
	if len(got2) != 4 || got2[2].Str(tb, "name") != "Café" || got2[1].Get(tb, schemas.ValidTo) == nil {
		t.Errorf("same-day change: %v", got2)
	}
	// Absent rows outside the list read stay current.
	kept, res := MergeSCD(tb, stored, nil, d2, func(CatalogRow) bool { return false })
	if res.Changed() || len(kept) != 2 || kept[0].Get(tb, schemas.ValidTo) != nil {
		t.Errorf("closeAbsent false: %+v %v", res, kept)
	}
}

func TestMergeByKey(t *testing.T) {
	tb := mustTable(t, schemas.XcodeCloudRunsTable)
	run := func(id, progress, key string) CatalogRow {
		r := NewCatalogRow(tb, key, 1, catExt)
		r.Set(tb, "build_run_id", id)
		r.Set(tb, "execution_progress", progress)
		return r
	}
	stored := MergeByKey(tb, nil, []CatalogRow{run("b", "RUNNING", "k1"), run("a", "COMPLETE", "k1")}, "build_run_id")
	got := MergeByKey(tb, stored, []CatalogRow{run("a", "COMPLETE", "k2"), run("b", "COMPLETE", "k2"), run("c", "PENDING", "k2")}, "build_run_id")
	if len(got) != 3 || got[0].SourceKey != "k1" || got[1].SourceKey != "k2" || got[1].Str(tb, "execution_progress") != "COMPLETE" || got[2].Str(tb, "build_run_id") != "c" {
		t.Errorf("merge: %+v", got)
	}
}

func TestTestFlightUsage(t *testing.T) {
	tu, err := TesterUsageRows("raw/u.json.gz", readTestdata(t, "catalog_beta_tester_usages.json"), catExt)
	if err != nil {
		t.Fatal(err)
	}
	tb := mustTable(t, schemas.TestFlightTesterUsageTable)
	if len(tu.Rows) != 3 || tu.Next == "" {
		t.Fatalf("%d rows, next %q", len(tu.Rows), tu.Next)
	}
	r := tu.Rows[1]
	if r.Str(tb, "usage_key") != "tester-a/2026-11-20" || r.Str(tb, "tester_id") != "tester-a" || r.Get(tb, "session_count") != int64(2) ||
		r.Get(tb, "feedback_count") != nil || r.SourceLine != 2 {
		t.Errorf("row 2: %+v", r)
	}
	if tu.Rows[2].Get(tb, "crash_count") != int64(2) || !tu.Rows[2].Get(tb, "day").(time.Time).Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("row 3: %+v", tu.Rows[2])
	}
	_, err = TesterUsageRows("k", []byte(`{"data": [{"dataPoints": []}]}`), catExt)
	if err == nil || !strings.Contains(err.Error(), "k: data[0].dimensions.betaTesters.data.id: missing") {
		t.Errorf("ungrouped: %v", err)
	}
	bu, err := BuildUsageRows("k", []byte(`{"data": [{"type": "buildsBetaBuildUsages", "dataPoints": [
		{"start": "2026-11-19", "end": "2026-11-20", "values": {"crashCount": 0, "installCount": 3, "sessionCount": 5, "feedbackCount": 1, "inviteCount": 4}}]}]}`), "b1", catExt)
	bt := mustTable(t, schemas.TestFlightBuildUsageTable)
	if err != nil || len(bu.Rows) != 1 || bu.Rows[0].Str(bt, "usage_key") != "b1/2026-11-19" || bu.Rows[0].Get(bt, "invite_count") != int64(4) {
		t.Errorf("build usage: %+v %v", bu, err)
	}
	_, err = BuildUsageRows("k", []byte(`{"data": [{"dataPoints": [{"start": "11/19/2026"}]}]}`), "b1", catExt)
	if err == nil || !errors.Is(err, ErrInvalidDate) || !strings.Contains(err.Error(), "data[0].dataPoints[0].start") {
		t.Errorf("bad start: %v", err)
	}
}
