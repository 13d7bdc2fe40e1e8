package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troupe-go/troupe/bench"
)

func TestParseWrk(t *testing.T) {
	b, err := os.ReadFile("testdata/wrk-4.1.0.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseWrk(string(b))
	if err != nil {
		t.Fatal(err)
	}
	got.RawOutput = ""
	want := wrkResult{
		Requests: 114540, Elapsed: 2010 * time.Millisecond, RPS: 57114.85,
		P50: 870 * time.Microsecond, P99: 9820 * time.Microsecond, Non2xx: 7, SockErrs: 16,
	}
	if *got != want {
		t.Errorf("parseWrk(testdata/wrk-4.1.0.txt) = %+v, want %+v", *got, want)
	}
}

func TestParseWrkIncomplete(t *testing.T) {
	if _, err := parseWrk("Running 2s test @ http://127.0.0.1:1/\n"); err == nil {
		t.Error("parseWrk(no report) = nil error, want one")
	}
}

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		give string
		want time.Duration
	}{
		{give: "870.00us", want: 870 * time.Microsecond},
		{give: "2.48ms", want: 2480 * time.Microsecond},
		{give: "1.02s", want: 1020 * time.Millisecond},
		{give: "1.50m", want: 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := parseWrkDuration(tt.give)
			if err != nil || got != tt.want {
				t.Errorf("parseWrkDuration(%q) = %v, %v, want %v", tt.give, got, err, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		give []float64
		want float64
	}{
		{name: "odd", give: []float64{3, 1, 2}, want: 2},
		{name: "even", give: []float64{4, 1, 3, 2}, want: 2.5},
		{name: "one", give: []float64{7}, want: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.give, func(v float64) float64 { return v }); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func TestLuaString(t *testing.T) {
	tests := []struct{ give, want string }{
		{give: `{"a":"b"}`, want: `"{\"a\":\"b\"}"`},
		{give: `back\slash`, want: `"back\\slash"`},
		{give: "line\nbreak\x7f", want: `"line\010break\127"`},
		{give: "", want: `""`},
	}
	for _, tt := range tests {
		if got := luaString(tt.give); got != tt.want {
			t.Errorf("luaString(%q) = %s, want %s", tt.give, got, tt.want)
		}
	}
}

func TestWrkArgs(t *testing.T) {
	got := strings.Join(wrkArgs("/tmp/s.lua", "http://127.0.0.1:1/items", 2, 64, 5*time.Second), " ")
	if want := "-t2 -c 64 -d 5s --latency -s /tmp/s.lua http://127.0.0.1:1/items"; got != want {
		t.Errorf("wrkArgs with a script = %q, want %q", got, want)
	}
	got = strings.Join(wrkArgs("", "http://127.0.0.1:1/hello", 2, 64, 5*time.Second), " ")
	if want := "-t2 -c 64 -d 5s --latency http://127.0.0.1:1/hello"; got != want {
		t.Errorf("wrkArgs without a script = %q, want %q", got, want)
	}
}

// TestScriptsWithWrk runs wrk with each scenario's script for a second
// against a server that checks every request is the scenario's POST, with
// its body and headers. It needs wrk at /usr/bin/wrk.
func TestScriptsWithWrk(t *testing.T) {
	const wrk = "/usr/bin/wrk"
	if _, err := exec.LookPath(wrk); err != nil {
		t.Skip("wrk not installed")
	}
	tests := []struct {
		name, script, path, body string
		header                   http.Header
	}{
		{name: "api", script: apiScript(), path: bench.APIPath, body: bench.APIBody,
			header: http.Header{"Content-Type": {"application/json"}, bench.APIKeyHeader: {bench.APIKeyValue}}},
		{name: "batch", script: batchScript(), path: bench.BatchPath, body: bench.BatchBody,
			header: http.Header{"Content-Type": {"application/json"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var good, bad atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				ok := r.Method == http.MethodPost && r.URL.Path == tt.path && string(body) == tt.body
				for k, v := range tt.header {
					ok = ok && r.Header.Get(k) == v[0]
				}
				if ok {
					good.Add(1)
					w.WriteHeader(http.StatusOK)
					return
				}
				bad.Add(1)
				w.WriteHeader(http.StatusBadRequest)
			}))
			defer srv.Close()
			script, remove, err := writeScript(tt.script)
			if err != nil {
				t.Fatal(err)
			}
			defer remove()
			res, err := runWrk(t.Context(), wrk, script, srv.URL+tt.path, 1, 1, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if good.Load() == 0 || bad.Load() != 0 || res.Non2xx != 0 {
				t.Errorf("wrk with the %s script: %d good requests, %d bad, %d non-2xx; want only good ones", tt.name, good.Load(), bad.Load(), res.Non2xx)
			}
		})
	}
}
