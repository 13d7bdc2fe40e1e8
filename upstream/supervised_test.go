package upstream

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/internal/fakeclock"
	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// An upstream under supervision counts a keeper actor's panic as a
// restart, and while a crash loop has it down it refuses calls at once,
// 503 with Retry-After, without calling the upstream.
func TestSupervisedUpstream(t *testing.T) {
	srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	u, err := New(Config{Name: "sup", Targets: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	sys := actors.NewSystem(zap.NewNop())
	tree := supervisor.NewTree(sys, fakeclock.New())
	h := tree.Stage("component sup", supervisor.Policy{MaxRestarts: 1, Window: time.Minute, Backoff: 10 * time.Second})
	u.Supervise(h)
	if err := u.Start(sys); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = u.Stop(context.Background())
		_ = tree.Stop(context.Background())
		sys.Shutdown()
	})
	if _, err := u.Do(t.Context(), &Request{Path: "/"}); err != nil {
		t.Fatalf("a call while healthy: %v", err)
	}
	// A keeper's panic (a bug): a health check's report for a target
	// that does not exist indexes past the targets, on the actor.
	for range 2 {
		u.root.Send(u.running(), checkMsg{target: 99, ok: true})
	}
	if got := h.Restarts(); got != 2 {
		t.Fatalf("restarts after two keeper panics = %d, want 2", got)
	}
	if !h.Down() {
		t.Fatal("past its restart intensity, the upstream is not down")
	}
	calls := srv.calls.Load()
	_, err = u.Do(t.Context(), &Request{Path: "/"})
	var e *actors.Error
	if !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable || e.RetryAfter <= 0 {
		t.Errorf("a call while down: %v, want 503 with Retry-After", err)
	}
	if srv.calls.Load() != calls {
		t.Error("a call while down reached the upstream")
	}
}
