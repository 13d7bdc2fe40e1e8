package troupe_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

// Whatever a stage does with the exchange — each exported method, then
// holding on past the deadline without looking at its context — the client
// gets 504 at the route's deadline, and once the stage lets go the
// in-flight count is back to zero.
func TestNoStageOutlivesTheDeadline(t *testing.T) {
	tests := []struct {
		name string
		use  func(ex *actors.Exchange)
	}{
		{"Context", func(ex *actors.Exchange) { _ = ex.Context() }},
		{"ClientContext", func(ex *actors.Exchange) { _ = ex.ClientContext() }},
		{"Respond", func(ex *actors.Exchange) { ex.Respond(http.StatusOK, "text/plain", []byte("early")) }},
		{"RespondStream", func(ex *actors.Exchange) {
			ex.RespondStream(http.StatusOK, "text/plain", io.NopCloser(strings.NewReader("early")))
		}},
		{"JSON", func(ex *actors.Exchange) { _ = ex.JSON(http.StatusOK, map[string]int{"n": 1}) }},
		{"Fail", func(ex *actors.Exchange) { ex.Fail(actors.NewError(http.StatusTeapot, "no")) }},
		{"Shorten to later", func(ex *actors.Exchange) { ex.Shorten(time.Now().Add(time.Hour)) }},
		{"Shorten to earlier", func(ex *actors.Exchange) { ex.Shorten(time.Now().Add(10 * time.Millisecond)) }},
		{"Deadline moved by hand", func(ex *actors.Exchange) { ex.Deadline = time.Now().Add(time.Hour) }},
		{"SetPreflight", func(ex *actors.Exchange) { ex.SetPreflight("GET") }},
		{"EnableTiming", func(ex *actors.Exchange) { ex.EnableTiming(); _ = ex.Timings() }},
		{"Expired, ClientGone, Preflight", func(ex *actors.Exchange) { _, _, _ = ex.Expired(), ex.ClientGone(), ex.Preflight() }},
	}
	const deadline = 100 * time.Millisecond
	release := make(chan struct{})
	var once sync.Once
	releaseAll := func() { once.Do(func() { close(release) }) }
	t.Cleanup(releaseAll)
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		for _, tt := range tests {
			use := tt.use
			app.Handle("GET", "/"+strings.ReplaceAll(tt.name, " ", "-"), troupe.Handler(tt.name, func(ex *actors.Exchange) error {
				use(ex)
				<-release // ignores its context: holds on until the test lets go
				return nil
			})).Timeout(deadline)
		}
	})
	var wg sync.WaitGroup
	for _, tt := range tests {
		wg.Go(func() {
			r, err := s.try(t.Context(), "GET", "/"+strings.ReplaceAll(tt.name, " ", "-"), "")
			switch {
			case err != nil:
				t.Errorf("%s: %v", tt.name, err)
			case r.status != http.StatusGatewayTimeout:
				t.Errorf("%s: status %d, want 504", tt.name, r.status)
			// At the deadline, not when the stage lets go (never, until the
			// test ends): a second is far from both on a loaded machine.
			case r.took > deadline+time.Second:
				t.Errorf("%s: 504 after %s, want it at the %s deadline", tt.name, r.took, deadline)
			}
		})
	}
	wg.Wait()
	releaseAll()
	inFlight := func() string {
		for line := range strings.Lines(s.adminGet(t, "/metrics").body) {
			if strings.HasPrefix(line, "troupe_requests_in_flight ") {
				return strings.TrimSpace(line)
			}
		}
		return ""
	}
	waitFor(t, "the in-flight count to return to zero", func() bool { return inFlight() == "troupe_requests_in_flight 0" })
}
