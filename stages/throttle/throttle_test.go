package throttle_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/stages/throttle"
	"github.com/troupe-go/troupe/stagetest"
)

// At most Limit requests reach the handler at once; the others wait their
// turn in the backlog and all get through.
func TestLimit(t *testing.T) {
	const limit, clients = 3, 20
	b := newBlocker(clients)
	waiting := make(chan struct{}, clients) // room for all: the hook never waits on the test
	route := throttled(t, throttle.Config{Limit: limit, Backlog: clients}, b.spec(), func() { waiting <- struct{}{} })
	s := start(t, func(app *troupe.App) { route(app) })

	results := s.gets(clients, "/work")
	for range limit {
		<-b.entered
	}
	for range clients - limit {
		<-waiting
	}
	if got := b.holding(); got != limit {
		t.Errorf("with %d requests in: the handler holds %d, want %d", clients, got, limit)
	}
	close(b.release)
	for r := range results {
		if r.err != nil || r.status != http.StatusOK {
			t.Errorf("response %d %v, want 200", r.status, r.err)
		}
	}
	if b.peak != limit {
		t.Errorf("peak concurrency in the handler = %d, want %d", b.peak, limit)
	}
}

// With the slots taken and the backlog full, a request gets 503 with
// Retry-After at once: it is answered while the others are still held.
func TestBacklogFull(t *testing.T) {
	b := newBlocker(2)
	waiting := make(chan struct{}, 1)
	route := throttled(t, throttle.Config{Limit: 1, Backlog: 1, RetryAfter: 7 * time.Second}, b.spec(), func() { waiting <- struct{}{} })
	s := start(t, func(app *troupe.App) { route(app) })

	held := s.gets(1, "/work")
	<-b.entered
	queued := s.gets(1, "/work")
	<-waiting

	r := s.get("/work")
	if r.err != nil || r.status != http.StatusServiceUnavailable || r.retry != "7" {
		t.Errorf("over the backlog: %d, Retry-After %q, %v; want 503, 7", r.status, r.retry, r.err)
	}
	close(b.release)
	for _, ch := range []<-chan response{held, queued} {
		if r := <-ch; r.status != http.StatusOK {
			t.Errorf("held or queued request: %d %v, want 200", r.status, r.err)
		}
	}
}

// A request that waits in the backlog longer than BacklogTimeout gets 503.
func TestBacklogTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	b := newBlocker(1)
	route := throttled(t, throttle.Config{Limit: 1, Backlog: 1, BacklogTimeout: timeout}, b.spec(), nil)
	s := start(t, func(app *troupe.App) { route(app) })

	held := s.gets(1, "/work")
	<-b.entered
	r := s.get("/work")
	if r.err != nil || r.status != http.StatusServiceUnavailable || r.retry != "1" {
		t.Errorf("after waiting: %d, Retry-After %q, %v; want 503, 1", r.status, r.retry, r.err)
	}
	if r.took < timeout || r.took > timeout+2*time.Second {
		t.Errorf("the 503 came after %s, want about %s", r.took, timeout)
	}
	close(b.release)
	<-held
}

// A slot comes back when a later stage ends the exchange early: its
// after-phase runs all the same.
func TestEarlyEndReleasesTheSlot(t *testing.T) {
	tests := []struct {
		name       string
		later      actors.StageFunc
		wantStatus int
	}{
		{name: "error", later: func(*actors.Exchange) error { return actors.NewError(http.StatusForbidden, "no") }, wantStatus: http.StatusForbidden},
		{name: "response", later: func(ex *actors.Exchange) error { ex.Respond(http.StatusAccepted, "", nil); return nil }, wantStatus: http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBlocker(1)
			route := throttled(t, throttle.Config{Limit: 1}, b.spec(), nil)
			s := start(t, func(app *troupe.App) {
				route(app).With(troupe.Stage("later", actors.Business, tt.later))
			})
			for i := range 5 {
				if r := s.get("/work"); r.status != tt.wantStatus {
					t.Fatalf("request %d: %d %v, want %d (a 503 means the slot was kept)", i+1, r.status, r.err, tt.wantStatus)
				}
			}
		})
	}
}

// An exchange abandoned downstream (here at its deadline, 504) still comes
// back through the after-phase once the handler is done with it, and frees
// its slot.
func TestAbandonedExchangeReleasesTheSlot(t *testing.T) {
	b := newBlocker(2)
	route := throttled(t, throttle.Config{Limit: 1, Backlog: 1, BacklogTimeout: 5 * time.Second}, b.spec(), nil)
	s := start(t, func(app *troupe.App) { route(app).Timeout(100 * time.Millisecond) })

	if r := s.get("/work"); r.status != http.StatusGatewayTimeout {
		t.Fatalf("slow request: %d %v, want 504", r.status, r.err)
	}
	<-b.entered
	if r := s.get("/work?fast"); r.status != http.StatusOK {
		t.Errorf("next request: %d %v, want 200 (the abandoned one kept its slot)", r.status, r.err)
	}
}

func TestAfterReleasesWithTheKit(t *testing.T) {
	spec, err := throttle.New("throttle", throttle.Config{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		out := stagetest.RunSpec(t, spec, httptestGet())
		if out.Status != http.StatusOK || !out.AfterRan {
			t.Fatalf("request %d: %d, after ran %v; want 200, true", i+1, out.Status, out.AfterRan)
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		give throttle.Config
	}{
		{name: "limit only", give: throttle.Config{Limit: 4}},
		{name: "limit and backlog", give: throttle.Config{Limit: 4, Backlog: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := throttle.New("th", tt.give)
			if err != nil {
				t.Fatal(err)
			}
			// The throttle is its own limit: a cap on the stage would
			// queue requests before it could refuse them.
			if spec.Kind != actors.Stateless || spec.Priority != actors.Global || spec.Concurrency != 0 {
				t.Errorf("spec = %s %s ×%d, want stateless global, uncapped", spec.Kind, spec.Priority, spec.Concurrency)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		give throttle.Config
	}{
		{name: "no limit", give: throttle.Config{Backlog: 3}},
		{name: "negative backlog", give: throttle.Config{Limit: 1, Backlog: -1}},
		{name: "negative timeout", give: throttle.Config{Limit: 1, BacklogTimeout: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := throttle.New("th", tt.give); err == nil || !strings.Contains(err.Error(), `throttle "th"`) {
				t.Errorf("New(%+v) = %v, want an error", tt.give, err)
			}
		})
	}
}
