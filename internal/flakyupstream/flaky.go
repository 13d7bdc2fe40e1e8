// Package flakyupstream is the demo upstream of the default configuration:
// an HTTP server on a loopback port of its own whose error rate and latency
// are set while it runs, so that the proxy in front of it can be seen to
// fail well — its breaker opening, its retries held by their budget, its
// deadline answering 504.
//
//	curl -X PUT 127.0.0.1:9090/demo/upstream -d '{"error_rate":1.0,"latency":"250ms"}'
//
// Register adds its kinds: the stage demo_upstream (the server, and its
// switch on the admin listener) and the handler demo_proxy (the proxy
// handler aimed at it).
package flakyupstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Settings say how the demo upstream misbehaves.
type Settings struct {
	// ErrorRate is the fraction of calls, from 0 to 1, answered with
	// Status instead of 200. Defaults to 0.
	ErrorRate float64 `yaml:"error_rate"`
	// Latency is added before each answer (a call whose client goes away
	// ends early). Defaults to 0.
	Latency time.Duration `yaml:"latency"`
	// Status is the status of the errors, from 400 to 599. Defaults to 503.
	Status int `yaml:"status"`
}

func (s Settings) validate() error {
	var errs []error
	if !(s.ErrorRate >= 0 && s.ErrorRate <= 1) { // NaN fails both comparisons
		errs = append(errs, fmt.Errorf("error_rate must be from 0 to 1, got %v", s.ErrorRate))
	}
	if s.Latency < 0 {
		errs = append(errs, fmt.Errorf("latency must not be negative, got %v", s.Latency))
	}
	if s.Status != 0 && (s.Status < 400 || s.Status > 599) {
		errs = append(errs, fmt.Errorf("status must be from 400 to 599, got %d", s.Status))
	}
	return errors.Join(errs...)
}

// Handler is the demo upstream: it waits Latency, then answers Status with
// probability ErrorRate, else 200 with a JSON document saying what it got
// (the path, the deadline header, the X-Forwarded-For). It is safe for
// concurrent use; Set changes its settings at once.
type Handler struct {
	settings atomic.Pointer[Settings]
	float    func() float64 // in [0, 1); rand.Float64, safe for concurrent use
	calls    atomic.Int64
}

// NewHandler returns a handler with settings s.
func NewHandler(s Settings) (*Handler, error) {
	h := &Handler{float: rand.Float64}
	if err := h.Set(s); err != nil {
		return nil, err
	}
	return h, nil
}

// Settings returns the current settings, defaults applied.
func (h *Handler) Settings() Settings { return *h.settings.Load() }

// Set replaces the settings, or reports what is wrong with s.
func (h *Handler) Set(s Settings) error {
	if err := s.validate(); err != nil {
		return err
	}
	if s.Status == 0 {
		s.Status = http.StatusServiceUnavailable
	}
	h.settings.Store(&s)
	return nil
}

// Calls returns how many calls the handler has had.
func (h *Handler) Calls() int64 { return h.calls.Load() }

// answer is the body of a successful call.
type answer struct {
	Upstream       string `json:"upstream"`
	Path           string `json:"path"`
	RequestTimeout string `json:"request_timeout_ms,omitempty"`
	ForwardedFor   string `json:"forwarded_for,omitempty"`
	RequestID      string `json:"request_id,omitempty"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls.Add(1)
	s := h.Settings()
	if s.Latency > 0 {
		t := time.NewTimer(s.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return // the caller gave up: nobody reads the answer
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if h.float() < s.ErrorRate {
		w.WriteHeader(s.Status)
		_, _ = fmt.Fprintf(w, `{"error":"the demo upstream failed on purpose","status":%s}`+"\n", strconv.Itoa(s.Status))
		return
	}
	body, _ := json.Marshal(answer{ // cannot fail: strings
		Upstream:       "demo",
		Path:           r.URL.RequestURI(),
		RequestTimeout: r.Header.Get("Request-Timeout"),
		ForwardedFor:   r.Header.Get("X-Forwarded-For"),
		RequestID:      r.Header.Get("X-Request-Id"),
	})
	_, _ = w.Write(append(body, '\n'))
}
