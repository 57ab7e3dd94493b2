package extract

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ParsePrivateKey reads an App Store Connect API key as downloaded from Apple (the
// AuthKey_XXXXXXXXXX.p8 file): a PEM "PRIVATE KEY" block holding a PKCS#8 EC P-256 key.
// A SEC1 "EC PRIVATE KEY" block is accepted too, and so is PEM text whose newlines were
// flattened to literal "\n" (a common accident with environment variables).
//
// Errors say what is wrong with the file and never contain key material.
func ParsePrivateKey(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	data := bytes.TrimPrefix(pemBytes, []byte("\xef\xbb\xbf"))
	if !bytes.Contains(data, []byte("\n")) && bytes.Contains(data, []byte(`\n`)) {
		data = bytes.ReplaceAll(data, []byte(`\n`), []byte("\n"))
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parse private key: no PEM block found: is this an Apple .p8 key file?")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("parse private key: more than one PEM block: the .p8 file holds exactly one key")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			// The x509 message names the ASN.1 problem, never the key bytes.
			return nil, fmt.Errorf("parse private key: PEM block is not a valid PKCS#8 key: %v", err)
		}
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse private key: PEM block is not a valid SEC1 EC key: %v", err)
		}
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("parse private key: key is encrypted: use the unencrypted .p8 file Apple lets you download")
	case "PUBLIC KEY", "CERTIFICATE":
		return nil, fmt.Errorf("parse private key: PEM block is a %s, not a private key: use the .p8 file Apple lets you download", block.Type)
	case "RSA PRIVATE KEY":
		return nil, errors.New("parse private key: key is not an EC P-256 key (found an RSA key): App Store Connect keys are EC P-256")
	default:
		return nil, fmt.Errorf("parse private key: unexpected PEM block type %q: want \"PRIVATE KEY\" as in Apple's .p8 file", block.Type)
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("parse private key: key is not an EC P-256 key (curve %s)", k.Curve.Params().Name)
		}
		return k, nil
	case *rsa.PrivateKey:
		return nil, errors.New("parse private key: key is not an EC P-256 key (found an RSA key)")
	case ed25519.PrivateKey:
		return nil, errors.New("parse private key: key is not an EC P-256 key (found an Ed25519 key)")
	default:
		return nil, fmt.Errorf("parse private key: key is not an EC P-256 key (found %T)", key)
	}
}

// checkKey validates a key handed in directly (Config.Key, NewTokenSource).
func checkKey(k *ecdsa.PrivateKey) error {
	if k == nil {
		return errors.New("key is nil")
	}
	if k.Curve != elliptic.P256() {
		name := "unknown"
		if k.Curve != nil {
			name = k.Curve.Params().Name
		}
		return fmt.Errorf("key is not an EC P-256 key (curve %s)", name)
	}
	return nil
}
