package clientip_test

import (
	"net/http/httptest"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/clientip"
	"github.com/troupe-go/troupe/stagetest"
)

func TestClientIP(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		peer    string
		xff     string
		fwd     string
		want    string
	}{
		{name: "no proxies: the peer", peer: "203.0.113.7:5000", xff: "1.2.3.4", want: "203.0.113.7"},
		{name: "untrusted peer's XFF ignored", trusted: []string{"10.0.0.0/8"}, peer: "203.0.113.7:5000", xff: "1.2.3.4", want: "203.0.113.7"},
		{name: "trusted peer: last untrusted hop", trusted: []string{"10.0.0.0/8"}, peer: "10.0.0.1:5000", xff: "1.2.3.4, 198.51.100.9", want: "198.51.100.9"},
		{name: "chain of trusted proxies", trusted: []string{"10.0.0.0/8"}, peer: "10.0.0.1:5000", xff: "198.51.100.9, 10.0.0.5", want: "198.51.100.9"},
		{name: "spoofed left-most entry ignored", trusted: []string{"10.0.0.1"}, peer: "10.0.0.1:5000", xff: "127.0.0.1, 198.51.100.9", want: "198.51.100.9"},
		{name: "garbage stops the walk", trusted: []string{"10.0.0.0/8"}, peer: "10.0.0.1:5000", xff: "198.51.100.9, nonsense", want: "10.0.0.1"},
		{name: "Forwarded header", trusted: []string{"10.0.0.0/8"}, peer: "10.0.0.1:5000", fwd: `for=198.51.100.9;proto=https, for="[2001:db8::1]:4711"`, want: "2001:db8::1"},
		{name: "ipv6 peer", peer: "[2001:db8::2]:443", want: "2001:db8::2"},
		{name: "all trusted: the left-most", trusted: []string{"10.0.0.0/8"}, peer: "10.0.0.1:5000", xff: "10.0.0.9", want: "10.0.0.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := clientip.New("client-ip", clientip.Config{TrustedProxies: tt.trusted})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if tt.fwd != "" {
				r.Header.Set("Forwarded", tt.fwd)
			}
			var got string
			stagetest.RunSpec(t, spec, r, stagetest.WithHandler(func(ex *actors.Exchange) error {
				got = clientip.From(ex).String()
				return nil
			}))
			if got != tt.want {
				t.Errorf("client ip = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBadTrustedProxy(t *testing.T) {
	if _, err := clientip.New("client-ip", clientip.Config{TrustedProxies: []string{"10.0.0.0/99"}}); err == nil {
		t.Error("New accepted a bad CIDR")
	}
}
