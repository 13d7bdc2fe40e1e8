package upstream

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/zap"
)

// app is a running troupe app on loopback, and a client for it.
type app struct {
	*troupe.App
	url       string
	client    *http.Client
	transport *http.Transport
}

// startApp runs an app declared by declare on 127.0.0.1, without an admin
// listener, and shuts it down when the test ends.
func startApp(t testing.TB, declare func(a *troupe.App)) *app {
	t.Helper()
	a := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(zap.NewNop()))
	declare(a)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 128}
	t.Cleanup(func() {
		tr.CloseIdleConnections() // first: Shutdown waits for a dialled, unused connection
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &app{App: a, url: "http://" + a.Addr().String(), client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, transport: tr}
}

// reply is what a request to the app got back.
type reply struct {
	status int
	header http.Header
	body   string
	took   time.Duration
	err    error
}

// do sends a request with header (name, value pairs) to the app.
func (a *app) do(method, path, body string, header ...string) reply {
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	if err != nil {
		return reply{err: err}
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	begin := time.Now()
	res, err := a.client.Do(req)
	if err != nil {
		return reply{err: err, took: time.Since(begin)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(b), took: time.Since(begin), err: err}
}

// route returns the Spec of a proxy handler named name, whose upstream the
// app starts and stops.
func route(t testing.TB, a *troupe.App, name string, o Options) *Proxy {
	t.Helper()
	if o.Name == "" {
		o.Name = name
	}
	up, err := New(o.Config)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProxy(up, o.ProxyConfig)
	if err != nil {
		t.Fatal(err)
	}
	a.Add(up)
	return p
}
