package transform

// Diagnostics (REFERENCE.md §D.2) come as JSON:API pages of diagnosticSignatures
// (GET /v1/builds/{id}/diagnosticSignatures) and, per signature, one diagnostic-logs
// document (GET /v1/diagnosticSignatures/{id}/logs, media type
// application/vnd.apple.diagnostic-logs+json).
//
// FlattenDiagnosticSignatures: one diagnostic_signatures row per data[] element, in
// order. insight.referenceVersions [{version, value}] is stored as "1.0=0.3,1.1=0.5": each
// element as version "=" value, value being its JSON number text exactly as written; an
// absent or null version or value leaves its side empty ("1.0="); [] gives "", absent or
// null gives null. Each resource needs a non-empty string id and type
// "diagnosticSignatures". _source_line is the 1-based position in data[];
// _report_version is "" (JSON:API pages carry no report version).
//
// The logs document is flattened by FlattenDiagnosticLogs (diagnostics_logs.go).
//
// Null rules as for metrics: absent or JSON null → null; "" stays "". Unknown members
// are ignored. Errors are *JSONError naming the key and JSON path.

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
)

// DiagnosticSignatureType is the JSON:API type of diagnosticSignatures resources.
const DiagnosticSignatureType = "diagnosticSignatures"

var diagnosticsColumns = func() map[string]map[string]schemas.Kind {
	S, I, F, B := schemas.String, schemas.Int64, schemas.Float64, schemas.Bool
	return map[string]map[string]schemas.Kind{
		schemas.SignaturesTable: {
			"build_id": S, "signature_id": S, "diagnostic_type": S, "signature": S, "weight": F,
			"insight_type": S, "insight_direction": S, "insight_reference_versions": S,
		},
		schemas.LogFramesTable: {
			"build_id": S, "signature_id": S, "log_index": I,
			"bundle_id": S, "event": S, "os_version": S, "app_version": S, "build_version": S,
			"device_type": S, "platform_architecture": S, "writes_caused": S, "event_detail": S,
			"tree_index": I, "call_stack_per_thread": B, "stack_index": I,
			"frame_order": I, "parent_order": I, "depth": I,
			"sample_count": I, "is_blame_frame": B, "symbol_name": S, "binary_name": S,
			"binary_uuid": S, "file_name": S, "line_number": S, "address": S,
			"offset_into_symbol": S, "offset_into_binary_text_segment": S,
			"insights_category": S, "raw_frame": S,
		},
	}
}()

// JSON shapes of the signatures page.
type (
	jsPage struct {
		Data   json.RawMessage `json:"data"`
		Links  json.RawMessage `json:"links"`
		Errors json.RawMessage `json:"errors"`
	}
	jsLinks struct {
		Next json.RawMessage `json:"next"`
	}
	jsResource struct {
		Type       json.RawMessage `json:"type"`
		ID         json.RawMessage `json:"id"`
		Attributes json.RawMessage `json:"attributes"`
	}
	jsAttributes struct {
		DiagnosticType json.RawMessage `json:"diagnosticType"`
		Signature      json.RawMessage `json:"signature"`
		Weight         json.RawMessage `json:"weight"`
		Insight        json.RawMessage `json:"insight"`
	}
	jsInsight struct {
		InsightType       json.RawMessage `json:"insightType"`
		Direction         json.RawMessage `json:"direction"`
		ReferenceVersions json.RawMessage `json:"referenceVersions"`
	}
	jsReferenceVersion struct {
		Version json.RawMessage `json:"version"`
		Value   json.RawMessage `json:"value"`
	}
)

