package transform

// insights of an xcodeMetrics document: regressions and trendingUp, one perf_insights row
// per population (see metrics.go for the rules).

import (
	"encoding/json"
	"strings"
)

// JSON shapes of insights; every member is raw so that it is decoded with its path.
type (
	jmInsights struct {
		Regressions json.RawMessage `json:"regressions"`
		TrendingUp  json.RawMessage `json:"trendingUp"`
	}
	jmInsight struct {
		MetricCategory        json.RawMessage `json:"metricCategory"`
		LatestVersion         json.RawMessage `json:"latestVersion"`
		Metric                json.RawMessage `json:"metric"`
		SummaryString         json.RawMessage `json:"summaryString"`
		ReferenceVersions     json.RawMessage `json:"referenceVersions"`
		MaxLatestVersionValue json.RawMessage `json:"maxLatestVersionValue"`
		SubSystemLabel        json.RawMessage `json:"subSystemLabel"`
		HighImpact            json.RawMessage `json:"highImpact"`
		Populations           json.RawMessage `json:"populations"`
	}
	jmPopulation struct {
		DeltaPercentage       json.RawMessage `json:"deltaPercentage"`
		Percentile            json.RawMessage `json:"percentile"`
		SummaryString         json.RawMessage `json:"summaryString"`
		ReferenceAverageValue json.RawMessage `json:"referenceAverageValue"`
		LatestVersionValue    json.RawMessage `json:"latestVersionValue"`
		Device                json.RawMessage `json:"device"`
	}
)

