package demo

import (
	"net/http"
	"testing"
)

func TestEcho(t *testing.T) {
	tests := []struct {
		name            string
		giveBody        string
		giveContentType string
		wantContentType string
	}{
		{name: "text", giveBody: "hi there", giveContentType: "text/plain; charset=utf-8", wantContentType: "text/plain; charset=utf-8"},
		{name: "json", giveBody: `{"a":1}`, giveContentType: "application/json", wantContentType: "application/json"},
		{name: "no content type", giveBody: "\x00\x01", wantContentType: "application/octet-stream"},
		{name: "empty body", giveBody: "", giveContentType: "text/plain", wantContentType: "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := build(t, echoKind(), "")
			ex := exchange(t, http.MethodPost, "/echo", nil)
			ex.Body = []byte(tt.giveBody) // the ingress reads the body into the exchange
			if tt.giveContentType != "" {
				ex.Request.Header.Set("Content-Type", tt.giveContentType)
			}
			if err := spec.Stage.Process(ex); err != nil {
				t.Fatalf("Process = %v", err)
			}
			if ex.Response.Status != http.StatusOK {
				t.Errorf("status = %d, want 200", ex.Response.Status)
			}
			if got := ex.Response.Header().Get("Content-Type"); got != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
			}
			if got := string(ex.Response.Body); got != tt.giveBody {
				t.Errorf("body = %q, want %q", got, tt.giveBody)
			}
		})
	}
}
