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
// FlattenDiagnosticLogs: one diagnostic_log_frames row per call-stack frame. Each
// callStackTree[].callStacks[] element is one stack; its callStackRootFrames and their
// subFrames are walked depth-first in pre-order (a frame, then its subFrames in order,
// then its next sibling), with an explicit stack so that pathological nesting cannot
// overflow the goroutine stack. frame_order is the position in that walk within the stack
// (0-based; ORDER BY frame_order rebuilds it), parent_order the frame_order of the
// caller (null for root frames), depth 0 for root frames and +1 per subFrames level.
// signature_id, the log's position in its productData[].diagnosticLogs (log_index),
// its diagnosticMetaData, tree_index, callStackPerThread and stack_index are repeated on
// every frame. A log, tree or stack with no frames produces no rows (the table is one row
// per frame; a frame-less row would carry no frame to order). lineNumber,
// offsetIntoSymbol and offsetIntoBinaryTextSegment are strings in Apple's JSON (sometimes
// ""), kept as is; a number is accepted too and stored as its JSON text exactly as
// written. sampleCount must be an integer (3.0 is accepted), isBlameFrame a boolean.
// _source_line is the 1-based ordinal of the frame row in the document (all logs, trees,
// stacks in document order); _report_version is the document's "version".
//
// Nesting deeper than encoding/json accepts (10000 levels, about 5000 frame levels) is
// an invalid-JSON error, not a crash. Frame trees are decoded in one pass per stack, so
// a structural error inside one (a subFrames that is not an array, a frame that is not
// an object) names the stack's callStackRootFrames path plus encoding/json's member path
// and byte offset rather than every index; errors in frame members (wrong type of
// sampleCount, symbolName, …) name the full indexed path.
//
// Null rules as for metrics: absent or JSON null → null; "" stays "". Unknown members
// are ignored. Errors are *JSONError naming the key and JSON path.

