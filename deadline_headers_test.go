package troupe_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

// apiVersion sets a fixed response header, and says so.
type apiVersion struct{}

func (apiVersion) Process(ex *actors.Exchange) error {
	ex.Response.Header().Set("X-Api-Version", "2")
	return nil
}

func (apiVersion) FixedHeaders() http.Header { return http.Header{"X-Api-Version": {"2"}} }

// The deadline's 504, written while the handler still holds the exchange,
// carries the fixed headers of the group's stages (and the global ones'),
// like every other response of the route; headers a stage sets on the
// exchange without declaring them fixed are not on it, since the exchange
// belongs to the stage that holds it.
func TestDeadline504KeepsTheGroupsFixedHeaders(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Use(troupe.Stage("server", actors.Global, fixedHeader{"Server", "troupe"}))
		api := app.Group("/api", troupe.Stage("version", actors.Global, apiVersion{}),
			troupe.Stage("volatile", actors.Business, actors.StageFunc(func(ex *actors.Exchange) error {
				ex.Response.Header().Set("X-Volatile", "1")
				return nil
			})))
		api.GET("/slow", func(ex *actors.Exchange) error {
			<-release // ignores its context: the deadline must answer for it
			return nil
		}).Timeout(50 * time.Millisecond)
		api.GET("/fast", func(ex *actors.Exchange) error { return ex.JSON(http.StatusOK, "ok") })
	})

	r := s.do(t, "GET", "/api/slow", "")
	if r.status != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", r.status)
	}
	for k, want := range map[string]string{"X-Api-Version": "2", "Server": "troupe", "X-Volatile": "", "Content-Type": actors.ProblemContentType} {
		if got := r.header.Get(k); got != want {
			t.Errorf("504: %s = %q, want %q", k, got, want)
		}
	}
	once.Do(func() { close(release) })

	// The same stages on an answered request: the fixed headers are set the
	// ordinary way too.
	r = s.do(t, "GET", "/api/fast", "")
	if r.status != http.StatusOK || r.header.Get("X-Api-Version") != "2" || r.header.Get("X-Volatile") != "1" {
		t.Errorf("200: status %d, headers %v", r.status, r.header)
	}
}

// fixedHeader sets one fixed header.
type fixedHeader struct{ key, value string }

func (h fixedHeader) Process(ex *actors.Exchange) error {
	ex.Response.Header().Set(h.key, h.value)
	return nil
}

func (h fixedHeader) FixedHeaders() http.Header { return http.Header{h.key: {h.value}} }
