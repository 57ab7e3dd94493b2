package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func get(t *testing.T, c *Client) (*http.Response, error) {
	t.Helper()
	resp, err := c.do(context.Background(), http.MethodGet, "/v1/apps", nil, "application/json")
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []int  // answers in order; afterwards 200
		retryAfter string // header on failures
		wantHits   int
		wantStatus int // final status, 0 = error
		wantWaits  []time.Duration
	}{
		{"500 then ok", []int{500}, "", 2, 200, nil},
		{"503 503 then ok", []int{503, 503}, "", 3, 200, nil},
		{"429 with Retry-After seconds", []int{429}, "7", 2, 200, []time.Duration{7 * time.Second}},
		{"429 with Retry-After date", []int{429, 429}, "Sat, 21 Nov 2026 17:00:30 GMT", 3, 200, []time.Duration{30 * time.Second, 30 * time.Second}},
		{"Retry-After above MaxBackoff stops", []int{429}, "3600", 1, 0, []time.Duration{}},
		{"gives up after MaxAttempts", []int{500, 500, 500, 500, 500, 500, 500}, "", 6, 0, nil},
		{"400 not retried", []int{400}, "", 1, 400, []time.Duration{}},
		{"401 not retried", []int{401}, "", 1, 401, []time.Duration{}},
		{"403 not retried", []int{403}, "", 1, 403, []time.Duration{}},
		{"404 not retried", []int{404}, "", 1, 404, []time.Duration{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(hits.Add(1))
				if n <= len(tt.statuses) {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					writeAppleError(w, tt.statuses[n-1], "X", "t", "d", "")
					return
				}
				fmt.Fprint(w, "{}")
			}))
			resp, err := get(t, env.client)
			if int(hits.Load()) != tt.wantHits {
				t.Errorf("server hits = %d, want %d", hits.Load(), tt.wantHits)
			}
			switch {
			case tt.wantStatus == 0:
				var ae *APIError
				if !errors.As(err, &ae) || ae.Status != tt.statuses[0] {
					t.Fatalf("err = %v, want the last *APIError", err)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			case resp.StatusCode != tt.wantStatus:
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			got := env.waits.list()
			if tt.wantWaits != nil && fmt.Sprint(got) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits = %v, want %v", got, tt.wantWaits)
			}
			for i, w := range got {
				if ceil := time.Second << i; tt.retryAfter == "" && (w < 0 || w > ceil) {
					t.Errorf("wait %d = %s, outside full-jitter range [0, %s]", i, w, ceil)
				}
			}
			st := env.client.Stats()
			if st.Requests != int64(tt.wantHits) || st.Retries != int64(len(got)) {
				t.Errorf("stats = %+v, want %d requests and %d retries", st, tt.wantHits, len(got))
			}
		})
	}
}

func TestRetryConnectionReset(t *testing.T) {
	var hits atomic.Int32
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) <= 2 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // the client sees EOF / connection reset
			}
			return
		}
		fmt.Fprint(w, "ok")
	}))
	resp, err := get(t, env.client)
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	if resp.StatusCode != 200 || env.client.Stats().Retries < 1 {
		t.Fatalf("status %d, stats %+v: want success after retries", resp.StatusCode, env.client.Stats())
	}
}

func TestNoRetryOnCancel(t *testing.T) {
	var hits atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		cancel()
		<-r.Context().Done()
	}))
	_, err := env.client.do(ctx, http.MethodGet, "/v1/apps", nil, "*/*")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if hits.Load() != 1 || len(env.waits.list()) != 0 {
		t.Fatalf("hits %d waits %v: cancellation must not be retried", hits.Load(), env.waits.list())
	}
}

func TestBudgetStopsBeforeServer(t *testing.T) {
	// An honest server with 2 requests left in its hour: each answer announces what is left.
	var hits atomic.Int32
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		w.Header().Set("X-Rate-Limit", fmt.Sprintf("user-hour-lim:3500;user-hour-rem:%d;", 2-n))
		fmt.Fprint(w, "ok")
	}))
	for i := 1; i <= 2; i++ {
		if _, err := get(t, env.client); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := get(t, env.client)
	if !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("third call: err = %v, want ErrBudgetExhausted", err)
	}
	if hits.Load() != 2 {
		t.Fatalf("server hits = %d, want 2: the refused call must not reach the server", hits.Load())
	}
	st := env.client.Stats()
	if st.RateLimit != 3500 || st.RateRemaining != 0 || st.BudgetRefusals != 1 || st.Requests != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestBudgetStaticRemainingAndReserve(t *testing.T) {
	// The server says rem:2 on the first answer only; the client counts down itself.
	var hits atomic.Int32
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:2;")
		}
		fmt.Fprint(w, "ok")
	}), func(c *Config) { c.BudgetReserve = 1 })
	for i := 1; i <= 2; i++ { // first: unknown; second: 2-0-1 > 0
		if _, err := get(t, env.client); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := get(t, env.client); !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("third call: err = %v, want ErrBudgetExhausted (1 left, 1 reserved)", err)
	}
	if hits.Load() != 2 {
		t.Fatalf("hits = %d, want 2", hits.Load())
	}
}

