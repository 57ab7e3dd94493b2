package extract

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

func pemOf(t *testing.T, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(t *testing.T, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParsePrivateKey(t *testing.T) {
	p256 := newKey(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(p256)
	pubDER, _ := x509.MarshalPKIXPublicKey(&p256.PublicKey)
	good := pemOf(t, "PRIVATE KEY", pkcs8(t, p256))

	tests := []struct {
		name    string
		in      []byte
		wantErr string // "" = success
	}{
		{"p8 pkcs8 P-256", good, ""},
		{"with BOM and CRLF", append([]byte("\xef\xbb\xbf"), []byte(strings.ReplaceAll(string(good), "\n", "\r\n"))...), ""},
		{"flattened newlines", []byte(strings.ReplaceAll(strings.TrimSpace(string(good)), "\n", `\n`)), ""},
		{"sec1 EC key", pemOf(t, "EC PRIVATE KEY", sec1), ""},
		{"empty", nil, "no PEM block found: is this an Apple .p8 key file?"},
		{"base64 only", []byte("MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg"), "no PEM block found"},
		{"P-384", pemOf(t, "PRIVATE KEY", pkcs8(t, p384)), "key is not an EC P-256 key (curve P-384)"},
		{"RSA pkcs8", pemOf(t, "PRIVATE KEY", pkcs8(t, rsaKey)), "key is not an EC P-256 key (found an RSA key)"},
		{"RSA pkcs1", pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), "not an EC P-256 key"},
		{"ed25519", pemOf(t, "PRIVATE KEY", pkcs8(t, edKey)), "found an Ed25519 key"},
		{"public key", pemOf(t, "PUBLIC KEY", pubDER), "is a PUBLIC KEY, not a private key"},
		{"encrypted", pemOf(t, "ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}), "key is encrypted"},
		{"garbage der", pemOf(t, "PRIVATE KEY", []byte("not a key at all")), "not a valid PKCS#8 key"},
		{"two blocks", append(append([]byte{}, good...), good...), "more than one PEM block"},
		{"other type", pemOf(t, "OPENSSH PRIVATE KEY", []byte{1}), `unexpected PEM block type "OPENSSH PRIVATE KEY"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParsePrivateKey(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if !k.Equal(p256) {
					t.Fatal("parsed key differs from the generated one")
				}
				return
			}
			if err == nil {
				t.Fatalf("want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %q, want it to contain %q", err, tt.wantErr)
			}
			// The message must not echo key material (the base64 body of the PEM).
			for _, l := range strings.Split(string(tt.in), "\n") {
				if len(l) >= 16 && !strings.HasPrefix(l, "-----") && strings.Contains(err.Error(), l[:16]) {
					t.Fatalf("error echoes key material: %q", err)
				}
			}
		})
	}
}
