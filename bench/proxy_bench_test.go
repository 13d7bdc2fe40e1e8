package bench

import (
	"net/http"
	"runtime"
	"testing"
)

// BenchmarkProxy GETs the proxy scenario's path through each proxy over
// loopback HTTP from 64 client goroutines in a closed loop: the client,
// the proxy and the upstream all run in this process, so ns/op and the
// allocations are all three's, per request. The difference between the
// two proxies is the difference of their own costs.
//
//	go test -run='^$' -bench=Proxy -benchtime=2s .
func BenchmarkProxy(b *testing.B) {
	for _, name := range []string{"nethttp", "troupe"} {
		b.Run(name, func(b *testing.B) {
			_, peers := proxyPeers(b)
			base := startServer(b, peers[name])
			benchProxyPeer(b, newClient(b, 64), base, 64)
		})
	}
}

// benchProxyPeer loads the proxy at base from clients goroutines, checking
// every answer.
func benchProxyPeer(b *testing.B, c *http.Client, base string, clients int) {
	get := func() error {
		req, err := ProxyCases[0].Request(base)
		if err != nil {
			return err
		}
		status, h, body, err := roundTrip(c, req.WithContext(b.Context()))
		if err != nil {
			return err
		}
		return ProxyCases[0].Check(status, h, body)
	}
	if err := get(); err != nil {
		b.Fatal(err)
	}
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((clients + procs - 1) / procs)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := get(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
