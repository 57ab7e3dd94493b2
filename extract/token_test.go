package extract

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenClaimsAndSignature(t *testing.T) {
	key := newKey(t)
	clock := &fakeClock{t: time.Date(2026, 11, 21, 17, 0, 0, 0, time.UTC)}
	ts, err := NewTokenSource("iss-uuid", "2X9R4HXF34", key, 0, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	hdr, claims := verifyJWT(t, tok, &key.PublicKey)
	for k, want := range map[string]string{"alg": "ES256", "kid": "2X9R4HXF34", "typ": "JWT"} {
		if hdr[k] != want {
			t.Errorf("header %s = %v, want %s", k, hdr[k], want)
		}
	}
	if claims["iss"] != "iss-uuid" {
		t.Errorf("iss = %v", claims["iss"])
	}
	if claims["aud"] != "appstoreconnect-v1" {
		t.Errorf("aud = %#v, want the plain string appstoreconnect-v1", claims["aud"])
	}
	iat, exp := claimInt(t, claims, "iat"), claimInt(t, claims, "exp")
	if iat != clock.Now().Unix() {
		t.Errorf("iat = %d, want now %d", iat, clock.Now().Unix())
	}
	if life := time.Duration(exp-iat) * time.Second; life != DefaultTokenLifetime || life > MaxTokenLifetime {
		t.Errorf("lifetime = %s, want %s (≤ 20m)", life, DefaultTokenLifetime)
	}
	if _, ok := claims["sub"]; ok {
		t.Error("team key token must not carry sub")
	}
}

func TestTokenCacheAndRefresh(t *testing.T) {
	key := newKey(t)
	clock := &fakeClock{t: time.Date(2026, 11, 21, 17, 0, 0, 0, time.UTC)}
	ts, err := NewTokenSource("iss", "kid", key, 0, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := ts.Token()
	clock.Add(16*time.Minute + 59*time.Second) // 2m01s left: still cached
	if again, _ := ts.Token(); again != first {
		t.Fatal("token re-minted while more than 2 minutes remained")
	}
	clock.Add(2 * time.Second) // 1m59s left: refresh
	second, _ := ts.Token()
	if second == first {
		t.Fatal("token not refreshed with less than 2 minutes left")
	}
	_, claims := verifyJWT(t, second, &key.PublicKey)
	if got := claimInt(t, claims, "iat"); got != clock.Now().Unix() {
		t.Errorf("refreshed iat = %d, want %d", got, clock.Now().Unix())
	}
	if exp := time.Unix(claimInt(t, claims, "exp"), 0); !exp.After(clock.Now().Add(tokenRefreshMargin)) {
		t.Errorf("refreshed token expires at %s, too soon", exp)
	}
}

func TestTokenConcurrent(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	ts, err := NewTokenSource("iss", "kid", newKey(t), 0, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	toks := make([]string, 16)
	for i := range toks {
		wg.Go(func() { toks[i], _ = ts.Token() })
	}
	wg.Wait()
	for _, tok := range toks {
		if tok == "" || tok != toks[0] {
			t.Fatal("concurrent callers got different or empty tokens")
		}
	}
}

func TestTokenSourceValidation(t *testing.T) {
	key := newKey(t)
	tests := []struct {
		name      string
		iss, kid  string
		lifetime  time.Duration
		wantError string
	}{
		{"ok 20m", "i", "k", 20 * time.Minute, ""},
		{"too long", "i", "k", 20*time.Minute + time.Second, "at most 20m0s"},
		{"too short", "i", "k", time.Minute, "more than 2m0s"},
		{"no issuer", "", "k", 0, "issuer id is empty"},
		{"no kid", "i", "", 0, "key id is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTokenSource(tt.iss, tt.kid, key, tt.lifetime, nil)
			if (err == nil) != (tt.wantError == "") || (err != nil && !strings.Contains(err.Error(), tt.wantError)) {
				t.Fatalf("err = %v, want %q", err, tt.wantError)
			}
		})
	}
	if _, err := NewTokenSource("i", "k", nil, 0, nil); err == nil {
		t.Fatal("nil key accepted")
	}
}

func TestTokenSourceFormatHidesSecrets(t *testing.T) {
	key := newKey(t)
	ts, _ := NewTokenSource("iss", "kid", key, 0, nil)
	tok, _ := ts.Token()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
		out := fmt.Sprintf(verb, ts)
		if strings.Contains(out, tok) || strings.Contains(out, key.D.String()) || strings.Contains(out, fmt.Sprintf("%x", key.D)) {
			t.Errorf("%s of TokenSource reveals a secret: %s", verb, out)
		}
	}
}
