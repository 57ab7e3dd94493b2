package sources_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/internal/config"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/internal/sources"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/report"
)

// FuzzSnapshotParse feeds arbitrary documents to the catalog, TestFlight and Xcode Cloud
// parsers (as the last payload of a version whose other payloads are good): they never
// panic, never leak, and every error names the payload's key.
func FuzzSnapshotParse(f *testing.F) {
	for _, s := range []string{
		`{"data":[{"type":"apps","id":"1","attributes":{"name":"A"}}]}`,
		`{"data":[{"type":"builds","id":"b1","attributes":{"version":"7","expired":false},"relationships":{"preReleaseVersion":{"data":{"type":"preReleaseVersions","id":"p"}}}}],"included":[{"type":"preReleaseVersions","id":"p","attributes":{"version":"1.0"}}]}`,
		`{"data":[{"dataPoints":[{"start":"2026-11-20","values":{"crashCount":1,"sessionCount":2,"feedbackCount":0,"installCount":3,"inviteCount":1}}],"dimensions":{"betaTesters":{"data":{"type":"betaTesters","id":"t1"}}}}]}`,
		`{"data":[{"type":"ciBuildRuns","id":"r1","attributes":{"number":3,"createdDate":"2026-11-20T10:00:00.000Z","issueCounts":{"errors":1}},"relationships":{"builds":{"data":[{"type":"builds","id":"b1"}]}}}]}`,
		`{"data":[`, `{"errors":[{"status":"404"}]}`, `{"data":null}`, `[]`, ``,
	} {
		for kind := uint8(0); kind < 6; kind++ {
			f.Add(kind, []byte(s))
		}
	}
	cfg := &config.Config{VendorNumber: "85012345"}
	apps := &sources.Apps{Vendor: cfg.VendorNumber}
	type target struct {
		src      engine.Source
		unit     report.Unit
		payloads []string // the fuzzed document is the last
		good     []string
	}
	good := map[string]string{
		"apps":     `{"data":[{"type":"apps","id":"1","attributes":{"name":"A"}}]}`,
		"builds":   `{"data":[{"type":"builds","id":"b1"}]}`,
		"products": `{"data":[{"type":"ciProducts","id":"p1","relationships":{"app":{"data":{"type":"apps","id":"1"}}}}]}`,
		"runs":     `{"data":[{"type":"ciBuildRuns","id":"r1","attributes":{"createdDate":"2026-11-20T10:00:00Z"}}]}`,
	}
	day := "2026-11-21"
	targets := []target{
		{&sources.Catalog{Cfg: cfg}, report.Unit{Family: report.Catalog, Type: sources.CatalogType, Vendor: "85012345", Period: day},
			[]string{"apps-page-00001.json"}, nil},
		{&sources.Catalog{Cfg: cfg}, report.Unit{Family: report.Catalog, Type: sources.CatalogType, Vendor: "85012345", Period: day},
			[]string{"apps-page-00001.json", "app-1-builds.json"}, []string{good["apps"]}},
		{&sources.TestFlight{Cfg: cfg, Apps: apps}, report.Unit{Family: report.TestFlight, Type: sources.TestFlightType, Vendor: "1", Period: day},
			[]string{"testers-page-00001.json"}, nil},
		{&sources.TestFlight{Cfg: cfg, Apps: apps}, report.Unit{Family: report.TestFlight, Type: sources.TestFlightType, Vendor: "1", Period: day},
			[]string{"builds.json", "build-1-usage.json"}, []string{good["builds"]}},
		{&sources.XcodeCloud{Cfg: cfg, Apps: apps}, report.Unit{Family: report.XcodeCloud, Type: sources.XcodeCloudType, Vendor: "85012345", Period: day},
			[]string{"products-page-00001.json", "product-1-runs.json"}, []string{good["products"]}},
		{&sources.XcodeCloud{Cfg: cfg, Apps: apps}, report.Unit{Family: report.XcodeCloud, Type: sources.XcodeCloudType, Vendor: "85012345", Period: day},
			[]string{"products-page-00001.json", "product-1-runs.json", "product-1-run-1-actions-page-00001.json"},
			[]string{good["products"], good["runs"]}},
	}
	f.Fuzz(func(t *testing.T, kind uint8, doc []byte) {
		tg := targets[int(kind)%len(targets)]
		v := &load.Version{Unit: tg.unit, ID: "v1", FetchedAt: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
		contents := map[string][]byte{}
		for i, name := range tg.payloads {
			key := "raw/" + tg.unit.ID() + "/v1/" + name + ".gz"
			v.Payloads = append(v.Payloads, load.Payload{Name: name, Key: key})
			if i < len(tg.good) {
				contents[key] = []byte(tg.good[i])
			} else {
				contents[key] = doc
			}
		}
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		in := &engine.ParseInput{Unit: tg.unit, Version: v, Alloc: mem, Note: func(engine.Note) {},
			Open: func(p load.Payload) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(contents[p.Key])), nil
			}}
		parsed, err := tg.src.Parse(context.Background(), in)
		if err != nil {
			if last := v.Payloads[len(v.Payloads)-1].Key; !strings.Contains(err.Error(), last) {
				t.Errorf("error %q does not name %s", err, last)
			}
		} else if parsed.Release != nil {
			parsed.Release()
		}
		mem.AssertSize(t, 0)
	})
}
