package simulator

import (
	"fmt"
	"math"
	"slices"
	"time"

	mn "github.com/ascetl/etl/report/metricnames"
)

// Power and performance metrics: GET /v1/apps/{id}/perfPowerMetrics and
// GET /v1/builds/{id}/perfPowerMetrics in Apple's xcodeMetrics structure (REFERENCE.md §D.1).

const (
	xcodeMetricsType  = "application/vnd.apple.xcode-metrics+json"
	xcodeMetricsVer   = mn.Version
	maxMetricVersions = 5
	pctFifty          = "percentile.fifty"
	pctNinety         = "percentile.ninety"
)

// metricCategories is the MetricCategory enum in the spec's order (the served order).
var metricCategories = mn.Categories()

// The served document (field order = key order).
type pmDoc struct {
	Version     string        `json:"version"`
	Insights    *pmInsights   `json:"insights,omitempty"`
	ProductData []*pmProduct  `json:"productData"`
	specs       []*metricSpec // the metrics generated, in served order
}

type pmInsights struct {
	TrendingUp  []*pmInsight `json:"trendingUp"`
	Regressions []*pmInsight `json:"regressions"`
}

type pmInsight struct {
	MetricCategory        string          `json:"metricCategory"`
	LatestVersion         string          `json:"latestVersion"`
	Metric                string          `json:"metric"`
	SummaryString         string          `json:"summaryString"`
	ReferenceVersions     []string        `json:"referenceVersions"` // spec: string; Apple's example: array
	MaxLatestVersionValue float64         `json:"maxLatestVersionValue"`
	SubSystemLabel        string          `json:"subSystemLabel,omitempty"`
	HighImpact            bool            `json:"highImpact,omitempty"`
	Populations           []*pmPopulation `json:"populations,omitempty"`
	device                string
}

type pmPopulation struct {
	DeltaPercentage       float64 `json:"deltaPercentage"`
	Device                string  `json:"device"`
	LatestVersionValue    float64 `json:"latestVersionValue"`
	Percentile            string  `json:"percentile"`
	ReferenceAverageValue float64 `json:"referenceAverageValue"`
	SummaryString         string  `json:"summaryString"`
}

type pmProduct struct {
	Platform         string        `json:"platform"`
	MetricCategories []*pmCategory `json:"metricCategories"`
}

type pmCategory struct {
	Identifier string      `json:"identifier"`
	Metrics    []*pmMetric `json:"metrics"`
}

type pmMetric struct {
	Identifier string       `json:"identifier"`
	Unit       pmUnit       `json:"unit"`
	GoalKeys   []pmGoalKey  `json:"goalKeys,omitempty"`
	Datasets   []*pmDataset `json:"datasets"`
}

type pmUnit struct {
	Identifier  string `json:"identifier"`
	DisplayName string `json:"displayName"`
}

type pmGoalKey struct {
	GoalKey    string `json:"goalKey"`
	LowerBound int    `json:"lowerBound"`
	UpperBound *int   `json:"upperBound,omitempty"` // absent: open-ended ("poor")
}

type pmDataset struct {
	FilterCriteria        pmFilter     `json:"filterCriteria"`
	Points                []*pmPoint   `json:"points"`
	RecommendedMetricGoal *pmRecommend `json:"recommendedMetricGoal,omitempty"`
}

type pmFilter struct {
	Percentile          string `json:"percentile"`
	Device              string `json:"device"`
	DeviceMarketingName string `json:"deviceMarketingName"`
}

type pmPoint struct {
	Version             string       `json:"version"`
	Value               float64      `json:"value"`
	ErrorMargin         *float64     `json:"errorMargin,omitempty"`
	PercentageBreakdown *pmBreakdown `json:"percentageBreakdown,omitempty"`
	Goal                string       `json:"goal,omitempty"`
}

type pmBreakdown struct {
	Value          float64 `json:"value"`
	SubSystemLabel string  `json:"subSystemLabel"`
}

type pmRecommend struct {
	Value  float64 `json:"value"`
	Detail string  `json:"detail"`
}

// metricSpec describes one generated metric.
type metricSpec struct {
	cat, id, unit, unitName string
	base                    float64 // typical p50 on all iPhones
	p90                     float64 // p90 / p50
	dec                     int     // decimals of values
	goals                   []pmGoalKey
	subsystems              []string // percentageBreakdown labels, most likely first
	errMargin               bool
	recommend               string // recommendedMetricGoal detail ("" = none)
	p50Only                 bool
	perDevice               bool // also datasets for specific iPhone models
}

