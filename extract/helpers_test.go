package extract

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// waits records the sleeps the client asked for instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) list() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// testEnv is an httptest server plus a client pointed at it.
type testEnv struct {
	srv    *httptest.Server
	client *Client
	key    *ecdsa.PrivateKey
	waits  *waits
	logs   *bytes.Buffer
	clock  *fakeClock
}

func newEnv(t *testing.T, h http.Handler, mutate ...func(*Config)) *testEnv {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env := &testEnv{srv: srv, key: newKey(t), waits: &waits{}, logs: &bytes.Buffer{},
		clock: &fakeClock{t: time.Date(2026, 11, 21, 17, 0, 0, 0, time.UTC)}}
	var logMu sync.Mutex
	cfg := Config{
		BaseURL:  srv.URL,
		IssuerID: "57246542-96fe-1a63-e053-0824d011072a",
		KeyID:    "2X9R4HXF34",
		Key:      env.key,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{&logMu, env.logs},
			&slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:   env.clock.Now,
		Sleep: env.waits.sleep,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env.client = c
	return env
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// jwtParts decodes and verifies an ES256 JWT by hand (independently of golang-jwt):
// raw 64-byte r||s signature over header.payload.
func verifyJWT(t *testing.T, token string, pub *ecdsa.PublicKey) (hdr, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	dec := func(s string, v any) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("base64: %v", err)
		}
		if v != nil {
			d := json.NewDecoder(bytes.NewReader(b))
			d.UseNumber()
			if err := d.Decode(v); err != nil {
				t.Fatalf("json: %v", err)
			}
		}
	}
	dec(parts[0], &hdr)
	dec(parts[1], &claims)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("signature: %d bytes, err %v; want raw r||s of 64 bytes", len(sig), err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, sum[:], r, s) {
		t.Fatal("signature does not verify with the public key")
	}
	return hdr, claims
}

func claimInt(t *testing.T, claims map[string]any, k string) int64 {
	t.Helper()
	n, ok := claims[k].(json.Number)
	if !ok {
		t.Fatalf("claim %s = %#v, want a number", k, claims[k])
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatalf("claim %s: %v", k, err)
	}
	return v
}

func gzipBytes(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	fmt.Fprint(zw, s)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeAppleError(w http.ResponseWriter, status int, code, title, detail, param string) {
	obj := map[string]any{"id": "x", "status": fmt.Sprint(status), "code": code, "title": title, "detail": detail}
	if param != "" {
		obj["source"] = map[string]string{"parameter": param}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{obj}})
}
