package simulator

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Diagnostics: GET /v1/builds/{id}/diagnosticSignatures (JSON:API) and
// GET /v1/diagnosticSignatures/{id}/logs (application/vnd.apple.diagnostic-logs+json),
// REFERENCE.md §D.2.

const (
	diagLogsType    = "application/vnd.apple.diagnostic-logs+json"
	diagLogsVersion = "1.0"
)

var (
	diagTypes       = []string{"DISK_WRITES", "HANGS", "LAUNCHES"}
	diagFieldList   = []string{"diagnosticType", "signature", "weight", "insight", "logs"}
	signatureParams = []string{"filter[diagnosticType]", "fields[diagnosticSignatures]", "limit", "cursor"}
)

type diagSig struct {
	b         *build
	index     int
	id        string
	typ       string
	blame     frameTpl // the app frame the signature names
	signature string
	weight    float64
	insight   *diagInsight
}

type diagInsight struct {
	InsightType       string        `json:"insightType"`
	Direction         string        `json:"direction"`
	ReferenceVersions []diagRefVers `json:"referenceVersions"`
}

type diagRefVers struct {
	Version string  `json:"version"`
	Value   float64 `json:"value"`
}

type diagAttrs struct {
	DiagnosticType *string      `json:"diagnosticType,omitempty"`
	Signature      *string      `json:"signature,omitempty"`
	Weight         *float64     `json:"weight,omitempty"`
	Insight        *diagInsight `json:"insight,omitempty"`
}

type diagRelated struct {
	Links struct {
		Related string `json:"related"`
	} `json:"links"`
}

type diagResource struct {
	Type          string                  `json:"type"`
	ID            string                  `json:"id"`
	Attributes    *diagAttrs              `json:"attributes,omitempty"`
	Relationships map[string]*diagRelated `json:"relationships,omitempty"`
	Links         docLinks                `json:"links"`
}

// Logs document.
type diagLogsDoc struct {
	Version     string         `json:"version"`
	ProductData []*diagProduct `json:"productData"`
}

type diagProduct struct {
	SignatureID        string            `json:"signatureId"`
	DiagnosticInsights []diagInsightText `json:"diagnosticInsights"`
	DiagnosticLogs     []*diagLog        `json:"diagnosticLogs"`
}

type diagInsightText struct {
	InsightsURL      string `json:"insightsURL"`
	InsightsCategory string `json:"insightsCategory"`
	InsightsString   string `json:"insightsString"`
}

type diagLog struct {
	DiagnosticMetaData diagMeta         `json:"diagnosticMetaData"`
	CallStackTree      []*callStackTree `json:"callStackTree"`
}

type diagMeta struct {
	BundleID             string `json:"bundleId"`
	Event                string `json:"event"`
	OsVersion            string `json:"osVersion"`
	AppVersion           string `json:"appVersion"`
	WritesCaused         string `json:"writesCaused,omitempty"`
	DeviceType           string `json:"deviceType"`
	PlatformArchitecture string `json:"platformArchitecture"`
	EventDetail          string `json:"eventDetail"`
	BuildVersion         string `json:"buildVersion"`
}

type callStackTree struct {
	CallStackPerThread bool         `json:"callStackPerThread"`
	CallStacks         []*callStack `json:"callStacks"`
}

type callStack struct {
	CallStackRootFrames []*diagFrame `json:"callStackRootFrames"`
}

type diagFrame struct {
	SampleCount                 int          `json:"sampleCount"`
	IsBlameFrame                bool         `json:"isBlameFrame"`
	SymbolName                  string       `json:"symbolName"`
	InsightsCategory            string       `json:"insightsCategory"`
	OffsetIntoSymbol            string       `json:"offsetIntoSymbol"`
	BinaryName                  string       `json:"binaryName"`
	FileName                    string       `json:"fileName"`
	BinaryUUID                  string       `json:"binaryUUID"`
	LineNumber                  string       `json:"lineNumber"`
	Address                     string       `json:"address"`
	OffsetIntoBinaryTextSegment string       `json:"offsetIntoBinaryTextSegment"`
	RawFrame                    string       `json:"rawFrame"`
	SubFrames                   []*diagFrame `json:"subFrames,omitempty"`
}

// frameTpl is a symbol; bin "" means the app's own binary.
type frameTpl struct{ sym, bin, file string }

