package troupe

import (
	"fmt"
	"net/http"
	"sync"
)

// adminTable holds the handlers of the routes added with AdminHandle, so
// that an Update can replace them: each pattern is registered on the admin
// mux once, with a handler that looks up the pattern's current one. A
// pattern an Update drops answers 404.
type adminTable struct {
	mu       sync.RWMutex
	handlers map[string]http.Handler // by pattern; nil: dropped
	muxes    []*http.ServeMux        // the admin muxes made so far
}

// mount registers routes on mux, and mux for the patterns of later
// Updates.
func (t *adminTable) mount(mux *http.ServeMux, routes []adminRoute) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.handlers == nil {
		t.handlers = map[string]http.Handler{}
	}
	for _, r := range routes {
		t.handlers[r.pattern] = r.handler
	}
	for pattern := range t.handlers {
		mux.Handle(pattern, t.dispatch(pattern))
	}
	t.muxes = append(t.muxes, mux)
}

// dispatch returns the handler registered for pattern: it serves with the
// pattern's current handler.
func (t *adminTable) dispatch(pattern string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.RLock()
		h := t.handlers[pattern]
		t.mu.RUnlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// setAdmin makes routes the app's admin routes: their handlers replace
// those of the same patterns, new patterns are registered on the admin
// muxes, and patterns left out answer 404.
func (l *live) setAdmin(a *App, routes []adminRoute) {
	t := &l.admin
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.handlers == nil {
		t.handlers = map[string]http.Handler{}
	}
	for p := range t.handlers {
		t.handlers[p] = nil
	}
	for _, r := range routes {
		_, known := t.handlers[r.pattern]
		t.handlers[r.pattern] = r.handler
		if known {
			continue
		}
		for _, mux := range t.muxes {
			if err := register(mux, r.pattern, t.dispatch(r.pattern)); err != nil {
				a.log.Error(err.Error())
			}
		}
	}
}

// register adds a route to mux, turning ServeMux's panic on a pattern that
// conflicts with another into an error.
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("troupe: admin route %q: %v", pattern, r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}
