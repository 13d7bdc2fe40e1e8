package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/go-jose/go-jose/v4"
)

// JWTKey is one key a JWT stage verifies tokens with, pinned to one
// algorithm: a token that names another algorithm is rejected, whatever
// its signature, so neither alg=none nor an HS256 token "signed" with an
// RSA public key can pass.
type JWTKey struct {
	// Alg is the algorithm: HS256, RS256 or ES256. Required.
	Alg string `yaml:"alg"`
	// Secret is the HS256 secret, at least 32 bytes. Keep secrets out of
	// files under version control: prefer SecretEnv.
	Secret string `yaml:"secret"`
	// SecretEnv names the environment variable that holds the HS256
	// secret; it is read once, by JWT.
	SecretEnv string `yaml:"secret_env"`
	// PublicKey is the RS256 or ES256 public key (or a certificate), PEM
	// encoded. RSA keys have at least 2048 bits; EC keys are on P-256.
	PublicKey string `yaml:"public_key"`
	// PublicKeyFile is a file holding PublicKey instead.
	PublicKeyFile string `yaml:"public_key_file"`
}

// algorithms are the algorithms a JWTKey may be pinned to.
var algorithms = []string{"HS256", "RS256", "ES256"}

// minSecretLen is the shortest HS256 secret accepted, in bytes: as long as
// the hash (RFC 7518 §3.2).
const minSecretLen = 32

// material returns the key's verification key: []byte, *rsa.PublicKey or
// *ecdsa.PublicKey, checked against its algorithm.
func (k JWTKey) material() (any, error) {
	var key any
	secret := k.Secret != "" || k.SecretEnv != ""
	public := k.PublicKey != "" || k.PublicKeyFile != ""
	switch {
	case secret && public, k.Secret != "" && k.SecretEnv != "", k.PublicKey != "" && k.PublicKeyFile != "":
		return nil, errors.New("give one of secret, secret_env, public_key and public_key_file")
	case k.Secret != "":
		key = []byte(k.Secret)
	case k.SecretEnv != "":
		v, ok := os.LookupEnv(k.SecretEnv)
		if !ok || v == "" {
			return nil, fmt.Errorf("environment variable %s is not set or empty", k.SecretEnv)
		}
		key = []byte(v)
	case public:
		data := []byte(k.PublicKey)
		if k.PublicKeyFile != "" {
			var err error
			if data, err = os.ReadFile(k.PublicKeyFile); err != nil {
				return nil, fmt.Errorf("public_key_file: %w", err)
			}
		}
		var err error
		if key, err = parsePublicKey(data); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("no key: give secret, secret_env, public_key or public_key_file")
	}
	return key, checkKey(k.Alg, key)
}

// parsePublicKey parses a PEM encoded PKIX public key or certificate.
func parsePublicKey(data []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("public key is not PEM encoded")
	}
	if key, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return key, nil
	}
	if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
		return cert.PublicKey, nil
	}
	if key, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		return key, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a public key or certificate", block.Type)
}

// checkKey reports whether key is fit for alg.
func checkKey(alg string, key any) error {
	switch k := key.(type) {
	case []byte:
		if alg != "HS256" {
			return fmt.Errorf("a secret is for HS256, not %s", describeAlg(alg))
		}
		if len(k) < minSecretLen {
			return fmt.Errorf("HS256 secret is shorter than %d bytes", minSecretLen)
		}
	case *rsa.PublicKey:
		if alg != "RS256" {
			return fmt.Errorf("an RSA key is for RS256, not %s", describeAlg(alg))
		}
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("RSA key has %d bits, want at least 2048", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if alg != "ES256" {
			return fmt.Errorf("an EC key is for ES256, not %s", describeAlg(alg))
		}
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("EC key is on %s, want P-256", k.Curve.Params().Name)
		}
	default:
		return fmt.Errorf("unsupported key type %T (want an HS256 secret, an RSA or a P-256 EC key)", key)
	}
	return nil
}

func describeAlg(alg string) string {
	if alg == "" {
		return "no alg"
	}
	return fmt.Sprintf("%q", alg)
}

// jwksKey is one usable key of a JWKS file.
type jwksKey struct {
	kid, alg string
	key      any
}

// readJWKS reads a JSON Web Key Set (RFC 7517) from path. Keys marked
// "use": "enc" are skipped; private keys stand for their public halves. A
// key without "alg" is pinned by its type: RSA to RS256, EC to ES256, a
// symmetric key to HS256.
func readJWKS(path string) ([]jwksKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("jwks_file: %w", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("jwks_file %s: %w", path, err)
	}
	var out []jwksKey
	for i, jwk := range set.Keys {
		if jwk.Use == "enc" {
			continue
		}
		key := jwk.Key
		switch k := key.(type) {
		case *rsa.PrivateKey:
			key = &k.PublicKey
		case *ecdsa.PrivateKey:
			key = &k.PublicKey
		}
		alg := jwk.Algorithm
		if alg == "" {
			switch key.(type) {
			case *rsa.PublicKey:
				alg = "RS256"
			case *ecdsa.PublicKey:
				alg = "ES256"
			case []byte:
				alg = "HS256"
			}
		}
		if err := checkKey(alg, key); err != nil {
			return nil, fmt.Errorf("jwks_file %s: key %d (kid %q): %w", path, i, jwk.KeyID, err)
		}
		out = append(out, jwksKey{kid: jwk.KeyID, alg: alg, key: key})
	}
	return out, nil
}
