package troupe

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/supervisor"
)

// Component is something an app runs beside its stages — a batcher, an
// upstream's circuit breaker — whose actors live in the app's actor system
// and must outlive every request that uses them.
//
// The app starts its components, in the order they were added, once the
// stage actors are up and before it serves; it stops them in reverse
// order after the listener has drained (so every accepted request has been
// answered, whatever component it waited on) and before the stage actors
// stop. A component that also implements prometheus.Collector is
// registered on the app's /metrics.
type Component interface {
	// Start spawns the component's actors in sys.
	Start(sys *actors.System) error
	// Stop flushes and stops them, waiting at most until ctx ends.
	Stop(ctx context.Context) error
}

// Supervised is a Component whose failures the app's supervision tree
// counts, as it counts a stage's: before Start, the app registers it under
// "component NAME" with the restart policy of that name (Config.Policies,
// or the default) and hands it the Health to report to. Its restarts and
// whether it is down are then on /metrics, and /readyz lists it while it is
// down (unreadiness only if the policy is Critical). batching.Batcher and
// upstream.Upstream are.
type Supervised interface {
	Component
	Name() string
	Supervise(h *supervisor.Health)
}

// Drainer is a Component that holds work for later (a batcher waiting to
// fill a batch). When the app starts shutting down, before the listener
// drains, it calls Drain: from then on the component must not hold
// accepted work back, so that the requests waiting on it are answered and
// the drain can finish. It still takes new work until Stop.
type Drainer interface {
	Drain()
}

// drainComponents tells every component that holds work back to stop
// holding it.
func (a *App) drainComponents() {
	for _, c := range a.components {
		if d, ok := c.(Drainer); ok {
			d.Drain()
		}
	}
}

// Add adds components to the app. Call it before Start or Handler.
func (a *App) Add(cs ...Component) { a.components = append(a.components, cs...) }

// startComponents starts the components and registers their metrics; on
// error it stops those already started.
func (a *App) startComponents() error {
	for i, c := range a.components {
		if s, ok := c.(Supervised); ok {
			name := "component " + s.Name()
			s.Supervise(a.tree.Stage(name, a.policy(name)))
		}
		if err := c.Start(a.sys); err != nil {
			_ = a.stopComponents(context.Background(), a.components[:i])
			return fmt.Errorf("troupe: starting component %d (%T): %w", i, c, err)
		}
		if col, ok := c.(prometheus.Collector); ok {
			if err := a.metrics.Registry().Register(col); err != nil {
				_ = a.stopComponents(context.Background(), a.components[:i+1])
				return fmt.Errorf("troupe: metrics of component %d (%T): %w", i, c, err)
			}
		}
	}
	return nil
}

// stopComponents stops cs in reverse order.
func (a *App) stopComponents(ctx context.Context, cs []Component) error {
	var errs []error
	for i := len(cs) - 1; i >= 0; i-- {
		if err := cs[i].Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("troupe: stopping component %T: %w", cs[i], err))
		}
	}
	return errors.Join(errs...)
}
