package dashboard

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ascetl/etl/internal/dashboard/browsertest"
)

// loadPage writes html to a file and loads it from file:// in Chromium.
func loadPage(t *testing.T, html []byte) (*browsertest.Result, *browsertest.Page) {
	t.Helper()
	chromium := browsertest.Chromium(t)
	p := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(p, html, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := browsertest.Load(ctx, chromium, "file://"+p, browsertest.PageExpr, 1320)
	if err != nil {
		t.Fatal(err)
	}
	page, err := browsertest.ParsePage(res)
	if err != nil {
		t.Fatal(err)
	}
	return res, page
}

// CheckPage fails t unless the page loaded without a console error or a request off the
// machine, has no script, and every chart either drew every mark it declares (at least
// one) or is one of the empty ones named (and only those are empty).
func checkPage(t *testing.T, res *browsertest.Result, page *browsertest.Page, empty map[string]bool) {
	t.Helper()
	for _, e := range res.Errors {
		t.Errorf("browser: %s", e)
	}
	for _, u := range res.Requests {
		t.Errorf("the page requested %s (it must open offline)", u)
	}
	if page.Scripts != 0 {
		t.Errorf("the page has %d scripts", page.Scripts)
	}
	if len(page.Charts) == 0 {
		t.Fatal("no chart in the page")
	}
	for _, c := range page.Charts {
		switch {
		case empty[c.ID]:
			if c.Empty == "" || c.Declared != 0 {
				t.Errorf("chart %s: not in its no-data state (%d marks)", c.ID, c.Drawn)
			}
		case c.Empty != "":
			t.Errorf("chart %s is empty: %s", c.ID, c.Empty)
		case c.Drawn == 0 || c.Drawn != c.Declared:
			t.Errorf("chart %s: the browser laid out %d of its %d marks", c.ID, c.Drawn, c.Declared)
		}
		if c.Width < 300 || c.Height < 100 {
			t.Errorf("chart %s is %.0f×%.0f px", c.ID, c.Width, c.Height)
		}
	}
}

// The sample page, with its tricky names, loads in a real browser without an error, draws
// every chart, and shows an empty chart's no-data state.
func TestBrowserDrawsEveryChart(t *testing.T) {
	d := sampleData()
	d.Downloads = nil // one chart without data
	var b bytes.Buffer
	if err := Build(d).Write(&b); err != nil {
		t.Fatal(err)
	}
	res, page := loadPage(t, b.Bytes())
	checkPage(t, res, page, map[string]bool{IDDownloads: true})
	if len(page.Charts) != 9 || page.Title != "App Store Connect dashboard" {
		t.Errorf("%d charts, title %q", len(page.Charts), page.Title)
	}
	shot := filepath.Join(browsertest.ArtifactDir(t), "dashboard-sample.png")
	if err := os.WriteFile(shot, res.PNG, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(res.PNG))
}

// The checks can fail: a page that logs an error, loads from the network and has a chart
// without marks is caught on each count.
func TestBrowserCatchesErrors(t *testing.T) {
	html := `<!DOCTYPE html><html><head><title>bad</title></head><body>
<img src="http://192.0.2.1/pixel.png" alt="">
<script>console.error("boom"); undefinedFunction();</script>
<svg class="chart" id="c" data-marks="2" width="400" height="200"><rect class="mark" width="10" height="10"/></svg>
</body></html>`
	res, page := loadPage(t, []byte(html))
	joined := strings.Join(res.Errors, "\n")
	if !strings.Contains(joined, "boom") || !strings.Contains(joined, "undefinedFunction") {
		t.Errorf("console error and exception not seen: %q", res.Errors)
	}
	if len(res.Requests) != 1 || !strings.HasPrefix(res.Requests[0], "http://192.0.2.1/") {
		t.Errorf("requests: %q", res.Requests)
	}
	if page.Scripts != 1 || len(page.Charts) != 1 || page.Charts[0].Drawn != 1 || page.Charts[0].Declared != 2 {
		t.Errorf("page: %+v", page)
	}
}
