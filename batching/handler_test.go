package batching_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"go.uber.org/zap"
)

var _ troupe.Component = (*batching.Batcher[int, int])(nil)

// num is the item and the result of the HTTP tests.
type num struct {
	N int `json:"n"`
}

// app is a troupe app serving on loopback, and a client for it.
type app struct {
	*troupe.App
	url, admin string
	client     *http.Client
}

// serve starts an app on 127.0.0.1 declared by declare, and shuts it down
// when the test ends.
func serve(t *testing.T, declare func(a *troupe.App)) *app {
	t.Helper()
	cfg := troupe.Config{}
	cfg.HTTP.Addr, cfg.Admin.Addr = "127.0.0.1:0", "127.0.0.1:0"
	a := troupe.New(cfg, troupe.WithLogger(zap.NewNop()))
	declare(a)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return &app{App: a, url: "http://" + a.Addr().String(), admin: "http://" + a.AdminAddr().String(), client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// reply is what a request got.
type reply struct {
	status int
	header http.Header
	body   string
}

func (a *app) post(t *testing.T, path, body string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, a.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := a.client.Do(req)
	if err != nil {
		t.Error(err)
		return reply{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}
}

// doubler is a backend that doubles numbers, takes wait per call, and
// records the batches it saw.
type doubler struct {
	wait    time.Duration
	mu      sync.Mutex
	batches [][]string // the keys of each batch's items
}

func (d *doubler) fn(ctx context.Context, items []batching.Item[num]) ([]batching.Result[num], error) {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	d.mu.Lock()
	d.batches = append(d.batches, keys)
	d.mu.Unlock()
	select {
	case <-time.After(d.wait):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	rs := make([]batching.Result[num], len(items))
	for i, it := range items {
		if it.Value.N < 0 {
			rs[i].Err = actors.Errorf(http.StatusUnprocessableEntity, "n must not be negative, got %d", it.Value.N)
			continue
		}
		rs[i].Value = num{N: 2 * it.Value.N}
	}
	return rs, nil
}

func newDoubler(t *testing.T, cfg batching.Config, wait time.Duration) (*doubler, *batching.Batcher[num, num]) {
	t.Helper()
	d := &doubler{wait: wait}
	b, err := batching.New(cfg, d.fn)
	if err != nil {
		t.Fatal(err)
	}
	return d, b
}

// Concurrent requests are answered each with its own result, from fewer
// backend calls than requests; a request's key keeps it apart from other
// keys' items.
func TestHandlerOverHTTP(t *testing.T) {
	d, b := newDoubler(t, batching.Config{Name: "double", MaxBatchSize: 8, MaxInFlight: 1}, 5*time.Millisecond)
	a := serve(t, func(a *troupe.App) {
		a.Add(b)
		a.Handle("POST", "/double", batching.Handler("POST /double", b, batching.HandlerConfig[num, num]{
			Key: func(ex *actors.Exchange) string { return ex.Request.Header.Get("X-Tenant") },
		}))
	})
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tenant := fmt.Sprint("t", i%2)
			r := a.post(t, "/double", fmt.Sprintf(`{"n":%d}`, i), "X-Tenant", tenant)
			var got num
			if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &got) != nil || got.N != 2*i {
				t.Errorf("n=%d: %d %s, want 200 {\"n\":%d}", i, r.status, r.body, 2*i)
			}
		})
	}
	wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.batches) >= n {
		t.Errorf("%d backend calls for %d requests: no batching", len(d.batches), n)
	}
	for _, keys := range d.batches {
		for _, k := range keys {
			if k != keys[0] {
				t.Fatalf("a batch mixes keys: %v", keys)
			}
		}
	}
}

// Bad bodies get 400, per-item errors their own status, both as
// problem+json.
func TestHandlerErrors(t *testing.T) {
	_, b := newDoubler(t, batching.Config{Name: "double"}, 0)
	a := serve(t, func(a *troupe.App) {
		a.Add(b)
		a.Handle("POST", "/double", batching.Handler("POST /double", b, batching.HandlerConfig[num, num]{}))
	})
	tests := []struct {
		name, give string
		want       int
	}{
		{name: "not json", give: `{"n":`, want: http.StatusBadRequest},
		{name: "wrong type", give: `{"n":"x"}`, want: http.StatusBadRequest},
		{name: "empty", give: ``, want: http.StatusBadRequest},
		{name: "item error", give: `{"n":-1}`, want: http.StatusUnprocessableEntity},
		{name: "fine", give: `{"n":21}`, want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.post(t, "/double", tt.give)
			if r.status != tt.want {
				t.Errorf("POST %q = %d %s, want %d", tt.give, r.status, r.body, tt.want)
			}
			if tt.want != http.StatusOK && r.header.Get("Content-Type") != actors.ProblemContentType {
				t.Errorf("POST %q: Content-Type %q, want problem+json", tt.give, r.header.Get("Content-Type"))
			}
		})
	}
}

