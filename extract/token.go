package extract

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes (REFERENCE.md §F.1): Apple refuses tokens living more than 20 minutes.
const (
	DefaultTokenLifetime = 19 * time.Minute
	MaxTokenLifetime     = 20 * time.Minute
	// tokenRefreshMargin: a cached token with less than this left is replaced.
	tokenRefreshMargin = 2 * time.Minute
	audience           = "appstoreconnect-v1"
)

// TokenSource mints the ES256 bearer tokens App Store Connect wants and caches them until
// less than two minutes of their life remain. It is safe for concurrent use. Its String and
// Format never reveal the key or the token.
type TokenSource struct {
	issuerID, keyID string
	key             *ecdsa.PrivateKey
	lifetime        time.Duration
	now             func() time.Time

	mu    sync.Mutex
	token string
	exp   time.Time
}

// NewTokenSource returns a TokenSource for a team API key. lifetime 0 means
// DefaultTokenLifetime; it must be more than 2 and at most 20 minutes. now nil means
// time.Now.
func NewTokenSource(issuerID, keyID string, key *ecdsa.PrivateKey, lifetime time.Duration, now func() time.Time) (*TokenSource, error) {
	switch {
	case issuerID == "":
		return nil, errors.New("token source: issuer id is empty")
	case keyID == "":
		return nil, errors.New("token source: key id is empty")
	}
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("token source: %w", err)
	}
	if lifetime == 0 {
		lifetime = DefaultTokenLifetime
	}
	if lifetime <= tokenRefreshMargin || lifetime > MaxTokenLifetime {
		return nil, fmt.Errorf("token source: lifetime %s must be more than %s and at most %s", lifetime, tokenRefreshMargin, MaxTokenLifetime)
	}
	if now == nil {
		now = time.Now
	}
	return &TokenSource{issuerID: issuerID, keyID: keyID, key: key, lifetime: lifetime, now: now}, nil
}

// Token returns a valid bearer token (without the "Bearer " prefix), minting a new one
// when the cached one has less than two minutes left.
func (ts *TokenSource) Token() (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := ts.now()
	if ts.token != "" && ts.exp.Sub(now) >= tokenRefreshMargin {
		return ts.token, nil
	}
	iat := now.Unix()
	exp := now.Add(ts.lifetime).Unix()
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": ts.issuerID,
		"iat": iat,
		"exp": exp,
		"aud": audience, // a plain string, not ClaimStrings (which marshals as an array)
	})
	t.Header["kid"] = ts.keyID
	t.Header["typ"] = "JWT"
	s, err := t.SignedString(ts.key)
	if err != nil {
		// The jwt error text does not include key material.
		return "", fmt.Errorf("sign token: %v", err)
	}
	ts.token, ts.exp = s, time.Unix(exp, 0)
	return s, nil
}

// current is the cached token, or "" when none was minted (used to scrub error text).
func (ts *TokenSource) current() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.token
}

func (ts *TokenSource) String() string {
	return fmt.Sprintf("TokenSource{issuer: %s, kid: %s, key: [REDACTED]}", ts.issuerID, ts.keyID)
}

// Format makes every verb (%v, %+v, %#v, %d, …) print String, never the cached token or
// the key.
func (ts *TokenSource) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, ts.String()) }
