package httpin

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{}.WithDefaults()
	if c.Addr != ":8080" || c.ReadHeaderTimeout != 5*time.Second || c.MaxBodyBytes != 1<<20 ||
		c.MaxInFlight != 1024 || c.RequestTimeout != 10*time.Second || c.MaxHeaderBytes != 64<<10 {
		t.Errorf("Config{}.WithDefaults() = %+v", c)
	}
	if c.WriteTimeout <= c.RequestTimeout {
		t.Errorf("default WriteTimeout %s must exceed RequestTimeout %s, or a 504 could not be written", c.WriteTimeout, c.RequestTimeout)
	}
	if c.MinBodyRate != 1024 || c.BodyRateGrace != 5*time.Second || c.MinWriteRate != 1024 || c.WriteRateGrace != 5*time.Second ||
		c.LenientFraming || c.MaxConnections != DefaultMaxConnections() || c.MaxConnectionsPerIP != 0 ||
		c.MaxConcurrentStreams != 100 || c.TLS.Enabled() || c.H2C {
		t.Errorf("Config{}.WithDefaults() guards = %+v", c)
	}
	kept := Config{Addr: "127.0.0.1:1", RequestTimeout: time.Second}.WithDefaults()
	if kept.Addr != "127.0.0.1:1" || kept.RequestTimeout != time.Second {
		t.Errorf("WithDefaults overwrote set fields: %+v", kept)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		give Config
		want string // "" for valid
	}{
		{"zero", Config{}, ""},
		{"negative timeout", Config{ReadTimeout: -time.Second}, "read_timeout must not be negative"},
		{"negative limit", Config{MaxInFlight: -1}, "must not be negative"},
		{"negative rate", Config{MinBodyRate: -1}, "min_body_rate, min_write_rate, max_connections and max_connections_per_ip must not be negative"},
		{"negative cap", Config{MaxConnectionsPerIP: -1}, "must not be negative"},
		{"negative grace", Config{WriteRateGrace: -time.Second}, "write_rate_grace must not be negative"},
		{"negative streams", Config{MaxConcurrentStreams: -1}, "max_concurrent_streams must not be negative"},
		{"tls", Config{TLS: TLSConfig{CertFile: "c", KeyFile: "k", MinVersion: tls.VersionTLS13}}, ""},
		{"cert without key", Config{TLS: TLSConfig{CertFile: "c"}}, "cert_file and key_file go together"},
		{"old tls", Config{TLS: TLSConfig{CertFile: "c", KeyFile: "k", MinVersion: tls.VersionTLS11}}, "min_version must be 1.2 or 1.3, got TLS 1.1"},
		{"client auth without CAs", Config{TLS: TLSConfig{CertFile: "c", KeyFile: "k", ClientAuth: tls.RequireAndVerifyClientCert}}, "client_ca_file, which is not set"},
		{"CAs without client auth", Config{TLS: TLSConfig{CertFile: "c", KeyFile: "k", ClientCAFile: "ca"}}, "client_auth is none"},
		{"unverified client auth", Config{TLS: TLSConfig{CertFile: "c", KeyFile: "k", ClientAuth: tls.RequireAnyClientCert}}, "client_auth must be none, verify_if_given or require"},
		{"client auth without tls", Config{TLS: TLSConfig{ClientCAFile: "ca"}}, "need cert_file and key_file"},
		{"h2c with tls", Config{H2C: true, TLS: TLSConfig{CertFile: "c", KeyFile: "k"}}, "with tls, HTTP/2 is on already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
