package httpin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"go.uber.org/zap"
)

// In the lame-duck window an HTTP/2 client is answered, and told to go
// with GOAWAY (net/http's HTTP/2 turns the response's Connection: close
// into one): its next request opens a new connection. Outside it, the
// connection is reused.
func TestLameDuckOnHTTP2(t *testing.T) {
	sys := actors.NewSystem(zap.NewNop())
	defer sys.Shutdown()
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") })
	s := NewServer(Config{Addr: "127.0.0.1:0", H2C: true}, hello, sys)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Drain(ctx); err != nil {
			t.Error(err)
		}
	}()
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "http://" + s.Addr().String() + "/"
	// get reports whether the request went on a connection used before.
	get := func() (reused bool) {
		t.Helper()
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
		}), http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if body, _ := io.ReadAll(resp.Body); resp.Proto != "HTTP/2.0" || string(body) != "hello" {
			t.Fatalf("%s %q, want HTTP/2.0 \"hello\"", resp.Proto, body)
		}
		return reused
	}
	get()
	if !get() {
		t.Fatal("a second request before the lame duck opened a new connection; want the first one reused")
	}
	s.lameDuck.Store(true) // as Drain does for Config.DrainDelay
	if !get() {
		t.Fatal("the first request in the lame duck opened a new connection")
	}
	if get() {
		t.Error("the connection that was answered in the lame duck was reused: no GOAWAY")
	}
}
