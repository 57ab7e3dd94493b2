package transform

// productData of an xcodeMetrics document: categories, metrics, goal keys, datasets,
// points and their percentage breakdowns (see metrics.go for the rules).

import "encoding/json"

// JSON shapes of productData; every member is raw so that it is decoded with its path.
type (
	jmProduct struct {
		Platform         json.RawMessage `json:"platform"`
		MetricCategories json.RawMessage `json:"metricCategories"`
	}
	jmCategory struct {
		Identifier json.RawMessage `json:"identifier"`
		Metrics    json.RawMessage `json:"metrics"`
	}
	jmMetric struct {
		Identifier json.RawMessage `json:"identifier"`
		Unit       json.RawMessage `json:"unit"`
		GoalKeys   json.RawMessage `json:"goalKeys"`
		Datasets   json.RawMessage `json:"datasets"`
	}
	jmUnit struct {
		Identifier  json.RawMessage `json:"identifier"`
		DisplayName json.RawMessage `json:"displayName"`
	}
	jmGoal struct {
		GoalKey    json.RawMessage `json:"goalKey"`
		LowerBound json.RawMessage `json:"lowerBound"`
		UpperBound json.RawMessage `json:"upperBound"`
	}
	jmDataset struct {
		FilterCriteria        json.RawMessage `json:"filterCriteria"`
		Points                json.RawMessage `json:"points"`
		RecommendedMetricGoal json.RawMessage `json:"recommendedMetricGoal"`
	}
	jmFilter struct {
		Percentile          json.RawMessage `json:"percentile"`
		Device              json.RawMessage `json:"device"`
		DeviceMarketingName json.RawMessage `json:"deviceMarketingName"`
	}
	jmRecommended struct {
		Value  json.RawMessage `json:"value"`
		Detail json.RawMessage `json:"detail"`
	}
	jmPoint struct {
		Version             json.RawMessage `json:"version"`
		Value               json.RawMessage `json:"value"`
		ErrorMargin         json.RawMessage `json:"errorMargin"`
		PercentageBreakdown json.RawMessage `json:"percentageBreakdown"`
		Goal                json.RawMessage `json:"goal"`
	}
	jmBreakdown struct {
		Value          json.RawMessage `json:"value"`
		SubSystemLabel json.RawMessage `json:"subSystemLabel"`
	}
)