func bands(fairFrom, poorFrom int) []pmGoalKey {
	return []pmGoalKey{{GoalKey: "poor", LowerBound: poorFrom},
		{GoalKey: "fair", LowerBound: fairFrom, UpperBound: ptr(poorFrom)},
		{GoalKey: "good", LowerBound: 0, UpperBound: ptr(fairFrom)}}
}

// Decision (perfPowerMetrics): 200 application/vnd.apple.xcode-metrics+json, compact JSON in
// the xcodeMetrics structure of Apple's examples, version "1.0.0", one productData entry
// (platform "iOS"), categories in the spec's enum order (HANG, LAUNCH, MEMORY, DISK, BATTERY,
// TERMINATION, ANIMATION, STORAGE), each with at least one metric: hangRate (secondsPerHour
// "s/hr"), launchTime and resumeTime (milliseconds "ms"), peakMemory and suspendedMemory
// (megabytes "MB"), logicalWrites (MB), onScreenBattery and backgroundBattery (percentPerDay
// "%/day"), backgroundTerminations and foregroundTerminations (terminationsPerDay "per day"),
// scrollHitchRate (unit identifier "scrollHitchRate", "%", as Apple's example), storageSize
// (MB). Datasets: all_iphones and all_ipads (none for every fourth app, iPhone-only) ×
// percentile.fifty/ninety (TERMINATION and STORAGE only fifty); launchTime and peakMemory also
// for "iPhone15,2" (iPhone 14 Pro) and "iPhone12,1" (iPhone 11), which have points for the
// three newest versions only.
//
// metricSpecs are the served metrics: names and units come from report/metricnames, the
// vocabulary the loader checks against (TestMetricSpecsVocabulary keeps them equal).
var metricSpecs = []*metricSpec{
	{cat: mn.Hang, id: mn.HangRate, unit: mn.SecondsPerHour, unitName: "s/hr", base: 1.6, p90: 3.2, dec: 2,
		goals: bands(1, 5), recommend: "Keep the main thread responsive: aim for less than 1 second of hangs per hour of use."},
	{cat: mn.Launch, id: mn.LaunchTime, unit: mn.Milliseconds, unitName: "ms", base: 720, p90: 2.0, dec: 1,
		recommend: "Typical launch time of the top apps in the same category.", perDevice: true},
	{cat: mn.Launch, id: mn.ResumeTime, unit: mn.Milliseconds, unitName: "ms", base: 190, p90: 2.3, dec: 1},
	{cat: mn.Memory, id: mn.PeakMemory, unit: mn.Megabytes, unitName: "MB", base: 230, p90: 1.7, dec: 1, errMargin: true, perDevice: true},
	{cat: mn.Memory, id: mn.SuspendedMemory, unit: mn.Megabytes, unitName: "MB", base: 41, p90: 1.5, dec: 1, errMargin: true},
	{cat: mn.Disk, id: mn.LogicalWrites, unit: mn.Megabytes, unitName: "MB", base: 96, p90: 3.4, dec: 1, errMargin: true,
		subsystems: []string{"Foreground", "Background"}},
	{cat: mn.Battery, id: mn.OnScreenBattery, unit: mn.PercentPerDay, unitName: "%/day", base: 4.3, p90: 2.1, dec: 2, errMargin: true,
		subsystems: []string{"CPU", "Display", "Networking", "Location", "Audio", "Camera", "GPU"}},
	{cat: mn.Battery, id: mn.BackgroundBattery, unit: mn.PercentPerDay, unitName: "%/day", base: 0.9, p90: 2.6, dec: 2, errMargin: true,
		subsystems: []string{"CPU", "Networking", "Location", "Audio", "Bluetooth"}},
	{cat: mn.Termination, id: mn.BackgroundTerminations, unit: mn.TerminationsPerDay, unitName: "per day", base: 1.4, dec: 2, p50Only: true},
	{cat: mn.Termination, id: mn.ForegroundTerminations, unit: mn.TerminationsPerDay, unitName: "per day", base: 0.16, dec: 2, p50Only: true},
	{cat: mn.Animation, id: mn.ScrollHitchRate, unit: mn.HitchRate, unitName: "%", base: 4.6, p90: 3.8, dec: 1, goals: bands(5, 10)},
	{cat: mn.Storage, id: mn.StorageSize, unit: mn.Megabytes, unitName: "MB", base: 140, dec: 0, p50Only: true},
}

