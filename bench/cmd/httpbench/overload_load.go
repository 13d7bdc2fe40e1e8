package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/bench"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// attackSpec is one open-loop attack: rate requests per second sent to
// base for duration, whatever the server answers.
type attackSpec struct {
	base     string // http://host:port
	rate     float64
	duration time.Duration
	// criticalEvery sends every criticalEvery-th request to
	// bench.OverloadCriticalPath instead of bench.OverloadPath (0: none).
	criticalEvery int
	// timeout is the client's per-request timeout; maxInFlight caps the
	// requests the generator has out at once (past it, it sends late).
	timeout     time.Duration
	maxInFlight int
}

// attack runs spec with vegeta's generator and returns every request's
// sample. It ends early, with what it has, if ctx ends.
func attack(ctx context.Context, spec attackSpec) ([]sample, error) {
	if spec.rate <= 0 || spec.duration <= 0 {
		return nil, errors.New("attack: rate and duration must be positive")
	}
	tr := &http.Transport{
		MaxIdleConnsPerHost: spec.maxInFlight,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: spec.timeout}
	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.MaxWorkers(uint64(spec.maxInFlight)),
		vegeta.MaxBody(0), // the bodies are not kept: only the status and headers count
		vegeta.Redirects(vegeta.NoFollow),
	)
	work, critical := spec.base+bench.OverloadPath, spec.base+bench.OverloadCriticalPath
	var n atomic.Uint64
	targeter := func(t *vegeta.Target) error {
		i := n.Add(1) - 1
		t.Method, t.URL = http.MethodGet, work
		if spec.criticalEvery > 0 && i%uint64(spec.criticalEvery) == 0 {
			t.URL = critical
		}
		return nil
	}
	pacer := vegeta.ConstantPacer{Freq: int(spec.rate + 0.5), Per: time.Second}
	stopOnCancel := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stopOnCancel()

	began := time.Now()
	samples := make([]sample, 0, int(spec.rate*spec.duration.Seconds())+1)
	for r := range atk.Attack(targeter, pacer, spec.duration, "overload") {
		samples = append(samples, toSample(r, began, critical))
	}
	return samples, ctx.Err()
}

// toSample converts vegeta's result, of an attack that began at began.
func toSample(r *vegeta.Result, began time.Time, criticalURL string) sample {
	s := sample{Sent: r.Timestamp.Sub(began), Latency: r.Latency, Code: int(r.Code), Critical: r.URL == criticalURL}
	switch {
	case r.Code == http.StatusOK:
		s.Outcome = outcomeOK
	case r.Code != 0:
		s.Outcome = outcomeRejected
		s.RetryAfter = r.Headers.Get("Retry-After") != ""
	case isTimeout(r.Error):
		s.Outcome = outcomeTimeout
	default:
		s.Outcome = outcomeError
	}
	return s
}

// isTimeout reports whether a client error (as vegeta records it) is the
// client's timeout.
func isTimeout(err string) bool {
	return strings.Contains(err, "Client.Timeout exceeded") || strings.Contains(err, "context deadline exceeded") ||
		strings.Contains(err, "i/o timeout")
}

// probeCapacity loads base's OverloadPath closed-loop, conns requests at
// a time, for d, and returns the 200s it answered per second.
func probeCapacity(ctx context.Context, base string, conns int, d time.Duration) (float64, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	began := time.Now()
	var ok atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+bench.OverloadPath, nil)
				if err != nil {
					errs <- err
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK && time.Since(began) <= d {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(ok.Load()) / d.Seconds(), nil
}

// vegetaVersion returns the version of vegeta this program was built
// with, as its build information says.
func vegetaVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/tsenart/vegeta/v12" {
				return "vegeta " + m.Version
			}
		}
	}
	return "vegeta"
}
