// Package extract talks to the App Store Connect API: it signs requests, keeps to Apple's
// announced request budget, retries what is worth retrying, and downloads sales and finance
// reports as the raw gzip bytes Apple serves, classified as data, empty, not yet, or gone.
package extract

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is Apple's API host.
const DefaultBaseURL = "https://api.appstoreconnect.apple.com"

// Config configures a Client. Zero values mean the documented defaults.
type Config struct {
	BaseURL         string // default DefaultBaseURL
	IssuerID, KeyID string
	Key             *ecdsa.PrivateKey
	HTTPClient      *http.Client // default: a client with http.DefaultTransport
	MaxConcurrency  int          // requests in flight at once, default 4
	MaxAttempts     int          // attempts per request including the first, default 6
	MinBackoff      time.Duration
	MaxBackoff      time.Duration // defaults 1s and 2m; a Retry-After above MaxBackoff ends the retries
	BudgetReserve   int           // requests kept back from X-Rate-Limit remaining, default 0
	// BudgetShare: this many processes use the key at once (the shards of `etl run
	// --shard I/N`); each client sends at most (limit − BudgetReserve)/BudgetShare requests
	// per rolling hour, so together they stay inside the key's budget. 0 or 1: the whole.
	BudgetShare int
	// MaxBudgetWait: when the announced budget is used up, wait up to this long for our
	// oldest request of the hour to leave Apple's rolling window, instead of refusing with
	// ErrBudgetExhausted at once. 0 never waits.
	MaxBudgetWait time.Duration
	TokenLifetime time.Duration // default 19m, at most 20m
	Logger        *slog.Logger  // default: discard
	Now           func() time.Time
	UserAgent     string
	Sleep         func(ctx context.Context, d time.Duration) error // for tests; default a timer honouring ctx
}

// String never shows the key.
func (c Config) String() string {
	key := "<nil>"
	if c.Key != nil {
		key = "[REDACTED]"
	}
	return fmt.Sprintf("extract.Config{BaseURL: %s, IssuerID: %s, KeyID: %s, Key: %s, MaxConcurrency: %d, MaxAttempts: %d, MinBackoff: %s, MaxBackoff: %s, BudgetReserve: %d}",
		c.BaseURL, c.IssuerID, c.KeyID, key, c.MaxConcurrency, c.MaxAttempts, c.MinBackoff, c.MaxBackoff, c.BudgetReserve)
}

// Format makes every verb print String.
func (c Config) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

func (c *Config) withDefaults() (*url.URL, error) {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("config: BaseURL %q must be an absolute http(s) URL", c.BaseURL)
	}
	switch {
	case c.IssuerID == "":
		return nil, errors.New("config: IssuerID is empty")
	case c.KeyID == "":
		return nil, errors.New("config: KeyID is empty")
	case c.MaxConcurrency < 0, c.MaxAttempts < 0, c.BudgetReserve < 0, c.BudgetShare < 0:
		return nil, errors.New("config: MaxConcurrency, MaxAttempts, BudgetReserve and BudgetShare must not be negative")
	case c.MinBackoff < 0 || c.MaxBackoff < 0:
		return nil, errors.New("config: MinBackoff and MaxBackoff must not be negative")
	}
	if err := checkKey(c.Key); err != nil {
		return nil, fmt.Errorf("config: Key: %w", err)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = 4
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 6
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 2 * time.Minute
	}
	if c.MinBackoff > c.MaxBackoff {
		return nil, fmt.Errorf("config: MinBackoff %s is above MaxBackoff %s", c.MinBackoff, c.MaxBackoff)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.UserAgent == "" {
		c.UserAgent = "ascetl-extract/1"
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	return u, nil
}

// Stats are running counters of a Client.
type Stats struct {
	Requests        int64 // HTTP requests sent, retries included
	Retries         int64
	Throttled       int64 // 429 answers
	ServerErrors    int64 // 5xx answers
	BudgetRefusals  int64 // requests not sent because of ErrBudgetExhausted
	BudgetWaits     int64 // pauses for the rolling hour (MaxBudgetWait)
	Incomplete      int64 // successful answers whose body was cut short or did not verify (retried)
	BytesDownloaded int64 // bytes read by callers from successful bodies
	RateLimit       int   // last X-Rate-Limit user-hour-lim, -1 unknown
	RateRemaining   int   // last X-Rate-Limit user-hour-rem, -1 unknown
}

// Client is an App Store Connect API client. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	tokens *TokenSource
	sem    chan struct{}
	budget *budget

	requests, retries, throttled, serverErrors, refusals, bytes, budgetWaits, incomplete atomic.Int64
}