// extraMetric is served with Options.MetricsExtra: a metric and a unit no loader knows.
//
// Decision: MetricsExtra adds LAUNCH "prewarmTime" with unit {"microfortnights", "µfn"} after
// resumeTime, on both endpoints (it takes part in insights like any metric).
var extraMetric = &metricSpec{cat: "LAUNCH", id: "prewarmTime", unit: "microfortnights", unitName: "µfn",
	base: 520, p90: 1.9, dec: 1}

type pmDevice struct {
	id, name string
	factor   float64
	model    bool // a specific model (only the three newest versions have data)
}

var pmDevices = []pmDevice{{"all_iphones", "All iPhones", 1, false}, {"all_ipads", "All iPads", 0, false},
	{"iPhone15,2", "iPhone 14 Pro", 0.8, true}, {"iPhone12,1", "iPhone 11", 1.35, true}}

var deviceSummary = map[string]string{"all_iphones": "iPhone (All)", "all_ipads": "iPad (All)"}

// specsFor lists the metrics served (the extra one after launchTime's category peers).
func (s *Server) specsFor() []*metricSpec {
	var out []*metricSpec
	for _, sp := range metricSpecs {
		out = append(out, sp)
		if s.opt.MetricsExtra && sp.id == mn.ResumeTime {
			out = append(out, extraMetric)
		}
	}
	return out
}

func roundTo(v float64, dec int) float64 {
	p := math.Pow10(dec)
	return math.Round(v*p) / p
}

// iPhoneOnly reports whether the app has no iPad datasets (every fourth app).
func (s *Server) iPhoneOnly(a *app) bool {
	i := slices.Index(s.cat.apps, a)
	return i%4 == 3
}

// pmGen computes metric values of one app; day is Now's UTC date (values move slightly
// from one day to the next).
type pmGen struct {
	s      *Server
	a      *app
	all    []*build // all builds, oldest first
	day    string
	jump   map[string]float64 // metric id → factor on the newest build's version
	walks  map[string][]float64
	appF   map[string]float64
	ipadF  map[string]float64
	ipadOK bool
}

func (s *Server) newPMGen(a *app, now time.Time) *pmGen {
	g := &pmGen{s: s, a: a, all: s.appBuilds(a), day: now.UTC().Format("2006-01-02"),
		jump: map[string]float64{}, walks: map[string][]float64{}, appF: map[string]float64{},
		ipadF: map[string]float64{}, ipadOK: !s.iPhoneOnly(a)}
	r := s.rng("pm-jump", a.sku)
	reg := metricSpecs[r.IntN(len(metricSpecs))]
	trend := metricSpecs[r.IntN(len(metricSpecs))]
	g.jump[trend.id] = 1.06 + 0.03*r.Float64()
	g.jump[reg.id] = 1.15 + 0.15*r.Float64()
	for _, sp := range append(slices.Clone(metricSpecs), extraMetric) {
		rr := s.rng("pm-metric", a.sku, sp.id)
		g.appF[sp.id] = 0.7 + 0.7*rr.Float64()
		g.ipadF[sp.id] = 0.85 + 0.4*rr.Float64()
		w := make([]float64, len(g.all))
		w[0] = 1
		for i := 1; i < len(w); i++ {
			w[i] = w[i-1] * (1 + (rr.Float64()-0.5)*0.06)
		}
		g.walks[sp.id] = w
	}
	return g
}

// value is the metric's value for a build's version, device and percentile.
//
// Decision: Values are a pure function of seed, app, metric, version, device, percentile and
// Now's UTC date: the date adds ±1 % jitter, so the same day gives the same bytes and
// tomorrow's snapshot differs slightly (structure, versions and counts other than insights
// stay). Each app has one metric that jumps 15–30 % and one 6–9 % on its newest build.
func (g *pmGen) value(sp *metricSpec, b *build, dev pmDevice, pct string) float64 {
	v := sp.base * g.appF[sp.id] * g.walks[sp.id][b.index]
	if b.index == len(g.all)-1 {
		if j, ok := g.jump[sp.id]; ok {
			v *= j
		}
	}
	if dev.id == "all_ipads" {
		v *= g.ipadF[sp.id]
	} else {
		v *= dev.factor
	}
	r := g.s.rng("pm-point", g.a.sku, sp.id, dev.id, pct, b.version)
	v *= 1 + (r.Float64()-0.5)*0.08
	if pct == pctNinety {
		v *= sp.p90 * (1 + (r.Float64()-0.5)*0.1)
	}
	v *= 1 + (g.s.rng("pm-day", g.a.sku, sp.id, dev.id, pct, b.version, g.day).Float64()-0.5)*0.02
	return roundTo(v, sp.dec)
}

