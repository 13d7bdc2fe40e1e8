package live

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// counting is a Source whose snapshots count the calls, and which reports
// the server stopped once stop is set.
type counting struct {
	calls atomic.Int64
	stop  atomic.Bool
}

func (c *counting) source() (Snapshot, bool) {
	n := c.calls.Add(1)
	return Snapshot{Server: Server{InFlight: n, MaxInFlight: 1024}, Hops: []Hop{}, Routes: []Route{}}, !c.stop.Load()
}

func newMux(src Source) (*http.ServeMux, *Handler) {
	mux := http.NewServeMux()
	h := New(src)
	h.Mount(mux)
	return mux, h
}

func serve(mux http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

// GET /api/state answers the Source's snapshot as JSON, fresh each time.
func TestState(t *testing.T) {
	var c counting
	mux, _ := newMux(c.source)
	for want := int64(1); want <= 2; want++ {
		w := serve(mux, http.MethodGet, "/api/state")
		if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("GET /api/state = %d %q, want 200 application/json", w.Code, w.Header().Get("Content-Type"))
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		var got Snapshot
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("body %s: %v", w.Body, err)
		}
		if got.Server.InFlight != want || got.Server.MaxInFlight != 1024 {
			t.Errorf("call %d: server = %+v, want in_flight %d of 1024", want, got.Server, want)
		}
	}
	if w := serve(mux, http.MethodHead, "/api/state"); w.Code != http.StatusOK {
		t.Errorf("HEAD /api/state = %d, want 200", w.Code)
	}
}

// The JSON field names are the documented ones (README's admin section).
func TestStateFieldNames(t *testing.T) {
	at := time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC)
	snap := Snapshot{
		Time:      at,
		Hops:      []Hop{{Name: "a+b", Kind: "stateless", Actors: []string{"x"}, Stages: []Stage{{Name: "a", Up: true, LastFailure: "boom", LastFailureAt: &at}}}},
		Routes:    []Route{{Method: "GET", Pattern: "/x", Hops: []string{"a+b"}, Stages: []string{"a", "b"}, Criticality: "default"}},
		Batchers:  []Batcher{{Name: "b", Sizes: []Bucket{{LE: 1, Count: 2}}, Flushes: map[string]uint64{"size": 1}}},
		Upstreams: []Upstream{{Name: "u", State: "open", OpenForMS: 1500, Targets: []Target{{URL: "http://t", Healthy: true}}}},
		Limiters:  []Limiter{{Name: "ingress", Limit: 10}},
		Jobs: Jobs{
			Queues:    []JobQueue{{Name: "mail", Queued: 1, Running: 2, Succeeded: 3, Dead: 4, Cancelled: 5, Concurrency: 6, InUse: 2}},
			Dead:      []DeadJob{{ID: 7, Queue: "mail", Attempts: 3, LastError: "boom", DiedAt: at, Replay: "/jobs/7/replay"}},
			DeadShown: 50,
		},
	}
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		`"time":"2026-12-05T18:00:00Z"`, `"server":{"ready":false`, `"max_in_flight":0`,
		`"hops":[{"name":"a+b","kind":"stateless","actors":["x"],"mailbox":0,"stages":[`,
		`"restarts":0,"up":true,"critical":false,"reopens_in_ms":0,"closures":0,"last_failure":"boom","last_failure_at":"2026-12-05T18:00:00Z"`,
		`"routes":[{"method":"GET","pattern":"/x","hops":["a+b"],"stages":["a","b"],"criticality":"default"}]`,
		`"sizes":[{"le":1,"count":2}],"flushes":{"size":1}`,
		`"state":"open","open_for_ms":1500`, `"targets":[{"url":"http://t","healthy":true,"in_flight":0}]`,
		`"limiters":[{"name":"ingress","limit":10,"in_flight":0,"queued":0,"standing":false,"min_rtt_ms":0,"rtt_ms":0,"admitted":0,"rejected":0}]`,
		`"jobs":{"queues":[{"name":"mail","queued":1,"running":2,"succeeded":3,"dead":4,"cancelled":5,"concurrency":6,"in_use":2}]`,
		`"dead":[{"id":7,"queue":"mail","attempts":3,"last_error":"boom","died_at":"2026-12-05T18:00:00Z","replay":"/jobs/7/replay"}],"dead_shown":50}`,
	} {
		if !strings.Contains(string(b), key) {
			t.Errorf("the JSON lacks %s:\n%s", key, b)
		}
	}
}