// NewClient validates cfg, applies defaults and returns a client.
func NewClient(cfg Config) (*Client, error) {
	base, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	ts, err := NewTokenSource(cfg.IssuerID, cfg.KeyID, cfg.Key, cfg.TokenLifetime, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("extract: config: %w", err)
	}
	return &Client{
		cfg:    cfg,
		base:   base,
		tokens: ts,
		sem:    make(chan struct{}, cfg.MaxConcurrency),
		budget: newBudget(cfg.BudgetReserve, cfg.Now).withShare(cfg.BudgetShare),
	}, nil
}

func (c *Client) String() string {
	return fmt.Sprintf("extract.Client{BaseURL: %s, KeyID: %s}", c.base, c.cfg.KeyID)
}

// Format makes every verb print String, never the key or token.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	lim, rem := c.budget.snapshot()
	return Stats{
		Requests:        c.requests.Load(),
		Retries:         c.retries.Load(),
		Throttled:       c.throttled.Load(),
		ServerErrors:    c.serverErrors.Load(),
		BudgetRefusals:  c.refusals.Load(),
		BudgetWaits:     c.budgetWaits.Load(),
		Incomplete:      c.incomplete.Load(),
		BytesDownloaded: c.bytes.Load(),
		RateLimit:       lim,
		RateRemaining:   rem,
	}
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// do sends one logical request, retrying 429, 5xx and network errors with exponential
// backoff and full jitter (or Retry-After when given). It returns the response for any
// other status; its Body counts downloaded bytes and holds a concurrency slot until it is
// read to the end or closed, so callers must close it. After MaxAttempts the last error is
// returned (an *APIError for HTTP failures).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, accept string) (*http.Response, error) {
	return c.doRaw(ctx, method, path, query.Encode(), accept)
}

// doRaw is do with the query string as given (links.next is followed verbatim).
func (c *Client) doRaw(ctx context.Context, method, path, rawQuery, accept string) (*http.Response, error) {
	return c.doBody(ctx, method, path, rawQuery, accept, nil)
}

// doBody is doRaw with a JSON request body (nil = none), sent again on every attempt.
func (c *Client) doBody(ctx context.Context, method, path, rawQuery, accept string, body []byte) (*http.Response, error) {
	return c.doRead(ctx, method, path, rawQuery, accept, body, nil)
}

// doRead is doBody that also reads every successful (2xx) answer's body through read,
// within the same retries: read consumes the body and keeps what it needs; when it
// returns an error matching ErrIncomplete (the body was cut short, reset, or does not
// verify), the answer counts as failed and the request is sent again, with backoff, as for
// a 5xx. Any other error from read is final. The response is returned with its body
// consumed. read nil is doBody.
func (c *Client) doRead(ctx context.Context, method, path, rawQuery, accept string, body []byte, read func(*http.Response) error) (*http.Response, error) {
	u := c.base.JoinPath(path)
	u.RawQuery = rawQuery
	var lastErr error
	for attempt := 1; ; attempt++ {
		if err := c.waitForBudget(ctx); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		resp, retryAfter, err := c.attempt(ctx, method, path, u.String(), accept, body)
		if err == nil && read != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
			err = c.readBody(ctx, method, path, resp, read)
			retryAfter = 0
			if err != nil && !errors.Is(err, ErrIncomplete) {
				retryAfter = -1
			}
		}
		if err == nil {
			return resp, nil
		}
		if retryAfter < 0 { // final
			if lastErr != nil && errors.Is(err, ErrBudgetExhausted) {
				return nil, fmt.Errorf("%w (last failure: %w)", err, lastErr)
			}
			return nil, err
		}
		lastErr = err
		if attempt >= c.cfg.MaxAttempts {
			return nil, lastErr
		}
		wait := retryAfter
		if wait == 0 {
			wait = backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff)
		}
		if wait > c.cfg.MaxBackoff {
			// Retrying earlier than Apple asked would only be throttled again.
			return nil, lastErr
		}
		status := 0
		var ae *APIError
		if errors.As(err, &ae) {
			status = ae.Status
		} else if resp != nil {
			status = resp.StatusCode
		}
		level := slog.LevelDebug
		if attempt > 1 || status == http.StatusTooManyRequests {
			level = slog.LevelWarn
		}
		c.cfg.Logger.Log(ctx, level, "retrying app store connect request",
			"method", method, "path", path, "status", status, "attempt", attempt,
			"wait", wait, "err", err.Error())
		c.retries.Add(1)
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s %s: %w (last failure: %w)", method, path, err, lastErr)
		}
	}
}

