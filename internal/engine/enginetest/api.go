package enginetest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/url"
	"sync/atomic"

	"github.com/ascetl/etl/extract"
	"github.com/ascetl/etl/internal/engine"
	"github.com/ascetl/etl/report"
)

// CorruptPayloads wraps an API so that every report, JSON document and segment arrives
// corrupted (see Garble), as a broken proxy or a bad disk would deliver them. The app
// listing (GET /v1/apps, every page) is left intact: it is no unit's payload but the
// discovery every per-app family plans from, and a family whose plan fails fetches
// nothing to corrupt.
func CorruptPayloads(api engine.API) engine.API {
	return &corrupt{API: api, json: true, reports: true, downloads: true}
}

// CorruptDownloads corrupts only pre-signed downloads (analytics segments): listings and
// JSON documents arrive intact.
func CorruptDownloads(api engine.API) engine.API { return &corrupt{API: api, downloads: true} }

type corrupt struct {
	engine.API
	json, reports, downloads bool
}

func (c *corrupt) SalesReport(ctx context.Context, u report.Unit, version string) (*extract.Report, error) {
	return c.report(c.API.SalesReport(ctx, u, version))
}

func (c *corrupt) FinanceReport(ctx context.Context, u report.Unit) (*extract.Report, error) {
	return c.report(c.API.FinanceReport(ctx, u))
}

func (c *corrupt) report(rep *extract.Report, err error) (*extract.Report, error) {
	if err != nil || rep.Outcome != extract.OK || !c.reports {
		return rep, err
	}
	data, err := io.ReadAll(rep.Body)
	rep.Body.Close()
	if err != nil {
		return nil, err
	}
	rep.Body = io.NopCloser(bytes.NewReader(Garble(data)))
	return rep, nil
}

func (c *corrupt) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	b, err := c.API.GetJSON(ctx, target, q)
	if err != nil || !c.json || isAppListing(target) {
		return b, err
	}
	return Garble(b), nil
}

// isAppListing reports whether target is a page of GET /v1/apps (a path, or a links.next
// URL).
func isAppListing(target string) bool {
	u, err := url.Parse(target)
	return err == nil && u.Path == "/v1/apps"
}

func (c *corrupt) Download(ctx context.Context, rawURL string) ([]byte, error) {
	b, err := c.API.Download(ctx, rawURL)
	if err != nil || !c.downloads {
		return b, err
	}
	return Garble(b), nil
}

// Garble corrupts a payload so that it fails to parse at a known place: a gzip payload is
// decompressed, garbled and compressed again; in text, every cell of the first data row
// becomes "#bad#" (a TSV or CSV row whose typed cells do not parse); a JSON document is
// cut in half.
func Garble(b []byte) []byte {
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return b[:len(b)/2]
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			return b[:len(b)/2]
		}
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		zw.Write(Garble(plain))
		zw.Close()
		return out.Bytes()
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return b[:len(b)/2]
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	sep := []byte("\t")
	if !bytes.Contains(b, sep) {
		sep = []byte(",")
	}
	// The header and the data rows have the most cells; the second such line is the
	// first data row (after any preamble).
	most := 0
	for _, l := range lines {
		most = max(most, bytes.Count(l, sep))
	}
	seen := 0
	for i, l := range lines {
		if bytes.Count(l, sep) != most {
			continue
		}
		if seen++; seen == 2 {
			cells := bytes.Split(bytes.TrimRight(l, "\r\n"), sep)
			for j := range cells {
				cells[j] = []byte("#bad#")
			}
			lines[i] = append(bytes.Join(cells, sep), '\n')
			return bytes.Join(lines, nil)
		}
	}
	return []byte("#bad#\n")
}

// CancelAfter wraps an API so that cancel is called when the n-th request starts.
func CancelAfter(api engine.API, n int, cancel context.CancelFunc) engine.API {
	return &cancelling{API: api, n: int64(n), cancel: cancel}
}

type cancelling struct {
	engine.API
	n, calls int64
	cancel   context.CancelFunc
}

func (c *cancelling) tick() {
	if atomic.AddInt64(&c.calls, 1) == c.n {
		c.cancel()
	}
}

func (c *cancelling) SalesReport(ctx context.Context, u report.Unit, version string) (*extract.Report, error) {
	c.tick()
	return c.API.SalesReport(ctx, u, version)
}

func (c *cancelling) FinanceReport(ctx context.Context, u report.Unit) (*extract.Report, error) {
	c.tick()
	return c.API.FinanceReport(ctx, u)
}

func (c *cancelling) GetJSON(ctx context.Context, target string, q url.Values) ([]byte, error) {
	c.tick()
	return c.API.GetJSON(ctx, target, q)
}

func (c *cancelling) PostJSON(ctx context.Context, path string, body []byte) ([]byte, error) {
	c.tick()
	return c.API.PostJSON(ctx, path, body)
}

func (c *cancelling) Delete(ctx context.Context, path string) error {
	c.tick()
	return c.API.Delete(ctx, path)
}

func (c *cancelling) Download(ctx context.Context, rawURL string) ([]byte, error) {
	c.tick()
	return c.API.Download(ctx, rawURL)
}
