package accesslog_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startApp runs an app with the access log writing to out, declared by
// declare, on 127.0.0.1, and returns its address; it shuts down when the
// test ends.
func startApp(t *testing.T, out *sink, declare func(app *troupe.App)) string {
	t.Helper()
	app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(zap.NewNop()))
	app.Use(newSpec(t, out.logger()))
	declare(app)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		app.Shutdown(ctx)
	})
	return app.Addr().String()
}

func ok(ex *actors.Exchange) error {
	ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
	return nil
}

// byID indexes log lines by request id.
func byID(lines []map[string]any) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, l := range lines {
		id, _ := l["request_id"].(string)
		out[id] = append(out[id], l)
	}
	return out
}

// A request whose later stage or handler panics is logged once, with its
// 500: in a hop of its own (a blocking handler), fused into the access
// log's hop (pure stages and handlers), and in an after-phase.
func TestPanicsAreLogged(t *testing.T) {
	var out sink
	addr := startApp(t, &out, func(app *troupe.App) {
		app.Handle("GET", "/ok", troupe.Handler("ok", ok))
		app.GET("/panic/blocking-handler", func(*actors.Exchange) error { panic("handler boom") })
		app.Handle("GET", "/panic/pure-handler", troupe.Handler("pure-boom", func(*actors.Exchange) error { panic("pure boom") }))
		app.Handle("GET", "/panic/pure-stage", troupe.Handler("ok2", ok)).
			With(troupe.Stage("boom-stage", actors.Business, actors.StageFunc(func(*actors.Exchange) error { panic("stage boom") })))
		app.Handle("GET", "/panic/after", troupe.Handler("ok3", ok)).
			With(troupe.Stage("boom-after", actors.Business, actors.Around(func(*actors.Exchange) error { return nil }, func(*actors.Exchange) { panic("after boom") })))
		app.GET("/panic/pure-stage-blocking-handler", ok).
			With(troupe.Stage("boom-stage2", actors.Business, actors.StageFunc(func(*actors.Exchange) error { panic("stage boom") })))
	})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	tests := []struct {
		name       string
		path       string
		wantStatus int
	}{
		{"no panic", "/ok", 200},
		{"blocking handler, own hop", "/panic/blocking-handler", 500},
		{"pure handler, same hop", "/panic/pure-handler", 500},
		{"pure stage, same hop", "/panic/pure-stage", 500},
		{"after-phase, same hop", "/panic/after", 500},
		{"pure stage, same hop, blocking handler after", "/panic/pure-stage-blocking-handler", 500},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("panic-%d", i)
			req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+addr+tt.path, nil)
			req.Header.Set("X-Request-ID", id)
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s = %d, want %d", tt.path, res.StatusCode, tt.wantStatus)
			}
			// The after-phase runs before the exchange is answered, so the
			// line is there by the time the response is.
			got := byID(out.lines(t))[id]
			if len(got) != 1 || got[0]["status"] != float64(tt.wantStatus) || got[0]["path"] != tt.path {
				t.Errorf("lines for %s = %v, want one with status %d", id, got, tt.wantStatus)
			}
		})
	}
}

// Paths and user agents with characters that could break or forge a log
// line, sent over a raw connection so that no client library tidies them:
// every line is valid JSON, one per request. (Routing refuses paths that
// decode to ASCII control characters with 400 before any stage runs, and
// net/http refuses them in header values; TestHostileStrings gives those
// to the stage directly.)
func TestHostileRequests(t *testing.T) {
	var out sink
	addr := startApp(t, &out, func(app *troupe.App) {
		app.Handle("GET", "/p/{rest...}", troupe.Handler("p", ok))
	})
	tests := []struct {
		name string
		path string // as on the request line
		ua   string // raw bytes
	}{
		{"line separators", "/p/a%E2%80%A8b%E2%80%A9c", "ua \u2028 \u2029"},
		{"c1 next line", "/p/a%C2%85b", "ua \u0085"},
		{"quotes and backslashes", "/p/%22q%22%5C", `say "hi" \ there`},
		{"forged fields", "/p/x", `x","status":200,"forged":"y`},
		{"invalid utf-8", "/p/%FF%FE", "bad \xff\xfe utf-8 \xc3"},
		{"bidi override", "/p/%E2%80%AEfdp.exe", "bidi \u202e"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nUser-Agent: %s\r\nX-Request-ID: hostile-%d\r\nConnection: close\r\n\r\n", tt.path, tt.ua, i)
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %q = %d, want 200", tt.path, res.StatusCode)
			}
			got := byID(out.lines(t))[fmt.Sprintf("hostile-%d", i)]
			if len(got) != 1 {
				t.Fatalf("%d lines for the request, want 1", len(got))
			}
			for _, k := range []string{"path", "user_agent"} {
				if v, _ := got[0][k].(string); strings.ContainsAny(v, "\u2028\u2029\u0085\u202e\ufffd") {
					t.Errorf("%s = %q, want line separators, bidi controls and bad bytes escaped", k, v)
				}
			}
			if _, forged := got[0]["forged"]; forged || got[0]["user_agent"] == "x" {
				t.Errorf("line %v: the user agent forged fields", got[0])
			}
		})
	}
	// Every line of the whole log parses, and there is one per request.
	if lines := out.lines(t); len(lines) != len(tests) {
		t.Errorf("%d lines for %d requests", len(lines), len(tests))
	}
}

