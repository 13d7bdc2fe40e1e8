package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The gauge of troupe's adaptive admission limit, as the slow-down run
// scrapes it from the admin listener's /metrics. Until troupe has one it
// is absent, and the run is plotted without it.
const (
	limitMetric     = "troupe_overload_limit"
	limitLabel      = "limiter"
	limitLabelValue = "ingress"
)

// gaugeValue returns the value of the first sample of metric name in body
// (Prometheus's text format) whose labels include want, and whether there
// is one.
func gaugeValue(body io.Reader, name string, want map[string]string) (float64, bool) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		rest, ok := strings.CutPrefix(line, name)
		if !ok {
			continue
		}
		labels := map[string]string{}
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				continue
			}
			var err error
			if labels, err = parseLabels(rest[1:end]); err != nil {
				continue
			}
			rest = rest[end+1:]
		}
		if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue // another metric whose name starts with name
		}
		f := strings.Fields(rest)
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		match := true
		for k, w := range want {
			if labels[k] != w {
				match = false
				break
			}
		}
		if match {
			return v, true
		}
	}
	return 0, false
}

// parseLabels parses `a="x",b="y"` (a trailing comma allowed).
func parseLabels(s string) (map[string]string, error) {
	labels := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		k, rest, ok := strings.Cut(s, "=")
		if !ok || !strings.HasPrefix(rest, `"`) {
			return nil, fmt.Errorf("label %q", s)
		}
		// The value is a Go-style quoted string up to its closing quote.
		end := 1
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(rest) {
			return nil, fmt.Errorf("label %q: unterminated value", s)
		}
		v, err := strconv.Unquote(rest[:end+1])
		if err != nil {
			return nil, fmt.Errorf("label %q: %w", s, err)
		}
		labels[strings.TrimSpace(k)] = v
		s = strings.TrimPrefix(strings.TrimSpace(rest[end+1:]), ",")
	}
	return labels, nil
}

// scrapeLimit GETs url (an admin /metrics) and returns troupe's admission
// limit, and whether it was there.
func scrapeLimit(ctx context.Context, c *http.Client, url string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	v, ok := gaugeValue(resp.Body, limitMetric, map[string]string{limitLabel: limitLabelValue})
	_, _ = io.Copy(io.Discard, resp.Body)
	return v, ok, nil
}

// scrapeEvery scrapes url every interval from began until ctx ends, and
// returns what it found: one sample per scrape that had the gauge. A
// failed scrape is skipped.
func scrapeEvery(ctx context.Context, url string, began time.Time, interval time.Duration) []limitSample {
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: interval}
	var out []limitSample
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if v, ok, err := scrapeLimit(ctx, c, url); err == nil && ok {
			out = append(out, limitSample{At: time.Since(began), Value: v})
		}
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
		}
	}
}
