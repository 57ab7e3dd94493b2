package transform_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ascetl/etl/schemas"
	"github.com/ascetl/etl/simulator"
	"github.com/ascetl/etl/transform"
)

// The simulator lists the same catalog (names and categories) as schemas.AnalyticsCatalog,
// and every category has reports with data.
func TestAnalyticsCatalogMatchesSimulator(t *testing.T) {
	names, cats, withData := simulator.AnalyticsReportNames()
	if len(names) != len(schemas.AnalyticsCatalog()) {
		t.Errorf("simulator lists %d reports, catalog %d", len(names), len(schemas.AnalyticsCatalog()))
	}
	dataPerCat := map[string]int{}
	for i, n := range names {
		e, ok := schemas.LookupAnalyticsCatalog(n)
		if !ok || e.Category != cats[i] || e.Name != n {
			t.Errorf("%q (%s): catalog %+v %v", n, cats[i], e, ok)
		}
		if withData[i] {
			dataPerCat[cats[i]]++
		}
	}
	if len(dataPerCat) != 5 {
		t.Errorf("reports with data per category: %v", dataPerCat)
	}
}

type jsonDoc struct {
	Data []struct {
		ID         string         `json:"id"`
		Attributes map[string]any `json:"attributes"`
	} `json:"data"`
}

func (c *simClient) list(path string, q url.Values) jsonDoc {
	c.t.Helper()
	q.Set("limit", "200")
	resp, body := c.get(path, q)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var d jsonDoc
	if err := json.Unmarshal(body, &d); err != nil {
		c.t.Fatal(err)
	}
	return d
}

// measureSums is, per Date, processing date and instance, the exact sum of each measure
// column (scaled by 10^6 for decimals, as loaded). An ONGOING and a snapshot instance can
// share a processing date: each must match the truth on its own.
type measureSums map[string]map[string]map[string]map[string]*big.Int

func addRecord(t *testing.T, sums measureSums, rec arrow.RecordBatch, dateCol string, measures []string) {
	t.Helper()
	col := func(name string) arrow.Array {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) != 1 {
			t.Fatalf("no column %s in %s", name, rec.Schema())
		}
		return rec.Column(idx[0])
	}
	dates, procs := col(dateCol).(*array.Date32), col(schemas.AnalyticsProcessingDate).(*array.Date32)
	ids := col(schemas.AnalyticsInstanceID).(*array.String)
	for i := 0; i < int(rec.NumRows()); i++ {
		d, p, id := dates.Value(i).FormattedString(), procs.Value(i).FormattedString(), ids.Value(i)
		if sums[d] == nil {
			sums[d] = map[string]map[string]map[string]*big.Int{}
		}
		if sums[d][p] == nil {
			sums[d][p] = map[string]map[string]*big.Int{}
		}
		if sums[d][p][id] == nil {
			sums[d][p][id] = map[string]*big.Int{}
		}
		for _, m := range measures {
			v := new(big.Int)
			switch a := col(schemas.ColumnName(m)).(type) {
			case *array.Int64:
				v.SetInt64(a.Value(i))
			case *array.Decimal128:
				v = a.Value(i).BigInt()
			default:
				t.Fatalf("measure %s is %T", m, a)
			}
			if sums[d][p][id][m] == nil {
				sums[d][p][id][m] = new(big.Int)
			}
			sums[d][p][id][m].Add(sums[d][p][id][m], v)
		}
	}
}

// truthValue is the loaded sum in the simulator's truth format ("1234", "12.34").
func truthValue(v *big.Int, decimal bool) string {
	if !decimal {
		return v.String()
	}
	q := new(big.Int).Quo(v, big.NewInt(10_000)) // scale 6 → cents
	s, neg := strings.CutPrefix(q.String(), "-")
	for len(s) < 3 {
		s = "0" + s
	}
	s = s[:len(s)-2] + "." + s[len(s)-2:]
	if neg {
		s = "-" + s
	}
	return s
}

