package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// call sends a request to url and returns its status, headers and body.
func call(t *testing.T, client *http.Client, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// metric returns the value of the /metrics line that starts with prefix.
func metric(t *testing.T, client *http.Client, admin, prefix string) float64 {
	t.Helper()
	_, _, body := call(t, client, http.MethodGet, admin+"/metrics", "")
	for line := range strings.Lines(body) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("metric %s: %v", prefix, err)
			}
			return v
		}
	}
	t.Fatalf("/metrics has no line %s…:\n%s", prefix, body)
	return 0
}

// The embedded default config's batched endpoint, as README shows it:
// one item answered with its score; concurrent items scored together;
// a bad item answered 400 on its own.
func TestDefaultDemoScore(t *testing.T) {
	srv := start(t, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0")
	defer srv.stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	status, _, body := call(t, client, http.MethodPost, srv.base+"/demo/score", `{"id":"a1","features":[0.5,1.5]}`)
	if status != http.StatusOK || body != `{"id":"a1","score":2.5}` {
		t.Fatalf("POST /demo/score = %d %s, want 200 {\"id\":\"a1\",\"score\":2.5}", status, body)
	}
	status, _, body = call(t, client, http.MethodPost, srv.base+"/demo/score", `{"id":"a1","features":"x"}`)
	if status != http.StatusBadRequest || !strings.Contains(body, "features: got a string, want an array") {
		t.Fatalf("POST /demo/score with bad features = %d %s, want 400 saying what is wrong", status, body)
	}

	const callers, each = 32, 20
	var wg sync.WaitGroup
	errs := make(chan string, callers)
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				id := "c" + strconv.Itoa(c) + "-" + strconv.Itoa(i)
				req, _ := http.NewRequest(http.MethodPost, srv.base+"/demo/score", strings.NewReader(`{"id":"`+id+`","features":[1,2]}`))
				resp, err := client.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := `{"id":"` + id + `","score":5}`; resp.StatusCode != http.StatusOK || string(b) != want {
					errs <- resp.Status + " " + string(b) + ", want " + want
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	items := metric(t, client, srv.admin, `troupe_batch_size_sum{batcher="POST /demo/score"}`)
	batches := metric(t, client, srv.admin, `troupe_batch_size_count{batcher="POST /demo/score"}`)
	// 32 callers and at most 4 model calls at once: items must share calls.
	if items != callers*each+1 || batches >= items {
		t.Errorf("%v items in %v batches; want %d items, batched (fewer batches than items)", items, batches, callers*each+1)
	}
}

// The embedded default config's demo upstream, as README shows it: the
// breaker opens after 5 failures in a row and then answers 503 with
// Retry-After without calling the upstream; it closes once the upstream
// has recovered and the 10s open timeout has passed; a slow upstream
// gets 504 at the route's 1s deadline.
func TestDefaultDemoUpstream(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the demo breaker's 10s open timeout")
	}
	srv := start(t, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0")
	defer srv.stop()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	attempts := func() float64 {
		ok := metric(t, client, srv.admin, `troupe_upstream_attempts_total{result="ok",upstream="GET /demo/upstream"}`)
		failed := metric(t, client, srv.admin, `troupe_upstream_attempts_total{result="failed_status",upstream="GET /demo/upstream"}`)
		return ok + failed
	}
	put := func(settings string) {
		t.Helper()
		if status, _, body := call(t, client, http.MethodPut, srv.admin+"/demo/upstream", settings); status != http.StatusOK {
			t.Fatalf("PUT /demo/upstream %s = %d %s", settings, status, body)
		}
	}

	if status, _, body := call(t, client, http.MethodGet, srv.base+"/demo/upstream", ""); status != http.StatusOK || !strings.Contains(body, `"upstream":"demo"`) {
		t.Fatalf("GET /demo/upstream = %d %s, want 200 from the demo upstream", status, body)
	}
	put(`{"error_rate":1.0,"latency":"0s"}`)
	if status, _, _ := call(t, client, http.MethodGet, srv.base+"/demo/upstream", ""); status != http.StatusServiceUnavailable {
		t.Fatalf("GET /demo/upstream, upstream failing = %d, want its 503", status)
	}
	var opened time.Time
	for i := 0; opened.IsZero(); i++ {
		if i == 10 {
			t.Fatal("the breaker did not open after 10 failing requests")
		}
		_, h, body := call(t, client, http.MethodGet, srv.base+"/demo/upstream", "")
		if strings.Contains(body, "circuit breaker is open") {
			if h.Get("Retry-After") == "" {
				t.Errorf("open breaker's 503 has no Retry-After")
			}
			opened = time.Now()
		}
	}
	before := attempts()
	for range 20 {
		if status, _, _ := call(t, client, http.MethodGet, srv.base+"/demo/upstream", ""); status != http.StatusServiceUnavailable {
			t.Fatalf("GET /demo/upstream, breaker open = %d, want 503", status)
		}
	}
	if after := attempts(); after != before {
		t.Errorf("the upstream got %v attempts with the breaker open, want none", after-before)
	}
	if state := metric(t, client, srv.admin, `troupe_upstream_breaker_state{state="open",upstream="GET /demo/upstream"}`); state != 1 {
		t.Errorf("breaker state open = %v on /metrics, want 1", state)
	}

	put(`{"error_rate":0,"latency":"0s"}`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, _, _ := call(t, client, http.MethodGet, srv.base+"/demo/upstream", "")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the breaker never closed after the upstream recovered (last %d)", status)
		}
		time.Sleep(100 * time.Millisecond) // polling for the 10s open timeout to pass
	}
	if took := time.Since(opened); took < 9*time.Second {
		t.Errorf("the breaker closed %v after opening, before its 10s open timeout", took)
	}

	put(`{"error_rate":0,"latency":"2s"}`)
	begin := time.Now()
	status, _, _ := call(t, client, http.MethodGet, srv.base+"/demo/upstream", "")
	// 504, not the upstream's 200 at 2 s, and not before the 1 s deadline;
	// the upper bound only needs to stay under the upstream's 2 s.
	if took := time.Since(begin); status != http.StatusGatewayTimeout || took < 950*time.Millisecond || took > 1900*time.Millisecond {
		t.Errorf("GET /demo/upstream, upstream 2s slow = %d after %v, want 504 at the 1s deadline", status, took)
	}
}

// The default config's crash loop, as README shows it: four panics of the
// fragile stage within its 10 s window mark it down; its route then answers
// 503 with Retry-After, /readyz stays 200 and lists it as degraded, and
// every other route still serves.
func TestDefaultDemoCrashLoop(t *testing.T) {
	srv := start(t, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0")
	defer srv.stop()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	for i := range 4 {
		if status, _, body := call(t, client, http.MethodGet, srv.base+"/demo/fragile?panic=1", ""); status != http.StatusInternalServerError {
			t.Fatalf("panic %d: %d %s, want 500", i+1, status, body)
		}
	}
	status, header, body := call(t, client, http.MethodGet, srv.base+"/demo/fragile", "")
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
		t.Fatalf("GET /demo/fragile in a crash loop = %d (Retry-After %q) %s, want 503 with Retry-After", status, header.Get("Retry-After"), body)
	}
	status, _, body = call(t, client, http.MethodGet, srv.admin+"/readyz", "")
	if status != http.StatusOK || !strings.Contains(body, "stage fragile is down") {
		t.Errorf("/readyz = %d %s, want 200 listing the fragile stage as degraded", status, body)
	}
	if got := metric(t, client, srv.admin, `troupe_stage_down{stage="fragile"}`); got != 1 {
		t.Errorf("troupe_stage_down{stage=\"fragile\"} = %v, want 1", got)
	}
	if status, _, _ := call(t, client, http.MethodGet, srv.base+"/demo/flaky", ""); status != http.StatusOK {
		t.Errorf("another /demo route: %d, want 200", status)
	}
}
