package transform

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/schemas"
)

// catalogTables are the catalog tables whose rows ResourceRow fills.
func catalogTables(tb testing.TB) []*schemas.Table {
	var out []*schemas.Table
	for _, t := range schemas.All() {
		if t.Family == report.Catalog && t.Name != schemas.TestFlightTesterUsageTable && t.Name != schemas.TestFlightBuildUsageTable {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no catalog tables")
	}
	return out
}

// FuzzDecodeDocument: any JSON:API document decodes or fails with a *JSONError; every
// resource of a decoded one gives, for every catalog table, a row or a *JSONError naming
// the key and JSON path, and the rows build a record batch. Seeds:
// testdata/fuzz/FuzzDecodeDocument.
func FuzzDecodeDocument(f *testing.F) {
	for _, name := range []string{"catalog_apps.json", "catalog_builds.json", "catalog_ci_build_runs.json"} {
		f.Add(readFuzzSeed(f, name))
	}
	tables := catalogTables(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		const key = "raw/catalog.json"
		doc, err := DecodeDocument(key, data)
		if err != nil {
			checkJSONError(t, key, err)
			return
		}
		for _, tb := range tables {
			var rows []CatalogRow
			for _, part := range [][]Resource{doc.Data, doc.Included} {
				for i := range part {
					r := &part[i]
					if r.Type == "" || r.ID == "" {
						t.Fatalf("resource %d without type or id", i)
					}
					row, err := ResourceRow(tb, doc, r, time.Unix(0, 0))
					if err != nil {
						checkJSONError(t, key, err)
						continue
					}
					rows = append(rows, row)
				}
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			rec, err := CatalogRecord(mem, tb, rows)
			if err != nil {
				t.Fatalf("%s: rows from ResourceRow do not build: %v", tb.Name, err)
			}
			rec.Release()
			mem.AssertSize(t, 0)
		}
		for i := range doc.Data {
			r := &doc.Data[i]
			r.Attributes()
			for _, call := range []func() error{
				func() error { _, _, err := r.Related(key, "app"); return err },
				func() error { _, err := r.RelatedMany(key, "builds"); return err },
				func() error { _, err := r.Attr(key, "name"); return err },
			} {
				if err := call(); err != nil {
					checkJSONError(t, key, err)
				}
			}
		}
	})
}

// FuzzUsageRows: any TestFlight usage page gives rows for both usage tables or fails
// with a *JSONError naming the key and JSON path, and the rows build a record batch.
// Seeds: testdata/fuzz/FuzzUsageRows.
func FuzzUsageRows(f *testing.F) {
	f.Add(readFuzzSeed(f, "catalog_beta_tester_usages.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const key = "raw/usage.json"
		for _, tc := range []struct {
			table string
			rows  func() (UsageDoc, error)
		}{
			{schemas.TestFlightTesterUsageTable, func() (UsageDoc, error) { return TesterUsageRows(key, data, time.Unix(0, 0)) }},
			{schemas.TestFlightBuildUsageTable, func() (UsageDoc, error) { return BuildUsageRows(key, data, "b1", time.Unix(0, 0)) }},
		} {
			doc, err := tc.rows()
			if err != nil {
				checkJSONError(t, key, err)
				continue
			}
			tb, _ := schemas.Lookup(tc.table)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			rec, err := CatalogRecord(mem, tb, doc.Rows)
			if err != nil {
				t.Fatalf("%s: rows do not build: %v", tc.table, err)
			}
			rec.Release()
			mem.AssertSize(t, 0)
		}
	})
}