// Symbols, innermost first within each chain.
var (
	diagBlame = map[string][]frameTpl{
		"DISK_WRITES": {{"-[DatabaseConnection executeSQL:enumerateRowsWithBlock:]", "", "DatabaseConnection.m"},
			{"-[TemporaryFile appendData:]", "", "TemporaryFile.m"}, {"ImageCache.store(_:forKey:)", "", "ImageCache.swift"},
			{"closure #1 in SyncEngine.persist(_:)", "", "SyncEngine.swift"}, {"-[LogWriter flush]", "", "LogWriter.m"},
			{"DocumentStore.save(_:)", "", "DocumentStore.swift"}},
		"HANGS": {{"-[FeedViewController reloadVisibleCells]", "", "FeedViewController.m"},
			{"ThumbnailRenderer.render(_:)", "", "ThumbnailRenderer.swift"}, {"-[SettingsStore loadFromDisk]", "", "SettingsStore.m"},
			{"Parser.parse(_:)", "", "Parser.swift"}, {"closure #2 in ListView.body.getter", "", "ListView.swift"}},
		"LAUNCHES": {{"AppDelegate.application(_:didFinishLaunchingWithOptions:)", "", "AppDelegate.swift"},
			{"-[AnalyticsBootstrap configure]", "", "AnalyticsBootstrap.m"}, {"DependencyContainer.init()", "", "DependencyContainer.swift"},
			{"MigrationManager.migrateIfNeeded()", "", "MigrationManager.swift"}},
	}
	diagInner = map[string][][]frameTpl{
		"DISK_WRITES": {{{"pwrite", "libsystem_kernel.dylib", ""}, {"unixWrite", "libsqlite3.dylib", ""}, {"sqlite3_step", "libsqlite3.dylib", ""}},
			{{"write", "libsystem_kernel.dylib", ""}, {"-[NSConcreteFileHandle writeData:]", "Foundation", ""}}},
		"HANGS": {{{"__psynch_mutexwait", "libsystem_kernel.dylib", ""}, {"_pthread_mutex_firstfit_lock_slow", "libsystem_pthread.dylib", ""}},
			{{"mach_msg2_trap", "libsystem_kernel.dylib", ""}, {"mach_msg2_internal", "libsystem_kernel.dylib", ""}, {"mach_msg_overwrite", "libsystem_kernel.dylib", ""}}},
		"LAUNCHES": {{{"open", "libsystem_kernel.dylib", ""}, {"dlopen_internal", "dyld", ""}},
			{{"__ulock_wait", "libsystem_kernel.dylib", ""}, {"_dispatch_once_wait", "libdispatch.dylib", ""}}},
	}
	diagCallers = []frameTpl{{"Coordinator.start()", "", "Coordinator.swift"}, {"-[SessionManager resume]", "", "SessionManager.m"},
		{"RootViewModel.load()", "", "RootViewModel.swift"}}
	diagOuter = map[string][]frameTpl{
		"DISK_WRITES": {{"_dispatch_call_block_and_release", "libdispatch.dylib", ""}, {"_dispatch_lane_serial_drain", "libdispatch.dylib", ""},
			{"_dispatch_worker_thread2", "libdispatch.dylib", ""}, {"_pthread_wqthread", "libsystem_pthread.dylib", ""}},
		"HANGS": {{"__CFRUNLOOP_IS_CALLING_OUT_TO_A_SOURCE0_PERFORM_FUNCTION__", "CoreFoundation", ""}, {"__CFRunLoopRun", "CoreFoundation", ""},
			{"CFRunLoopRunSpecific", "CoreFoundation", ""}, {"GSEventRunModal", "GraphicsServices", ""},
			{"UIApplicationMain", "UIKitCore", ""}, {"main", "", "main.swift"}, {"start", "dyld", ""}},
		"LAUNCHES": {{"-[UIApplication _handleDelegateCallbacksWithOptions:isSuspended:restoreState:]", "UIKitCore", ""},
			{"UIApplicationMain", "UIKitCore", ""}, {"main", "", "main.swift"}, {"start", "dyld", ""}},
	}
	diagIdle = [][]frameTpl{{{"__workq_kernreturn", "libsystem_kernel.dylib", ""}, {"_pthread_wqthread", "libsystem_pthread.dylib", ""}, {"start_wqthread", "libsystem_pthread.dylib", ""}},
		{{"__semwait_signal", "libsystem_kernel.dylib", ""}, {"nanosleep", "libsystem_c.dylib", ""}, {"-[NSThread main]", "Foundation", ""}, {"__NSThread__start__", "Foundation", ""}}}
	diagEvents     = map[string]string{"DISK_WRITES": "Disk Writes", "HANGS": "Hang", "LAUNCHES": "Launch"}
	diagCategories = map[string]string{"DISK_WRITES": "Disk Writes", "HANGS": "Main Thread Hang", "LAUNCHES": "Launch Watchdog"}
	diagURLs       = map[string]string{"DISK_WRITES": "https://developer.apple.com/documentation/xcode/reducing-disk-writes",
		"HANGS":    "https://developer.apple.com/documentation/xcode/understanding-hangs-in-your-app",
		"LAUNCHES": "https://developer.apple.com/documentation/xcode/reducing-your-app-s-launch-time"}
	diagOS      = []string{"iOS 17.5.1 (21F90)", "iOS 18.1 (22B83)", "iOS 18.2 (22C152)", "iOS 18.3.1 (22D72)"}
	diagDevices = []string{"iPhone15,2", "iPhone14,5", "iPhone16,1", "iPhone12,1", "iPad13,4"}
)