// Decision (Points): the app endpoint covers the newest five builds' versions uploaded by Now,
// oldest first; the build endpoint one point (its version) per dataset and no "insights" key
// (as Apple's build example). Values round to the metric's decimals (storageSize whole
// numbers), so integers and decimals mix. errorMargin on MEMORY, DISK, BATTERY; goalKeys (poor
// with no upperBound, fair, good; integers) and a per-point goal on hangRate (1/5 s/hr) and
// scrollHitchRate (5/10 %); recommendedMetricGoal on the all-device datasets of hangRate and
// launchTime. percentageBreakdown stays ONE object (the spec's type) on DISK and BATTERY
// points: the dominant subsystem (Foreground / Background; CPU, Display, Networking, Location,
// …) and its share in %.
func (g *pmGen) point(sp *metricSpec, b *build, dev pmDevice, pct string) *pmPoint {
	p := &pmPoint{Version: b.version, Value: g.value(sp, b, dev, pct)}
	r := g.s.rng("pm-extra", g.a.sku, sp.id, dev.id, pct, b.version, g.day)
	if sp.errMargin {
		p.ErrorMargin = ptr(max(roundTo(p.Value*(0.02+0.06*r.Float64()), 2), 0.01))
	}
	if len(sp.subsystems) > 0 {
		// The dominant subsystem: the first label is the likeliest.
		i := 0
		for i < len(sp.subsystems)-1 && r.IntN(100) < 45 {
			i++
		}
		p.PercentageBreakdown = &pmBreakdown{Value: roundTo(35+40*r.Float64(), 1), SubSystemLabel: sp.subsystems[i]}
	}
	if len(sp.goals) > 0 {
		p.Goal = "good"
		for _, k := range sp.goals { // poor, fair, good
			if p.Value >= float64(k.LowerBound) {
				p.Goal = k.GoalKey
				break
			}
		}
	}
	return p
}

// doc builds the document for the given builds (oldest first); insights only when asked.
func (g *pmGen) doc(builds []*build, insights bool) *pmDoc {
	d := &pmDoc{Version: xcodeMetricsVer, specs: g.s.specsFor()}
	prod := &pmProduct{Platform: "iOS", MetricCategories: []*pmCategory{}}
	d.ProductData = []*pmProduct{prod}
	for _, cat := range metricCategories {
		c := &pmCategory{Identifier: cat}
		for _, sp := range d.specs {
			if sp.cat != cat {
				continue
			}
			m := &pmMetric{Identifier: sp.id, Unit: pmUnit{sp.unit, sp.unitName}, GoalKeys: sp.goals}
			for _, dev := range pmDevices {
				if dev.id == "all_ipads" && !g.ipadOK || dev.model && !sp.perDevice {
					continue
				}
				for _, pct := range []string{pctFifty, pctNinety} {
					if pct == pctNinety && sp.p50Only {
						continue
					}
					ds := &pmDataset{FilterCriteria: pmFilter{Percentile: pct, Device: dev.id, DeviceMarketingName: dev.name}}
					for _, b := range builds {
						if dev.model && b.index < len(g.all)-3 {
							continue
						}
						ds.Points = append(ds.Points, g.point(sp, b, dev, pct))
					}
					if len(ds.Points) == 0 {
						continue
					}
					if sp.recommend != "" && !dev.model {
						rv := sp.base * g.appF[sp.id] * 0.8
						if pct == pctNinety {
							rv *= sp.p90
						}
						ds.RecommendedMetricGoal = &pmRecommend{Value: roundTo(rv, sp.dec), Detail: sp.recommend}
					}
					m.Datasets = append(m.Datasets, ds)
				}
			}
			if len(m.Datasets) > 0 {
				c.Metrics = append(c.Metrics, m)
			}
		}
		if len(c.Metrics) > 0 {
			prod.MetricCategories = append(prod.MetricCategories, c)
		}
	}
	if insights {
		d.Insights = insightsOf(prod, d.specs)
	}
	return d
}