// Past the queue bound, a request is refused at once with the configured
// status and Retry-After; a request whose deadline passes while it waits
// gets 504.
func TestHandlerRejectsAndTimesOut(t *testing.T) {
	release := make(chan struct{})
	b, err := batching.New(batching.Config{Name: "slow", MaxQueue: 1, MaxInFlight: 1, RejectStatus: http.StatusTooManyRequests, RetryAfter: 2 * time.Second},
		func(ctx context.Context, items []batching.Item[num]) ([]batching.Result[num], error) {
			select {
			case <-release:
				return make([]batching.Result[num], len(items)), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	a := serve(t, func(a *troupe.App) {
		a.Add(b)
		a.Handle("POST", "/slow", batching.Handler("POST /slow", b, batching.HandlerConfig[num, num]{})).Timeout(time.Second)
	})
	defer close(release)
	inFlight, queued := make(chan reply, 1), make(chan reply, 1)
	go func() { inFlight <- a.post(t, "/slow", `{"n":1}`) }()
	waitFor(t, func() bool { return metricOf(t, a, `troupe_batch_in_flight{batcher="slow"} 1`) })
	go func() { queued <- a.post(t, "/slow", `{"n":2}`) }()
	waitFor(t, func() bool { return metricOf(t, a, `troupe_batch_queue_items{batcher="slow"} 1`) })
	begin := time.Now()
	r := a.post(t, "/slow", `{"n":3}`)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "2" {
		t.Errorf("past the queue: %d Retry-After %q, want 429 and 2", r.status, r.header.Get("Retry-After"))
	}
	// A refusal that queued would wait for the release, at the test's end.
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("the rejection took %v", took)
	}
	for _, ch := range []chan reply{inFlight, queued} {
		if r := <-ch; r.status != http.StatusGatewayTimeout {
			t.Errorf("a request past its deadline: %d %s, want 504", r.status, r.body)
		}
	}
	if !metricOf(t, a, `troupe_batch_rejections_total{batcher="slow",reason="queue_full"} 1`) {
		t.Error("/metrics does not count the rejection")
	}
}

// Shutting the app down answers every request the batcher holds: the
// listener drains first, and the batcher flushes.
func TestHandlerShutdownAnswersAll(t *testing.T) {
	// A minute's MaxDelay: no flush but the shutdown's can answer them, so
	// the queue holds all n however slowly a loaded machine sends them.
	_, b := newDoubler(t, batching.Config{Name: "double", MaxBatchSize: 64, MaxDelay: time.Minute, EagerInFlight: -1, DisableFairShare: true}, time.Millisecond)
	a := serve(t, func(a *troupe.App) {
		a.Add(b)
		a.Handle("POST", "/double", batching.Handler("POST /double", b, batching.HandlerConfig[num, num]{}))
	})
	const n = 10
	replies := make(chan reply, n) // one per request: no sender waits
	for i := range n {
		go func() { replies <- a.post(t, "/double", fmt.Sprintf(`{"n":%d}`, i)) }()
	}
	waitFor(t, func() bool { return metricOf(t, a, fmt.Sprintf(`troupe_batch_queue_items{batcher="double"} %d`, n)) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for range n {
		if r := <-replies; r.status != http.StatusOK {
			t.Errorf("during shutdown: %d %s, want 200", r.status, r.body)
		}
	}
	if _, err := b.Submit(t.Context(), num{N: 1}); !errors.Is(err, batching.ErrStopped) {
		t.Errorf("Submit after shutdown = %v, want ErrStopped", err)
	}
}

// metricOf reports whether the app's /metrics has the line want.
func metricOf(t *testing.T, a *app, want string) bool {
	t.Helper()
	res, err := a.client.Get(a.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if line == want {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds, for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// A client that goes away while its item waits takes the item out of the
// queue at once: it is dropped, never sent, and frees its queue place.
func TestHandlerClientGoneLeavesTheQueue(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var seen []int
	b, err := batching.New(batching.Config{Name: "gone", MaxInFlight: 1},
		func(ctx context.Context, items []batching.Item[num]) ([]batching.Result[num], error) {
			mu.Lock()
			for _, it := range items {
				seen = append(seen, it.Value.N)
			}
			mu.Unlock()
			<-release
			out := make([]batching.Result[num], len(items))
			for i, it := range items {
				out[i].Value = it.Value
			}
			return out, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	a := serve(t, func(a *troupe.App) {
		a.Add(b)
		a.Handle("POST", "/gone", batching.Handler("POST /gone", b, batching.HandlerConfig[num, num]{}))
	})
	inFlight := make(chan reply, 1)
	go func() { inFlight <- a.post(t, "/gone", `{"n":1}`) }()
	waitFor(t, func() bool { return metricOf(t, a, `troupe_batch_in_flight{batcher="gone"} 1`) })

	ctx, cancel := context.WithCancel(t.Context())
	left := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.url+"/gone", strings.NewReader(`{"n":2}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := a.client.Do(req)
		if err == nil {
			res.Body.Close()
		}
		left <- err
	}()
	waitFor(t, func() bool { return metricOf(t, a, `troupe_batch_queue_items{batcher="gone"} 1`) })
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Errorf("the leaving client's request = %v, want context.Canceled", err)
	}
	waitFor(t, func() bool {
		return metricOf(t, a, `troupe_batch_dropped_total{batcher="gone",reason="canceled"} 1`) &&
			metricOf(t, a, `troupe_batch_queue_items{batcher="gone"} 0`)
	})
	close(release)
	if r := <-inFlight; r.status != http.StatusOK {
		t.Errorf("the waiting request: %d %s, want 200", r.status, r.body)
	}
	if r := a.post(t, "/gone", `{"n":3}`); r.status != http.StatusOK || !strings.Contains(r.body, `"n":3`) {
		t.Errorf("a request after: %d %s, want 200 with n 3", r.status, r.body)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, []int{1, 3}) {
		t.Errorf("the batch function saw %v, want [1 3]: the gone item never sent", seen)
	}
}