// FlattenDiagnosticSignatures flattens one page of GET /v1/builds/{id}/diagnosticSignatures
// into a diagnostic_signatures batch (exactly the schema's ArrowSchema(nil)) and returns
// links.next ("" on the last page). key is the raw object key of the page. See the top
// of diagnostics.go for the rules. The caller releases the batch; on error it is nil.
func FlattenDiagnosticSignatures(alloc memory.Allocator, data []byte, buildID, key string, extractedAt time.Time) (arrow.RecordBatch, string, error) {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	if buildID == "" {
		return nil, "", fmt.Errorf("transform: %s: diagnostic signatures without a build id", key)
	}
	d := jdec{key: key}
	var pg jsPage
	if err := d.document(data, &pg); err != nil {
		return nil, "", err
	}
	if err := apiError(key, pg.Errors); err != nil {
		return nil, "", err
	}
	root := (*jpath)(nil)
	var links jsLinks
	if _, err := d.object(pg.Links, root.field("links"), &links); err != nil {
		return nil, "", err
	}
	next, err := d.str(links.Next, root.field("links"), "next")
	if err != nil {
		return nil, "", err
	}
	dp := root.field("data")
	if isJSONNull(pg.Data) {
		return nil, "", d.fail(dp, ErrMissingField, "")
	}
	items, err := d.array(pg.Data, dp)
	if err != nil {
		return nil, "", err
	}

	b, err := newTableBuilder(alloc, schemas.SignaturesTable, diagnosticsColumns[schemas.SignaturesTable], key, "", extractedAt)
	if err != nil {
		return nil, "", err
	}
	defer b.release()
	for i, raw := range items {
		if err := signatureRow(d, b, raw, dp.at(i), buildID); err != nil {
			return nil, "", err
		}
	}
	rec, err := b.finish()
	if err != nil {
		return nil, "", err
	}
	if next == nil {
		return rec, "", nil
	}
	return rec, *next, nil
}

func signatureRow(d jdec, b *tableBuilder, raw json.RawMessage, p *jpath, buildID string) error {
	var r jsResource
	if ok, err := d.object(raw, p, &r); err != nil || !ok {
		if err == nil {
			err = d.wrong(p, "an object", raw)
		}
		return err
	}
	id, err := d.required(r.ID, p, "id")
	if err != nil {
		return err
	}
	typ, err := d.required(r.Type, p, "type")
	if err != nil {
		return err
	}
	if typ != DiagnosticSignatureType {
		return d.fail(p.field("type"), ErrWrongType, fmt.Sprintf("want %q, got %q", DiagnosticSignatureType, typ))
	}
	ap := p.field("attributes")
	var a jsAttributes
	if _, err := d.object(r.Attributes, ap, &a); err != nil {
		return err
	}
	diagType, err := d.str(a.DiagnosticType, ap, "diagnosticType")
	if err != nil {
		return err
	}
	signature, err := d.str(a.Signature, ap, "signature")
	if err != nil {
		return err
	}
	weight, err := d.num(a.Weight, ap, "weight")
	if err != nil {
		return err
	}
	ins, err := signatureInsight(d, a.Insight, ap.field("insight"))
	if err != nil {
		return err
	}

	b.text("build_id", buildID)
	b.text("signature_id", id)
	b.str("diagnostic_type", diagType)
	b.str("signature", signature)
	b.f64("weight", weight)
	b.str("insight_type", ins.typ)
	b.str("insight_direction", ins.direction)
	b.str("insight_reference_versions", ins.refs)
	b.endRow()
	return nil
}

// sigInsight is a signature's decoded insight (all nil when absent or null).
type sigInsight struct{ typ, direction, refs *string }

// signatureInsight decodes attributes.insight at ip.
func signatureInsight(d jdec, raw json.RawMessage, ip *jpath) (sigInsight, error) {
	var in jsInsight
	var out sigInsight
	if _, err := d.object(raw, ip, &in); err != nil {
		return out, err
	}
	var err error
	if out.typ, err = d.str(in.InsightType, ip, "insightType"); err != nil {
		return out, err
	}
	if out.direction, err = d.str(in.Direction, ip, "direction"); err != nil {
		return out, err
	}
	out.refs, err = signatureReferenceVersions(d, in.ReferenceVersions, ip.field("referenceVersions"))
	return out, err
}

// signatureReferenceVersions joins [{version, value}] as "1.0=0.3,1.1=0.5".
func signatureReferenceVersions(d jdec, raw json.RawMessage, p *jpath) (*string, error) {
	items, err := d.array(raw, p)
	if err != nil || items == nil {
		return nil, err
	}
	var sb strings.Builder
	for i, it := range items {
		ip := p.at(i)
		var rv jsReferenceVersion
		if ok, err := d.object(it, ip, &rv); err != nil || !ok {
			if err == nil {
				err = d.wrong(ip, "an object", it)
			}
			return nil, err
		}
		version, err := d.str(rv.Version, ip, "version")
		if err != nil {
			return nil, err
		}
		if _, err := d.num(rv.Value, ip, "value"); err != nil {
			return nil, err
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		if version != nil {
			sb.WriteString(*version)
		}
		sb.WriteByte('=')
		if !isJSONNull(rv.Value) {
			sb.Write(rv.Value)
		}
	}
	s := sb.String()
	return &s, nil
}
