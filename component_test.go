package troupe_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
)

// recordingComponent notes its lifecycle in a shared journal and exports a
// counter.
type recordingComponent struct {
	name    string
	journal *journal
	failAt  string
	prometheus.Counter
}

type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, s)
}

func (j *journal) all() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.entries)
}

func (c *recordingComponent) Start(sys *actors.System) error {
	if sys == nil {
		return errors.New("no actor system")
	}
	if c.failAt == "start" {
		return errors.New("refused to start")
	}
	c.journal.add("start " + c.name)
	return nil
}

func (c *recordingComponent) Stop(context.Context) error {
	c.journal.add("stop " + c.name)
	return nil
}

func newComponent(name string, j *journal) *recordingComponent {
	return &recordingComponent{name: name, journal: j, Counter: prometheus.NewCounter(prometheus.CounterOpts{Name: "test_component_" + name + "_total", Help: "test"})}
}

// Components start in order before the app serves, stop in reverse order
// after it drained, once, and their metrics are on /metrics.
func TestComponentsLifecycle(t *testing.T) {
	j := &journal{}
	a, b := newComponent("a", j), newComponent("b", j)
	s := start(t, troupe.Config{}, func(app *troupe.App) {
		app.Add(a, b)
		app.Handle("GET", "/x", troupe.Handler("x", func(ex *actors.Exchange) error {
			j.add("request")
			a.Inc()
			ex.Respond(http.StatusOK, "", nil)
			return nil
		}))
	})
	s.do(t, "GET", "/x", "")
	if m := s.adminGet(t, "/metrics").body; !strings.Contains(m, "test_component_a_total 1") {
		t.Error("/metrics lacks the component's counter")
	}
	if err := s.app.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = s.app.Shutdown(context.Background())
	if got, want := j.all(), []string{"start a", "start b", "request", "stop b", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("lifecycle = %v, want %v", got, want)
	}
}

// A component that fails to start fails the build, and those started
// before it are stopped.
func TestComponentStartFailure(t *testing.T) {
	j := &journal{}
	bad := newComponent("bad", j)
	bad.failAt = "start"
	app := troupe.New(troupe.Config{}, troupe.WithLogger(nopLogger()))
	app.Add(newComponent("ok", j), bad)
	app.Handle("GET", "/x", echoRoute("x"))
	if _, err := app.Handler(); err == nil || !strings.Contains(err.Error(), "refused to start") {
		t.Fatalf("Handler() = %v, want the component's error", err)
	}
	if got, want := j.all(), []string{"start ok", "stop ok"}; !slices.Equal(got, want) {
		t.Errorf("lifecycle = %v, want %v", got, want)
	}
}
