package bench

import (
	"testing"

	"go.uber.org/zap"
)

// proxyPeers starts an upstream and returns both proxies to it, not
// started; the upstream is shut down when tb ends.
func proxyPeers(tb testing.TB) (*ProxyUpstream, map[string]server) {
	tb.Helper()
	up := NewProxyUpstream()
	startServer(tb, up)
	plain, err := NewProxyNetHTTP(up)
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := NewProxyTroupe(up, zap.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	return up, map[string]server{"nethttp": plain, "troupe": tr}
}

// TestProxyPeers checks, over loopback HTTP, that both proxies forward
// each conformance case to the upstream and answer with what it said: the
// load generator's request with the upstream's body (and the upstream
// answered it once), and the upstream's own 404.
func TestProxyPeers(t *testing.T) {
	up, peers := proxyPeers(t)
	for name, p := range peers {
		t.Run(name, func(t *testing.T) {
			base := startServer(t, p)
			c := newClient(t, 1)
			for _, pc := range ProxyCases {
				req, err := pc.Request(base)
				if err != nil {
					t.Fatal(err)
				}
				hits := up.Hits()
				status, h, body, err := roundTrip(c, req.WithContext(t.Context()))
				if err != nil {
					t.Fatalf("%s: %v", pc.Name, err)
				}
				t.Logf("%s: %d %q", pc.Name, status, body)
				if err := pc.Check(status, h, body); err != nil {
					t.Error(err)
				}
				wantHits := int64(0)
				if pc.WantStatus == 200 {
					wantHits = 1
				}
				if got := up.Hits() - hits; got != wantHits {
					t.Errorf("%s: the upstream answered %d times, want %d", pc.Name, got, wantHits)
				}
			}
		})
	}
}
