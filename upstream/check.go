package upstream

import (
	"context"
	"io"
	"net/http"
	"time"
)

// checkLoop runs the active health checks until the upstream stops: every
// Health.Interval, "GET Health.Path" on each target, the result sent to
// the actor. Start runs it on a goroutine of the upstream's; Stop waits
// for it.
func (u *Upstream) checkLoop() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u.checks.Go(func() { // ends the check in progress when the upstream stops
		select {
		case <-u.stopped:
			cancel()
		case <-ctx.Done():
		}
	})
	tick := time.NewTicker(u.cfg.Health.Interval)
	defer tick.Stop()
	for {
		for i := range u.targets {
			ok := u.check(ctx, i)
			if ctx.Err() != nil {
				return
			}
			u.root.Send(u.pid.Load(), checkMsg{target: i, ok: ok})
		}
		select {
		case <-tick.C:
		case <-u.stopped:
			return
		}
	}
}

// check sends one health check to target i: healthy on a 2xx within
// Health.Timeout.
func (u *Upstream) check(ctx context.Context, i int) bool {
	ctx, cancel := context.WithTimeout(ctx, u.cfg.Health.Timeout)
	defer cancel()
	base := u.targets[i]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "", nil)
	if err != nil {
		return false
	}
	req.URL = targetURL(base, u.cfg.Health.Path, u.cfg.Health.Path, "")
	req.Host = base.Host
	resp, err := u.transport.RoundTrip(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}
