package dashboard

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNiceScale(t *testing.T) {
	for _, c := range []struct {
		lo, hi     float64
		wantLo     float64
		wantHi     float64
		wantStep   float64
		firstTicks string
	}{
		{0, 97, 0, 100, 20, "0 20 40"},
		{0, 1234, 0, 1400, 200, "0 200 400"},
		{0, 123400, 0, 140000, 20000, "0 20k 40k"},
		{-45, 60, -60, 60, 20, "-60 -40 -20"},
		{0, 0, 0, 1, 0.2, "0 0.2 0.4"},
		{1, 5, 1, 5, 1, "1 2 3"},
		{0, 0.034, 0, 0.035, 0.005, "0 0.005 0.010"},
		{5, 5, 4.5, 5.5, 0.2, "4.4 4.6 4.8"},
	} {
		s := niceScale(c.lo, c.hi, 5)
		var first []string
		for _, v := range s.ticks[:3] {
			first = append(first, s.tickText(v))
		}
		if c.wantLo == 4.5 { // degenerate range: only check it is covered
			if s.lo > 5 || s.hi < 5 || len(s.ticks) < 2 {
				t.Errorf("niceScale(5, 5) = %+v", s)
			}
			continue
		}
		if s.lo != c.wantLo || s.hi != c.wantHi || s.step != c.wantStep || strings.Join(first, " ") != c.firstTicks {
			t.Errorf("niceScale(%v, %v) = [%v, %v] step %v ticks %v; want [%v, %v] step %v ticks %s",
				c.lo, c.hi, s.lo, s.hi, s.step, first, c.wantLo, c.wantHi, c.wantStep, c.firstTicks)
		}
	}
}

func TestNumberFormats(t *testing.T) {
	for _, c := range []struct {
		v    float64
		dec  int
		want string
	}{
		{1234567.891, 2, "1,234,567.89"}, {-1234.5, 2, "-1,234.50"}, {999, 0, "999"}, {-0.001, 2, "0.00"},
		{0, 0, "0"}, {math.NaN(), 2, "–"}, {100000, 0, "100,000"},
	} {
		if got := exact(c.v, c.dec); got != c.want {
			t.Errorf("exact(%v, %d) = %q, want %q", c.v, c.dec, got, c.want)
		}
	}
	for _, c := range []struct {
		v, step, ref float64
		want         string
	}{
		{1500, 500, 2000, "1,500"}, {15000, 5000, 20000, "15k"}, {2500, 500, 2e4, "2.5k"}, {2.5e7, 5e6, 3e7, "25M"},
		{0, 10, 100, "0"}, {-40, 20, 60, "-40"}, {0.25, 0.05, 1, "0.25"}, {133.2, 1, 133.2, "133"},
	} {
		if got := compact(c.v, c.step, c.ref); got != c.want {
			t.Errorf("compact(%v, %v) = %q, want %q", c.v, c.step, got, c.want)
		}
	}
}

