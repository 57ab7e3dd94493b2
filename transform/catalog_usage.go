package transform

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ascetl/etl/schemas"
)

// TestFlight usage comes as Apple's metric documents (GET /v1/apps/{id}/metrics/
// betaTesterUsages?groupBy=betaTesters, GET /v1/builds/{id}/metrics/betaBuildUsages):
// data[] items without ids, each with dataPoints[] of {start, end, values{…}} and, when
// grouped, dimensions.betaTesters.data.id. Each data point becomes one row keyed
// "<tester or build id>/<day>" (usage_key), day being the point's start date.

// UsageDoc is one decoded page of a usage metric document.
type UsageDoc struct {
	Rows []CatalogRow
	Next string // links.next, "" on the last page
}

// TesterUsageRows flattens a betaTesterUsages page (grouped by betaTesters) into
// testflight_beta_tester_usage rows.
func TesterUsageRows(key string, data []byte, extractedAt time.Time) (UsageDoc, error) {
	return usageRows(schemas.TestFlightTesterUsageTable, key, data, "", extractedAt)
}

// BuildUsageRows flattens a betaBuildUsages page of one build into testflight_build_usage
// rows.
func BuildUsageRows(key string, data []byte, buildID string, extractedAt time.Time) (UsageDoc, error) {
	return usageRows(schemas.TestFlightBuildUsageTable, key, data, buildID, extractedAt)
}

// usageValues are the values{} members read per table, by column name.
var usageValues = map[string][][2]string{
	schemas.TestFlightTesterUsageTable: {{"crash_count", "crashCount"}, {"session_count", "sessionCount"}, {"feedback_count", "feedbackCount"}},
	schemas.TestFlightBuildUsageTable: {{"crash_count", "crashCount"}, {"install_count", "installCount"},
		{"session_count", "sessionCount"}, {"feedback_count", "feedbackCount"}, {"invite_count", "inviteCount"}},
}

func usageRows(table, key string, data []byte, buildID string, extractedAt time.Time) (UsageDoc, error) {
	t, ok := schemas.Lookup(table)
	if !ok {
		return UsageDoc{}, fmt.Errorf("transform: table %s not registered in schemas", table)
	}
	d := jdec{key: key}
	var top struct {
		Data   json.RawMessage `json:"data"`
		Links  json.RawMessage `json:"links"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := d.document(data, &top); err != nil {
		return UsageDoc{}, err
	}
	if err := apiError(key, top.Errors); err != nil {
		return UsageDoc{}, err
	}
	if isJSONNull(top.Data) {
		return UsageDoc{}, &JSONError{Key: key, Path: "data", Err: ErrMissingField}
	}
	items, err := d.array(top.Data, (*jpath)(nil).field("data"))
	if err != nil {
		return UsageDoc{}, err
	}
	u := &usageFlattener{d: d, t: t, key: key, buildID: buildID, extractedAt: extractedAt}
	for i, raw := range items {
		if err := u.item(raw, (*jpath)(nil).field("data").at(i)); err != nil {
			return UsageDoc{}, err
		}
	}
	next, err := d.linksNext(top.Links)
	if err != nil {
		return UsageDoc{}, err
	}
	return UsageDoc{Rows: u.rows, Next: next}, nil
}

// usageFlattener turns the data[] items of one usage page into rows.
type usageFlattener struct {
	d           jdec
	t           *schemas.Table
	key         string
	buildID     string // the build of a betaBuildUsages page
	extractedAt time.Time
	rows        []CatalogRow
	line        int64 // rows so far: _source_line of the last row
}

// item flattens one data[] element at ip: its owner (the tester of
// dimensions.betaTesters.data.id, or the build) and one row per dataPoints[] element.
func (u *usageFlattener) item(raw json.RawMessage, ip *jpath) error {
	d := u.d
	var item struct {
		DataPoints json.RawMessage `json:"dataPoints"`
		Dimensions json.RawMessage `json:"dimensions"`
	}
	if _, err := d.object(raw, ip, &item); err != nil {
		return err
	}
	owner, ownerCol := u.buildID, "build_id"
	if u.t.Name == schemas.TestFlightTesterUsageTable {
		ownerCol = "tester_id"
		r := Resource{raw: item.Dimensions}
		v, err := r.valueAt(d, ip.field("dimensions"), "betaTesters.data.id")
		if err != nil {
			return err
		}
		s, _ := v.(string)
		if s == "" {
			return d.fail(ip.field("dimensions").field("betaTesters").field("data").field("id"), ErrMissingField, "missing (request the metric with groupBy=betaTesters)")
		}
		owner = s
	}
	points, err := d.array(item.DataPoints, ip.field("dataPoints"))
	if err != nil {
		return err
	}
	for j, praw := range points {
		if err := u.point(praw, ip.field("dataPoints").at(j), owner, ownerCol); err != nil {
			return err
		}
	}
	return nil
}

// point appends the row of one data point at pp, keyed "<owner>/<start day>".
func (u *usageFlattener) point(raw json.RawMessage, pp *jpath, owner, ownerCol string) error {
	d, t := u.d, u.t
	pr := Resource{raw: raw}
	dayV, err := pr.valueAt(d, pp, "start", schemas.DateISO)
	if err != nil {
		return err
	}
	day, ok := dayV.(time.Time)
	if !ok {
		return d.fail(pp.field("start"), ErrMissingField, "")
	}
	u.line++
	row := NewCatalogRow(t, u.key, u.line, u.extractedAt)
	row.Set(t, "usage_key", owner+"/"+day.Format("2006-01-02"))
	row.Set(t, ownerCol, owner)
	row.Set(t, "day", day)
	for _, v := range usageValues[t.Name] {
		n, err := pr.valueAt(d, pp, "values."+v[1], schemas.Int64)
		if err != nil {
			return err
		}
		row.Set(t, v[0], n)
	}
	u.rows = append(u.rows, row)
	return nil
}

// valueAt is value for an object that is not a JSON:API resource, at path p.
func (r *Resource) valueAt(d jdec, p *jpath, dotted string, k ...schemas.Kind) (any, error) {
	kind := schemas.String
	if len(k) > 0 {
		kind = k[0]
	}
	raw, parent, name, err := r.memberFrom(d, p, dotted)
	if err != nil || isJSONNull(raw) {
		return nil, err
	}
	return d.kindValue(raw, parent, name, kind)
}