func (f *metricsFlattener) allInsights(raw json.RawMessage) error {
	p := (*jpath)(nil).field("insights")
	var ins jmInsights
	if _, err := f.d.object(raw, p, &ins); err != nil {
		return err
	}
	for _, list := range []struct {
		kind string
		raw  json.RawMessage
	}{{"regressions", ins.Regressions}, {"trendingUp", ins.TrendingUp}} {
		lp := p.field(list.kind)
		items, err := f.d.array(list.raw, lp)
		if err != nil {
			return err
		}
		for i, iraw := range items {
			if err := f.insight(iraw, lp.at(i), list.kind, int64(i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *metricsFlattener) insight(raw json.RawMessage, p *jpath, kind string, index int64) error {
	var in jmInsight
	if ok, err := f.d.object(raw, p, &in); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	h := insightHead{kind: kind, index: index}
	if err := f.insightHead(&in, p, &h); err != nil {
		return err
	}
	if h.category != nil && h.metric != nil {
		f.checkMetric(*h.category, *h.metric)
	} else if h.category != nil {
		f.checkCategory(*h.category)
	}
	pops, err := f.populations(in.Populations, p.field("populations"))
	if err != nil {
		return err
	}
	f.insightRows(&h, pops)
	return nil
}

// insightHead is what every perf_insights row of one insight repeats.
type insightHead struct {
	kind                                           string
	index                                          int64
	category, metric, latest, refs, label, summary *string
	maxLatest                                      *float64
	high                                           *bool
}

// insightHead decodes the insight's own members (all but populations) into h.
func (f *metricsFlattener) insightHead(in *jmInsight, p *jpath, h *insightHead) error {
	var err error
	for _, s := range []struct {
		dst  **string
		raw  json.RawMessage
		name string
	}{
		{&h.category, in.MetricCategory, "metricCategory"},
		{&h.metric, in.Metric, "metric"},
		{&h.latest, in.LatestVersion, "latestVersion"},
		{&h.label, in.SubSystemLabel, "subSystemLabel"},
		{&h.summary, in.SummaryString, "summaryString"},
	} {
		if *s.dst, err = f.d.str(s.raw, p, s.name); err != nil {
			return err
		}
	}
	if h.refs, err = f.referenceVersions(in.ReferenceVersions, p); err != nil {
		return err
	}
	if h.maxLatest, err = f.d.num(in.MaxLatestVersionValue, p, "maxLatestVersionValue"); err != nil {
		return err
	}
	h.high, err = f.d.boolean(in.HighImpact, p, "highImpact")
	return err
}

// population is one decoded element of an insight's populations.
type population struct {
	device, percentile, summary *string
	delta, ref, latest          *float64
}

// populations decodes the insight's populations at pp (none when absent or null).
func (f *metricsFlattener) populations(raw json.RawMessage, pp *jpath) ([]population, error) {
	praws, err := f.d.array(raw, pp)
	if err != nil {
		return nil, err
	}
	pops := make([]population, len(praws))
	for i, praw := range praws {
		ip := pp.at(i)
		var jp jmPopulation
		if ok, err := f.d.object(praw, ip, &jp); err != nil || !ok {
			if err == nil {
				err = f.d.wrong(ip, "an object", praw)
			}
			return nil, err
		}
		po := &pops[i]
		for _, s := range []struct {
			dst  **string
			raw  json.RawMessage
			name string
		}{
			{&po.device, jp.Device, "device"},
			{&po.percentile, jp.Percentile, "percentile"},
			{&po.summary, jp.SummaryString, "summaryString"},
		} {
			if *s.dst, err = f.d.str(s.raw, ip, s.name); err != nil {
				return nil, err
			}
		}
		for _, n := range []struct {
			dst  **float64
			raw  json.RawMessage
			name string
		}{
			{&po.delta, jp.DeltaPercentage, "deltaPercentage"},
			{&po.ref, jp.ReferenceAverageValue, "referenceAverageValue"},
			{&po.latest, jp.LatestVersionValue, "latestVersionValue"},
		} {
			if *n.dst, err = f.d.num(n.raw, ip, n.name); err != nil {
				return nil, err
			}
		}
	}
	return pops, nil
}

// insightRows appends one perf_insights row per population, or one row with null
// population columns when there are none.
func (f *metricsFlattener) insightRows(h *insightHead, pops []population) {
	b := f.insights
	head := func() {
		b.text("source", f.src.Source)
		b.str("build_id", f.buildID)
		b.text("insight_kind", h.kind)
		b.i64("insight_index", h.index)
		b.str("metric_category", h.category)
		b.str("metric", h.metric)
		b.str("latest_version", h.latest)
		b.str("reference_versions", h.refs)
		b.f64("max_latest_version_value", h.maxLatest)
		b.str("sub_system_label", h.label)
		b.boolean("high_impact", h.high)
		b.str("summary", h.summary)
	}
	if len(pops) == 0 {
		head()
		b.null("population_index", "device", "percentile", "delta_percentage",
			"reference_average_value", "latest_version_value", "population_summary")
		b.endRow()
		return
	}
	for i := range pops {
		po := &pops[i]
		head()
		b.i64("population_index", int64(i))
		b.str("device", po.device)
		b.str("percentile", po.percentile)
		b.f64("delta_percentage", po.delta)
		b.f64("reference_average_value", po.ref)
		b.f64("latest_version_value", po.latest)
		b.str("population_summary", po.summary)
		b.endRow()
	}
}

// referenceVersions accepts a string (kept as is) or an array of strings (joined with
// ","); nil when absent or null.
func (f *metricsFlattener) referenceVersions(raw json.RawMessage, p *jpath) (*string, error) {
	if jsonType(raw) != "array" {
		s, err := f.d.str(raw, p, "referenceVersions")
		if err != nil {
			return nil, f.d.wrong(p.field("referenceVersions"), "a string or an array of strings", raw)
		}
		return s, nil
	}
	rp := p.field("referenceVersions")
	items, err := f.d.array(raw, rp)
	if err != nil {
		return nil, err
	}
	vs := make([]string, len(items))
	for i, it := range items {
		s, err := f.d.str(it, rp, "")
		if err != nil || s == nil {
			return nil, f.d.wrong(rp.at(i), "a string", it)
		}
		vs[i] = *s
	}
	joined := strings.Join(vs, ",")
	return &joined, nil
}
