package upstream

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe"
)

// zeros is an endless reader of zero bytes that allocates nothing.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// allocated returns the bytes the process has allocated so far.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

const hundredMiB = 100 << 20

// 100 MiB each way through the proxy, client → troupe → upstream and back,
// while the whole process (client, troupe and upstream) allocates a small
// fraction of it: bodies are streamed, not held.
func TestProxyStreams100MiBWithBoundedMemory(t *testing.T) {
	var received atomic.Int64
	srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			n, _ := io.Copy(io.Discard, r.Body)
			received.Store(n)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(hundredMiB))
		_, _ = io.Copy(w, io.LimitReader(zeros{}, hundredMiB))
	})
	a := startApp(t, func(a *troupe.App) {
		p := route(t, a, "big", Options{Config: Config{Targets: []string{srv.URL}}})
		// Below the server's 60 s write_timeout, as a route's timeout must be.
		a.Handle(http.MethodGet, "/big", p.Spec("get")).Timeout(50 * time.Second)
		a.Handle(http.MethodPost, "/big", p.Spec("post")).Timeout(50 * time.Second).StreamBody().MaxBodyBytes(hundredMiB)
	})

	before := allocated()
	res, err := a.client.Get(a.url + "/big")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || n != hundredMiB || res.StatusCode != http.StatusOK || res.ContentLength != hundredMiB {
		t.Fatalf("download: %d bytes of %d announced, status %d, %v", n, res.ContentLength, res.StatusCode, err)
	}
	if grew := allocated() - before; grew > 16<<20 {
		t.Fatalf("a 100 MiB download through the proxy allocated %d MiB; want < 16 MiB", grew>>20)
	}

	before = allocated()
	req, _ := http.NewRequest(http.MethodPost, a.url+"/big", io.LimitReader(zeros{}, hundredMiB))
	req.ContentLength = hundredMiB
	res, err = a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || received.Load() != hundredMiB {
		t.Fatalf("upload: status %d, upstream received %d bytes; want 204, %d", res.StatusCode, received.Load(), hundredMiB)
	}
	if grew := allocated() - before; grew > 16<<20 {
		t.Fatalf("a 100 MiB upload through the proxy allocated %d MiB; want < 16 MiB", grew>>20)
	}
}

// The upstream's trailers reach the client after the body.
func TestProxyForwardsTrailers(t *testing.T) {
	srv := newUpstreamServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		_, _ = io.WriteString(w, "payload")
		w.Header().Set("X-Checksum", "c0ffee")
	})
	a := startApp(t, func(a *troupe.App) {
		a.Handle(http.MethodGet, "/t", route(t, a, "t", Options{Config: Config{Targets: []string{srv.URL}}}).Spec("t"))
	})
	res, err := a.client.Get(a.url + "/t")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || string(b) != "payload" {
		t.Fatalf("body %q, %v", b, err)
	}
	if got := res.Trailer.Get("X-Checksum"); got != "c0ffee" {
		t.Fatalf("trailer X-Checksum %q; want c0ffee (trailers %v)", got, res.Trailer)
	}
}

// A streamed request body's trailers reach the upstream after it.
func TestProxyForwardsRequestTrailers(t *testing.T) {
	type seen struct {
		body, checksum string
		announced      bool
	}
	got := make(chan seen, 1)
	srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, announced := r.Trailer["X-Checksum"]
		b, _ := io.ReadAll(r.Body)
		got <- seen{body: string(b), checksum: r.Trailer.Get("X-Checksum"), announced: announced}
		w.WriteHeader(http.StatusNoContent)
	})
	a := startApp(t, func(a *troupe.App) {
		a.Handle(http.MethodPut, "/t", route(t, a, "t", Options{Config: Config{Targets: []string{srv.URL}}}).Spec("t")).StreamBody()
	})
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPut, a.url+"/t", pr)
	req.Trailer = http.Header{"X-Checksum": nil}
	go func() {
		_, _ = io.WriteString(pw, "payload")
		req.Trailer.Set("X-Checksum", "c0ffee") // set before the body's end, as a client computes it
		pw.Close()
	}()
	res, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT /t = %d, want the upstream's 204", res.StatusCode)
	}
	if s := <-got; s.body != "payload" || !s.announced || s.checksum != "c0ffee" {
		t.Fatalf("upstream got body %q, trailer announced %v, X-Checksum %q; want payload, true, c0ffee", s.body, s.announced, s.checksum)
	}
}

// A body of unknown length is flushed to the client as it arrives (server-
// sent events, long polls): the client reads the first event while the
// upstream still holds the second back.
func TestProxyFlushesUnsizedBodies(t *testing.T) {
	second := make(chan struct{})
	srv := newUpstreamServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		<-second
		_, _ = io.WriteString(w, "data: two\n\n")
	})
	a := startApp(t, func(a *troupe.App) {
		a.Handle(http.MethodGet, "/events", route(t, a, "events", Options{Config: Config{Targets: []string{srv.URL}}}).Spec("events"))
	})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.url+"/events", nil)
	res, err := a.client.Do(req)
	if err != nil {
		close(second)
		t.Fatal(err)
	}
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	line, err := rd.ReadString('\n')
	close(second) // only now may the upstream go on: the first event came alone
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event %q, %v (not flushed before the body ended?)", line, err)
	}
	rest, err := io.ReadAll(rd)
	if err != nil || string(rest) != "\ndata: two\n\n" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

// A streamed request body past the route's limit gets 413, and the
// breaker does not count the client's failure against the upstream; a
// streamed body is sent once, never retried.
func TestProxyStreamedBodyFailuresAreTheClients(t *testing.T) {
	// Calls whose body arrived whole: those the clients' failed bodies
	// made may still be arriving, cut short, after their 413s.
	var whole atomic.Int64
	srv := newUpstreamServer(t, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err == nil {
			whole.Add(1)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	var p *Proxy
	a := startApp(t, func(a *troupe.App) {
		p = route(t, a, "up", Options{Config: Config{
			Targets: []string{srv.URL},
			Breaker: BreakerConfig{ConsecutiveFailures: 1},
			Retry:   RetryConfig{MaxAttempts: 3, InitialBackoff: time.Millisecond},
		}})
		a.Handle(http.MethodPut, "/up", p.Spec("up")).StreamBody().MaxBodyBytes(1 << 20)
	})
	put := func(size int64) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, a.url+"/up", io.LimitReader(zeros{}, size))
		req.ContentLength = -1 // chunked: the limit is found while streaming
		res, err := a.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for range 3 {
		if got := put(2 << 20); got != http.StatusRequestEntityTooLarge {
			t.Fatalf("a 2 MiB body past a 1 MiB limit: %d; want 413", got)
		}
	}
	if st := p.up.Status(); st.State != Closed || st.Counts.TotalFailures != 0 {
		t.Fatalf("after three clients' bodies failed, the breaker is %v with %d failures; want closed, none (one failure trips it)", st.State, st.Counts.TotalFailures)
	}
	if got := put(1000); got != http.StatusServiceUnavailable {
		t.Fatalf("a good body to a failing upstream: %d; want its 503", got)
	}
	if n := whole.Load(); n != 1 {
		t.Fatalf("a streamed PUT made %d upstream calls; want 1 (a streamed body is never retried)", n)
	}
}
