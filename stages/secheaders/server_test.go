package secheaders_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/stages/secheaders"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Through a real server, the headers are on a handler's answer, on an
// error a stage returns, and on the 500 of a stage that panicked.
func TestHeadersThroughTheServer(t *testing.T) {
	s, err := secheaders.New("security", secheaders.Config{})
	if err != nil {
		t.Fatal(err)
	}
	app := troupe.New(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}}, troupe.WithLogger(zap.NewNop()))
	app.Use(s)
	ok := troupe.Handler("ok", func(ex *actors.Exchange) error {
		ex.Respond(http.StatusOK, "application/json", []byte(`{}`))
		return nil
	})
	app.Handle("GET", "/ok", ok)
	app.Handle("GET", "/denied", ok).With(troupe.Stage("deny", actors.Auth, actors.StageFunc(func(*actors.Exchange) error {
		return actors.NewError(http.StatusUnauthorized, "no credentials")
	})))
	app.Handle("GET", "/panics", ok).With(troupe.Stage("panics", actors.Business, actors.StageFunc(func(*actors.Exchange) error {
		panic("boom")
	})))
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		app.Shutdown(ctx)
	}()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	tests := []struct {
		name       string
		path       string
		wantStatus int
	}{
		{"handler", "/ok", http.StatusOK},
		{"error", "/denied", http.StatusUnauthorized},
		{"panic", "/panics", http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := client.Get("http://" + app.Addr().String() + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Errorf("GET %s = %d, want %d", tt.path, res.StatusCode, tt.wantStatus)
			}
			for k, want := range defaults {
				if got := res.Header.Get(k); got != want {
					t.Errorf("GET %s: %s = %q, want %q", tt.path, k, got, want)
				}
			}
		})
	}
}