// readBody runs read over a successful answer's body and closes it. A cancelled context
// is final; an incomplete body is counted (Stats.Incomplete).
func (c *Client) readBody(ctx context.Context, method, path string, resp *http.Response, read func(*http.Response) error) error {
	err := read(resp)
	_ = resp.Body.Close()
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s %s: %w", method, path, ctx.Err())
	case errors.Is(err, ErrIncomplete):
		c.incomplete.Add(1)
	}
	return fmt.Errorf("%s %s: %d: %w", method, path, resp.StatusCode, scrubErr(err, c.tokens.current()))
}

// waitForBudget paces the client: while the budget is used up and our own oldest request
// of the hour will leave Apple's window within MaxBudgetWait, sleep until it does.
func (c *Client) waitForBudget(ctx context.Context) error {
	for {
		full, wait := c.budget.exhausted()
		if !full || wait == 0 || wait > c.cfg.MaxBudgetWait {
			return nil
		}
		c.budgetWaits.Add(1)
		c.cfg.Logger.Info("request budget used up; waiting for the rolling hour", "wait", wait.Round(time.Second).String())
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// attempt sends the request once. retryAfter < 0 marks a final error; >= 0 a retryable
// one (0: no Retry-After hint).
func (c *Client) attempt(ctx context.Context, method, path, rawURL, accept string, reqBody []byte) (*http.Response, time.Duration, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, -1, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
	}
	slot := &slotRelease{sem: c.sem}
	defer slot.maybe() // released here unless handed to the body
	seq, err := c.budget.acquire()
	if err != nil {
		c.refusals.Add(1)
		return nil, -1, fmt.Errorf("%s %s: %w", method, path, err)
	}
	token, err := c.tokens.Token()
	if err != nil {
		c.budget.release(seq, "", false)
		return nil, -1, fmt.Errorf("%s %s: %w", method, path, err)
	}
	var rd io.Reader
	if reqBody != nil {
		rd = bytes.NewReader(reqBody)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		c.budget.release(seq, "", false)
		return nil, -1, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if reqBody != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	// An explicit Accept-Encoding stops net/http from asking for gzip transfer encoding
	// and transparently decompressing: report bodies must stay the raw gzip file.
	req.Header.Set("Accept-Encoding", "identity")

	c.requests.Add(1)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		c.budget.release(seq, "", true)
		if ctx.Err() != nil {
			return nil, -1, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		return nil, 0, fmt.Errorf("%s %s: %w", method, path, scrubErr(err, token))
	}
	c.budget.release(seq, resp.Header.Get("X-Rate-Limit"), true)
	if !retryable(resp.StatusCode) {
		// Only successful bodies count as downloaded; error bodies are read internally.
		var n *atomic.Int64
		if resp.StatusCode < 300 {
			n = &c.bytes
		}
		resp.Body = &countingBody{rc: resp.Body, n: n, slot: slot.handOver()}
		return resp, 0, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		c.throttled.Add(1)
	} else {
		c.serverErrors.Add(1)
	}
	apiErr := newAPIError(method, path, resp.StatusCode, body, token)
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now()); ok {
		apiErr.RetryAfter = d
		if d == 0 {
			d = time.Nanosecond // "retry now", still distinct from "no hint"
		}
		return nil, d, apiErr
	}
	return nil, 0, apiErr
}

// scrubErr keeps the token out of transport errors (which never contain headers, but a
// custom RoundTripper might be careless).
func scrubErr(err error, token string) error {
	if token != "" && strings.Contains(err.Error(), token) {
		return errors.New(scrub(err.Error(), []string{token}))
	}
	return err
}

// slotRelease returns a concurrency slot exactly once.
type slotRelease struct {
	sem    chan struct{}
	once   sync.Once
	handed bool
}

func (s *slotRelease) release()               { s.once.Do(func() { <-s.sem }) }
func (s *slotRelease) handOver() *slotRelease { s.handed = true; return s }
func (s *slotRelease) maybe() {
	if !s.handed {
		s.release()
	}
}

// countingBody counts bytes read by the caller (when n is set) and frees the concurrency slot at EOF,
// on a read error, or on Close.
type countingBody struct {
	rc   io.ReadCloser
	n    *atomic.Int64
	slot *slotRelease
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if b.n != nil {
		b.n.Add(int64(n))
	}
	if err != nil {
		b.slot.release()
	}
	return n, err
}

func (b *countingBody) Close() error {
	err := b.rc.Close()
	b.slot.release()
	return err
}
