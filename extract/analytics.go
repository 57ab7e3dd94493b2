package extract

import (
	"context"
	"errors"
)

// ErrURLExpired is returned by Download when a pre-signed URL has expired; list the
// segments again for fresh URLs.
var ErrURLExpired = errors.New("pre-signed url expired")

// PostJSON sends a JSON:API document to an API path (e.g. /v1/analyticsReportRequests) and
// returns the response body. A non-2xx answer is an *APIError (409 for a duplicate request).
func (c *Client) PostJSON(ctx context.Context, path string, body []byte) ([]byte, error) {
	return nil, errors.New("PostJSON: not implemented")
}

// Delete sends DELETE to an API path; 204 is success.
func (c *Client) Delete(ctx context.Context, path string) error {
	return errors.New("Delete: not implemented")
}

// Download fetches a pre-signed URL (an analytics segment) WITHOUT the Authorization
// header and outside the API rate budget, returning the body bytes as served.
func (c *Client) Download(ctx context.Context, rawURL string) ([]byte, error) {
	return nil, errors.New("Download: not implemented")
}
