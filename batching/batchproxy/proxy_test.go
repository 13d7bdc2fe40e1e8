package batchproxy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
)

// n is the item of most tests: {"n": k}, answered {"n": 2k}.
type n struct {
	N  int    `json:"n"`
	ID string `json:"id,omitempty"`
	T  string `json:"t,omitempty"`
}

// pause holds each upstream call for a while, so that concurrent clients
// pile up into batches; it gives up when the proxy does.
func pause(r *http.Request) {
	select {
	case <-time.After(20 * time.Millisecond):
	case <-r.Context().Done():
	}
}

// Results answer items by position: each client gets the result of its
// own item, from batches of several, with bare arrays or wrapped in
// fields.
func TestOrderedResults(t *testing.T) {
	tests := []struct {
		name, itemsField, resultsField string
	}{
		{name: "bare arrays"},
		{name: "fields", itemsField: "inputs", resultsField: "outputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
				pause(r)
				var out []n
				for _, raw := range itemsOf(t, body, tt.itemsField) {
					var in n
					_ = json.Unmarshal(raw, &in)
					out = append(out, n{N: 2 * in.N})
				}
				if tt.resultsField != "" {
					writeJSON(w, map[string]any{tt.resultsField: out})
					return
				}
				writeJSON(w, out)
			})
			p := startProxy(t, fmt.Sprintf("{upstream: %q, items_field: %q, results_field: %q, headers: {X-Api-Key: k1}, batch: {max_batch_size: 16}}", up.URL, tt.itemsField, tt.resultsField))
			concurrently(30, func(i int) {
				r := p.post(t, fmt.Sprintf(`{"n": %d}`, i))
				if want := fmt.Sprintf(`{"n":%d}`, 2*i); r.status != http.StatusOK || r.body != want || r.header.Get("Content-Type") != "application/json" {
					t.Errorf("item %d: %d %s, want 200 %s", i, r.status, r.body, want)
				}
			})
			batches := up.batches(t, tt.itemsField)
			if len(batches) >= 30 || slices.IndexFunc(batches, func(b []json.RawMessage) bool { return len(b) > 1 }) < 0 {
				t.Errorf("%d upstream calls for 30 items, none of several", len(batches))
			}
			up.mu.Lock()
			h := up.headers[0]
			up.mu.Unlock()
			if h.Get("Content-Type") != "application/json" || h.Get("X-Api-Key") != "k1" {
				t.Errorf("upstream request headers %v, want JSON and the configured key", h)
			}
		})
	}
}

// With id_field, results may come in any order: each client gets the one
// with its id, and a client whose result is missing gets 502 alone.
func TestKeyedResults(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		pause(r)
		var out []n
		for _, raw := range itemsOf(t, body, "") {
			var in n
			_ = json.Unmarshal(raw, &in)
			if strings.HasPrefix(in.ID, "lost") {
				continue
			}
			out = append(out, n{ID: in.ID, N: 2 * in.N})
		}
		slices.Reverse(out)
		out = append(out, n{ID: "nobody-asked", N: -1})
		writeJSON(w, map[string]any{"results": out})
	})
	p := startProxy(t, fmt.Sprintf("{upstream: %q, id_field: id, results_field: results}", up.URL))
	concurrently(30, func(i int) {
		id := fmt.Sprint("item-", i)
		if i%7 == 3 {
			id = fmt.Sprint("lost-", i)
		}
		r := p.post(t, fmt.Sprintf(`{"id": %q, "n": %d}`, id, i))
		if strings.HasPrefix(id, "lost") {
			if r.status != http.StatusBadGateway || r.header.Get("Content-Type") != actors.ProblemContentType {
				t.Errorf("%s: %d %s, want 502 problem+json", id, r.status, r.body)
			}
			return
		}
		if want := fmt.Sprintf(`{"n":%d,"id":%q}`, 2*i, id); r.status != http.StatusOK || r.body != want {
			t.Errorf("%s: %d %s, want 200 %s", id, r.status, r.body, want)
		}
	})
}

// With status_field and body_field, each item's status and body pass
// through: a batch can hold successes and failures.
func TestPartialFailures(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		pause(r)
		var out []map[string]any
		for _, raw := range itemsOf(t, body, "") {
			var in n
			_ = json.Unmarshal(raw, &in)
			if in.N%2 == 1 {
				out = append(out, map[string]any{"status": 404, "body": map[string]string{"error": "no such n"}})
				continue
			}
			out = append(out, map[string]any{"status": 200, "body": n{N: 2 * in.N}})
		}
		writeJSON(w, out)
	})
	p := startProxy(t, fmt.Sprintf("{upstream: %q, status_field: status, body_field: body}", up.URL))
	concurrently(20, func(i int) {
		r := p.post(t, fmt.Sprintf(`{"n": %d}`, i))
		want, wantStatus := fmt.Sprintf(`{"n":%d}`, 2*i), http.StatusOK
		if i%2 == 1 {
			want, wantStatus = `{"error":"no such n"}`, http.StatusNotFound
		}
		if r.status != wantStatus || r.body != want {
			t.Errorf("item %d: %d %s, want %d %s", i, r.status, r.body, wantStatus, want)
		}
	})
}

