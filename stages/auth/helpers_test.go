package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/principal"
	"github.com/troupe-go/troupe/stagetest"
)

// request returns a GET for target with the given header pairs.
func request(target string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

// chain runs stages one after the other, as a fused hop would, stopping at
// the first that ends the exchange.
func chain(stages ...actors.Stage) actors.Stage {
	return actors.StageFunc(func(ex *actors.Exchange) error {
		for _, s := range stages {
			if err := s.Process(ex); err != nil || ex.Response.Written() {
				return err
			}
		}
		return nil
	})
}

// withPrincipal runs the stage as if an earlier stage had authenticated p.
func withPrincipal(p *principal.Principal) stagetest.Option {
	return stagetest.WithSetup(func(ex *actors.Exchange) { principal.Key.Set(ex, p) })
}

// must returns a function that fails the test if a constructor failed and
// otherwise returns its stage: must(t)(newAPIKey(cfg)).
func must(t *testing.T) func(actors.Stage, error) actors.Stage {
	return func(s actors.Stage, err error) actors.Stage {
		t.Helper()
		if err != nil {
			t.Fatalf("constructor: %v", err)
		}
		return s
	}
}

// writeFile writes data to name in a temporary directory and returns its
// path.
func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkUnauthorized checks that out is a 401 problem with the challenge,
// that the handler did not run and that no principal was set.
func checkUnauthorized(t *testing.T, out stagetest.Outcome, challenge string) {
	t.Helper()
	if out.Status != http.StatusUnauthorized {
		t.Errorf("status = %d (%v), want 401", out.Status, out.Err)
	}
	if got := out.Header.Get("WWW-Authenticate"); got != challenge {
		t.Errorf("WWW-Authenticate = %q, want %q", got, challenge)
	}
	if got := out.Header.Get("Content-Type"); got != actors.ProblemContentType {
		t.Errorf("Content-Type = %q, want %q", got, actors.ProblemContentType)
	}
	if out.HandlerRan {
		t.Error("the handler ran")
	}
	if p := principal.From(out.Exchange); p != nil {
		t.Errorf("principal = %+v, want none", p)
	}
}

// testKeys are keys made for one test.
type testKeys struct {
	rsa          *rsa.PrivateKey
	rsaPublicPEM []byte
	ec           *ecdsa.PrivateKey
	ecPublicPEM  []byte
	secret       []byte // HS256
}

func newTestKeys(t *testing.T) testKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{
		rsa:          rk,
		rsaPublicPEM: publicPEM(t, &rk.PublicKey),
		ec:           ek,
		ecPublicPEM:  publicPEM(t, &ek.PublicKey),
		secret:       bytes.Repeat([]byte("s3cr3t-"), 6),
	}
}

func publicPEM(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