// Errors under /api/ are problem documents: 404 for an unknown path, 405
// with Allow for a wrong method; the page refuses a POST the same way.
func TestAPIErrors(t *testing.T) {
	var c counting
	mux, _ := newMux(c.source)
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/api/nope", http.StatusNotFound, ""},
		{http.MethodGet, "/api/", http.StatusNotFound, ""},
		{http.MethodGet, "/api/state/more", http.StatusNotFound, ""},
		{http.MethodPost, "/api/state", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodDelete, "/api/state", http.StatusMethodNotAllowed, "GET, HEAD"},
		{http.MethodPost, "/api/events", http.StatusMethodNotAllowed, "GET"},
		{http.MethodHead, "/api/events", http.StatusMethodNotAllowed, "GET"},
		{http.MethodPost, "/", http.StatusMethodNotAllowed, "GET, HEAD"},
	} {
		w := serve(mux, tc.method, tc.path)
		if w.Code != tc.status || w.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s = %d Allow %q, want %d Allow %q", tc.method, tc.path, w.Code, w.Header().Get("Allow"), tc.status, tc.allow)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s %s: Content-Type %q, want application/problem+json", tc.method, tc.path, ct)
		}
		var p struct {
			Status   int    `json:"status"`
			Detail   string `json:"detail"`
			Instance string `json:"instance"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != tc.status || p.Detail == "" || p.Instance != tc.path {
			t.Errorf("%s %s: problem %s (%v), want status %d, a detail and instance %s", tc.method, tc.path, w.Body, err, tc.status, tc.path)
		}
	}
	if n := c.calls.Load(); n != 0 {
		t.Errorf("the refused requests took %d snapshots, want 0", n)
	}
}

// GET / is the page; its stylesheet and script are served beside it, and
// it loads nothing from elsewhere.
func TestPage(t *testing.T) {
	var c counting
	mux, _ := newMux(c.source)
	w := serve(mux, http.MethodGet, "/")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q, want 200 text/html", w.Code, w.Header().Get("Content-Type"))
	}
	page := w.Body.String()
	for _, want := range []string{`<script src="/assets/live.js"`, `<link rel="stylesheet" href="/assets/live.css">`, `id="tree"`, `id="routes"`, `id="batchers"`, `id="upstreams"`, `id="limits"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Errorf("the page refers to another origin:\n%s", page)
	}
	if csp := w.Header().Get("Content-Security-Policy"); csp != "default-src 'self'" {
		t.Errorf("Content-Security-Policy = %q, want default-src 'self'", csp)
	}
	for path, ctype := range map[string]string{"/assets/live.js": "text/javascript", "/assets/live.css": "text/css"} {
		w := serve(mux, http.MethodGet, path)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), ctype) || w.Body.Len() == 0 {
			t.Errorf("GET %s = %d %q (%d bytes), want 200 %s", path, w.Code, w.Header().Get("Content-Type"), w.Body.Len(), ctype)
		}
	}
	if c.calls.Load() != 0 {
		t.Error("serving the page took a snapshot; only the API should")
	}
	// Stage names and panic values are arbitrary text: the script puts
	// text into the page only as text, never as markup.
	script := serve(mux, http.MethodGet, "/assets/live.js").Body.String()
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
		if strings.Contains(script, sink) {
			t.Errorf("live.js uses %s", sink)
		}
	}
}

