package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/config"
)

func TestParseServerGuardKeys(t *testing.T) {
	give := `server:
  min_body_rate: 1_000
  body_rate_grace: 2s
  min_write_rate: 500
  write_rate_grace: 3s
  lenient_framing: true
  max_connections: 5000
  max_connections_per_ip: 64
routes: [{method: GET, path: /, handler: ok}]
`
	cfg, err := config.Parse("guard.yaml", []byte(give), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.App.HTTP
	if h.MinBodyRate != 1000 || h.BodyRateGrace != 2*time.Second || h.MinWriteRate != 500 ||
		h.WriteRateGrace != 3*time.Second || !h.LenientFraming || h.MaxConnections != 5000 || h.MaxConnectionsPerIP != 64 {
		t.Errorf("server section parsed into %+v", h)
	}
}

func TestParseServerGuardKeysDefault(t *testing.T) {
	cfg, err := config.Parse("guard.yaml", []byte("server: {}\nroutes: [{method: GET, path: /, handler: ok}]\n"), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.App.HTTP
	if h.MinBodyRate != 0 || h.BodyRateGrace != 0 || h.LenientFraming || h.MaxConnections != 0 || h.MaxConnectionsPerIP != 0 {
		t.Errorf("left-out keys parsed into %+v, want zero (the defaults)", h)
	}
}

func TestParseServerGuardKeyErrors(t *testing.T) {
	tests := []struct{ give, want string }{
		{"server:\n  min_body_rate: -1\n", "guard.yaml:2: server.min_body_rate must not be negative"},
		{"server:\n  min_write_rate: fast\n", `guard.yaml:2: server.min_write_rate must be a whole number, got "fast"`},
		{"server:\n  body_rate_grace: -1s\n", "guard.yaml:2: server.body_rate_grace must not be negative"},
		{"server:\n  write_rate_grace: 5\n", `guard.yaml:2: server.write_rate_grace: bad duration "5"`},
		{"server:\n  lenient_framing: yes\n", `guard.yaml:2: server.lenient_framing must be true or false, got "yes"`},
		{"server:\n  max_connections: 1.5\n", `guard.yaml:2: server.max_connections must be a whole number`},
		{"server:\n  max_connections_per_ip: -3\n", "guard.yaml:2: server.max_connections_per_ip must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := config.Parse("guard.yaml", []byte(tt.give+"routes: [{method: GET, path: /, handler: ok}]\n"), testRegistry())
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want %q…", tt.give, err, tt.want)
			}
		})
	}
}