// binaryName is the app's executable name: the ASCII letters and digits of its name.
func binaryName(a *app) string {
	var b strings.Builder
	for _, r := range a.name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "App" + strings.TrimPrefix(a.sku, "com.ascetl.app")
	}
	return b.String()
}

// sigID is a 66-hex-digit id like Apple's.
func (s *Server) sigID(b *build, i int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "asc-diag|%d|%s|%d", s.opt.Seed, b.id, i))
	return fmt.Sprintf("%x%02x", h, h[0]^h[31])
}

// hasDiagnostics: every build but the oldest of each app has diagnostic signatures.
func hasDiagnostics(b *build) bool { return b.index > 0 }

// signatures returns the build's signatures in served order: by type (DISK_WRITES, HANGS,
// LAUNCHES), weight descending, id.
//
// Decision (diagnosticSignatures): every build but the oldest of each app has 4–12 signatures;
// the oldest answers 404 NOT_FOUND "There are no diagnosticSignatures for the builds with id
// 'X'" (a filter that matches none answers 200 with data []). The first three are one
// DISK_WRITES, HANGS, LAUNCHES each. Served order: type (DISK_WRITES, HANGS, LAUNCHES), weight
// descending, id. Ids are 66 hex digits. weight = share within its type (2 decimals, ≥ 0.01; a
// type's weights sum to about 1). signature = "<binary>: <symbol> + <offset>", binary = the
// ASCII letters and digits of the app name. Half carry insight {TREND, UP|DOWN|UNDEFINED,
// referenceVersions [{version, value}] of up to three earlier versions; [] for UNDEFINED}.
// Resources have links.self and relationships.logs.links with only "related" (as Apple's
// example). Parameters: filter[diagnosticType], fields[diagnosticSignatures] (logs controls the
// relationship), limit 1–200 (default 50), cursor (as for reviews, serveReviewList,
// reviews_http.go; no time snapshot, the list is fixed).
func (s *Server) signatures(b *build) []*diagSig {
	if !hasDiagnostics(b) {
		return nil
	}
	all := s.appBuilds(b.app)
	r := s.rng("diag", b.id)
	n := 4 + r.IntN(9)
	bin := binaryName(b.app)
	raw := map[string]float64{}
	used := map[string]int{}
	first := r.IntN(len(diagBlame["HANGS"])) // rotate through each pool, so blames repeat only when a pool is used up
	var sigs []*diagSig
	for i := range n {
		typ := diagTypes[i%3]
		if i >= 3 {
			typ = diagTypes[pickCum(r, []int{35, 80, 100})]
		}
		pool := diagBlame[typ]
		sg := &diagSig{b: b, index: i, id: s.sigID(b, i), typ: typ, blame: pool[(first+used[typ])%len(pool)]}
		used[typ]++
		sg.signature = fmt.Sprintf("%s: %s + %d", bin, sg.blame.sym, 4+r.IntN(400))
		w := r.Float64()*r.Float64() + 0.02
		sg.weight = w
		raw[typ] += w
		if r.IntN(2) == 0 {
			in := &diagInsight{InsightType: "TREND", Direction: pick(r, []string{"UP", "DOWN", "UNDEFINED"}),
				ReferenceVersions: []diagRefVers{}}
			if in.Direction != "UNDEFINED" {
				for k := max(0, b.index-3); k < b.index; k++ {
					in.ReferenceVersions = append(in.ReferenceVersions, diagRefVers{Version: all[k].version,
						Value: roundTo(0.05+0.9*r.Float64(), 2)})
				}
			}
			sg.insight = in
		}
		sigs = append(sigs, sg)
	}
	for _, sg := range sigs {
		sg.weight = max(roundTo(sg.weight/raw[sg.typ], 2), 0.01)
	}
	slices.SortFunc(sigs, func(x, y *diagSig) int {
		return cmp.Or(slices.Index(diagTypes, x.typ)-slices.Index(diagTypes, y.typ),
			cmp.Compare(y.weight, x.weight), strings.Compare(x.id, y.id))
	})
	return sigs
}

