package transform

// Diagnostic logs (REFERENCE.md §D.2, GET /v1/diagnosticSignatures/{id}/logs).
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
	texts, err := frameTexts(d, f, p)
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
	for i, c := range frameTextColumns {
		b.str(c, texts[i])
	}
	b.endRow()
	return nil
}

// frameTextMembers are the frame's text members in frameTextColumns order; number says
// that a JSON number is accepted too (kept as its text).
var frameTextMembers = [10]struct {
	name   string
	number bool
}{
	{"symbolName", false}, {"binaryName", false}, {"binaryUUID", false}, {"fileName", false},
	{"lineNumber", true}, {"address", false}, {"offsetIntoSymbol", true},
	{"offsetIntoBinaryTextSegment", true}, {"insightsCategory", false}, {"rawFrame", false},
}

var frameTextColumns = [10]string{"symbol_name", "binary_name", "binary_uuid", "file_name", "line_number",
	"address", "offset_into_symbol", "offset_into_binary_text_segment", "insights_category", "raw_frame"}

// frameTexts decodes the frame's text members, in frameTextMembers order.
func frameTexts(d jdec, f *jlFrame, p *jpath) ([10]*string, error) {
	raws := [10]json.RawMessage{f.SymbolName, f.BinaryName, f.BinaryUUID, f.FileName, f.LineNumber,
		f.Address, f.OffsetIntoSymbol, f.OffsetIntoBinaryTextSegment, f.InsightsCategory, f.RawFrame}
	var texts [10]*string
	for i, m := range frameTextMembers {
		var err error
		if m.number {
			texts[i], err = d.textOrNumber(raws[i], p, m.name)
		} else {
			texts[i], err = d.str(raws[i], p, m.name)
		}
		if err != nil {
			return texts, err
		}
	}
	return texts, nil
}