func (f *metricsFlattener) productData(raw json.RawMessage) error {
	p := (*jpath)(nil).field("productData")
	products, err := f.d.array(raw, p)
	if err != nil {
		return err
	}
	for i, praw := range products {
		pp := p.at(i)
		var prod jmProduct
		if _, err := f.d.object(praw, pp, &prod); err != nil {
			return err
		}
		platform, err := f.d.str(prod.Platform, pp, "platform")
		if err != nil {
			return err
		}
		cp := pp.field("metricCategories")
		cats, err := f.d.array(prod.MetricCategories, cp)
		if err != nil {
			return err
		}
		for j, craw := range cats {
			if err := f.category(craw, cp.at(j), platform); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *metricsFlattener) category(raw json.RawMessage, p *jpath, platform *string) error {
	var cat jmCategory
	if ok, err := f.d.object(raw, p, &cat); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	category, err := f.d.required(cat.Identifier, p, "identifier")
	if err != nil {
		return err
	}
	f.checkCategory(category)
	mp := p.field("metrics")
	metrics, err := f.d.array(cat.Metrics, mp)
	if err != nil {
		return err
	}
	for k, mraw := range metrics {
		if err := f.metric(mraw, mp.at(k), platform, category); err != nil {
			return err
		}
	}
	return nil
}

func (f *metricsFlattener) metric(raw json.RawMessage, p *jpath, platform *string, category string) error {
	var m jmMetric
	if ok, err := f.d.object(raw, p, &m); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	name, err := f.d.required(m.Identifier, p, "identifier")
	if err != nil {
		return err
	}
	mk := metricKey{platform: platform, category: category, metric: name}
	var unit jmUnit
	up := p.field("unit")
	if _, err := f.d.object(m.Unit, up, &unit); err != nil {
		return err
	}
	if mk.unit, err = f.d.str(unit.Identifier, up, "identifier"); err != nil {
		return err
	}
	if mk.unitDisplay, err = f.d.str(unit.DisplayName, up, "displayName"); err != nil {
		return err
	}
	f.checkMetric(category, name)
	f.checkUnit(mk.unit, category, name)

	gp := p.field("goalKeys")
	goals, err := f.d.array(m.GoalKeys, gp)
	if err != nil {
		return err
	}
	for i, graw := range goals {
		if err := f.goal(graw, gp.at(i), &mk); err != nil {
			return err
		}
	}

	dp := p.field("datasets")
	datasets, err := f.d.array(m.Datasets, dp)
	if err != nil {
		return err
	}
	for i, draw := range datasets {
		if err := f.dataset(draw, dp.at(i), &mk); err != nil {
			return err
		}
	}
	return nil
}

// key appends the columns every metrics table starts with.
func (f *metricsFlattener) key(b *tableBuilder, mk *metricKey) {
	b.text("source", f.src.Source)
	b.str("build_id", f.buildID)
	b.str("platform", mk.platform)
	b.text("metric_category", mk.category)
	b.text("metric", mk.metric)
	b.str("unit", mk.unit)
	b.str("unit_display", mk.unitDisplay)
}

func (f *metricsFlattener) goal(raw json.RawMessage, p *jpath, mk *metricKey) error {
	var g jmGoal
	if ok, err := f.d.object(raw, p, &g); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	key, err := f.d.str(g.GoalKey, p, "goalKey")
	if err != nil {
		return err
	}
	lower, err := f.d.num(g.LowerBound, p, "lowerBound")
	if err != nil {
		return err
	}
	upper, err := f.d.num(g.UpperBound, p, "upperBound")
	if err != nil {
		return err
	}
	b := f.goals
	f.key(b, mk)
	b.str("goal_key", key)
	b.f64("lower_bound", lower)
	b.f64("upper_bound", upper)
	b.endRow()
	return nil
}

func (f *metricsFlattener) dataset(raw json.RawMessage, p *jpath, mk *metricKey) error {
	var ds jmDataset
	if ok, err := f.d.object(raw, p, &ds); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	var dk datasetKey
	var fc jmFilter
	fp := p.field("filterCriteria")
	if _, err := f.d.object(ds.FilterCriteria, fp, &fc); err != nil {
		return err
	}
	var err error
	if dk.device, err = f.d.str(fc.Device, fp, "device"); err != nil {
		return err
	}
	if dk.marketingName, err = f.d.str(fc.DeviceMarketingName, fp, "deviceMarketingName"); err != nil {
		return err
	}
	if dk.percentile, err = f.d.str(fc.Percentile, fp, "percentile"); err != nil {
		return err
	}
	var rg jmRecommended
	rp := p.field("recommendedMetricGoal")
	if _, err := f.d.object(ds.RecommendedMetricGoal, rp, &rg); err != nil {
		return err
	}
	if dk.recValue, err = f.d.num(rg.Value, rp, "value"); err != nil {
		return err
	}
	if dk.recDetail, err = f.d.str(rg.Detail, rp, "detail"); err != nil {
		return err
	}

	pp := p.field("points")
	points, err := f.d.array(ds.Points, pp)
	if err != nil {
		return err
	}
	for i, praw := range points {
		if err := f.point(praw, pp.at(i), int64(i), mk, &dk); err != nil {
			return err
		}
	}
	return nil
}

// pointKey appends the columns a point row and its breakdown rows share.
func (f *metricsFlattener) pointKey(b *tableBuilder, mk *metricKey, dk *datasetKey, version *string, index int64) {
	f.key(b, mk)
	b.str("device", dk.device)
	b.str("device_marketing_name", dk.marketingName)
	b.str("percentile", dk.percentile)
	b.str("version", version)
	b.i64("point_index", index)
}

func (f *metricsFlattener) point(raw json.RawMessage, p *jpath, index int64, mk *metricKey, dk *datasetKey) error {
	var pt jmPoint
	if ok, err := f.d.object(raw, p, &pt); err != nil || !ok {
		if err == nil {
			err = f.d.wrong(p, "an object", raw)
		}
		return err
	}
	version, err := f.d.str(pt.Version, p, "version")
	if err != nil {
		return err
	}
	value, err := f.d.num(pt.Value, p, "value")
	if err != nil {
		return err
	}
	margin, err := f.d.num(pt.ErrorMargin, p, "errorMargin")
	if err != nil {
		return err
	}
	goal, err := f.d.str(pt.Goal, p, "goal")
	if err != nil {
		return err
	}
	parts, err := f.percentageBreakdown(pt.PercentageBreakdown, p.field("percentageBreakdown"))
	if err != nil {
		return err
	}

	b := f.metrics
	f.pointKey(b, mk, dk, version, index)
	b.f64("value", value)
	b.f64("error_margin", margin)
	b.str("goal", goal)
	b.f64("recommended_goal_value", dk.recValue)
	b.str("recommended_goal_detail", dk.recDetail)
	b.endRow()

	for i := range parts {
		b := f.breakdowns
		f.pointKey(b, mk, dk, version, index)
		b.i64("breakdown_index", int64(i))
		b.str("sub_system_label", parts[i].label)
		b.f64("percentage", parts[i].value)
		b.endRow()
	}
	return nil
}

// breakdownPart is one decoded percentageBreakdown.
type breakdownPart struct {
	label *string
	value *float64
}

// percentageBreakdown decodes a point's percentageBreakdown at bp: one object or an array of
// objects; none when absent or null.
func (f *metricsFlattener) percentageBreakdown(raw json.RawMessage, bp *jpath) ([]breakdownPart, error) {
	var parts []json.RawMessage
	var partPath func(i int) *jpath
	switch jsonType(raw) {
	case "null", "nothing":
		return nil, nil
	case "object":
		parts = []json.RawMessage{raw}
		partPath = func(int) *jpath { return bp }
	case "array":
		var err error
		if parts, err = f.d.array(raw, bp); err != nil {
			return nil, err
		}
		partPath = bp.at
	default:
		return nil, f.d.wrong(bp, "an object or an array of objects", raw)
	}
	decoded := make([]breakdownPart, len(parts))
	for i, braw := range parts {
		var bd jmBreakdown
		ip := partPath(i)
		if ok, err := f.d.object(braw, ip, &bd); err != nil || !ok {
			if err == nil {
				err = f.d.wrong(ip, "an object", braw)
			}
			return nil, err
		}
		var err error
		if decoded[i].label, err = f.d.str(bd.SubSystemLabel, ip, "subSystemLabel"); err != nil {
			return nil, err
		}
		if decoded[i].value, err = f.d.num(bd.Value, ip, "value"); err != nil {
			return nil, err
		}
	}
	return decoded, nil
}
