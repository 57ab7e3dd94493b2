package extract

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

const (
	// JSON:API lists are application/json; perfPowerMetrics and diagnostic logs answer with
	// Apple's own JSON media types.
	jsonAccept = "application/json, application/vnd.apple.xcode-metrics+json, application/vnd.apple.diagnostic-logs+json"
	// maxJSONBody bounds one JSON:API document (a page of 200 reviews is well under 1 MiB).
	maxJSONBody = 64 << 20
)

// GetJSON fetches one JSON:API document and returns its bytes as received, once they are
// whole: a body cut short of its Content-Length or that does not parse to its end as JSON
// is fetched again within the request's retries (ErrIncomplete). target is an
// API path such as "/v1/apps/123/customerReviews" (with query), or an absolute links.next
// URL from a previous page, which is followed verbatim — but only when it points at the
// configured API host: the bearer token is never sent anywhere else.
func (c *Client) GetJSON(ctx context.Context, target string, query url.Values) ([]byte, error) {
	path, raw := target, query.Encode()
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		u, err := url.Parse(target)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", target, err)
		}
		if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
			return nil, fmt.Errorf("GET %s: refusing to follow a link off the API host %s", u.Redacted(), c.base.Host)
		}
		path = strings.TrimPrefix(u.Path, strings.TrimSuffix(c.base.Path, "/"))
		raw = u.RawQuery
		if len(query) > 0 {
			return nil, fmt.Errorf("GET %s: a link is followed verbatim; extra query parameters are not allowed", path)
		}
	}
	var body []byte
	resp, err := c.doRead(ctx, http.MethodGet, path, raw, jsonAccept, nil, func(resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			return nil
		}
		var err error
		body, err = readJSON(resp, maxJSONBody)
		return err
	})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, newAPIError(http.MethodGet, path, resp.StatusCode, b, c.tokens.current())
	}
	return body, nil
}

// JSONGetter is what EachPage needs of a client (Client satisfies it).
type JSONGetter interface {
	GetJSON(ctx context.Context, target string, query url.Values) ([]byte, error)
}

// MaxPages bounds one EachPage walk: a list longer than this is an error, never a loop.
const MaxPages = 1000

// EachPage is the one JSON:API page iterator: it GETs target with query, hands the
// document's bytes to fn, and follows links.next (verbatim, on the API host only; see
// GetJSON) until a page has none, fn returns an error, or MaxPages pages were read. page
// counts from 1. A page whose links cannot be decoded is an error naming the page.
func EachPage(ctx context.Context, g JSONGetter, target string, query url.Values, fn func(page int, body []byte) error) error {
	first := target
	for page := 1; target != ""; page++ {
		if page > MaxPages {
			return fmt.Errorf("GET %s: more than %d pages", first, MaxPages)
		}
		body, err := g.GetJSON(ctx, target, query)
		if err != nil {
			return err
		}
		if err := fn(page, body); err != nil {
			return err
		}
		var doc struct {
			Links struct {
				Next string `json:"next"`
			} `json:"links"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return fmt.Errorf("GET %s page %d: not a JSON document: %w", first, page, err)
		}
		target, query = doc.Links.Next, nil
	}
	return nil
}
