package clientip_test

import (
	"strings"
	"testing"

	"github.com/troupe-go/troupe/config"
	"github.com/troupe-go/troupe/internal/demo"
	"github.com/troupe-go/troupe/stages/clientip"
)

func TestRegister(t *testing.T) {
	reg := &config.Registry{}
	clientip.Register(reg)
	demo.Register(reg)
	tests := []struct {
		name, options, want string
	}{
		{"good", "{trusted_proxies: [10.0.0.0/8, 192.0.2.1]}", ""},
		{"bad cidr", "{trusted_proxies: [10.0.0.0/99]}", "c.yaml:3: client_ip: trusted proxy"},
		{"unknown option", "{trusted: [10.0.0.0/8]}", "c.yaml:3:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := "stages:\n  ip:\n    options: " + tt.options + "\n    kind: client_ip\nroutes: [{method: GET, path: /, handler: hello, stages: [ip]}]\n"
			_, err := config.Parse("c.yaml", []byte(y), reg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Parse = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Parse = %v, want %q", err, tt.want)
			}
		})
	}
}