// signatureByID finds a signature of a build uploaded by t.
func (s *Server) signatureByID(id string, t time.Time) *diagSig {
	if len(id) != 66 {
		return nil
	}
	for _, a := range s.cat.apps {
		for _, b := range s.visibleBuilds(a, t) {
			if !hasDiagnostics(b) {
				continue
			}
			for i := range 12 {
				if s.sigID(b, i) == id {
					for _, sg := range s.signatures(b) {
						if sg.id == id {
							return sg
						}
					}
				}
			}
		}
	}
	return nil
}

// logs builds the logs document of a signature (2–3 logs, limited to limit).
//
// Decision (logs): 200 application/vnd.apple.diagnostic-logs+json, version "1.0", one
// productData entry for the signature with 0–2 diagnosticInsights and 2–3 diagnosticLogs (limit
// 1–200 caps them; no paging). diagnosticMetaData: bundleId (the SKU), event ("Disk Writes",
// "Hang", "Launch"), osVersion, appVersion, buildVersion (build number), deviceType,
// platformArchitecture, eventDetail, writesCaused (DISK_WRITES only; absent otherwise). One
// callStackTree per log (callStackPerThread false for DISK_WRITES) with 2–3 callStacks of 1–2
// root frames. Roots are the innermost frame (MetricKit style); subFrames go towards the
// caller, up to 6 levels, sometimes two callers with the sampleCount split. The first stack's
// first root holds the chain through the blamed app frame (isBlameFrame true, insightsCategory
// set); other stacks are idle threads. lineNumber, offsetIntoSymbol and
// offsetIntoBinaryTextSegment are strings; lineNumber and fileName are "" for system frames and
// offsetIntoSymbol is "" for ~20 % of them. Leaf frames have no "subFrames" key.
func (s *Server) logs(sg *diagSig, limit int) *diagLogsDoc {
	r := s.rng("diag-logs", sg.id)
	b, a := sg.b, sg.b.app
	p := &diagProduct{SignatureID: sg.id, DiagnosticInsights: []diagInsightText{}}
	for range r.IntN(3) {
		p.DiagnosticInsights = append(p.DiagnosticInsights, diagInsightText{InsightsURL: diagURLs[sg.typ],
			InsightsCategory: diagCategories[sg.typ],
			InsightsString: fmt.Sprintf("%s in %s accounts for %.0f%% of these reports. Move the work off the main thread or batch it.",
				sg.blame.sym, binaryName(a), sg.weight*100)})
	}
	n := 2 + r.IntN(2)
	for range min(n, limit) {
		dev := pick(r, diagDevices)
		arch := "arm64e"
		if dev == "iPhone12,1" {
			arch = "arm64"
		}
		meta := diagMeta{BundleID: a.sku, Event: diagEvents[sg.typ], OsVersion: pick(r, diagOS), AppVersion: b.version,
			DeviceType: dev, PlatformArchitecture: arch, BuildVersion: b.number}
		switch sg.typ {
		case "DISK_WRITES":
			mb := 1073.74 + 3000*r.Float64()
			meta.WritesCaused = fmt.Sprintf("%.2f GB", mb/1000)
			meta.EventDetail = fmt.Sprintf("%.2f MB of file backed memory dirtied over 86400 seconds (%.2f KB per second average), "+
				"exceeding limit of 12.43 KB per second over 86400 seconds", mb, mb*1000/86400)
		case "HANGS":
			meta.EventDetail = fmt.Sprintf("Hang duration: %.2f s", 0.5+6*r.Float64())
		default:
			meta.EventDetail = fmt.Sprintf("Launch took %.1f s, exceeding the watchdog limit of 20 s", 20+15*r.Float64())
		}
		tree := &callStackTree{CallStackPerThread: sg.typ != "DISK_WRITES"}
		for si := range 2 + r.IntN(2) {
			tree.CallStacks = append(tree.CallStacks, s.callStack(r, sg, si == 0))
		}
		p.DiagnosticLogs = append(p.DiagnosticLogs, &diagLog{DiagnosticMetaData: meta, CallStackTree: []*callStackTree{tree}})
	}
	return &diagLogsDoc{Version: diagLogsVersion, ProductData: []*diagProduct{p}}
}

