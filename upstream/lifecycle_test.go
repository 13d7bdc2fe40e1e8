package upstream

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"go.uber.org/zap"
)

// An upstream answers ErrStopped before Start and after Stop; it starts
// once and stops any number of times.
func TestLifecycle(t *testing.T) {
	srv := newUpstreamServer(t, status(200))
	u, err := New(Config{Name: "life", Targets: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Do(t.Context(), &Request{Path: "/"}); !errors.Is(err, ErrStopped) || actors.ErrorStatus(err) != 503 {
		t.Errorf("Do before Start = %v, want ErrStopped (503)", err)
	}
	sys := actors.NewSystem(zap.NewNop())
	defer sys.Shutdown()
	if err := u.Start(sys); err != nil {
		t.Fatal(err)
	}
	if err := u.Start(sys); err == nil {
		t.Error("a second Start = nil error")
	}
	if resp, err := u.Do(t.Context(), &Request{Path: "/"}); err != nil || resp.Status != 200 {
		t.Errorf("Do = %v, %v", resp, err)
	}
	for range 2 {
		if err := u.Stop(context.Background()); err != nil {
			t.Errorf("Stop = %v", err)
		}
	}
	if _, err := u.Do(t.Context(), &Request{Path: "/"}); !errors.Is(err, ErrStopped) {
		t.Errorf("Do after Stop = %v, want ErrStopped", err)
	}
	if err := u.Start(sys); err == nil {
		t.Error("Start after Stop = nil error")
	}
	if st := u.Status(); st.Name != "life" {
		t.Errorf("Status after Stop = %+v", st)
	}
}

// A request whose deadline leaves less than min_time_left gets 504 without
// a call.
func TestNoTimeLeft(t *testing.T) {
	srv := newUpstreamServer(t, status(200))
	p := proxy(t, Config{Targets: []string{srv.URL}, Retry: RetryConfig{MinTimeLeft: 50 * time.Millisecond}}, ProxyConfig{})
	if a := get(t, p, "/x", 20*time.Millisecond); a.status != http.StatusGatewayTimeout || srv.calls.Load() != 0 {
		t.Errorf("20ms left: %d with %d calls, want 504 and none", a.status, srv.calls.Load())
	}
}

// A transport that panics fails the attempt for the breaker before the
// panic goes on, so no admission is left unreported.
func TestPanickingTransport(t *testing.T) {
	ft := &fakeTransport{respond: func(*http.Request) (int, error) { panic("boom") }}
	u := start(t, Config{Targets: []string{"http://x"}, Breaker: BreakerConfig{ConsecutiveFailures: 1}}, WithTransport(ft))
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the transport's panic", r)
			}
		}()
		_, _ = u.Do(t.Context(), &Request{Path: "/"})
	}()
	if st := u.Status(); st.State != Open {
		t.Errorf("after a panicking attempt: %s, want open (a failure)", st.State)
	}
}
