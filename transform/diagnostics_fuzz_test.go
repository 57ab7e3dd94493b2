package transform

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzFlattenDiagnosticSignatures: any signatures page flattens or fails with a
// *JSONError naming the key and JSON path; nothing leaks. Seeds:
// testdata/fuzz/FuzzFlattenDiagnosticSignatures.
func FuzzFlattenDiagnosticSignatures(f *testing.F) {
	f.Add(readFuzzSeed(f, "metrics_diagnostic_signatures_apple-doc-example.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const key = "raw/signatures.json"
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rec, _, err := FlattenDiagnosticSignatures(mem, data, "b1", key, time.Unix(0, 0))
		if err != nil {
			checkJSONError(t, key, err)
			return
		}
		rec.Release()
	})
}

// FuzzFlattenDiagnosticLogs: any logs document (frame trees of any shape and depth)
// flattens or fails with a *JSONError naming the key and JSON path; nothing leaks.
// Seeds: testdata/fuzz/FuzzFlattenDiagnosticLogs.
func FuzzFlattenDiagnosticLogs(f *testing.F) {
	f.Add([]byte(`{"version":"1.0","productData":[{"signatureId":"s","diagnosticLogs":[{"diagnosticMetaData":{"bundleId":"b"},` +
		`"callStackTree":[{"callStackPerThread":true,"callStacks":[{"callStackRootFrames":[{"sampleCount":2,"symbolName":"main",` +
		`"lineNumber":"12","subFrames":[{"sampleCount":1,"isBlameFrame":true,"offsetIntoSymbol":40}]}]}]}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const key = "raw/logs.json"
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rec, err := FlattenDiagnosticLogs(mem, data, "b1", key, time.Unix(0, 0))
		if err != nil {
			checkJSONError(t, key, err)
			return
		}
		rec.Release()
	})
}
