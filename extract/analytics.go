package extract

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// ErrURLExpired is returned by Download when a pre-signed URL has expired; list the
// segments again for fresh URLs.
var ErrURLExpired = errors.New("pre-signed url expired")

// maxSegment bounds one downloaded analytics segment.
const maxSegment = 1 << 30

// PostJSON sends a JSON:API document to an API path (e.g. /v1/analyticsReportRequests) and
// returns the response body. A non-2xx answer is an *APIError (409 for a duplicate request).
// 429 and 5xx are retried like GETs, and so is an answer whose body was cut short
// (ErrIncomplete), so a create whose answer was lost may come back as a 409: the caller
// then lists what exists.
func (c *Client) PostJSON(ctx context.Context, path string, body []byte) ([]byte, error) {
	if body == nil {
		body = []byte{}
	}
	var out []byte
	resp, err := c.doRead(ctx, http.MethodPost, path, "", "application/json", body, func(resp *http.Response) error {
		b, err := readWhole(resp, maxJSONBody, "document")
		if err == nil && len(b) > 0 && !json.Valid(b) {
			err = incompletef("document of %d bytes is not a complete JSON document", len(b))
		}
		out = b
		return err
	})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, newAPIError(http.MethodPost, path, resp.StatusCode, b, c.tokens.current())
	}
	return out, nil
}

// Delete sends DELETE to an API path; 204 is success.
func (c *Client) Delete(ctx context.Context, path string) error {
	resp, err := c.doBody(ctx, http.MethodDelete, path, "", "application/json", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return newAPIError(http.MethodDelete, path, resp.StatusCode, b, c.tokens.current())
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	return nil
}

// DownloadError is a failed pre-signed download: the HTTP status and, when the body was an
// S3 XML error document, its Code and Message. It matches ErrURLExpired (errors.Is) when
// the URL's lifetime has passed.
type DownloadError struct {
	URL     string // scheme, host and path only: the query holds the signature
	Status  int
	Code    string
	Message string
}

func (e *DownloadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s: %d", e.URL, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	} else if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	if e.Message != "" {
		b.WriteString(": " + oneLine(e.Message))
	}
	return b.String()
}

// Expired reports whether the error says the URL's lifetime is over.
func (e *DownloadError) Expired() bool {
	return e.Status == http.StatusForbidden && e.Code == "AccessDenied" && strings.Contains(e.Message, "expired") ||
		e.Code == "ExpiredToken"
}

// Is makes errors.Is(err, ErrURLExpired) true for an expired URL.
func (e *DownloadError) Is(target error) bool { return target == ErrURLExpired && e.Expired() }

// newDownloadError reads an S3 error body (XML) when there is one.
func newDownloadError(where string, status int, body []byte) *DownloadError {
	e := &DownloadError{URL: where, Status: status}
	var doc struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.Unmarshal(body, &doc) == nil {
		e.Code, e.Message = doc.Code, doc.Message
	} else if len(body) > 0 {
		if len(body) > maxBodyExcerpt {
			body = body[:maxBodyExcerpt]
		}
		e.Message = strings.ToValidUTF8(string(body), "\uFFFD")
	}
	return e
}

// Download fetches a pre-signed URL (an analytics segment) WITHOUT the Authorization
// header and outside the API rate budget, returning the body bytes as served. Network
// errors, 429 and 5xx are retried with backoff, and so is a body cut short of its
// Content-Length or, for gzip bytes, whose stream or trailer does not verify
// (ErrIncomplete) (Config.MaxAttempts, MinBackoff,
// MaxBackoff); any other non-200 is final: a *DownloadError, which matches ErrURLExpired
// when the URL has expired. Errors never show the URL's query (its signature).
func (c *Client) Download(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("download: %q is not an absolute http(s) URL", redactURL(rawURL))
	}
	where := u.Scheme + "://" + u.Host + u.Path
	var lastErr error
	for attempt := 1; ; attempt++ {
		body, retry, err := c.downloadOnce(ctx, rawURL, where)
		if err == nil {
			return body, nil
		}
		if !retry {
			return nil, err
		}
		lastErr = err
		if attempt >= c.cfg.MaxAttempts {
			return nil, lastErr
		}
		wait := backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff)
		c.cfg.Logger.Log(ctx, slog.LevelWarn, "retrying segment download", "url", where, "attempt", attempt,
			"wait", wait, "err", err.Error())
		c.retries.Add(1)
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("GET %s: %w (last failure: %w)", where, err, lastErr)
		}
	}
}

// downloadOnce makes one attempt; retry says whether another may succeed.
func (c *Client) downloadOnce(ctx context.Context, rawURL, where string) ([]byte, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, false, fmt.Errorf("GET %s: %w", where, err)
	}
	// No Authorization: the URL carries its own signature and S3 refuses a second one.
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept-Encoding", "identity") // keep the gzip bytes as stored
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, fmt.Errorf("GET %s: %w", where, ctx.Err())
		}
		return nil, true, fmt.Errorf("GET %s: %w", where, transportError(scrubURL(err.Error(), rawURL, where)))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, retryable(resp.StatusCode), newDownloadError(where, resp.StatusCode, b)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSegment+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, fmt.Errorf("GET %s: %w", where, ctx.Err())
		}
		c.incomplete.Add(1)
		return nil, true, fmt.Errorf("GET %s: %w: cut after %d bytes: %s", where, ErrIncomplete, len(body), scrubURL(err.Error(), rawURL, where))
	}
	if len(body) > maxSegment {
		return nil, false, fmt.Errorf("GET %s: segment larger than %d bytes", where, maxSegment)
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		c.incomplete.Add(1)
		return nil, true, fmt.Errorf("GET %s: %w", where, incompletef("got %d of %d bytes", len(body), resp.ContentLength))
	}
	if err := gzipIncomplete(body); err != nil { // sent chunked and cut: only the stream shows it
		c.incomplete.Add(1)
		return nil, true, fmt.Errorf("GET %s: %w", where, err)
	}
	c.bytes.Add(int64(len(body)))
	return body, false, nil
}

// scrubURL replaces the full URL (with its signature) in a transport error by where.
func scrubURL(msg, rawURL, where string) string {
	msg = strings.ReplaceAll(msg, rawURL, where)
	if q, err := url.Parse(rawURL); err == nil && q.RawQuery != "" {
		msg = strings.ReplaceAll(msg, q.RawQuery, "[REDACTED]")
	}
	return msg
}

func redactURL(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i] + "?[REDACTED]"
	}
	return raw
}
