package httpin_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe/httpin"
)

// slowResult is what one request of a slow-body attack got back.
type slowResult struct {
	status int
	close  bool  // the response said Connection: close
	after  error // reading on after the response: the connection closed
	took   time.Duration
	err    error // no response: why
}

// slowBodyAttack opens n connections to addr, each sending POST /echo with
// Content-Length: 60000 and then one body byte every half second, and
// returns them with the time each sent its head.
type slowBodyAttack struct {
	conns []net.Conn
	sent  []time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startSlowBodyAttack(t *testing.T, addr string, n int) *slowBodyAttack {
	a := &slowBodyAttack{stop: make(chan struct{})}
	for range n {
		c := dial(t, addr)
		a.sent = append(a.sent, time.Now())
		a.conns = append(a.conns, c)
		if _, err := io.WriteString(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\na"); err != nil {
			t.Fatal(err)
		}
	}
	a.wg.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond) // the attack's pace: 2 bytes/s
		defer tick.Stop()
		for {
			select {
			case <-a.stop:
				return
			case <-tick.C:
				for _, c := range a.conns {
					_ = c.SetWriteDeadline(time.Now().Add(time.Second))
					_, _ = c.Write([]byte{'a'}) // fails once the server has cut it off
				}
			}
		}
	})
	return a
}

// results reads each connection's response, until deadline at most, and
// closes first once the first has come.
func (a *slowBodyAttack) results(deadline time.Time, first chan<- struct{}) []slowResult {
	out := make([]slowResult, len(a.conns))
	var once sync.Once
	var wg sync.WaitGroup
	for i, c := range a.conns {
		wg.Go(func() {
			_ = c.SetReadDeadline(deadline)
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				out[i].err = err
				return
			}
			once.Do(func() { close(first) })
			_, _ = io.Copy(io.Discard, resp.Body)
			_, after := br.ReadByte()
			out[i] = slowResult{status: resp.StatusCode, close: resp.Close, after: after, took: time.Since(a.sent[i])}
		})
	}
	wg.Wait()
	close(a.stop)
	a.wg.Wait()
	return out
}

// fastClients calls GET /hello from 8 clients, each at least 10 times and
// on until attack ends; it returns the statuses, and how many requests
// started before attack ended.
func fastClients(t *testing.T, addr string, attackEnded <-chan struct{}) (statuses []int, during int) {
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				ended := false
				select {
				case <-attackEnded:
					ended = true
				default:
				}
				if ended && i >= 10 {
					return
				}
				status := 0
				resp, err := client.Get("http://" + addr + "/hello")
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					status = resp.StatusCode
				}
				mu.Lock()
				statuses = append(statuses, status)
				if !ended {
					during++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return statuses, during
}

// statusRecorder records, for the slow requests, each status written and
// how long after the handler was entered.
type statusRecorder struct {
	http.ResponseWriter
	entered time.Time
	log     func(status int, took time.Duration)
	once    sync.Once
}

