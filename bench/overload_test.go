package bench

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestOverloadPeers checks each overload peer: both routes answer the
// workload's 200, and they share OverloadSlots slots. 3×OverloadSlots
// requests of 100 ms each, half to each route, sent at once, need at least
// three rounds of the slots, 300 ms; without a cap, or with one per route,
// they take one or two.
func TestOverloadPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 48 requests of 100 ms to each peer")
	}
	// Three rounds of 20 ms: short enough that the third round's wait for
	// a slot stays well within troupe's queue allowance (100 ms), so every
	// request is served; long enough that no cap would show (20 ms in all).
	const service = 20 * time.Millisecond
	peers := map[string]func(*ServiceTime) OverloadPeer{
		"troupe":        func(st *ServiceTime) OverloadPeer { return NewOverloadTroupe(st, zap.NewNop()) },
		"troupe-static": func(st *ServiceTime) OverloadPeer { return NewOverloadTroupeStatic(st, zap.NewNop()) },
		"nethttp":       func(st *ServiceTime) OverloadPeer { return NewOverloadNetHTTP(st) },
	}
	for name, newPeer := range peers {
		t.Run(name, func(t *testing.T) {
			st := NewServiceTime(time.Millisecond)
			p := newPeer(st)
			base := startServer(t, p)
			if name != "nethttp" && p.AdminAddr() == nil {
				t.Error("no admin listener")
			}
			c := newClient(t, 3*OverloadSlots)
			get := func(path string) (int, string, error) {
				req, err := http.NewRequest(http.MethodGet, base+path, nil)
				if err != nil {
					return 0, "", err
				}
				status, _, body, err := roundTrip(c, req)
				return status, string(body), err
			}
			for _, path := range []string{OverloadPath, OverloadCriticalPath} {
				if status, body, err := get(path); err != nil || status != http.StatusOK || body != OverloadBody {
					t.Fatalf("GET %s: %d %q %v, want 200 %q", path, status, body, err, OverloadBody)
				}
			}

			st.Set(service)
			var wg sync.WaitGroup
			errs := make(chan error, 3*OverloadSlots)
			start := time.Now()
			for i := range 3 * OverloadSlots {
				path := OverloadPath
				if i%2 == 1 {
					path = OverloadCriticalPath
				}
				wg.Go(func() {
					status, _, err := get(path)
					if err == nil && status != http.StatusOK {
						err = &statusError{path, status}
					}
					errs <- err
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if elapsed < 3*service {
				t.Errorf("%d requests of %s took %s: more than %d ran at once", 3*OverloadSlots, service, elapsed, OverloadSlots)
			}
		})
	}
}

type statusError struct {
	path   string
	status int
}

func (e *statusError) Error() string {
	return "GET " + e.path + ": status " + http.StatusText(e.status)
}
