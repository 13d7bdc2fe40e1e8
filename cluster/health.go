package cluster

import "sync"

// providerHealth is a provider's health status as last checked, checked
// again off the caller's path. Proto.Actor's automanaged provider holds
// the lock that GetHealthStatus takes for its whole poll of the members,
// its 2 s pause included: called from /metrics or /readyz, it made each
// wait up to 2 s. It is safe for concurrent use.
type providerHealth struct {
	check healthChecker

	mu     sync.Mutex
	last   error         // the last check's result; nil before the first
	done   chan struct{} // non-nil while a check runs; closed when it ends
	closed bool
}

// status returns the last check's result, and starts a check unless one
// runs or the health was closed.
func (h *providerHealth) status() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done == nil && !h.closed {
		done := make(chan struct{})
		h.done = done
		go func() {
			defer close(done)
			err := h.check.GetHealthStatus()
			h.mu.Lock()
			defer h.mu.Unlock()
			h.last, h.done = err, nil
		}()
	}
	return h.last
}

// close starts no more checks and waits for the one running, if any.
func (h *providerHealth) close() {
	h.mu.Lock()
	h.closed = true
	done := h.done
	h.mu.Unlock()
	if done != nil {
		<-done
	}
}
