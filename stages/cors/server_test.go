package cors_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/cors"
	"go.uber.org/zap"
)

// methods counts requests by method; safe for concurrent use.
type methods struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *methods) add(method string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int{}
	}
	m.n[method]++
}

func (m *methods) get(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[method]
}

// startApp runs an app declared by declare on 127.0.0.1 and returns its
// base URL; the app shuts down when the test ends.
func startApp(t *testing.T, declare func(app *troupe.App)) string {
	t.Helper()
	app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(zap.NewNop()))
	declare(app)
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return "http://" + app.Addr().String()
}

// countingHandler answers 200 and counts the methods it sees.
func countingHandler(name string, seen *methods) *actors.Spec {
	return troupe.Handler(name, func(ex *actors.Exchange) error {
		seen.add(ex.Request.Method)
		ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
		return nil
	})
}

// Through a real server: the ingress routes a preflight to the stages of
// the route it asks about, where the CORS stage of the group answers it;
// the handler never sees it. A path with an OPTIONS route of its own gets
// the same answer from the same stage.
func TestPreflightThroughTheServer(t *testing.T) {
	var seen methods
	stage := mustNew(t, cors.Config{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{"Content-Type"}})
	url := startApp(t, func(app *troupe.App) {
		api := app.Group("/api", troupe.Stage("cors", actors.Global, stage))
		api.Handle("GET", "/items/{id}", countingHandler("GET /api/items/{id}", &seen))
		api.Handle("PUT", "/items/{id}", countingHandler("PUT /api/items/{id}", &seen))
		api.Handle("OPTIONS", "/things", countingHandler("OPTIONS /api/things", &seen))
		api.Handle("GET", "/things", countingHandler("GET /api/things", &seen))
	})
	tests := []struct {
		name       string
		path       string
		header     []string
		wantStatus int
		wantOrigin string
		wantAllow  string // the ingress's Allow, when it answers itself
	}{
		{"preflight, allowed", "/api/items/1", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type"},
			http.StatusNoContent, "https://app.example.com", ""},
		{"preflight, foreign origin", "/api/items/1", []string{"Origin", "https://evil.com", "Access-Control-Request-Method", "PUT"},
			http.StatusNoContent, "", ""},
		{"preflight, method the path lacks", "/api/items/1", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "DELETE"},
			http.StatusNoContent, "", "GET, HEAD, PUT, OPTIONS"},
		{"preflight, path with an OPTIONS route", "/api/things", []string{"Origin", "https://app.example.com", "Access-Control-Request-Method", "GET"},
			http.StatusNoContent, "https://app.example.com", ""},
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "OPTIONS", url+tt.path, nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus || res.Header.Get("Access-Control-Allow-Origin") != tt.wantOrigin || res.Header.Get("Allow") != tt.wantAllow {
				t.Errorf("OPTIONS %s = %d, ACAO %q, Allow %q; want %d, %q, %q", tt.path, res.StatusCode,
					res.Header.Get("Access-Control-Allow-Origin"), res.Header.Get("Allow"), tt.wantStatus, tt.wantOrigin, tt.wantAllow)
			}
		})
	}
	if n := seen.get("OPTIONS"); n != 0 {
		t.Errorf("handlers saw %d OPTIONS requests, want 0: preflights never reach a handler", n)
	}
}
