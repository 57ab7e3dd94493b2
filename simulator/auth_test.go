package simulator

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, Options{})
	now := e.clock.Now()
	iss := e.srv.Options().IssuerID
	other, _, _ := GenerateKey()
	sign := func(m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(m, c)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": iss, "aud": "appstoreconnect-v1", "iat": now.Unix(), "exp": now.Add(19 * time.Minute).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	der := func() string {
		// Same claims, but an ASN.1 DER signature instead of JOSE r||s.
		good := sign(jwt.SigningMethodES256, e.key, testKID, claims(nil))
		i := strings.LastIndex(good, ".")
		h := sha256.Sum256([]byte(good[:i]))
		sig, err := ecdsa.SignASN1(rand.Reader, e.key, h[:])
		if err != nil {
			t.Fatal(err)
		}
		return good[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
	}
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"valid", sign(jwt.SigningMethodES256, e.key, testKID, claims(nil)), 200},
		{"aud as array", sign(jwt.SigningMethodES256, e.key, testKID, claims(func(c jwt.MapClaims) { c["aud"] = []string{"appstoreconnect-v1"} })), 200},
		{"missing", "", 401},
		{"garbage", "abc.def.ghi", 401},
		{"wrong alg HS256", sign(jwt.SigningMethodHS256, []byte("secret"), testKID, claims(nil)), 401},
		{"wrong alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, testKID, claims(nil)), 401},
		{"wrong aud", sign(jwt.SigningMethodES256, e.key, testKID, claims(func(c jwt.MapClaims) { c["aud"] = "appstoreconnect-v2" })), 401},
		{"wrong iss", sign(jwt.SigningMethodES256, e.key, testKID, claims(func(c jwt.MapClaims) { c["iss"] = "someone" })), 401},
		{"lifetime 21 min", sign(jwt.SigningMethodES256, e.key, testKID, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(21 * time.Minute).Unix() })), 401},
		{"expired", sign(jwt.SigningMethodES256, e.key, testKID, claims(func(c jwt.MapClaims) {
			c["iat"] = now.Add(-30 * time.Minute).Unix()
			c["exp"] = now.Add(-12 * time.Minute).Unix()
		})), 401},
		{"no exp", sign(jwt.SigningMethodES256, e.key, testKID, claims(func(c jwt.MapClaims) { delete(c, "exp") })), 401},
		{"no iat", sign(jwt.SigningMethodES256, e.key, testKID, claims(func(c jwt.MapClaims) { delete(c, "iat") })), 401},
		{"unknown kid", sign(jwt.SigningMethodES256, e.key, "ZZZZZZZZZZ", claims(nil)), 401},
		{"no kid", sign(jwt.SigningMethodES256, e.key, "", claims(nil)), 401},
		{"other key", sign(jwt.SigningMethodES256, other, testKID, claims(nil)), 401},
		{"DER signature", der(), 401},
	}
	q := salesQuery("SALES", "SUMMARY", "DAILY", "2026-11-20", "1_0")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/v1/salesReports?"+q.Encode(), nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			rec := httptest.NewRecorder()
			e.srv.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if rec.Header().Get("X-Rate-Limit") == "" {
				t.Fatal("X-Rate-Limit missing")
			}
			if tt.want == 401 {
				er := decodeErr(t, rec)
				x := er.Errors[0]
				if x.Code != "NOT_AUTHORIZED" || x.Title != "Authentication credentials are missing or invalid." ||
					!strings.HasPrefix(x.Detail, "Provide a properly configured and signed bearer token") {
					t.Fatalf("401 body %+v", x)
				}
			}
		})
	}
	if st := e.srv.Stats(); st.Unauthorized != len(tests)-2 || st.Requests != len(tests) {
		t.Fatalf("stats %+v", st)
	}
}

func TestGenerateKeyPEM(t *testing.T) {
	_, p8, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(p8), "-----BEGIN PRIVATE KEY-----\n") {
		t.Fatalf("not PKCS#8 PEM: %s", p8)
	}
	if _, err := jwt.ParseECPrivateKeyFromPEM(p8); err != nil {
		t.Fatal(err)
	}
}
