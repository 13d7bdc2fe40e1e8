package demo

import (
	"net/http"
	"testing"

	"github.com/troupe-go/troupe/actors"
)

// ok, fail and cache are what the rest of a route may answer.
func ok(ex *actors.Exchange) { ex.Respond(http.StatusOK, "text/plain", []byte("ok")) }

func fail(ex *actors.Exchange) { ex.Fail(actors.NewError(http.StatusBadRequest, "rejected later")) }

func cache(ex *actors.Exchange) {
	ex.Response.Header().Set("Cache-Control", "max-age=60")
	ex.Respond(http.StatusOK, "text/plain", []byte("ok"))
}

func TestHeader(t *testing.T) {
	tests := []struct {
		name      string
		give      string                    // options
		later     func(ex *actors.Exchange) // what the rest of the route answers
		wantKey   string
		wantValue string
	}{
		{name: "server", give: "{name: Server, value: troupe}", later: ok, wantKey: "Server", wantValue: "troupe"},
		{name: "name canonicalised", give: "{name: x-demo, value: '1'}", later: ok, wantKey: "X-Demo", wantValue: "1"},
		{name: "empty value", give: "{name: X-Empty}", later: ok, wantKey: "X-Empty", wantValue: ""},
		{name: "on an error response", give: "{name: Server, value: troupe}", later: fail, wantKey: "Server", wantValue: "troupe"},
		{name: "handler sets it too", give: "{name: Cache-Control, value: no-store}", later: cache, wantKey: "Cache-Control", wantValue: "max-age=60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := build(t, headerKind(), tt.give)
			if spec.Kind != actors.Stateless {
				t.Errorf("kind = %s, want pure", spec.Kind)
			}
			ex := exchange(t, http.MethodGet, "/", nil)
			if err := spec.Stage.Process(ex); err != nil {
				t.Fatalf("Process = %v, want nil", err)
			}
			if ex.Response.Written() {
				t.Fatalf("Process responded %d, want it to let the exchange go on", ex.Response.Status)
			}
			tt.later(ex)
			if got := ex.Response.Header().Values(tt.wantKey); len(got) != 1 || got[0] != tt.wantValue {
				t.Errorf("after a %d: %s = %q, want [%q]", ex.Response.Status, tt.wantKey, got, tt.wantValue)
			}
		})
	}
}
