package troupe_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

// lostMember is a component that can say it runs degraded.
type lostMember struct{ lost atomic.Bool }

func (*lostMember) Start(*actors.System) error { return nil }
func (*lostMember) Stop(context.Context) error { return nil }
func (m *lostMember) Degraded() []string {
	if m.lost.Load() {
		return []string{"cluster lost"}
	}
	return nil
}

var _ troupe.Degrader = (*lostMember)(nil)

// A degraded component shows on /readyz without making the server unready.
func TestReadyzListsDegradedComponents(t *testing.T) {
	m := &lostMember{}
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Handle("GET", "/", ok("root"))
		app.Add(m)
	})
	if r := s.adminGet(t, "/readyz"); r.status != 200 || strings.Contains(r.body, "degraded") {
		t.Errorf("/readyz = %d %s, want 200 without degraded", r.status, r.body)
	}
	m.lost.Store(true)
	if r := s.adminGet(t, "/readyz"); r.status != 200 || !strings.Contains(r.body, `"degraded":["cluster lost"]`) {
		t.Errorf("/readyz with the component degraded = %d %s, want 200 listing it", r.status, r.body)
	}
}