import (
	"encoding/json"
	"errors"
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
	ip := ap.field("insight")
	var in jsInsight
	if _, err := d.object(a.Insight, ip, &in); err != nil {
		return err
	}
	insightType, err := d.str(in.InsightType, ip, "insightType")
	if err != nil {
		return err
	}
	direction, err := d.str(in.Direction, ip, "direction")
	if err != nil {
		return err
	}
	refs, err := signatureReferenceVersions(d, in.ReferenceVersions, ip.field("referenceVersions"))
	if err != nil {
		return err
	}

	b.text("build_id", buildID)
	b.text("signature_id", id)
	b.str("diagnostic_type", diagType)
	b.str("signature", signature)
	b.f64("weight", weight)
	b.str("insight_type", insightType)
	b.str("insight_direction", direction)
	b.str("insight_reference_versions", refs)
	b.endRow()
	return nil
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

// JSON shapes of the diagnostic-logs document.
type (
	jlDoc struct {
		Version     json.RawMessage `json:"version"`
		ProductData json.RawMessage `json:"productData"`
		Errors      json.RawMessage `json:"errors"`
	}
	jlProduct struct {
		SignatureID    json.RawMessage `json:"signatureId"`
		DiagnosticLogs json.RawMessage `json:"diagnosticLogs"`
	}
	jlLog struct {
		DiagnosticMetaData json.RawMessage `json:"diagnosticMetaData"`
		CallStackTree      json.RawMessage `json:"callStackTree"`
	}
	jlMeta struct {
		BundleID             json.RawMessage `json:"bundleId"`
		Event                json.RawMessage `json:"event"`
		OSVersion            json.RawMessage `json:"osVersion"`
		AppVersion           json.RawMessage `json:"appVersion"`
		BuildVersion         json.RawMessage `json:"buildVersion"`
		DeviceType           json.RawMessage `json:"deviceType"`
		PlatformArchitecture json.RawMessage `json:"platformArchitecture"`
		WritesCaused         json.RawMessage `json:"writesCaused"`
		EventDetail          json.RawMessage `json:"eventDetail"`
	}
	jlTree struct {
		CallStackPerThread json.RawMessage `json:"callStackPerThread"`
		CallStacks         json.RawMessage `json:"callStacks"`
	}
	jlStack struct {
		CallStackRootFrames json.RawMessage `json:"callStackRootFrames"`
	}
	// jlFrame is a DiagnosticLogCallStackNode. Members are raw (decoded with their path
	// during the walk); subFrames is decoded with the frame, in one pass per stack.
	jlFrame struct {
		SampleCount                 json.RawMessage `json:"sampleCount"`
		IsBlameFrame                json.RawMessage `json:"isBlameFrame"`
		SymbolName                  json.RawMessage `json:"symbolName"`
		InsightsCategory            json.RawMessage `json:"insightsCategory"`
		OffsetIntoSymbol            json.RawMessage `json:"offsetIntoSymbol"`
		BinaryName                  json.RawMessage `json:"binaryName"`
		FileName                    json.RawMessage `json:"fileName"`
		BinaryUUID                  json.RawMessage `json:"binaryUUID"`
		LineNumber                  json.RawMessage `json:"lineNumber"`
		Address                     json.RawMessage `json:"address"`
		OffsetIntoBinaryTextSegment json.RawMessage `json:"offsetIntoBinaryTextSegment"`
		RawFrame                    json.RawMessage `json:"rawFrame"`
		SubFrames                   []*jlFrame      `json:"subFrames"`
	}
)

// logContext is what every frame row of one stack repeats.
type logContext struct {
	signatureID *string
	logIndex    int64
	meta        [9]*string // in logMetaColumns order
	treeIndex   int64
	perThread   *bool
	stackIndex  int64
}

// logMetaColumns pairs diagnosticMetaData members with their columns.
var logMetaColumns = [9]struct{ member, column string }{
	{"bundleId", "bundle_id"}, {"event", "event"}, {"osVersion", "os_version"},
	{"appVersion", "app_version"}, {"buildVersion", "build_version"},
	{"deviceType", "device_type"}, {"platformArchitecture", "platform_architecture"},
	{"writesCaused", "writes_caused"}, {"eventDetail", "event_detail"},
}

// FlattenDiagnosticLogs flattens one GET /v1/diagnosticSignatures/{id}/logs document into
// a diagnostic_log_frames batch (exactly the schema's ArrowSchema(nil)): one row per
// frame, in pre-order per stack. key is the raw object key. See the top of
// diagnostics.go for the rules. The caller releases the batch; on error it is nil.
func FlattenDiagnosticLogs(alloc memory.Allocator, data []byte, buildID, key string, extractedAt time.Time) (arrow.RecordBatch, error) {
	if alloc == nil {
		alloc = memory.DefaultAllocator
	}
	if buildID == "" {
		return nil, fmt.Errorf("transform: %s: diagnostic logs without a build id", key)
	}
	d := jdec{key: key}
	var doc jlDoc
	if err := d.document(data, &doc); err != nil {
		return nil, err
	}
	if err := apiError(key, doc.Errors); err != nil {
		return nil, err
	}
	root := (*jpath)(nil)
	version, err := d.str(doc.Version, root, "version")
	if err != nil {
		return nil, err
	}
	var ver string
	if version != nil {
		ver = *version
	}
	pp := root.field("productData")
	if isJSONNull(doc.ProductData) {
		return nil, d.fail(pp, ErrMissingField, "")
	}
	products, err := d.array(doc.ProductData, pp)
	if err != nil {
		return nil, err
	}

	b, err := newTableBuilder(alloc, schemas.LogFramesTable, diagnosticsColumns[schemas.LogFramesTable], key, ver, extractedAt)
	if err != nil {
		return nil, err
	}
	defer b.release()
	w := &frameWalker{d: d, b: b, buildID: buildID}
	for i, praw := range products {
		if err := w.product(praw, pp.at(i)); err != nil {
			return nil, err
		}
	}
	return b.finish()
}

type frameWalker struct {
	d       jdec
	b       *tableBuilder
	buildID string
	stack   []frameItem // reused across stacks
}

type frameItem struct {
	f      *jlFrame
	p      *jpath
	parent int64 // -1 for a root frame
	depth  int64
}

func (w *frameWalker) product(raw json.RawMessage, p *jpath) error {
	d := w.d
	var prod jlProduct
	if ok, err := d.object(raw, p, &prod); err != nil || !ok {
		if err == nil {
			err = d.wrong(p, "an object", raw)
		}
		return err
	}
	var ctx logContext
	var err error
	if ctx.signatureID, err = d.str(prod.SignatureID, p, "signatureId"); err != nil {
		return err
	}
	lp := p.field("diagnosticLogs")
	logs, err := d.array(prod.DiagnosticLogs, lp)
	if err != nil {
		return err
	}
	for i, lraw := range logs {
		ctx.logIndex = int64(i)
		if err := w.log(lraw, lp.at(i), ctx); err != nil {
			return err
		}
	}
	return nil
}

func (w *frameWalker) log(raw json.RawMessage, p *jpath, ctx logContext) error {
	d := w.d
	var lg jlLog
	if ok, err := d.object(raw, p, &lg); err != nil || !ok {
		if err == nil {
			err = d.wrong(p, "an object", raw)
		}
		return err
	}
	mp := p.field("diagnosticMetaData")
	var meta jlMeta
	if _, err := d.object(lg.DiagnosticMetaData, mp, &meta); err != nil {
		return err
	}
	raws := [9]json.RawMessage{meta.BundleID, meta.Event, meta.OSVersion, meta.AppVersion,
		meta.BuildVersion, meta.DeviceType, meta.PlatformArchitecture, meta.WritesCaused, meta.EventDetail}
	for i := range raws {
		s, err := d.str(raws[i], mp, logMetaColumns[i].member)
		if err != nil {
			return err
		}
		ctx.meta[i] = s
	}
	tp := p.field("callStackTree")
	trees, err := d.array(lg.CallStackTree, tp)
	if err != nil {
		return err
	}
	for i, traw := range trees {
		ip := tp.at(i)
		var tree jlTree
		if ok, err := d.object(traw, ip, &tree); err != nil || !ok {
			if err == nil {
				err = d.wrong(ip, "an object", traw)
			}
			return err
		}
		ctx.treeIndex = int64(i)
		if ctx.perThread, err = d.boolean(tree.CallStackPerThread, ip, "callStackPerThread"); err != nil {
			return err
		}
		sp := ip.field("callStacks")
		stacks, err := d.array(tree.CallStacks, sp)
		if err != nil {
			return err
		}
		for j, sraw := range stacks {
			ctx.stackIndex = int64(j)
			if err := w.callStack(sraw, sp.at(j), &ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *frameWalker) callStack(raw json.RawMessage, p *jpath, ctx *logContext) error {
	d := w.d
	var st jlStack
	if ok, err := d.object(raw, p, &st); err != nil || !ok {
		if err == nil {
			err = d.wrong(p, "an object", raw)
		}
		return err
	}
	rp := p.field("callStackRootFrames")
	if isJSONNull(st.CallStackRootFrames) {
		return nil
	}
	if st.CallStackRootFrames[0] != '[' {
		return d.wrong(rp, "an array", st.CallStackRootFrames)
	}
	var roots []*jlFrame
	if err := json.Unmarshal(st.CallStackRootFrames, &roots); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := ""
			if te.Field != "" {
				field = te.Field + ": "
			}
			return d.fail(rp, ErrWrongType, fmt.Sprintf("%swant %s, got %s (byte %d of callStackRootFrames)",
				field, goTypeInJSON(te.Type.String()), te.Value, te.Offset))
		}
		return d.fail(rp, ErrInvalidJSON, err.Error())
	}

	stack := w.stack[:0]
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, frameItem{f: roots[i], p: rp.at(i), parent: -1})
	}
	var order int64
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.f == nil {
			return d.fail(it.p, ErrWrongType, "want an object, got null")
		}
		if err := w.frame(it, order, ctx); err != nil {
			return err
		}
		if n := len(it.f.SubFrames); n > 0 {
			sp := it.p.field("subFrames")
			for j := n - 1; j >= 0; j-- {
				stack = append(stack, frameItem{f: it.f.SubFrames[j], p: sp.at(j), parent: order, depth: it.depth + 1})
			}
		}
		order++
	}
	w.stack = stack[:0]
	return nil
}

