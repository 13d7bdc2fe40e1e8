package httpin

import (
	"crypto/tls"
	"fmt"
	"sync"
	"sync/atomic"
)

// CertReloader holds the listener's certificate and key, read from their
// files, and serves them to every TLS handshake (GetCertificate). Reload
// reads the files again and swaps the pair in, atomically: a handshake
// sees the old pair or the new one, never a mix. Its methods are safe for
// concurrent use.
type CertReloader struct {
	certFile, keyFile string

	mu  sync.Mutex // one Reload at a time
	cur atomic.Pointer[tls.Certificate]
}

// NewCertReloader reads certFile and keyFile, PEM files of a certificate
// chain and its private key, and returns a holder serving them.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	r := &CertReloader{certFile: certFile, keyFile: keyFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the certificate and key files again. If they do not make a
// pair (a file is missing, unreadable, not PEM, or the key is not the
// certificate's), it keeps serving the pair it has and returns why; new
// handshakes get the new pair once it returns nil. Connections already
// established keep the certificate they were made with.
func (r *CertReloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	pair, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("tls: loading cert_file %s and key_file %s: %w", r.certFile, r.keyFile, err)
	}
	r.cur.Store(&pair)
	return nil
}

// Certificate returns the pair being served. Its Leaf is the parsed
// certificate.
func (r *CertReloader) Certificate() *tls.Certificate { return r.cur.Load() }

// GetCertificate implements tls.Config.GetCertificate: the pair being
// served, whatever the client asked for.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}