// Requests with different key_header values never share a batch.
func TestKeyHeader(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		pause(r)
		items := itemsOf(t, body, "")
		out := make([]json.RawMessage, len(items))
		copy(out, items)
		writeJSON(w, out)
	})
	p := startProxy(t, fmt.Sprintf("{upstream: %q, key_header: X-Tenant, batch: {max_in_flight: 2}}", up.URL))
	concurrently(30, func(i int) {
		tenant := fmt.Sprint("t", i%3)
		if r := p.post(t, fmt.Sprintf(`{"n":%d,"t":%q}`, i, tenant), "X-Tenant", tenant); r.status != http.StatusOK {
			t.Errorf("item %d: %d %s", i, r.status, r.body)
		}
	})
	for _, b := range up.batches(t, "") {
		var first n
		_ = json.Unmarshal(b[0], &first)
		for _, raw := range b {
			var it n
			_ = json.Unmarshal(raw, &it)
			if it.T != first.T {
				t.Fatalf("a batch mixes tenants %q and %q", first.T, it.T)
			}
		}
	}
}

// Whatever the upstream does wrong, every client gets a clear problem+json
// answer — 502, 503 with Retry-After, or 504 — and the proxy goes on
// serving.
func TestUpstreamFailures(t *testing.T) {
	tests := []struct {
		name       string
		options    string // extra options
		answer     func(w http.ResponseWriter, r *http.Request)
		down       bool
		wantStatus int
		wantRetry  string
	}{
		{name: "down", down: true, wantStatus: http.StatusBadGateway},
		{name: "500", answer: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", 500) }, wantStatus: http.StatusBadGateway},
		{name: "503 with Retry-After", answer: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			http.Error(w, "busy", 503)
		}, wantStatus: http.StatusServiceUnavailable, wantRetry: "7"},
		{name: "429", answer: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "slow down", 429) }, wantStatus: http.StatusServiceUnavailable, wantRetry: "1"},
		{name: "504", answer: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "late", 504) }, wantStatus: http.StatusGatewayTimeout},
		{name: "not JSON", answer: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>hello</html>")) }, wantStatus: http.StatusBadGateway},
		{name: "object, not array", answer: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"results":[]}`)) }, wantStatus: http.StatusBadGateway},
		{name: "results field not an array", options: "results_field: results", answer: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"results":"x"}`)) }, wantStatus: http.StatusBadGateway},
		{name: "results field missing", options: "results_field: results", answer: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) }, wantStatus: http.StatusBadGateway},
		{name: "one result too many", answer: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`[1,2]`)) }, wantStatus: http.StatusBadGateway},
		{name: "truncated", answer: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`[{"n":`)) }, wantStatus: http.StatusBadGateway},
		{name: "bad status field", options: "status_field: status", answer: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`[{"status":"teapot"}]`)) }, wantStatus: http.StatusBadGateway},
		{name: "status out of range", options: "status_field: status", answer: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`[{"status":99}]`)) }, wantStatus: http.StatusBadGateway},
		{name: "result without id", options: "id_field: id", answer: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`[{"n":1}]`)) }, wantStatus: http.StatusBadGateway},
		{name: "too large", options: "max_response_bytes: 64", answer: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`[` + strings.Repeat(" ", 100) + `1]`))
		}, wantStatus: http.StatusBadGateway},
		{name: "too slow", options: "timeout: 50ms", answer: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}, wantStatus: http.StatusGatewayTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { tt.answer(w, r) })
			if tt.down {
				up.Close()
			}
			opts := fmt.Sprintf("{upstream: %q, %s}", up.URL, tt.options)
			if tt.options == "" {
				opts = fmt.Sprintf("{upstream: %q}", up.URL)
			}
			p := startProxy(t, opts)
			for range 2 { // and again: the proxy has not broken down
				r := p.post(t, `{"id":"a1","n":1}`)
				var prob actors.Problem
				if r.status != tt.wantStatus || r.header.Get("Content-Type") != actors.ProblemContentType || json.Unmarshal([]byte(r.body), &prob) != nil || prob.Status != tt.wantStatus || prob.RequestID == "" {
					t.Errorf("%d %q %s, want %d problem+json with a request id", r.status, r.header.Get("Content-Type"), r.body, tt.wantStatus)
				}
				if r.header.Get("Retry-After") != tt.wantRetry {
					t.Errorf("Retry-After %q, want %q", r.header.Get("Retry-After"), tt.wantRetry)
				}
			}
		})
	}
}

// A body that is not one JSON value, or lacks its id, is refused with 400
// before it reaches a batch.
func TestBadItems(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, body []byte) { _, _ = w.Write(body) })
	p := startProxy(t, fmt.Sprintf("{upstream: %q, id_field: id}", up.URL))
	tests := []struct {
		name, give string
		want       int
	}{
		{name: "empty", give: "", want: 400},
		{name: "not JSON", give: "{", want: 400},
		{name: "two values", give: `{"id":1} {"id":2}`, want: 400},
		{name: "not an object", give: `[1]`, want: 400},
		{name: "no id", give: `{"n":1}`, want: 400},
		{name: "id of the wrong type", give: `{"id":true}`, want: 400},
		{name: "numeric id", give: `{"id":7}`, want: 200},
		{name: "string id", give: `{"id":"a\u0031"}`, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := p.post(t, tt.give); r.status != tt.want {
				t.Errorf("POST %q = %d %s, want %d", tt.give, r.status, r.body, tt.want)
			}
		})
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if len(up.bodies) != 2 {
		t.Errorf("the upstream got %d batches, want only the 2 good items", len(up.bodies))
	}
}