// insightsOf compares, per metric and device (all iPhones, all iPads), the newest version
// with the average of up to four earlier ones: a rise of 10 % or more in some percentile
// is a regression, 5–10 % trending up; populations list the percentiles that rose ≥ 5 %.
//
// Decision: Insights (app endpoint only): per metric and device (all_iphones, all_ipads), the
// newest point against the average of up to four earlier ones per percentile; the biggest rise
// ≥ 10 % → regressions, 5–10 % → trendingUp; populations are the percentiles that rose ≥ 5 %
// (deltaPercentage a whole number). Single-percentile metrics (TERMINATION, STORAGE) give
// insights without "populations". referenceVersions is an ARRAY of strings as in Apple's
// example (the spec says string); subSystemLabel only on breakdown metrics; highImpact only
// when true (rise ≥ 20 %). Both lists are always present (maybe []).
func insightsOf(prod *pmProduct, specs []*metricSpec) *pmInsights {
	ins := &pmInsights{TrendingUp: []*pmInsight{}, Regressions: []*pmInsight{}}
	for _, c := range prod.MetricCategories {
		for _, m := range c.Metrics {
			sp := specs[slices.IndexFunc(specs, func(x *metricSpec) bool { return x.id == m.Identifier })]
			for _, dev := range []string{"all_iphones", "all_ipads"} {
				if in := insightFor(c.Identifier, m, sp, dev); in != nil {
					if in.maxDelta() >= 10 {
						ins.Regressions = append(ins.Regressions, in.pmInsight)
					} else {
						ins.TrendingUp = append(ins.TrendingUp, in.pmInsight)
					}
				}
			}
		}
	}
	return ins
}

type insightDraft struct {
	*pmInsight
	deltas []float64
}

func (d *insightDraft) maxDelta() float64 { return slices.Max(d.deltas) }

func insightFor(cat string, m *pmMetric, sp *metricSpec, dev string) *insightDraft {
	in := &insightDraft{pmInsight: &pmInsight{MetricCategory: cat, Metric: m.Identifier, device: dev}}
	var maxLatest float64
	for _, ds := range m.Datasets {
		n := len(ds.Points)
		if ds.FilterCriteria.Device != dev || n < 2 {
			continue
		}
		latest := ds.Points[n-1]
		refs := ds.Points[max(0, n-5) : n-1]
		var sum float64
		in.ReferenceVersions = in.ReferenceVersions[:0]
		for _, p := range refs {
			sum += p.Value
			in.ReferenceVersions = append(in.ReferenceVersions, p.Version)
		}
		avg := sum / float64(len(refs))
		if avg <= 0 {
			continue
		}
		delta := math.Round((latest.Value - avg) / avg * 100)
		in.deltas = append(in.deltas, delta)
		in.LatestVersion = latest.Version
		maxLatest = max(maxLatest, latest.Value)
		if latest.PercentageBreakdown != nil && ds.FilterCriteria.Percentile == pctFifty {
			in.SubSystemLabel = latest.PercentageBreakdown.SubSystemLabel
		}
		if delta >= 5 && !sp.p50Only {
			in.Populations = append(in.Populations, &pmPopulation{DeltaPercentage: delta, Device: dev,
				LatestVersionValue: latest.Value, Percentile: ds.FilterCriteria.Percentile,
				ReferenceAverageValue: roundTo(avg, 2),
				SummaryString:         fmt.Sprintf("Increased %.0f%% across %s", delta, deviceSummary[dev])})
		}
	}
	if len(in.deltas) == 0 || in.maxDelta() < 5 {
		return nil
	}
	in.MaxLatestVersionValue = maxLatest
	in.HighImpact = in.maxDelta() >= 20
	first := in.ReferenceVersions[0]
	in.SummaryString = fmt.Sprintf("%s trended up between app versions %s to %s on %s. The maximum value for the "+
		"latest app version is at %.2f %s and increased by up to %.0f%% compared to the average for previous %d app versions.",
		m.Identifier, first, in.LatestVersion, deviceSummary[dev], maxLatest, m.Unit.DisplayName, in.maxDelta(),
		len(in.ReferenceVersions))
	return in
}

// recentBuilds are the builds behind the app endpoint: the newest (up to five) uploaded by t.
func recentBuilds(vis []*build) []*build {
	return vis[max(0, len(vis)-maxMetricVersions):]
}

// appPerfDoc is the unfiltered app document at t.
func (s *Server) appPerfDoc(a *app, t time.Time) *pmDoc {
	return s.newPMGen(a, t).doc(recentBuilds(s.visibleBuilds(a, t)), true)
}

// buildPerfDoc is the unfiltered build document at t (one point per dataset, no insights).
func (s *Server) buildPerfDoc(b *build, t time.Time) *pmDoc {
	return s.newPMGen(b.app, t).doc([]*build{b}, false)
}