// callStack builds one stack: the blamed chain (inner system frames, the blamed app frame,
// an app caller, outer frames) or, for other threads, an idle chain; 1–2 root frames, and
// sometimes a second caller branch, nesting up to about six levels.
func (s *Server) callStack(r *rand.Rand, sg *diagSig, blamed bool) *callStack {
	st := &callStack{}
	roots := 1 + r.IntN(2)
	for ri := range roots {
		var chain []frameTpl
		if blamed && ri == 0 {
			inner := pick(r, diagInner[sg.typ])
			chain = append(chain, inner[:1+r.IntN(2)]...)
			chain = append(chain, sg.blame, pick(r, diagCallers))
			outer := diagOuter[sg.typ]
			chain = append(chain, outer[len(outer)-1-r.IntN(2):]...)
		} else {
			chain = pick(r, diagIdle)
		}
		count := 1 + r.IntN(40)
		st.CallStackRootFrames = append(st.CallStackRootFrames, s.frameChain(r, sg, chain, count, blamed && ri == 0))
	}
	return st
}

// frameChain nests chain[0] → chain[1] → …; a frame may get a second caller branch.
func (s *Server) frameChain(r *rand.Rand, sg *diagSig, chain []frameTpl, count int, blamed bool) *diagFrame {
	f := s.frame(r, sg, chain[0], count, blamed && chain[0] == sg.blame)
	if len(chain) == 1 {
		return f
	}
	if count >= 2 && len(chain) > 2 && r.IntN(4) == 0 {
		split := 1 + r.IntN(count-1)
		alt := append([]frameTpl{pick(r, diagCallers)}, chain[len(chain)-1])
		f.SubFrames = []*diagFrame{s.frameChain(r, sg, chain[1:], count-split, blamed),
			s.frameChain(r, sg, alt, split, false)}
		return f
	}
	f.SubFrames = []*diagFrame{s.frameChain(r, sg, chain[1:], count, blamed)}
	return f
}

func (s *Server) frame(r *rand.Rand, sg *diagSig, t frameTpl, count int, blame bool) *diagFrame {
	bin := t.bin
	uuidKey := bin
	if bin == "" {
		bin = binaryName(sg.b.app)
		uuidKey = bin + "|" + sg.b.number
	}
	base := uint64(0x100000000) + uint64(len(bin))*0x1000000
	off := uint64(0x1000 + r.IntN(0x400000))
	f := &diagFrame{SampleCount: count, IsBlameFrame: blame, SymbolName: t.sym, BinaryName: bin, FileName: t.file,
		BinaryUUID:                  strings.ToUpper(uuidOf("asc-binary", strconv.FormatInt(s.opt.Seed, 10), uuidKey)),
		Address:                     fmt.Sprintf("0x%x", base+off),
		OffsetIntoBinaryTextSegment: strconv.FormatUint(off, 10),
		OffsetIntoSymbol:            strconv.Itoa(4 + r.IntN(900))}
	if t.file != "" {
		f.LineNumber = strconv.Itoa(10 + r.IntN(600))
	} else if r.IntN(5) == 0 {
		f.OffsetIntoSymbol = ""
	}
	if blame {
		f.InsightsCategory = diagCategories[sg.typ]
	}
	f.RawFrame = fmt.Sprintf("%s (%s + %s)", f.Address, bin, f.OffsetIntoBinaryTextSegment)
	return f
}
