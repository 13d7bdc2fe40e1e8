package upstream

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Every client goes away before the (hanging) upstream answers: the
// breaker, which would trip on a single failure, stays closed, counting
// each call as excluded, and the clients' calls are cancelled upstream.
func TestCancelledCallsAreNeutral(t *testing.T) {
	var arrived sync.Map // query → true, once the call reached the upstream
	srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
		arrived.Store(r.URL.RawQuery, true)
		select {
		case <-r.Context().Done(): // the proxy cancelled the call
		case <-time.After(10 * time.Second):
			w.WriteHeader(http.StatusOK)
		}
	})
	cfg := Config{Targets: []string{srv.URL}, Breaker: BreakerConfig{ConsecutiveFailures: 1}}
	p := proxy(t, cfg, ProxyConfig{})
	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			ex := exchange(ctx, http.MethodGet, "/slow?"+strconv.Itoa(i), nil, 5*time.Second)
			done := make(chan answer, 1)
			go func() { done <- serve(p, ex) }()
			for _, ok := arrived.Load(strconv.Itoa(i)); !ok && len(done) == 0; _, ok = arrived.Load(strconv.Itoa(i)) {
				time.Sleep(time.Millisecond)
			}
			cancel()
			if a := <-done; a.err == nil {
				t.Errorf("a cancelled call answered %d, want an error", a.status)
			}
		})
	}
	wg.Wait()
	st := p.up.Status()
	if st.State != Closed || st.Counts.TotalFailures != 0 || st.Counts.TotalExclusions != n {
		t.Errorf("after %d cancelled calls: %s, counts %+v; want closed, 0 failures, %d exclusions", n, st.State, st.Counts, n)
	}
	if got := srv.calls.Load(); got != n {
		t.Errorf("the upstream got %d calls, want %d: a cancelled call is not retried", got, n)
	}
	a := get(t, p, "/after", 300*time.Millisecond) // the breaker lets calls through
	if a.status != http.StatusGatewayTimeout {
		t.Errorf("after the cancels: %d, want 504 from the hanging upstream", a.status)
	}
	if st := p.up.Status(); st.State != Open {
		t.Errorf("after one timeout: %s, want open (a timeout is a failure)", st.State)
	}
}
