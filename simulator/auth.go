package simulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	audience    = "appstoreconnect-v1"
	maxLifetime = 20 * time.Minute
	clockSkew   = 60 * time.Second
)

// GenerateKey makes a P-256 key like an App Store Connect API key and returns it with its
// PKCS#8 PEM encoding ("-----BEGIN PRIVATE KEY-----"), the format of Apple's .p8 files.
func GenerateKey() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal key: %w", err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// SignToken makes a token the simulator accepts: ES256, kid, iss, aud, iat = now,
// exp = now + 20 minutes. A convenience for tests and demos.
func SignToken(key *ecdsa.PrivateKey, kid, issuer string, now time.Time) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{
		Issuer:    issuer,
		Audience:  jwt.ClaimStrings{audience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(maxLifetime)),
	})
	t.Header["kid"] = kid
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// AddKey registers an API key: tokens whose header kid is kid must verify with pub.
func (s *Server) AddKey(kid string, pub *ecdsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[kid] = pub
}

// RemoveKey revokes an API key: its tokens get 401 NOT_AUTHORIZED from now on, as after
// the key is revoked in App Store Connect.
func (s *Server) RemoveKey(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, kid)
}

// authenticate verifies the bearer token. It returns the key id the request is charged to
// ("" when no registered key could be identified) and whether the token is valid.
func (s *Server) authenticate(r *http.Request) (kid string, err error) {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(raw) == "" {
		return "", errors.New("missing bearer token")
	}
	raw = strings.TrimSpace(raw)
	// Identify the key first (unverified) so failures are charged to the key's budget.
	if t, _, perr := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{}); perr == nil {
		if k, ok := t.Header["kid"].(string); ok {
			s.mu.Lock()
			_, known := s.keys[k]
			s.mu.Unlock()
			if known {
				kid = k
			}
		}
	}
	now := s.now()
	claims := &jwt.RegisteredClaims{}
	_, err = jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		k, _ := t.Header["kid"].(string)
		s.mu.Lock()
		pub, ok := s.keys[k]
		s.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("unknown kid %q", k)
		}
		return pub, nil
	},
		jwt.WithValidMethods([]string{"ES256"}),
		jwt.WithAudience(audience),
		jwt.WithIssuer(s.opt.IssuerID),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return kid, err
	}
	if claims.IssuedAt == nil {
		return kid, errors.New("iat missing")
	}
	if claims.ExpiresAt.Sub(claims.IssuedAt.Time) > maxLifetime {
		return kid, errors.New("token lifetime exceeds 20 minutes")
	}
	return kid, nil
}