func TestEscapeAndFit(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{appQuote, "Tom&#39;s &#34;Best&#34; &lt;App&gt; &amp; Co"},
		{appEmoji, appEmoji},
		{appRTL, appRTL},
		{appCtl, "BadName\uFFFD"},
		{"tab\there", "tab here"},
	} {
		if got := esc(c.in); got != c.want {
			t.Errorf("esc(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := "A very long application name that will not fit"
	if got := fit(long, 100, fontSize); !strings.HasSuffix(got, "…") || textWidth(got, fontSize) > 100 {
		t.Errorf("fit(long) = %q (%.0f wide)", got, textWidth(got, fontSize))
	}
	if got := fit("short", 100, fontSize); got != "short" {
		t.Errorf("fit(short) = %q", got)
	}
	// Cutting inside an emoji ZWJ sequence leaves no dangling joiner.
	for w := 30.0; w < 120; w += 3 {
		got := fit(appEmoji, w, fontSize)
		if strings.HasSuffix(strings.TrimSuffix(got, "…"), "\u200d") {
			t.Errorf("fit(%q, %v) = %q ends with a joiner", appEmoji, w, got)
		}
	}
}

// Every chart of the sample draws marks, and its SVG is well-formed XML whose text gives
// back the data's strings exactly: nothing from the data is markup.
func TestBuildChartsWellFormedAndEscaped(t *testing.T) {
	r := Build(sampleData())
	if len(r.Panels) != 10 {
		t.Fatalf("%d panels, want 9 charts and the reconciliation", len(r.Panels))
	}
	texts := map[string]bool{}
	for _, p := range r.Panels {
		if p.Chart == nil {
			continue
		}
		out := p.Chart.Render()
		if p.Chart.Empty != "" {
			t.Errorf("chart %s is empty: %s", p.Chart.ID, p.Chart.Empty)
			continue
		}
		if !regexp.MustCompile(`data-marks="[1-9][0-9]*"`).MatchString(out) {
			t.Errorf("chart %s declares no marks", p.Chart.ID)
		}
		dec := xml.NewDecoder(strings.NewReader(out))
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("chart %s: not well-formed: %v\n%s", p.Chart.ID, err, out)
			}
			if cd, ok := tok.(xml.CharData); ok {
				texts[string(cd)] = true
			}
		}
	}
	found := func(sub string) bool {
		for s := range texts {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	for _, want := range []string{appQuote, appEmoji, appRTL, "BadName\uFFFD"} {
		if !found(want) {
			t.Errorf("no chart text holds %q", want)
		}
	}
	var page bytes.Buffer
	if err := r.Write(&page); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, bad := range []string{"<App>", `"Best"`, "\x01", "<2026-10>", "<script"} {
		if strings.Contains(html, bad) {
			t.Errorf("page holds %q unescaped", bad)
		}
	}
	for _, want := range []string{"Content-Security-Policy", "default-src &#39;none&#39;", "Tom&#39;s &#34;Best&#34; &lt;App&gt;",
		"<bdi>\u2068" + appRTL + "\u2069 2.9.2", "off by 12.00 in &#34;EUR&#34; &lt;2026-10&gt;", "1 failed"} {
		if want == "default-src &#39;none&#39;" {
			want = "default-src 'none'" // the page's own attribute, not data
		}
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// With no data every chart shows its "no data" state, saying which mart is empty.
func TestBuildEmpty(t *testing.T) {
	r := Build(&Data{Days: 90})
	var page bytes.Buffer
	if err := r.Write(&page); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, p := range r.Panels {
		if p.Chart == nil {
			t.Errorf("panel without chart on an empty warehouse: %+v", p)
			continue
		}
		if p.Chart.Empty == "" {
			t.Errorf("chart %s not empty", p.Chart.ID)
		}
		if !strings.Contains(html, `id="`+p.Chart.ID+`"`) || !strings.Contains(html, "No data: "+esc(p.Chart.Empty)) {
			t.Errorf("chart %s: no \"no data\" state in the page", p.Chart.ID)
		}
	}
	if !strings.Contains(html, "mart_revenue_daily has no rows") {
		t.Error("the empty revenue chart does not name its mart")
	}
}

// A chart whose values are all zero or missing is empty too, not an axis with nothing.
func TestRenderNothingToDraw(t *testing.T) {
	c := &Chart{ID: "z", Title: "Z", Categories: []string{"a", "b"}, Series: []Series{{Name: "s", Values: []float64{0, math.NaN()}}}}
	if out := c.Render(); !strings.Contains(out, `data-empty="nothing to show`) {
		t.Errorf("all-zero chart: %s", out)
	}
	c = &Chart{ID: "z", Title: "Z", Layout: Rows, Categories: []string{"a"}, Series: []Series{{Name: "s", Values: []float64{0}, Zero: true}}}
	if out := c.Render(); !strings.Contains(out, `data-marks="1"`) {
		t.Errorf("a zero drawn as a dot: %s", out)
	}
}

// Load sends each query to the Querier and fills the data from plain rows; a failing query
// empties only its chart and is reported.
func TestLoad(t *testing.T) {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	answers := map[string][]map[string]any{
		"FROM etl_settings": {{"reporting_currency": "EUR", "built_at": time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}},
		"FROM mart_revenue_daily": {
			{"date": day("2026-11-01"), "app": appQuote, "proceeds": 12.5, "missing_rate": int64(2), "units": int64(3)},
			{"date": day("2026-11-03"), "app": appQuote, "proceeds": nil, "missing_rate": int64(1), "units": int64(1)},
		},
		"FROM mart_units_daily":     {{"country": "US", "downloads": 10.0, "redownloads": 1.0, "updates": 4.0, "iap": 2.0, "subscriptions": 3.0}},
		"FROM mart_freshness":       {{"dataset": "sales_summary_daily", "family": "sales", "data_through": day("2026-12-01"), "units_loaded": int64(3), "late": int64(0)}},
		"FROM etl_ledger":           {{"family": "sales", "state": "loaded", "units": int64(3)}},
		"information_schema.column": {{"column_name": "check"}, {"column_name": "passed"}},
		"FROM reconcile_results":    {{"check": "zz vs regions", "passed": false}, {"check": "footers", "passed": true}},
	}
	var asked []string
	q := func(ctx context.Context, sql string) ([]map[string]any, error) {
		asked = append(asked, sql)
		if strings.Contains(sql, "mart_ratings_weekly") {
			return nil, errors.New(`Catalog Error: Table with name mart_ratings_weekly does not exist!`)
		}
		for k, v := range answers {
			if strings.Contains(sql, k) && !(k == "FROM mart_revenue_daily" && strings.Contains(sql, "mart_revenue_monthly")) {
				return v, nil
			}
		}
		return nil, nil
	}
	d, err := Load(context.Background(), q, 30)
	if err != nil {
		t.Fatal(err)
	}
	if d.Currency != "EUR" || d.BuiltAt.Hour() != 9 || len(d.RevenueDaily) != 2 || d.RevenueDaily[0].Period != "2026-11-01" ||
		d.RevenueDaily[0].MissingRate != 2 || !math.IsNaN(d.RevenueDaily[1].Value) {
		t.Errorf("revenue: %+v %v %+v", d.Currency, d.BuiltAt, d.RevenueDaily)
	}
	if !strings.Contains(asked[1], "- 30") {
		t.Errorf("the window is not 30 days: %s", asked[1])
	}
	if len(d.Units) != 1 || d.Units[0].Total() != 20 || len(d.Freshness) != 1 || d.Freshness[0].DataThrough != "2026-12-01" {
		t.Errorf("units %+v freshness %+v", d.Units, d.Freshness)
	}
	if d.Reconcile == nil || d.Reconcile.Checks != 2 || len(d.Reconcile.Failed) != 1 || d.Reconcile.Failed[0][0] != "zz vs regions" {
		t.Errorf("reconcile: %+v", d.Reconcile)
	}
	if !strings.Contains(d.Errors[IDRatings], "does not exist") || len(d.Errors) != 1 {
		t.Errorf("errors: %v", d.Errors)
	}
	r := Build(d)
	for _, p := range r.Panels {
		if p.Chart != nil && p.Chart.ID == IDRatings && !strings.HasPrefix(p.Chart.Empty, "query failed: Catalog Error") {
			t.Errorf("ratings chart: %q", p.Chart.Empty)
		}
	}
	if len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], "ratings: ") {
		t.Errorf("warnings: %v", r.Warnings)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	failing := func(ctx context.Context, _ string) ([]map[string]any, error) { return nil, ctx.Err() }
	if _, err := Load(ctx, failing, 30); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled load: %v", err)
	}
}

func TestVersionLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"1.9", "1.10", true}, {"1.10", "1.9", false}, {"2.0", "2.0.1", true}, {"1.a", "1.b", true}} {
		if got := versionLess(c.a, c.b); got != c.want {
			t.Errorf("versionLess(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// The package must build without cgo: it reads the marts through a Querier, never DuckDB.
func TestDoesNotLinkDuckDB(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/ascetl/etl/internal/dashboard").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "github.com/ascetl/etl/internal/dashboard\n") {
		t.Fatalf("go list did not list the package itself:\n%s", out)
	}
	if strings.Contains(string(out), "duckdb") {
		t.Errorf("internal/dashboard links DuckDB:\n%s", out)
	}
}
