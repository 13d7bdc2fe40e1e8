package upstream

import (
	"net/http"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
)

// A proxied stream (server-sent events) outlives the route's deadline: the
// deadline bounds the wait for the upstream's header, and the events that
// come after it still reach the client, whole.
func TestProxiedStreamOutlivesTheDeadline(t *testing.T) {
	const deadline = 100 * time.Millisecond
	srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("data: first\n\n"))
		w.(http.Flusher).Flush()
		time.Sleep(3 * deadline) // the workload: the next event comes well after the deadline
		_, _ = w.Write([]byte("data: second\n\n"))
	})
	a := startApp(t, func(a *troupe.App) {
		p := route(t, a, "events", Options{Config: Config{Targets: []string{srv.URL}}})
		a.Handle(http.MethodGet, "/events", p.Spec("events")).Timeout(deadline)
	})
	r := a.do(http.MethodGet, "/events", "")
	if r.err != nil || r.status != http.StatusOK || r.body != "data: first\n\ndata: second\n\n" {
		t.Fatalf("GET /events = %d %q %v after %s, want 200 with both events", r.status, r.body, r.err, r.took)
	}
	if r.took < 3*deadline {
		t.Errorf("the stream took %s, want it past the %s deadline", r.took, deadline)
	}
}
