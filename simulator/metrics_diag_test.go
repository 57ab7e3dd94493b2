package simulator

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var sigIDRE = regexp.MustCompile(`^[0-9a-f]{66}$`)

func sigPath(buildID string) string { return "/v1/builds/" + buildID + "/diagnosticSignatures" }

// diagBuild returns a build with diagnostics and one without.
func diagBuilds(t *testing.T, e *env) (with, without string) {
	t.Helper()
	bs := e.srv.Builds(e.srv.AppIDs()[0])
	return bs[0].ID, bs[len(bs)-1].ID
}

func TestDiagnosticSignatures(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: -1})
	with, without := diagBuilds(t, e)
	truth, err := e.srv.TruthDiagnostics(with)
	if err != nil || len(truth.Signatures) < 4 {
		t.Fatalf("truth %+v %v", truth, err)
	}
	// Shape: Apple's example keys, plus the insight the schema allows.
	sample := sampleShape(t, "diagnostic_signatures_apple-doc-example.json")
	allowed := map[string]bool{}
	for k := range sample {
		allowed[k] = true
	}
	for _, k := range []string{"", "/insightType", "/direction", "/referenceVersions", "/referenceVersions[]/version", "/referenceVersions[]/value"} {
		allowed["/data[]/attributes/insight"+k] = true
	}
	v := decodeTyped(t, e.do(t, sigPath(with), url.Values{"limit": {"2"}}, nil), "application/json")
	got := shapeOf(v)
	subset(t, "sample ⊆ served", sample, got)
	subset(t, "served ⊆ schema", got, allowed)

	// Paging walk sees every signature once, in truth order; total and limit in meta.
	pages := walk(t, e, sigPath(with), url.Values{"limit": {"3"}})
	var ids []string
	for _, p := range pages {
		if p.Meta.Paging.Total != len(truth.Signatures) || p.Meta.Paging.Limit != 3 {
			t.Fatalf("meta %+v", p.Meta)
		}
		for _, d := range p.Data {
			if d.Type != "diagnosticSignatures" || !sigIDRE.MatchString(d.ID) ||
				d.Relationships["logs"].Links.Related != "http://example.com/v1/diagnosticSignatures/"+d.ID+"/logs" {
				t.Fatalf("signature %+v", d)
			}
			ids = append(ids, d.ID)
		}
	}
	var want []string
	types := map[string]int{}
	for _, s := range truth.Signatures {
		want = append(want, s.ID)
		types[s.Type]++
		if s.Weight <= 0 || s.Weight > 1 || s.Logs < 2 || s.Logs > 3 || s.Frames < s.Logs*2 {
			t.Fatalf("signature truth %+v", s)
		}
	}
	if !slices.Equal(ids, want) || len(types) != 3 {
		t.Fatalf("walk %v\nwant %v (types %v)", ids, want, types)
	}
	// Weights as served.
	raw := arr(obj(decodeTyped(t, e.do(t, sigPath(with), nil, nil), "application/json"))["data"])
	for i, d := range raw {
		if w := obj(obj(d)["attributes"])["weight"].(float64); w != truth.Signatures[i].Weight {
			t.Fatalf("weight %v vs %v", w, truth.Signatures[i].Weight)
		}
	}
	// filter[diagnosticType] and fields.
	pages = walk(t, e, sigPath(with), url.Values{"filter[diagnosticType]": {"HANGS"}, "fields[diagnosticSignatures]": {"weight"}})
	if len(pages[0].Data) != types["HANGS"] || pages[0].Meta.Paging.Total != types["HANGS"] {
		t.Fatalf("HANGS: %d of %d", len(pages[0].Data), types["HANGS"])
	}
	v = decodeTyped(t, e.do(t, sigPath(with), url.Values{"fields[diagnosticSignatures]": {"weight"}}, nil), "application/json")
	for k := range shapeOf(v) {
		if strings.Contains(k, "/signature") || strings.Contains(k, "relationships") {
			t.Fatalf("fields=weight serves %s", k)
		}
	}
	// A build without diagnostics answers 404, like an unknown one; bad parameters 400.
	for _, c := range []struct {
		path   string
		q      url.Values
		status int
		code   string
	}{
		{sigPath(without), nil, 404, "NOT_FOUND"},
		{sigPath("nope"), nil, 404, "NOT_FOUND"},
		{sigPath(with), url.Values{"filter[diagnosticType]": {"CRASHES"}}, 400, "PARAMETER_ERROR.INVALID"},
		{sigPath(with), url.Values{"limit": {"0"}}, 400, "PARAMETER_ERROR.INVALID"},
		{sigPath(with), url.Values{"limit": {"201"}}, 400, "PARAMETER_ERROR.INVALID"},
		{sigPath(with), url.Values{"cursor": {"AQ.AAAA"}}, 400, "PARAMETER_ERROR.INVALID"},
		{sigPath(with), url.Values{"sort": {"weight"}}, 400, "PARAMETER_ERROR.ILLEGAL"},
		{"/v1/diagnosticSignatures/" + strings.Repeat("0", 66) + "/logs", nil, 404, "NOT_FOUND"},
		{"/v1/diagnosticSignatures/" + want[0] + "/logs", url.Values{"limit": {"x"}}, 400, "PARAMETER_ERROR.INVALID"},
	} {
		rec := e.do(t, c.path, c.q, nil)
		if rec.Code != c.status || decodeErr(t, rec).Errors[0].Code != c.code {
			t.Fatalf("%s %v: %d %s", c.path, c.q, rec.Code, rec.Body)
		}
	}
	if tr, err := e.srv.TruthDiagnostics(without); err != nil || len(tr.Signatures) != 0 {
		t.Fatalf("truth of a build without diagnostics: %+v %v", tr, err)
	}
	if _, err := e.srv.TruthDiagnostics("nope"); err == nil {
		t.Fatal("TruthDiagnostics of an unknown build")
	}
}

