package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// newTransport returns the http.Transport of an upstream: its keep-alive
// pool sized by cfg.Transport, connections established within
// cfg.ConnectTimeout (with dial, when given), no proxy from the
// environment, and no transparent compression (a proxy passes
// Accept-Encoding and Content-Encoding through as they are).
func newTransport(cfg Config, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	t := cfg.Transport
	d := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: t.KeepAlive}
	dialContext := d.DialContext
	if dial != nil {
		dialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
			defer cancel()
			return dial(ctx, network, addr)
		}
	}
	return &http.Transport{
		DialContext:           dialContext,
		MaxIdleConns:          t.MaxIdleConns,
		MaxIdleConnsPerHost:   t.MaxIdleConnsPerHost,
		MaxConnsPerHost:       t.MaxConnsPerHost,
		IdleConnTimeout:       t.IdleConnTimeout,
		ResponseHeaderTimeout: t.ResponseHeaderTimeout,
		TLSHandshakeTimeout:   t.TLSHandshakeTimeout,
		ExpectContinueTimeout: time.Second,
		DisableKeepAlives:     t.DisableKeepAlives,
		DisableCompression:    true,
		ForceAttemptHTTP2:     true,
	}
}

// trustCAFile makes t verify https targets against the CAs in the PEM
// file caFile instead of the system's roots; "" leaves t as it is.
func trustCAFile(t *http.Transport, caFile string) error {
	if caFile == "" {
		return nil
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("transport.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return fmt.Errorf("transport.ca_file: %s: no PEM certificate in it", caFile)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return nil
}