// flushRecorder is a ResponseWriter for a stream: what was flushed, under
// a lock (the handler writes on its goroutine, the test reads on its own).
type flushRecorder struct {
	header http.Header
	mu     sync.Mutex
	buf    strings.Builder
	events int
}

func (f *flushRecorder) Header() http.Header { return f.header }
func (f *flushRecorder) WriteHeader(int)     {}
func (f *flushRecorder) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events += strings.Count(string(p), "event: state\n")
	return f.buf.Write(p)
}
func (f *flushRecorder) Flush() {}

func (f *flushRecorder) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events
}

// stream runs GET /api/events on a goroutine of the bubble; done closes
// when the handler returns.
func stream(ctx context.Context, mux http.Handler) (w *flushRecorder, done chan struct{}) {
	w = &flushRecorder{header: http.Header{}}
	done = make(chan struct{})
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/events", nil)
	go func() {
		defer close(done)
		mux.ServeHTTP(w, req)
	}()
	return w, done
}

func returned(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// The stream sends a snapshot at once, then one every Interval, and
// returns as soon as its client leaves (in a bubble: the fake clock makes
// "every second" exact, and Wait proves the handler has nothing left
// to do).
func TestEventsEverySecondUntilClientLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c counting
		mux, _ := newMux(c.source)
		ctx, cancel := context.WithCancel(t.Context())
		w, done := stream(ctx, mux)
		synctest.Wait()
		if n := w.count(); n != 1 {
			t.Fatalf("at once: %d events, want 1", n)
		}
		if ct := w.header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("Content-Type = %q, want text/event-stream", ct)
		}
		time.Sleep(Interval - time.Nanosecond) // the bubble's clock
		synctest.Wait()
		if n := w.count(); n != 1 {
			t.Fatalf("just before a second: %d events, want 1", n)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if n := w.count(); n != 2 {
			t.Fatalf("after a second: %d events, want 2", n)
		}
		time.Sleep(3 * Interval)
		synctest.Wait()
		if n := w.count(); n != 5 {
			t.Fatalf("after four seconds: %d events, want 5", n)
		}
		cancel()
		synctest.Wait()
		if !returned(done) {
			t.Fatal("the stream goes on after its client left")
		}
		w.mu.Lock()
		body := w.buf.String()
		w.mu.Unlock()
		if !strings.HasPrefix(body, "retry: 1000\n\nevent: state\ndata: {") {
			t.Errorf("the stream starts %q", body[:min(len(body), 60)])
		}
		calls := c.calls.Load()
		time.Sleep(10 * Interval)
		if c.calls.Load() != calls {
			t.Error("snapshots are still taken after the client left")
		}
	})
}

// The stream ends when the Source reports that the server stopped.
func TestEventsEndWhenServerStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c counting
		mux, _ := newMux(c.source)
		w, done := stream(t.Context(), mux)
		synctest.Wait()
		c.stop.Store(true)
		time.Sleep(Interval)
		synctest.Wait()
		if !returned(done) {
			t.Fatal("the stream goes on after the server stopped")
		}
		if n := w.count(); n != 1 {
			t.Errorf("%d events, want 1 (none once stopped)", n)
		}
	})
}

// Close ends the streams at once, over a real connection: the client reads
// the end of the body; a stream asked for afterwards is refused 503.
func TestEventsEndOnClose(t *testing.T) {
	var c counting
	mux, h := newMux(c.source)
	srv := httptest.NewServer(mux)
	defer srv.Close() // waits for the handlers: it would hang if a stream went on

	resp, err := srv.Client().Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the first event: %v", err)
		}
		if strings.HasPrefix(line, "data: {") {
			break
		}
	}
	h.Close()
	h.Close() // twice is fine
	if _, err := io.ReadAll(r); err != nil {
		t.Fatalf("after Close, the body ends with %v, want its end", err)
	}
	resp2, err := srv.Client().Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusServiceUnavailable || resp2.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("a stream after Close = %d %q, want 503 problem+json", resp2.StatusCode, resp2.Header.Get("Content-Type"))
	}
}