func TestBudgetExhaustedDuringRetries(t *testing.T) {
	var hits atomic.Int32
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:0;")
		writeAppleError(w, 429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.", "", "")
	}))
	_, err := get(t, env.client)
	var ae *APIError
	if !errors.Is(err, ErrBudgetExhausted) || !errors.As(err, &ae) || ae.Status != 429 {
		t.Fatalf("err = %v, want ErrBudgetExhausted wrapping the 429", err)
	}
	if hits.Load() != 1 || env.client.Stats().Throttled != 1 {
		t.Fatalf("hits = %d stats %+v", hits.Load(), env.client.Stats())
	}
}

func TestConcurrencyBound(t *testing.T) {
	const max = 3
	var inFlight, peak atomic.Int32
	body := bytes.Repeat([]byte("x"), 64<<10)
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		// Stream the body slowly: the request stays in flight until the client has read it.
		w.WriteHeader(http.StatusOK)
		for i := 0; i < 4; i++ {
			w.(http.Flusher).Flush()
			time.Sleep(3 * time.Millisecond)
			w.Write(body[i*len(body)/4 : (i+1)*len(body)/4])
		}
	}), func(c *Config) { c.MaxConcurrency = max })
	var wg sync.WaitGroup
	var total atomic.Int64
	for range 20 {
		wg.Go(func() {
			resp, err := env.client.do(context.Background(), http.MethodGet, "/v1/apps", nil, "*/*")
			if err != nil {
				t.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			total.Add(n)
			resp.Body.Close()
		})
	}
	wg.Wait()
	if p := peak.Load(); p > max || p < 2 {
		t.Fatalf("peak in-flight = %d, want 2..%d", p, max)
	}
	if got := env.client.Stats().BytesDownloaded; got != total.Load() || got != 20*int64(len(body)) {
		t.Fatalf("BytesDownloaded = %d, read %d", got, total.Load())
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	var seen atomic.Value
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		seen.Store(strings.TrimPrefix(auth, "Bearer "))
		// A careless proxy echoing the request headers into its error page.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html>bad gateway; you sent Authorization: %s</html>", auth)
	}), func(c *Config) { c.MaxAttempts = 3 })
	_, err := get(t, env.client)
	if err == nil {
		t.Fatal("want error")
	}
	token, _ := seen.Load().(string)
	if len(token) < 100 {
		t.Fatalf("server saw no bearer token (%q)", token)
	}
	key := env.key.D.Text(16)
	for name, text := range map[string]string{
		"error":       err.Error(),
		"error %+v":   fmt.Sprintf("%+v", err),
		"logs":        env.logs.String(),
		"client %v":   fmt.Sprintf("%v", env.client),
		"client %+v":  fmt.Sprintf("%+v", env.client),
		"client %#v":  fmt.Sprintf("%#v", env.client),
		"client %d":   fmt.Sprintf("%d", env.client),
		"config %+v":  fmt.Sprintf("%+v", env.client.cfg),
		"config %#v":  fmt.Sprintf("%#v", env.client.cfg),
		"*config %+v": fmt.Sprintf("%+v", &env.client.cfg),
		"tokens %#v":  fmt.Sprintf("%#v", env.client.tokens),
		"stats %+v":   fmt.Sprintf("%+v", env.client.Stats()),
	} {
		if strings.Contains(text, token) || strings.Contains(text, token[:40]) || strings.Contains(text, key) {
			t.Errorf("%s reveals the token or key: %s", name, text)
		}
	}
	if !strings.Contains(env.logs.String(), "retrying") || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Fatalf("expected retry logs and a redacted body; logs %q err %q", env.logs.String(), err)
	}
}

func TestRequestHeaders(t *testing.T) {
	var got http.Header
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
	}), func(c *Config) { c.UserAgent = "etl-test/1" })
	if _, err := get(t, env.client); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(got.Get("Authorization"), "Bearer ")
	_, claims := verifyJWT(t, tok, &env.key.PublicKey)
	if claims["iss"] != "57246542-96fe-1a63-e053-0824d011072a" {
		t.Errorf("iss = %v", claims["iss"])
	}
	if got.Get("Accept") != "application/json" || got.Get("User-Agent") != "etl-test/1" || got.Get("Accept-Encoding") != "identity" {
		t.Errorf("headers = %v", got)
	}
}

