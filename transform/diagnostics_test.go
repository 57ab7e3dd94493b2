package transform

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

func flattenSignatures(t *testing.T, data []byte) (arrow.RecordBatch, string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	rec, next, err := FlattenDiagnosticSignatures(mem, data, "build-1", "k", extractedAt)
	if err != nil {
		t.Fatalf("FlattenDiagnosticSignatures: %v", err)
	}
	t.Cleanup(rec.Release)
	mtSchema(t, rec, schemas.SignaturesTable)
	return rec, next
}

func TestFlattenDiagnosticSignaturesAppleSample(t *testing.T) {
	rec, next := flattenSignatures(t, readTestdata(t, "metrics_diagnostic_signatures_apple-doc-example.json"))
	if want := "https://api.appstoreconnect.apple.com/v1/builds/1a254ec1-8e3d-48e7-bbd6-6b9a30072b29/diagnosticSignatures?cursor=Aw.AOYOFlQ&limit=3&filter%5BdiagnosticType%5D=DISK_WRITES"; next != want {
		t.Errorf("next %q", next)
	}
	if rec.NumRows() != 2 {
		t.Fatalf("rows %d, want 2", rec.NumRows())
	}
	for c, want := range map[string][]string{
		"build_id": {"build-1", "build-1"},
		"signature_id": {"35fd8da9ea3dd8d2a64cb3d458fa59b2b41e66115f7ca5fa34df25a9419c5216dd",
			"351c486f96912d7520ef0ceea8efe19aca98f41e3b111a77e64f6923d6eba0e2c7"},
		"diagnostic_type": {"DISK_WRITES", "DISK_WRITES"},
		"signature": {"ExampleApp: -[DatabaseConnection executeSQL:enumerateRowsWithBlock:] + 23",
			"ExampleApp: -[TemporaryFile appendData:] + 100"},
		"insight_type":               {"<null>", "<null>"},
		"insight_direction":          {"<null>", "<null>"},
		"insight_reference_versions": {"<null>", "<null>"},
	} {
		mtEqual(t, c, mtCol(t, rec, c), want)
	}
	mtEqual(t, "weight", mtFloats(t, rec, "weight"), []float64{0.85, 0.07})
	mtLineage(t, rec, "k", "")
}

func TestFlattenDiagnosticSignaturesInsight(t *testing.T) {
	page := []byte(`{"data":[
	  {"type":"diagnosticSignatures","id":"a","attributes":{"diagnosticType":"HANGS","signature":"s","weight":1,
	    "insight":{"insightType":"TREND","direction":"UP","referenceVersions":[{"version":"1.0","value":0.3},{"version":"1.1","value":0.5}]}}},
	  {"type":"diagnosticSignatures","id":"b","attributes":{"insight":{"direction":"UNDEFINED","referenceVersions":[]}}},
	  {"type":"diagnosticSignatures","id":"c","attributes":{"insight":{"referenceVersions":[{"version":"2"},{"value":1e-3}]}}},
	  {"type":"diagnosticSignatures","id":"d"}],
	 "links":{"self":"x"}}`)
	rec, next := flattenSignatures(t, page)
	if next != "" {
		t.Errorf("next %q, want none", next)
	}
	mtEqual(t, "insight_reference_versions", mtCol(t, rec, "insight_reference_versions"),
		[]string{"1.0=0.3,1.1=0.5", "", "2=,=1e-3", "<null>"})
	mtEqual(t, "insight_type", mtCol(t, rec, "insight_type"), []string{"TREND", "<null>", "<null>", "<null>"})
	mtEqual(t, "insight_direction", mtCol(t, rec, "insight_direction"), []string{"UP", "UNDEFINED", "<null>", "<null>"})
	mtEqual(t, "weight", mtCol(t, rec, "weight"), []string{"1", "<null>", "<null>", "<null>"})
	mtLineage(t, rec, "k", "")
}

func TestFlattenDiagnosticSignaturesErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{"links":{}}`, `k: data: missing`},
		{`{"data":[{"type":"diagnosticSignatures"}]}`, `k: data[0].id: missing`},
		{`{"data":[{"type":"apps","id":"1"}]}`, `k: data[0].type: want "diagnosticSignatures", got "apps"`},
		{`{"data":[{"type":"diagnosticSignatures","id":"1","attributes":{"weight":"0.5"}}]}`, `k: data[0].attributes.weight: want a number, got "0.5"`},
		{`{"data":[{"type":"diagnosticSignatures","id":"1","attributes":{"insight":{"referenceVersions":[{"version":1}]}}}]}`,
			`k: data[0].attributes.insight.referenceVersions[0].version: want a string, got 1`},
		{`{"data":[],"links":{"next":3}}`, `k: links.next: want a string, got 3`},
		{`{"errors":[{"status":"404"}]}`, `k: errors: API error document: [{"status":"404"}]`},
	} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rec, _, err := FlattenDiagnosticSignatures(mem, []byte(tc.doc), "b", "k", extractedAt)
		if err == nil {
			rec.Release()
			t.Errorf("%s: no error", tc.doc)
		} else if err.Error() != tc.want {
			t.Errorf("error\n got %s\nwant %s", err, tc.want)
		}
		mem.AssertSize(t, 0)
	}
	if _, _, err := FlattenDiagnosticSignatures(nil, []byte(`{"data":[]}`), "", "k", extractedAt); err == nil {
		t.Errorf("no error without a build id")
	}
}

// logsDoc: two logs with frames (and a third without), two stacks in the first log's
// tree, a chain nested five levels deep, lineNumber as string, number, "" and absent.
const logsDoc = `{"version":"1.0.0","productData":[{"signatureId":"sig-1","diagnosticInsights":[{"insightsCategory":"x"}],
 "diagnosticLogs":[
  {"diagnosticMetaData":{"bundleId":"com.example","event":"Hang","osVersion":"iOS 17.1","appVersion":"2.0",
     "buildVersion":"200","deviceType":"iPhone15,2","platformArchitecture":"arm64e","writesCaused":"","eventDetail":"2 s"},
   "callStackTree":[{"callStackPerThread":true,"callStacks":[
     {"callStackRootFrames":[
        {"symbolName":"A","lineNumber":"12","offsetIntoSymbol":100,"sampleCount":10,"isBlameFrame":false,"subFrames":[
           {"symbolName":"B","lineNumber":34,"subFrames":[
              {"symbolName":"C","lineNumber":"","subFrames":[
                 {"symbolName":"D","subFrames":[
                    {"symbolName":"E","lineNumber":7,"isBlameFrame":true,"sampleCount":3.0,"offsetIntoBinaryTextSegment":"0x1f"}]}]}]},
           {"symbolName":"F","subFrames":[]}]},
        {"symbolName":"G","binaryName":"ExampleApp","binaryUUID":"U-1","fileName":"g.swift","address":"0x10","rawFrame":"raw G","insightsCategory":"cat"}]},
     {"callStackRootFrames":[{"symbolName":"H","subFrames":[{"symbolName":"I"}]}]}]}]},
  {"diagnosticMetaData":{"bundleId":"com.example","event":"Hang","appVersion":"2.1"},
   "callStackTree":[
     {"callStackPerThread":false,"callStacks":[{"callStackRootFrames":[
        {"symbolName":"J","subFrames":[{"symbolName":"K"},{"symbolName":"L","subFrames":[{"symbolName":"M"}]}]}]}]},
     {"callStacks":[{"callStackRootFrames":[]},{}]}]},
  {"diagnosticMetaData":{"bundleId":"com.example"},"callStackTree":[]}]}]}`

func flattenLogs(t *testing.T, data []byte) arrow.RecordBatch {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	rec, err := FlattenDiagnosticLogs(mem, data, "build-1", "k", extractedAt)
	if err != nil {
		t.Fatalf("FlattenDiagnosticLogs: %v", err)
	}
	t.Cleanup(rec.Release)
	mtSchema(t, rec, schemas.LogFramesTable)
	return rec
}

func TestFlattenDiagnosticLogsPreOrder(t *testing.T) {
	rec := flattenLogs(t, []byte(logsDoc))
	N := "<null>"
	for c, want := range map[string][]string{
		"symbol_name":  strings.Split("A B C D E F G H I J K L M", " "),
		"log_index":    strings.Split("0 0 0 0 0 0 0 0 0 1 1 1 1", " "),
		"tree_index":   strings.Split("0 0 0 0 0 0 0 0 0 0 0 0 0", " "),
		"stack_index":  strings.Split("0 0 0 0 0 0 0 1 1 0 0 0 0", " "),
		"frame_order":  strings.Split("0 1 2 3 4 5 6 0 1 0 1 2 3", " "),
		"parent_order": {N, "0", "1", "2", "3", "0", N, N, "0", N, "0", "0", "2"},
		"depth":        strings.Split("0 1 2 3 4 1 0 0 1 0 1 1 2", " "),
		"call_stack_per_thread": {"true", "true", "true", "true", "true", "true", "true", "true", "true",
			"false", "false", "false", "false"},
		"line_number":                     {"12", "34", "", N, "7", N, N, N, N, N, N, N, N},
		"offset_into_symbol":              {"100", N, N, N, N, N, N, N, N, N, N, N, N},
		"offset_into_binary_text_segment": {N, N, N, N, "0x1f", N, N, N, N, N, N, N, N},
		"sample_count":                    {"10", N, N, N, "3", N, N, N, N, N, N, N, N},
		"is_blame_frame":                  {"false", N, N, N, "true", N, N, N, N, N, N, N, N},
		"binary_name":                     {N, N, N, N, N, N, "ExampleApp", N, N, N, N, N, N},
		"binary_uuid":                     {N, N, N, N, N, N, "U-1", N, N, N, N, N, N},
		"file_name":                       {N, N, N, N, N, N, "g.swift", N, N, N, N, N, N},
		"address":                         {N, N, N, N, N, N, "0x10", N, N, N, N, N, N},
		"raw_frame":                       {N, N, N, N, N, N, "raw G", N, N, N, N, N, N},
		"insights_category":               {N, N, N, N, N, N, "cat", N, N, N, N, N, N},
		"app_version":                     {"2.0", "2.0", "2.0", "2.0", "2.0", "2.0", "2.0", "2.0", "2.0", "2.1", "2.1", "2.1", "2.1"},
		"os_version":                      {"iOS 17.1", "iOS 17.1", "iOS 17.1", "iOS 17.1", "iOS 17.1", "iOS 17.1", "iOS 17.1", "iOS 17.1", "iOS 17.1", N, N, N, N},
		"writes_caused":                   {"", "", "", "", "", "", "", "", "", N, N, N, N},
	} {
		mtEqual(t, c, mtCol(t, rec, c), want)
	}
	n := int(rec.NumRows())
	for c, v := range map[string]string{
		"build_id": "build-1", "signature_id": "sig-1", "bundle_id": "com.example", "event": "Hang",
	} {
		mtEqual(t, c, mtCol(t, rec, c), strings.Split(strings.TrimSuffix(strings.Repeat(v+" ", n), " "), " "))
	}
	for _, c := range []string{"build_version", "device_type", "platform_architecture", "event_detail"} {
		mtEqual(t, c, mtCol(t, rec, c)[8:10], []string{map[string]string{
			"build_version": "200", "device_type": "iPhone15,2", "platform_architecture": "arm64e", "event_detail": "2 s"}[c], N})
	}
	mtLineage(t, rec, "k", "1.0.0")
}

// deepChain is one stack whose frames nest n levels deep.
func deepChain(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"productData":[{"diagnosticLogs":[{"callStackTree":[{"callStacks":[{"callStackRootFrames":[`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"symbolName":"f%d","subFrames":[`, i)
	}
	for i := 0; i < n; i++ {
		b.WriteString(`]}`)
	}
	b.WriteString(`]}]}]}]}]}`)
	return []byte(b.String())
}

func TestFlattenDiagnosticLogsDeep(t *testing.T) {
	const n = 4900 // encoding/json accepts 10000 nesting levels: two per frame
	rec := flattenLogs(t, deepChain(n))
	if rec.NumRows() != n {
		t.Fatalf("rows %d, want %d", rec.NumRows(), n)
	}
	depth, parent, names := mtCol(t, rec, "depth"), mtCol(t, rec, "parent_order"), mtCol(t, rec, "symbol_name")
	for i := 0; i < n; i++ {
		wantParent := fmt.Sprint(i - 1)
		if i == 0 {
			wantParent = "<null>"
		}
		if depth[i] != fmt.Sprint(i) || parent[i] != wantParent || names[i] != fmt.Sprintf("f%d", i) {
			t.Fatalf("row %d: depth %s parent %s symbol %s", i, depth[i], parent[i], names[i])
		}
	}

	// Deeper than encoding/json accepts: an error, not a crash.
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, err := FlattenDiagnosticLogs(mem, deepChain(6000), "b", "k", extractedAt)
	if !errors.Is(err, ErrInvalidJSON) {
		t.Fatalf("error %v, want invalid JSON", err)
	}
}

func TestFlattenDiagnosticLogsEmpty(t *testing.T) {
	for _, doc := range []string{
		`{"version":"1.0.0","productData":[]}`,
		`{"productData":[{"signatureId":"s","diagnosticLogs":[]}]}`,
		`{"productData":[{"signatureId":"s","diagnosticLogs":[{"diagnosticMetaData":{"event":"Hang"}}]}]}`,
		`{"productData":[{"diagnosticLogs":[{"callStackTree":[{"callStacks":[{"callStackRootFrames":null}]}]}]}]}`,
	} {
		if rec := flattenLogs(t, []byte(doc)); rec.NumRows() != 0 {
			t.Errorf("%s: %d rows, want none", doc, rec.NumRows())
		}
	}
}

func TestFlattenDiagnosticLogsErrors(t *testing.T) {
	stack := func(frames string) string {
		return `{"productData":[{"diagnosticLogs":[{},{"callStackTree":[{"callStacks":[{},{"callStackRootFrames":[` + frames + `]}]}]}]}]}`
	}
	const sp = `productData[0].diagnosticLogs[1].callStackTree[0].callStacks[1].callStackRootFrames`
	for _, tc := range []struct{ doc, want string }{
		{stack(`{"symbolName":"a","subFrames":[{},{"subFrames":[{"lineNumber":true}]}]}`),
			`k: ` + sp + `[0].subFrames[1].subFrames[0].lineNumber: want a string or a number, got true`},
		{stack(`{},{"sampleCount":1.5}`), `k: ` + sp + `[1].sampleCount: want an integer, got 1.5`},
		{stack(`{"sampleCount":"3"}`), `k: ` + sp + `[0].sampleCount: want an integer, got "3"`},
		{stack(`{"isBlameFrame":1}`), `k: ` + sp + `[0].isBlameFrame: want a boolean, got 1`},
		{stack(`{"subFrames":[null]}`), `k: ` + sp + `[0].subFrames[0]: want an object, got null`},
		{stack(`{"subFrames":{}}`), `k: ` + sp + `: subFrames: want an array, got object (byte 15 of callStackRootFrames)`},
		{stack(`1`), `k: ` + sp + `: want an object, got number (byte 2 of callStackRootFrames)`},
		{`{"productData":[{"diagnosticLogs":[{"callStackTree":[{"callStacks":[{"callStackRootFrames":{}}]}]}]}]}`,
			`k: productData[0].diagnosticLogs[0].callStackTree[0].callStacks[0].callStackRootFrames: want an array, got {}`},
		{`{"productData":[{"diagnosticLogs":[{"callStackTree":[{"callStackPerThread":"yes"}]}]}]}`,
			`k: productData[0].diagnosticLogs[0].callStackTree[0].callStackPerThread: want a boolean, got "yes"`},
		{`{"productData":[{"diagnosticLogs":[{"diagnosticMetaData":{"osVersion":17}}]}]}`,
			`k: productData[0].diagnosticLogs[0].diagnosticMetaData.osVersion: want a string, got 17`},
		{`{"productData":[{"signatureId":5}]}`, `k: productData[0].signatureId: want a string, got 5`},
		{`{"version":"1.0.0"}`, `k: productData: missing`},
		{`{"productData":[`, `k: invalid JSON at line 1, column 16: unexpected end of JSON input`},
	} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rec, err := FlattenDiagnosticLogs(mem, []byte(tc.doc), "b", "k", extractedAt)
		if err == nil {
			rec.Release()
			t.Errorf("%s: no error", tc.doc)
		} else if err.Error() != tc.want {
			t.Errorf("error\n got %s\nwant %s", err, tc.want)
		}
		mem.AssertSize(t, 0)
	}
}
