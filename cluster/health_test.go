package cluster

import (
	"errors"
	"testing"
)

// blockingChecker is a provider whose health check waits for release, as
// the automanaged provider's waits for its poll.
type blockingChecker struct {
	calls   chan struct{}
	release chan error
}

func (c blockingChecker) GetHealthStatus() error {
	c.calls <- struct{}{}
	return <-c.release
}

// A health check that blocks does not block the reader: it gets the last
// result at once, and the check's result is there for the next one.
func TestProviderHealthDoesNotWaitForTheCheck(t *testing.T) {
	c := blockingChecker{calls: make(chan struct{}, 2), release: make(chan error)}
	h := &providerHealth{check: c}
	if err := h.status(); err != nil {
		t.Fatalf("first status = %v, want nil (nothing known yet)", err)
	}
	<-c.calls
	if err := h.status(); err != nil { // the check still runs: no second one
		t.Fatalf("status while the first check runs = %v, want nil", err)
	}
	lost := errors.New("monitor: no member reached")
	c.release <- lost
	h.close() // waits for the check that ran
	if err := h.status(); !errors.Is(err, lost) {
		t.Fatalf("status after the check = %v, want %v", err, lost)
	}
	select {
	case <-c.calls:
		t.Fatal("a check ran while one was running, or after close")
	default:
	}
}