func TestNewClientValidation(t *testing.T) {
	key := newKey(t)
	base := Config{BaseURL: "https://api.example.test", IssuerID: "i", KeyID: "k", Key: key}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"ok", func(*Config) {}, ""},
		{"default base url", func(c *Config) { c.BaseURL = "" }, ""},
		{"bad base url", func(c *Config) { c.BaseURL = "::not a url" }, "BaseURL"},
		{"relative base url", func(c *Config) { c.BaseURL = "/v1" }, "BaseURL"},
		{"no issuer", func(c *Config) { c.IssuerID = "" }, "IssuerID is empty"},
		{"no key id", func(c *Config) { c.KeyID = "" }, "KeyID is empty"},
		{"no key", func(c *Config) { c.Key = nil }, "Key: key is nil"},
		{"negative concurrency", func(c *Config) { c.MaxConcurrency = -1 }, "must not be negative"},
		{"backoff order", func(c *Config) { c.MinBackoff, c.MaxBackoff = time.Minute, time.Second }, "above MaxBackoff"},
		{"token too long", func(c *Config) { c.TokenLifetime = time.Hour }, "at most 20m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mutate(&cfg)
			c, err := NewClient(cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.cfg.MaxConcurrency != 4 || c.cfg.MaxAttempts != 6 || c.cfg.MinBackoff != time.Second || c.cfg.MaxBackoff != 2*time.Minute {
					t.Fatalf("defaults not applied: %v", c.cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestClientRefreshesTokenWithClock(t *testing.T) {
	var mu sync.Mutex
	var tokens []string
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		mu.Unlock()
	}))
	for _, step := range []time.Duration{0, 10 * time.Minute, 8 * time.Minute} {
		env.clock.Add(step)
		if _, err := get(t, env.client); err != nil {
			t.Fatal(err)
		}
	}
	if tokens[0] != tokens[1] {
		t.Error("token re-minted after 10 minutes (9 left)")
	}
	if tokens[2] == tokens[1] {
		t.Error("token not refreshed with 1 minute left")
	}
	for _, tok := range tokens {
		_, claims := verifyJWT(t, tok, &env.key.PublicKey)
		if life := claimInt(t, claims, "exp") - claimInt(t, claims, "iat"); life > int64(MaxTokenLifetime/time.Second) {
			t.Errorf("lifetime %ds above 20 minutes", life)
		}
	}
}

func TestSleepCancelledKeepsLastError(t *testing.T) {
	env := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAppleError(w, 503, "UNEXPECTED_ERROR", "An unexpected error occurred.", "", "")
	}), func(c *Config) {
		c.Sleep = func(context.Context, time.Duration) error { return context.Canceled }
	})
	_, err := get(t, env.client)
	var ae *APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &ae) || ae.Status != 503 {
		t.Fatalf("err = %v, want context.Canceled and the 503", err)
	}
	if st := env.client.Stats(); st.Requests != 1 || st.ServerErrors != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBudgetWaitPacesInsteadOfRefusing(t *testing.T) {
	// A server with a rolling hour of 2 requests, on the test's clock.
	var mu sync.Mutex
	var times []time.Time
	var env *testEnv
	throttled := 0
	env = newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		now := env.clock.Now()
		kept := times[:0]
		for _, x := range times {
			if x.After(now.Add(-time.Hour)) {
				kept = append(kept, x)
			}
		}
		times = kept
		if len(times) >= 2 {
			throttled++
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		times = append(times, now)
		w.Header().Set("X-Rate-Limit", fmt.Sprintf("user-hour-lim:2;user-hour-rem:%d;", 2-len(times)))
		fmt.Fprint(w, "ok")
	}), func(c *Config) {
		c.MaxBudgetWait = 2 * time.Hour
		c.MaxConcurrency = 1
		c.Sleep = func(ctx context.Context, d time.Duration) error { env.clock.Add(d); return nil }
	})
	start := env.clock.Now()
	for i := 1; i <= 5; i++ {
		resp, err := get(t, env.client)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		resp.Body.Close() // frees the concurrency slot
		env.clock.Add(time.Minute)
	}
	st := env.client.Stats()
	if throttled != 0 || st.BudgetRefusals != 0 || st.BudgetWaits != 2 {
		t.Fatalf("429s %d, stats %+v", throttled, st)
	}
	// Five requests at two an hour take just over two hours, not more.
	if d := env.clock.Now().Sub(start); d < 2*time.Hour || d > 2*time.Hour+10*time.Minute {
		t.Fatalf("took %v", d)
	}
}
