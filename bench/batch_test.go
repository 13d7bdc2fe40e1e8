package bench

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
)

// batchPeer is a batch-scenario peer: a server with a model.
type batchPeer interface {
	server
	ModelCounts() ModelCounts
}

// batchPeers returns the three batch peers, not started.
func batchPeers(tb testing.TB) map[string]batchPeer {
	tb.Helper()
	tr, err := NewBatchTroupe(zap.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	return map[string]batchPeer{
		"per-request":  NewBatchPerRequest(),
		"chan-batcher": NewBatchChannel(),
		"troupe":       tr,
	}
}

// TestBatchPeers checks, over loopback HTTP, that every batch peer answers
// each conformance case as it should — the load generator's item with its
// score, a body that is not JSON with 400, an item without features with
// 422 — and then 64 concurrent items each with its own score, every one of
// them scored by the model exactly once.
func TestBatchPeers(t *testing.T) {
	for name, p := range batchPeers(t) {
		t.Run(name, func(t *testing.T) {
			base := startServer(t, p)
			c := newClient(t, 64)
			for _, bc := range BatchCases {
				req, err := bc.Request(base)
				if err != nil {
					t.Fatal(err)
				}
				status, h, body, err := roundTrip(c, req.WithContext(t.Context()))
				if err != nil {
					t.Fatalf("%s: %v", bc.Name, err)
				}
				t.Logf("%s: %d %s", bc.Name, status, strings.TrimSpace(string(body)))
				if err := bc.Check(status, h, body); err != nil {
					t.Error(err)
				}
			}

			const n = 64
			before := p.ModelCounts()
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Go(func() {
					req, err := BatchCases[0].Request(base)
					if err != nil {
						errs <- err
						return
					}
					status, h, body, err := roundTrip(c, req.WithContext(t.Context()))
					if err == nil {
						err = BatchCases[0].Check(status, h, body)
					}
					if err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			after := p.ModelCounts()
			items, calls := after.Items-before.Items, after.Calls-before.Calls
			t.Logf("%d concurrent items: %d model calls", items, calls)
			if items != n || calls < 1 || calls > items {
				t.Errorf("%d concurrent requests: the model scored %d items in %d calls, want %d items in 1 to %d calls", n, items, calls, n, n)
			}
			if name == "per-request" && calls != items {
				t.Errorf("per-request: %d calls for %d items, want one call per item", calls, items)
			}
		})
	}
}

// TestBatchPeersRoute checks that the peers serve only POST BatchPath:
// the plain peers' mux answers like troupe's router.
func TestBatchPeersRoute(t *testing.T) {
	for name, p := range batchPeers(t) {
		t.Run(name, func(t *testing.T) {
			base := startServer(t, p)
			c := newClient(t, 1)
			for _, tt := range []struct {
				method, path string
				want         int
			}{
				{http.MethodGet, BatchPath, http.StatusMethodNotAllowed},
				{http.MethodPost, "/other", http.StatusNotFound},
			} {
				req, err := http.NewRequestWithContext(t.Context(), tt.method, base+tt.path, strings.NewReader(BatchBody))
				if err != nil {
					t.Fatal(err)
				}
				status, _, _, err := roundTrip(c, req)
				if err != nil {
					t.Fatal(err)
				}
				if status != tt.want {
					t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, status, tt.want)
				}
			}
		})
	}
}
