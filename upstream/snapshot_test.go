package upstream

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// LiveUpstream follows the breaker: closed with its counts, then open with
// the time it stays open (the bubble's clock makes it exact), then
// half-open; Bulkhead is the limiter the calls went through.
func TestLiveUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(t, BreakerConfig{ConsecutiveFailures: 3, OpenTimeout: 10 * time.Second})
		u := s.p.Upstream()
		s.answer(http.StatusServiceUnavailable, false)
		s.get(503, "")
		s.get(503, "")
		lu := u.LiveUpstream()
		if lu.Name != "test" || lu.State != "closed" || lu.OpenForMS != 0 || lu.Requests != 2 || lu.ConsecutiveFailures != 2 || lu.TotalFailures != 2 {
			t.Errorf("after two failures: %+v, want closed, 2 requests failed in a row", lu)
		}
		if len(lu.Targets) != 1 || lu.Targets[0].URL != "http://upstream.test" || !lu.Targets[0].Healthy {
			t.Errorf("targets = %+v, want the one target, healthy", lu.Targets)
		}
		s.get(503, "") // the third trips it
		time.Sleep(4 * time.Second)
		if lu := u.LiveUpstream(); lu.State != "open" || lu.OpenForMS != 6000 {
			t.Errorf("4 s after opening: %+v, want open for 6000 ms more", lu)
		}
		time.Sleep(6*time.Second + time.Nanosecond)
		if lu := u.LiveUpstream(); lu.State != "half_open" || lu.OpenForMS != 0 {
			t.Errorf("after the open timeout: %+v, want half_open", lu)
		}
		if st := u.Bulkhead().Stats(); st.InFlight != 0 || st.Admitted[0]+st.Admitted[1]+st.Admitted[2] != 3 {
			t.Errorf("bulkhead stats = %+v, want 3 admitted, none in flight", st)
		}
	})
}