// An exchange the ingress gave up on at its deadline is logged once the
// handler lets go of it, as the 504 the client got. The handler holds on
// until the client has its 504, so the ingress has certainly given up.
func TestAbandonedAtTheDeadline(t *testing.T) {
	var out sink
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	addr := startApp(t, &out, func(app *troupe.App) {
		app.GET("/slow", func(ex *actors.Exchange) error {
			<-release
			return actors.NewError(http.StatusServiceUnavailable, "too late")
		}).Timeout(50 * time.Millisecond)
	})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+addr+"/slow", nil)
	req.Header.Set("X-Request-ID", "slow-1")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("GET /slow = %d, want 504", res.StatusCode)
	}
	free()
	lines := out.await(t, func(l []map[string]any) bool { return len(byID(l)["slow-1"]) > 0 })
	got := byID(lines)["slow-1"]
	if len(got) != 1 || got[0]["status"] != float64(504) || got[0]["abandoned"] != true || got[0]["bytes"] != float64(0) {
		t.Errorf("lines for slow-1 = %v, want one: status 504, abandoned, bytes 0", got)
	}
}

// brokenBody yields some bytes and then fails.
type brokenBody struct{ sent bool }

func (b *brokenBody) Read(p []byte) (int, error) {
	if b.sent {
		return 0, errors.New("the upstream went away")
	}
	b.sent = true
	return copy(p, "partial"), nil
}

func (*brokenBody) Close() error { return nil }

// A streamed response is logged once the ingress has copied it, with the
// bytes it copied (not the 0 of its empty Body): whole, unread for a
// HEAD request, or cut short by a failing stream.
func TestStreamedResponses(t *testing.T) {
	var out sink
	body := strings.Repeat("x", 100_000)
	addr := startApp(t, &out, func(app *troupe.App) {
		app.Handle("GET", "/stream", troupe.Handler("stream", func(ex *actors.Exchange) error {
			ex.RespondStream(http.StatusOK, "text/plain", io.NopCloser(strings.NewReader(body)))
			return nil
		}))
		app.Handle("GET", "/broken", troupe.Handler("broken", func(ex *actors.Exchange) error {
			ex.RespondStream(http.StatusOK, "text/plain", &brokenBody{})
			return nil
		}))
	})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	get := func(method, path, id string) (int, error) {
		req, _ := http.NewRequestWithContext(t.Context(), method, "http://"+addr+path, nil)
		req.Header.Set("X-Request-ID", id)
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return len(b), err
	}
	if n, err := get("GET", "/stream", "whole"); err != nil || n != len(body) {
		t.Fatalf("GET /stream read %d bytes, %v; want %d", n, err, len(body))
	}
	if n, err := get("HEAD", "/stream", "head"); err != nil || n != 0 {
		t.Fatalf("HEAD /stream read %d bytes, %v; want 0", n, err)
	}
	if _, err := get("GET", "/broken", "broken"); err == nil {
		t.Fatal("GET /broken read a whole body; want the connection cut")
	}
	want := map[string]struct {
		bytes float64
		cut   bool
	}{"whole": {float64(len(body)), false}, "head": {0, false}, "broken": {float64(len("partial")), true}}
	lines := out.await(t, func(l []map[string]any) bool {
		ids := byID(l)
		return len(ids["whole"]) > 0 && len(ids["head"]) > 0 && len(ids["broken"]) > 0
	})
	for id, w := range want {
		got := byID(lines)[id]
		if len(got) != 1 {
			t.Errorf("%s: %d lines, want 1: %v", id, len(got), got)
			continue
		}
		l := got[0]
		cut, _ := l["cut"].(bool)
		if l["status"] != float64(200) || l["bytes"] != w.bytes || l["streamed"] != true || cut != w.cut {
			t.Errorf("%s: line %v, want status 200, bytes %v, streamed, cut %v", id, l, w.bytes, w.cut)
		}
	}
}

// A client that stops reading a large response is cut off by the write
// rate (min_write_rate after write_rate_grace), and its line says so: the
// bytes that went out, and cut, not the full body with a clean 200.
func TestCutResponses(t *testing.T) {
	var out sink
	app := troupe.New(troupe.Config{
		HTTP:  httpin.Config{Addr: "127.0.0.1:0", WriteRateGrace: 200 * time.Millisecond},
		Admin: troupe.AdminConfig{Addr: "off"},
	}, troupe.WithLogger(zap.NewNop()))
	app.Use(newSpec(t, out.logger()))
	const size = 64 << 20 // far more than loopback's socket buffers hold
	body := make([]byte, size)
	app.GET("/big", func(ex *actors.Exchange) error {
		ex.Respond(http.StatusOK, "application/octet-stream", body)
		return nil
	})
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		app.Shutdown(ctx)
	})
	conn, err := net.Dial("tcp", app.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /big HTTP/1.1\r\nHost: x\r\nX-Request-ID: never-reads\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	// The client reads nothing; the server gives up after the grace and a
	// piece's time at the minimum rate.
	lines := out.await(t, func(ls []map[string]any) bool { return len(byID(ls)["never-reads"]) == 1 })
	l := byID(lines)["never-reads"][0]
	if l["cut"] != true || l["bytes"].(float64) >= size {
		t.Errorf("line = %v, want cut with fewer than %d bytes", l, size)
	}
}
