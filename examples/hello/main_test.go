package main

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestHelloExample(t *testing.T) {
	app := newApp(troupe.Config{HTTP: httpin.Config{Addr: "127.0.0.1:0"}, Admin: troupe.AdminConfig{Addr: "off"}})
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer app.Shutdown(context.Background())
	base := "http://" + app.Addr().String()
	tests := []struct {
		name, path, accept string
		wantStatus         int
		wantBody           string
	}{
		{"hello", "/hello", "", 200, `{"message":"hello"}`},
		{"param", "/api/items/42", "", 200, `{"id":"42"}`},
		{"group stage", "/api/items/42", "text/html", 406, ""},
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "GET", base+tt.path, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.wantStatus || (tt.wantBody != "" && string(b) != tt.wantBody) {
				t.Errorf("GET %s = %d %s, want %d %s", tt.path, res.StatusCode, b, tt.wantStatus, tt.wantBody)
			}
			if res.Header.Get("Server") != "troupe" {
				t.Errorf("GET %s: Server = %q, want troupe (the global stage)", tt.path, res.Header.Get("Server"))
			}
		})
	}
}
