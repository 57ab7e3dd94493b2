package transform_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/ascetl/etl/report"
	"github.com/ascetl/etl/simulator"
	"github.com/ascetl/etl/transform"
)

// simReport fetches one sales report from the simulator: Apple's file name and the
// decompressed body; ok false when the answer is not a 200.
type simClient struct {
	t     *testing.T
	srv   *httptest.Server
	sim   *simulator.Server
	token string
}

func newSimClient(t *testing.T, now time.Time, opt simulator.Options) *simClient {
	t.Helper()
	opt.Now = func() time.Time { return now }
	sim := simulator.New(opt)
	key, _, err := simulator.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sim.AddKey("KEY1234567", &key.PublicKey)
	tok, err := simulator.SignToken(key, "KEY1234567", simulator.DefaultIssuerID, now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &simClient{t: t, srv: srv, sim: sim, token: tok}
}

func (c *simClient) get(path string, q url.Values) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, body
}

func (c *simClient) salesReport(u report.Unit) (name string, tsv []byte, status int) {
	c.t.Helper()
	resp, body := c.get("/v1/salesReports", url.Values{
		"filter[vendorNumber]": {u.Vendor}, "filter[reportType]": {u.Type}, "filter[reportSubType]": {u.SubType},
		"filter[frequency]": {u.Frequency}, "filter[reportDate]": {u.Period}})
	if resp.StatusCode != http.StatusOK {
		return "", body, resp.StatusCode
	}
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	tsv, err = io.ReadAll(zr)
	if err != nil {
		c.t.Fatal(err)
	}
	return params["filename"], tsv, http.StatusOK
}

// Every report the simulator serves, saved under Apple's file name, is detected as its own
// table and period (hand-downloaded files need no --period).
func TestDetectSimulatorFiles(t *testing.T) {
	now := time.Date(2026, 11, 21, 17, 0, 0, 0, time.UTC)
	c := newSimClient(t, now, simulator.Options{Seed: 7})
	for _, combo := range report.SalesCombos {
		t.Run(combo.Type+"_"+combo.SubType+"_"+combo.Frequency, func(t *testing.T) {
			day := now.AddDate(0, 0, -3)
			if combo.Until != "" {
				_, end, _ := report.PeriodBounds(combo.Frequency, combo.Until)
				day = end
			}
			for try := 0; try < 60; try++ {
				u := report.Unit{Family: report.Sales, Type: combo.Type, SubType: combo.SubType, Frequency: combo.Frequency,
					Vendor: simulator.DefaultVendor, Period: report.PeriodFor(combo.Frequency, day)}
				start, _, _ := report.PeriodBounds(combo.Frequency, u.Period)
				day = start.AddDate(0, 0, -1)
				name, tsv, status := c.salesReport(u)
				if status != http.StatusOK {
					continue
				}
				d, err := transform.Detect(name, tsv)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if d.Table.Name != u.Table() || d.Period != u.Period || d.Vendor != u.Vendor || d.Version != combo.Latest() {
					t.Errorf("%s: detected %s %s vendor %s version %s, want %s %s %s %s",
						name, d.Table.Name, d.Period, d.Vendor, d.Version, u.Table(), u.Period, u.Vendor, combo.Latest())
				}
				return
			}
			t.Fatalf("no period with data")
		})
	}
}
