package troupe_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/httpin"
)

// With the main listener full of idle connections, past its cap, the admin
// listener still answers: health checks see a busy server, not a dead one.
// (The attack used 20,000 connections against the file limit; the cap
// scales it down to what a test may open: 50, with 200 attempted.)
func TestAdminAnswersWhenTheMainListenerIsFull(t *testing.T) {
	const capacity, attempts = 50, 200
	s := start(t, troupe.Config{HTTP: httpin.Config{MaxConnections: capacity}}, func(app *troupe.App) {
		app.Handle("GET", "/x", ok("x"))
	})
	addr := s.app.Addr().String()
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for range attempts {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			continue // refused: fine, the point is the admin listener
		}
		conns = append(conns, c)
	}
	// Connections past the cap are closed at once: a read on one ends.
	closed := 0
	for _, c := range conns[capacity:] {
		if _, err := c.Read(make([]byte, 1)); err != nil {
			closed++
		}
	}
	if closed != len(conns)-capacity {
		t.Errorf("%d of the %d connections past the cap were closed, want all", closed, len(conns)-capacity)
	}
	if r := s.adminGet(t, "/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz with the main listener full = %d, want 200", r.status)
	}
	if r := s.adminGet(t, "/metrics"); !strings.Contains(r.body, `troupe_connections_rejected_total{reason="max_connections"}`) {
		t.Error("/metrics does not count the connections closed at the cap")
	}
}
