package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/ratelimit"
	"github.com/troupe-go/troupe/stagetest"
)

// clock is a fake clock: time stands still until the test moves it.
type clock struct{ t time.Time }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// instance returns one actor's stage of a rate limit configured by cfg,
// on clock c, and its spec.
func instance(t *testing.T, cfg ratelimit.Config, c *clock) (actors.Stage, *actors.Spec) {
	t.Helper()
	cfg.Now = c.now
	spec, err := ratelimit.New("rate-limit", cfg)
	if err != nil {
		t.Fatalf("New(%+v) = %v", cfg, err)
	}
	return spec.New(), spec
}

// get is a GET / from peer with header pairs.
func get(peer string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = peer
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

// run runs st on r with the test kit.
func run(t *testing.T, st actors.Stage, r *http.Request, opts ...stagetest.Option) stagetest.Outcome {
	t.Helper()
	return stagetest.Run(t, st, r, opts...)
}
