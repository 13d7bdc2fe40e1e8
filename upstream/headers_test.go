package upstream

import (
	"maps"
	"net/http"
	"slices"
	"testing"
)

func TestRemoveHopHeaders(t *testing.T) {
	h := http.Header{
		"Connection":          {"keep-alive, X-A", "x-b"},
		"X-A":                 {"1"},
		"X-B":                 {"2"},
		"Keep-Alive":          {"timeout=5"},
		"Proxy-Connection":    {"keep-alive"},
		"Proxy-Authenticate":  {"Basic"},
		"Proxy-Authorization": {"Basic x"},
		"Te":                  {"trailers"},
		"Trailer":             {"X-T"},
		"Transfer-Encoding":   {"chunked"},
		"Upgrade":             {"websocket"},
		"X-Keep":              {"yes"},
		"Content-Type":        {"text/plain"},
	}
	removeHopHeaders(h)
	if got := slices.Sorted(maps.Keys(h)); !slices.Equal(got, []string{"Content-Type", "X-Keep"}) {
		t.Errorf("left %q, want Content-Type and X-Keep", got)
	}
}