// frameWalk counts frames under f in pre-order, collecting symbols and checking types.
func frameWalk(t *testing.T, f map[string]any, depth int, syms *[]string, maxDepth *int, empty map[string]bool) int {
	t.Helper()
	*syms = append(*syms, f["symbolName"].(string))
	*maxDepth = max(*maxDepth, depth)
	for _, k := range []string{"offsetIntoSymbol", "lineNumber", "offsetIntoBinaryTextSegment", "address", "rawFrame",
		"binaryUUID", "binaryName", "fileName", "insightsCategory"} {
		s, ok := f[k].(string)
		if !ok {
			t.Fatalf("%s is %T, want a string", k, f[k])
		}
		if s == "" {
			empty[k] = true
		}
	}
	if _, ok := f["sampleCount"].(float64); !ok {
		t.Fatalf("sampleCount %T", f["sampleCount"])
	}
	if _, ok := f["isBlameFrame"].(bool); !ok {
		t.Fatalf("isBlameFrame %T", f["isBlameFrame"])
	}
	n := 1
	for _, c := range arr(f["subFrames"]) {
		n += frameWalk(t, obj(c), depth+1, syms, maxDepth, empty)
	}
	return n
}

func TestDiagnosticLogs(t *testing.T) {
	e := newEnv(t, Options{ReviewsPerApp: -1})
	allowed := map[string]bool{}
	for _, k := range []string{"/version", "/productData", "/productData[]/signatureId", "/productData[]/diagnosticInsights",
		"/productData[]/diagnosticLogs"} {
		allowed[k] = true
	}
	for _, k := range []string{"insightsURL", "insightsCategory", "insightsString"} {
		allowed["/productData[]/diagnosticInsights[]/"+k] = true
	}
	const lg = "/productData[]/diagnosticLogs[]"
	allowed[lg+"/diagnosticMetaData"], allowed[lg+"/callStackTree"] = true, true
	for _, k := range []string{"bundleId", "event", "osVersion", "appVersion", "writesCaused", "deviceType",
		"platformArchitecture", "eventDetail", "buildVersion"} {
		allowed[lg+"/diagnosticMetaData/"+k] = true
	}
	fr := lg + "/callStackTree[]/callStacks[]/callStackRootFrames[]"
	for _, k := range []string{"/callStackTree[]/callStackPerThread", "/callStackTree[]/callStacks", "/callStackTree[]/callStacks[]/callStackRootFrames"} {
		allowed[lg+k] = true
	}
	frameKeys := []string{"sampleCount", "isBlameFrame", "symbolName", "insightsCategory", "offsetIntoSymbol", "binaryName",
		"fileName", "binaryUUID", "lineNumber", "address", "offsetIntoBinaryTextSegment", "rawFrame", "subFrames"}
	for p, d := fr, 0; d < 10; p, d = p+"/subFrames[]", d+1 {
		for _, k := range frameKeys {
			allowed[p+"/"+k] = true
		}
	}
	maxDepth, blames, sigs := 0, 0, 0
	empty := map[string]bool{}
	for _, app := range e.srv.AppIDs()[:2] {
		for _, b := range e.srv.Builds(app) {
			truth, err := e.srv.TruthDiagnostics(b.ID)
			if err != nil {
				t.Fatal(err)
			}
			for si, s := range truth.Signatures {
				sigs++
				v := decodeTyped(t, e.do(t, "/v1/diagnosticSignatures/"+s.ID+"/logs", nil, nil), diagLogsType)
				subset(t, "logs served ⊆ schema", shapeOf(v), allowed)
				prod := arr(obj(v)["productData"])
				if obj(v)["version"] == "" || len(prod) != 1 || obj(prod[0])["signatureId"] != s.ID {
					t.Fatalf("logs doc %v", obj(v)["version"])
				}
				logs := arr(obj(prod[0])["diagnosticLogs"])
				var syms []string
				frames := 0
				for _, l := range logs {
					md := obj(obj(l)["diagnosticMetaData"])
					if md["appVersion"] != b.AppVersion || md["buildVersion"] != b.Version {
						t.Fatalf("metadata %v vs %+v", md, b)
					}
					for _, tr := range arr(obj(l)["callStackTree"]) {
						stacks := arr(obj(tr)["callStacks"])
						if len(stacks) < 2 {
							t.Fatalf("%d stacks", len(stacks))
						}
						for _, cs := range stacks {
							for _, f := range arr(obj(cs)["callStackRootFrames"]) {
								frames += frameWalk(t, obj(f), 1, &syms, &maxDepth, empty)
							}
						}
					}
				}
				blames += strings.Count(e.do(t, "/v1/diagnosticSignatures/"+s.ID+"/logs", nil, nil).Body.String(), `"isBlameFrame":true`)
				if len(logs) != s.Logs || frames != s.Frames {
					t.Fatalf("signature %s: %d logs %d frames, truth %+v", s.ID, len(logs), frames, s)
				}
				if si == 0 && (truth.OrderSignatureID != s.ID || !slices.Equal(syms, truth.OrderSymbols)) {
					t.Fatalf("pre-order\n got %v\nwant %v", syms, truth.OrderSymbols)
				}
			}
		}
	}
	if maxDepth < 5 || maxDepth > 7 || blames < sigs || !empty["offsetIntoSymbol"] || !empty["lineNumber"] {
		t.Fatalf("depth %d blames %d/%d empty strings %v", maxDepth, blames, sigs, empty)
	}
	// limit caps the logs.
	with, _ := diagBuilds(t, e)
	truth, _ := e.srv.TruthDiagnostics(with)
	v := decodeTyped(t, e.do(t, "/v1/diagnosticSignatures/"+truth.Signatures[0].ID+"/logs", url.Values{"limit": {"1"}}, nil), diagLogsType)
	if n := len(arr(obj(arr(obj(v)["productData"])[0])["diagnosticLogs"])); n != 1 {
		t.Fatalf("limit=1: %d logs", n)
	}
}

func TestDiagnosticsDeterminism(t *testing.T) {
	get := func(seed int64) (string, string) {
		e := newEnv(t, Options{Seed: seed, ReviewsPerApp: -1})
		with, _ := diagBuilds(t, e)
		tr, _ := e.srv.TruthDiagnostics(with)
		return e.do(t, sigPath(with), nil, nil).Body.String(),
			e.do(t, "/v1/diagnosticSignatures/"+tr.Signatures[0].ID+"/logs", nil, nil).Body.String()
	}
	a1, a2 := get(5)
	b1, b2 := get(5)
	c1, c2 := get(6)
	if a1 != b1 || a2 != b2 || a1 == c1 || a2 == c2 {
		t.Fatal("diagnostics are not a function of the seed")
	}
}