// goTypeInJSON names a Go type of jlFrame in JSON words for error messages.
func goTypeInJSON(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.Contains(t, "jlFrame"):
		return "an object"
	}
	return t
}

func (w *frameWalker) frame(it frameItem, order int64, ctx *logContext) error {
	d, f, p := w.d, it.f, it.p
	sampleCount, err := d.integer(f.SampleCount, p, "sampleCount")
	if err != nil {
		return err
	}
	blame, err := d.boolean(f.IsBlameFrame, p, "isBlameFrame")
	if err != nil {
		return err
	}
	var texts [9]*string
	for i, m := range []struct {
		raw    json.RawMessage
		name   string
		number bool
	}{
		{f.SymbolName, "symbolName", false},
		{f.BinaryName, "binaryName", false},
		{f.BinaryUUID, "binaryUUID", false},
		{f.FileName, "fileName", false},
		{f.LineNumber, "lineNumber", true},
		{f.Address, "address", false},
		{f.OffsetIntoSymbol, "offsetIntoSymbol", true},
		{f.OffsetIntoBinaryTextSegment, "offsetIntoBinaryTextSegment", true},
		{f.InsightsCategory, "insightsCategory", false},
	} {
		if m.number {
			texts[i], err = d.textOrNumber(m.raw, p, m.name)
		} else {
			texts[i], err = d.str(m.raw, p, m.name)
		}
		if err != nil {
			return err
		}
	}
	rawFrame, err := d.str(f.RawFrame, p, "rawFrame")
	if err != nil {
		return err
	}

	b := w.b
	b.text("build_id", w.buildID)
	b.str("signature_id", ctx.signatureID)
	b.i64("log_index", ctx.logIndex)
	for i, m := range logMetaColumns {
		b.str(m.column, ctx.meta[i])
	}
	b.i64("tree_index", ctx.treeIndex)
	b.boolean("call_stack_per_thread", ctx.perThread)
	b.i64("stack_index", ctx.stackIndex)
	b.i64("frame_order", order)
	if it.parent < 0 {
		b.null("parent_order")
	} else {
		b.i64("parent_order", it.parent)
	}
	b.i64("depth", it.depth)
	b.i64p("sample_count", sampleCount)
	b.boolean("is_blame_frame", blame)
	for i, c := range [9]string{"symbol_name", "binary_name", "binary_uuid", "file_name", "line_number",
		"address", "offset_into_symbol", "offset_into_binary_text_segment", "insights_category"} {
		b.str(c, texts[i])
	}
	b.str("raw_frame", rawFrame)
	b.endRow()
	return nil
}
