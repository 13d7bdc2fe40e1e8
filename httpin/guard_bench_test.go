package httpin

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
)

// BenchmarkGuard measures a request over loopback, keep-alive, to a trivial
// handler with the connection guard and the framing guard in front
// (guarded) and without (plain): the difference is what the guards cost a
// request, deadlines included.
func BenchmarkGuard(b *testing.B) {
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") })
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"plain", hello},
		{"guarded", newConnGuard(Config{}.WithDefaults(), framingGuard{next: hello})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: bc.h, ReadTimeout: defaultsForBench.ReadTimeout, WriteTimeout: defaultsForBench.WriteTimeout}
			var wg sync.WaitGroup
			wg.Go(func() { _ = srv.Serve(ln) })
			defer wg.Wait()
			defer srv.Close()
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			url := "http://" + ln.Addr().String() + "/"
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		})
	}
}

var defaultsForBench = Config{}.WithDefaults()