// Every analytics report the simulator has data for, typed or not, loads through
// NewAnalyticsSegmentParser from the real segment downloads (ONGOING and the year-long
// snapshot) and matches TruthAnalytics exactly, date by date, latest processing date winning.
func TestAnalyticsEveryReportMatchesTruth(t *testing.T) {
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	c := newSimClient(t, now, simulator.Options{Seed: 3, AnalyticsSince: 10 * 24 * time.Hour, AnalyticsSnapshot: true})
	app := c.sim.AppIDs()[0]
	names, _, withData := simulator.AnalyticsReportNames()
	hasData := map[string]bool{}
	for i, n := range names {
		hasData[n] = withData[i]
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sums := map[string]measureSums{}
	tables := map[string]*schemas.Table{}
	for _, req := range c.list("/v1/apps/"+app+"/analyticsReportRequests", url.Values{}).Data {
		access := req.Attributes["accessType"].(string)
		for _, rep := range c.list("/v1/analyticsReportRequests/"+req.ID+"/reports", url.Values{}).Data {
			name := rep.Attributes["name"].(string)
			insts := c.list("/v1/analyticsReports/"+rep.ID+"/instances", url.Values{"filter[granularity]": {"DAILY"}}).Data
			if !hasData[name] {
				if len(insts) != 0 {
					t.Errorf("%s: %d instances without data", name, len(insts))
				}
				continue
			}
			if sums[name] == nil {
				sums[name] = measureSums{}
			}
			for _, in := range insts {
				inst := transform.AnalyticsInstance{ID: in.ID, Granularity: "DAILY",
					ProcessingDate: in.Attributes["processingDate"].(string), AccessType: access}
				p, err := transform.NewAnalyticsSegmentParser(name, inst, mem, now)
				if err != nil {
					t.Fatal(err)
				}
				for _, sg := range c.list("/v1/analyticsReportInstances/"+in.ID+"/segments", url.Values{}).Data {
					if err := p.AddSegment(sg.ID, bytes.NewReader(c.download(sg.Attributes["url"].(string)))); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				}
				if d := p.Drift(); len(d.Unknown)+len(d.Missing) > 0 {
					t.Errorf("%s: drift %+v", name, d)
				}
				tb := p.Table()
				tables[name] = tb
				measures := truthMeasures(c.sim, app, name)
				for _, m := range p.Months() {
					rec := p.Record(m)
					addRecord(t, sums[name], rec, dateColumn(tb), measures)
					rec.Release()
				}
				p.Release()
			}
		}
	}
	generic := 0
	for name, byDate := range sums {
		if _, typed := schemas.LookupAnalyticsReport(name); !typed {
			generic++
			if !strings.HasPrefix(tables[name].Name, "analytics_") || !tables[name].Provisional {
				t.Errorf("%s: table %s", name, tables[name].Name)
			}
		}
		truth := c.sim.TruthAnalytics(app, name, "DAILY")
		if len(truth) < 365 {
			t.Errorf("%s: truth has %d dates, want the snapshot's year", name, len(truth))
		}
		for _, td := range truth {
			insts := byDate[td.Date][td.ProcessingDate]
			if len(insts) == 0 && td.Rows > 0 {
				t.Fatalf("%s %s: no instance processed %s loaded", name, td.Date, td.ProcessingDate)
			}
			for id, got := range insts {
				for m, want := range td.Measures {
					v := new(big.Int)
					if got[m] != nil {
						v = got[m]
					}
					if s := truthValue(v, strings.Contains(want, ".")); s != want {
						t.Fatalf("%s %s (processed %s, instance %s) %s: loaded %s, truth %s", name, td.Date, td.ProcessingDate, id, m, s, want)
					}
				}
			}
		}
	}
	if generic < 5 || len(sums) < 19 {
		t.Errorf("compared %d reports (%d generic)", len(sums), generic)
	}
}

func truthMeasures(sim *simulator.Server, app, name string) []string {
	var ms []string
	for _, td := range sim.TruthAnalytics(app, name, "DAILY") {
		for m := range td.Measures {
			ms = append(ms, m)
		}
		break
	}
	return ms
}

func dateColumn(tb *schemas.Table) string {
	if r, ok := schemas.LookupAnalyticsReport(strings.TrimPrefix(tb.Name, "analytics_")); ok {
		return r.DateColumn
	}
	for _, c := range tb.Columns {
		if c.Name == "date" || c.Name == "event_date" {
			return c.Name
		}
	}
	return "date"
}

func (c *simClient) download(u string) []byte {
	c.t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("segment %s: %d %s", u, resp.StatusCode, body)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}