func (w *statusRecorder) WriteHeader(code int) {
	w.once.Do(func() { w.log(code, time.Since(w.entered)) })
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// testSlowBodyAttack runs slow connections trickling bodies at 2 bytes/s
// against a server whose in-flight limit (64) they outnumber, while 8
// clients call a fast route. The fast route must answer ≥ 99% with 200
// (before, reading a body held an in-flight place, and every fast request
// got 503), and each slow request must be cut off by the rate rule:
// answered 408, no sooner than BodyRateGrace after its handler began (the
// rule's clock starts with the body's first read, after that) and well
// before ReadTimeout, which would otherwise have cut it (we allow half of
// it, against the rule's grace + a few bytes at 1000 bytes/s, for a loaded
// 2-core machine under -race); and each slow connection must then close.
// The 408 is checked on the server's side: the client, still trickling,
// may lose it to the reset its next byte draws from the closed socket,
// when it has not read it by then. grace must leave time to open every
// slow connection before the first is cut off.
func testSlowBodyAttack(t *testing.T, slow int, grace time.Duration) {
	readTimeout := 12 * grace
	cfg := httpin.Config{
		MaxInFlight: 64, MinBodyRate: 1000, BodyRateGrace: grace,
		ReadTimeout: readTimeout, WriteTimeout: readTimeout + time.Minute, MaxConnections: slow + 100,
	}
	var entered atomic.Int64
	allIn := make(chan struct{})
	var mu sync.Mutex
	var served []slowResult // the slow requests' statuses, as written
	record := func(status int, took time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		served = append(served, slowResult{status: status, took: took})
	}
	count := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/echo" {
				if entered.Add(1) == int64(slow) {
					close(allIn)
				}
				w = &statusRecorder{ResponseWriter: w, entered: time.Now(), log: record}
			}
			next.ServeHTTP(w, r)
		})
	}
	_, addr := startApp(t, cfg, nil, count)

	attack := startSlowBodyAttack(t, addr, slow)
	firstCut := make(chan struct{})
	var results []slowResult
	var wg sync.WaitGroup
	wg.Go(func() { results = attack.results(time.Now().Add(readTimeout), firstCut) })
	select {
	case <-allIn: // every slow request is in, reading its body
	case <-firstCut:
		t.Fatalf("a slow connection was answered before all %d were in (%d)", slow, entered.Load())
	}
	statuses, during := fastClients(t, addr, firstCut)
	wg.Wait()

	ok := 0
	for _, s := range statuses {
		if s == http.StatusOK {
			ok++
		}
	}
	t.Logf("fast: %d/%d answered 200, %d of them sent while all %d slow connections were reading", ok, len(statuses), during, slow)
	if ok*100 < len(statuses)*99 {
		t.Errorf("fast route: %d/%d answered 200, want ≥ 99%%", ok, len(statuses))
	}
	if during < 8 {
		t.Errorf("only %d fast requests were sent during the attack, want one per client at least", during)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(served) != slow {
		t.Errorf("%d slow requests answered, want %d", len(served), slow)
	}
	var slowest time.Duration
	for i, r := range served {
		if r.status != http.StatusRequestTimeout || r.took < grace || r.took > readTimeout/2 {
			t.Errorf("slow request %d: answered %d after %s; want 408 after between the grace %s and %s", i, r.status, r.took, grace, readTimeout/2)
		}
		slowest = max(slowest, r.took)
	}
	lost := 0
	for i, r := range results {
		switch {
		case r.err != nil && errors.Is(r.err, os.ErrDeadlineExceeded):
			t.Errorf("slow connection %d: neither answered nor closed before ReadTimeout", i)
		case r.err != nil:
			lost++ // closed; its 408 lost to the reset
		case r.status != http.StatusRequestTimeout || !r.close:
			t.Errorf("slow connection %d: got %d, Close=%v; want 408 with Connection: close", i, r.status, r.close)
		case r.after == nil || errors.Is(r.after, os.ErrDeadlineExceeded):
			t.Errorf("slow connection %d: still open after its 408 (%v)", i, r.after)
		}
	}
	t.Logf("slow: %d requests answered 408, the last %s after its handler began; %d clients closed without reading it", len(served), slowest, lost)
}

func TestSlowBodiesDoNotStarveFastRoute(t *testing.T) { testSlowBodyAttack(t, 200, 5*time.Second) }

// TestSlowBodiesDoNotStarveFastRouteAtScale is the attack as first seen:
// 1,100 connections against an in-flight limit they outnumber. It is
// skipped under -short: it needs some 2,300 file descriptors.
func TestSlowBodiesDoNotStarveFastRouteAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("1,100 connections; skipped under -short")
	}
	testSlowBodyAttack(t, 1100, 20*time.Second) // opening 1,100 takes some 5 s under -race
}

// Slow bodies do not hold a graceful shutdown past the rate rule: before,
// Drain waited for them until ReadTimeout.
func TestSlowBodiesDoNotHoldShutdown(t *testing.T) {
	const grace, readTimeout = time.Second, 60 * time.Second
	app, addr := startApp(t, httpin.Config{MinBodyRate: 1000, BodyRateGrace: grace, ReadTimeout: readTimeout, WriteTimeout: 90 * time.Second}, nil)
	attack := startSlowBodyAttack(t, addr, 10)
	first := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { _ = attack.results(time.Now().Add(readTimeout), first) })
	defer wg.Wait()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if err := app.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The rule cuts the bodies off at grace + a few bytes/1000 s; half of
	// ReadTimeout leaves room for a loaded machine.
	if took := time.Since(start); took > readTimeout/2 {
		t.Errorf("Shutdown took %s with slow bodies in, want under %s", took, readTimeout/2)
	} else {
		t.Logf("Shutdown took %s", took)
	}
}
