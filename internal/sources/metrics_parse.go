package sources

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/load"
	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/transform"
)

// Parse flattens every document of a snapshot, in the order fetched, into the six tables'
// partitions of the app and day (transform.FlattenMetrics, FlattenDiagnosticSignatures,
// FlattenDiagnosticLogs). Each table gets one output replacing its partition, an empty
// one too (a snapshot without diagnostics still says so); perf_metrics is the primary.
// The build ids come from the archived build listing, so Parse needs no API. A category,
// metric, unit or version the flattening does not know is loaded and noted as drift once
// per snapshot (the run prints it once, with the number of snapshots).
func (s *Metrics) Parse(ctx context.Context, in *engine.ParseInput) (*engine.Parsed, error) {
	part, err := in.Unit.Partition()
	if err != nil {
		return nil, err
	}
	p := &snapshotParse{in: in, recs: map[string][]arrow.RecordBatch{}}
	if err := p.all(ctx); err != nil {
		p.release()
		return nil, err
	}
	var outs []engine.Output
	for _, t := range s.Tables() {
		outs = append(outs, engine.Output{Table: t, Partition: part, Input: load.Input{Records: p.recs[t.Name]},
			Primary: t.Name == schemas.MetricsTable})
	}
	for _, d := range p.drift {
		in.Note(engine.Note{Kind: "drift", Table: schemas.MetricsTable, Subject: d, Detail: d + ", loaded as served"})
	}
	return &engine.Parsed{Outputs: outs, Release: p.release}, nil
}

// snapshotParse collects the records of one snapshot, per table.
type snapshotParse struct {
	in     *engine.ParseInput
	recs   map[string][]arrow.RecordBatch
	drift  []string          // distinct, in first-seen order
	builds map[string]string // safeName(id) -> build id, from the build listing
}

func (p *snapshotParse) add(table string, r arrow.RecordBatch) {
	if r != nil {
		p.recs[table] = append(p.recs[table], r)
	}
}

func (p *snapshotParse) release() {
	for _, rs := range p.recs {
		releaseAll(rs)
	}
	p.recs = nil
}

func (p *snapshotParse) read(pl load.Payload) ([]byte, error) {
	rc, err := p.in.Open(pl)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", pl.Key, err)
	}
	return data, nil
}

func (p *snapshotParse) all(ctx context.Context) error {
	pls := p.in.Version.Payloads
	if p.in.Version.ID == "legacy" {
		// The ledger of an archive from before versions were kept names one document of a
		// snapshot's several (load.LegacyVersion): parsing it alone would replace the
		// partitions with part of the snapshot.
		return fmt.Errorf("%s: a metrics snapshot archived before versions were kept cannot be reparsed (its Parquet is kept)", p.in.Version.Payloads[0].Key)
	}
	if i := slices.IndexFunc(pls, func(pl load.Payload) bool { return pl.Name == buildsName }); i >= 0 {
		if err := p.listing(pls[i]); err != nil {
			return err
		}
	}
	for _, pl := range pls {
		if err := ctx.Err(); err != nil {
			return err
		}
		if pl.Name == buildsName {
			continue
		}
		if err := p.payload(pl); err != nil {
			return err
		}
	}
	return nil
}

// listing reads the build listing: the ids the build payloads are named after.
func (p *snapshotParse) listing(pl load.Payload) error {
	data, err := p.read(pl)
	if err != nil {
		return err
	}
	doc, err := transform.DecodeDocument(pl.Key, data)
	if err != nil {
		return err
	}
	p.builds = map[string]string{}
	for _, r := range doc.Data {
		p.builds[safeName(r.ID)] = r.ID
	}
	return nil
}

// payload flattens one document, told by its name (metrics.go).
func (p *snapshotParse) payload(pl load.Payload) error {
	kind, build, err := p.kindOf(pl)
	if err != nil {
		return err
	}
	data, err := p.read(pl)
	if err != nil {
		return err
	}
	at := p.in.Version.FetchedAt
	switch kind {
	case "metrics":
		src := transform.MetricsSource{Source: transform.MetricsSourceApp, Key: pl.Key}
		if build != "" {
			src = transform.MetricsSource{Source: transform.MetricsSourceBuild, BuildID: build, Key: pl.Key}
		}
		mr, err := transform.FlattenMetrics(p.in.Alloc, data, src, at)
		if err != nil {
			return err
		}
		p.add(schemas.MetricsTable, mr.Metrics)
		p.add(schemas.BreakdownsTable, mr.Breakdowns)
		p.add(schemas.GoalsTable, mr.Goals)
		p.add(schemas.InsightsTable, mr.Insights)
		for _, d := range mr.Drift {
			if !slices.Contains(p.drift, d) {
				p.drift = append(p.drift, d)
			}
		}
	case "signatures":
		rec, _, err := transform.FlattenDiagnosticSignatures(p.in.Alloc, data, build, pl.Key, at)
		if err != nil {
			return err
		}
		p.add(schemas.SignaturesTable, rec)
	case "logs":
		rec, err := transform.FlattenDiagnosticLogs(p.in.Alloc, data, build, pl.Key, at)
		if err != nil {
			return err
		}
		p.add(schemas.LogFramesTable, rec)
	}
	return nil
}

// kindOf tells a payload by its name: app-metrics.json, build-<id>-metrics.json,
// build-<id>-signatures-<n>.json or build-<id>-logs-<n>.json; the build id is the one
// of the listing the name was made from.
func (p *snapshotParse) kindOf(pl load.Payload) (kind, build string, err error) {
	if pl.Name == appMetricsName {
		return "metrics", "", nil
	}
	kind, safe, ok := splitBuildPayload(pl.Name)
	if !ok {
		return "", "", fmt.Errorf("%s: payload %q is not a document of a metrics snapshot", pl.Key, pl.Name)
	}
	build, ok = p.builds[safe]
	if !ok {
		return "", "", fmt.Errorf("%s: build %q is not in the snapshot's build listing (%s)", pl.Key, safe, buildsName)
	}
	return kind, build, nil
}

// splitBuildPayload splits build-<id>-metrics.json, build-<id>-signatures-<n>.json and
// build-<id>-logs-<n>.json into the kind and the (safe) build id. Ids contain '-' (they
// are UUIDs), so the name is read from its end.
func splitBuildPayload(name string) (kind, id string, ok bool) {
	rest, ok := strings.CutPrefix(name, "build-")
	if !ok {
		return "", "", false
	}
	if rest, ok = strings.CutSuffix(rest, ".json"); !ok {
		return "", "", false
	}
	if id, ok := strings.CutSuffix(rest, "-metrics"); ok && id != "" {
		return "metrics", id, true
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 || !digits(rest[i+1:]) {
		return "", "", false
	}
	for _, k := range []string{"signatures", "logs"} {
		if id, ok := strings.CutSuffix(rest[:i], "-"+k); ok && id != "" {
			return k, id, true
		}
	}
	return "", "", false
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
