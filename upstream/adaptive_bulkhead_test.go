package upstream

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// An upstream that slows down past its unloaded service time gets fewer
// calls at once: the adaptive bulkhead's limit comes down from
// MaxConcurrent. With adaptive: false it stays.
func TestAdaptiveBulkheadFollowsASlowUpstream(t *testing.T) {
	for _, adaptive := range []bool{true, false} {
		var slow atomic.Bool
		srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
			d := 2 * time.Millisecond
			if slow.Load() {
				// 100× slower: far past the limit's tolerance even when a
				// loaded machine (and -race) adds tens of milliseconds to
				// the fast calls' measured time.
				d = 200 * time.Millisecond
			}
			time.Sleep(d)
			_, _ = w.Write([]byte("ok"))
		})
		p := proxy(t, Config{Targets: []string{srv.URL}, Breaker: BreakerConfig{Disabled: true},
			Bulkhead: BulkheadConfig{MaxConcurrent: 64, Adaptive: &adaptive}}, ProxyConfig{})
		b := p.up.bulkhead
		// 16 callers, one request after another each: first the fast
		// upstream, then, once measured, the slow one.
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 16 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					get(t, p, "/x", 5*time.Second)
				}
			})
		}
		waitFor(t, "the unloaded service time", func() bool { return b.l.Stats().MinRTT > 0 })
		slow.Store(true)
		// Watched for up to 4 s when adaptive (it falls within about a
		// second: windows of 100 ms, and Little's law's cut at once), and
		// for 1 s when not, where nothing may move it.
		watch := 4 * time.Second
		if !adaptive {
			watch = time.Second
		}
		fell := false
		for deadline := time.Now().Add(watch); time.Now().Before(deadline) && !fell; time.Sleep(10 * time.Millisecond) {
			fell = b.limit() < 64
		}
		close(stop)
		wg.Wait()
		if fell != adaptive {
			t.Errorf("adaptive %v: the limit fell below 64: %v (now %d)", adaptive, fell, b.limit())
		}
	}
}
