package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const metricsText = `# HELP troupe_overload_limit_changes_total Changes of the limit.
# TYPE troupe_overload_limit_changes_total counter
troupe_overload_limit_changes_total{limiter="ingress"} 17
# HELP troupe_overload_limit The admission limit.
# TYPE troupe_overload_limit gauge
troupe_overload_limit{limiter="egress"} 5
troupe_overload_limit{route="/a, b",limiter="ingress"} 48.5
troupe_stage_running{stage="work"} 16
`

// TestGaugeValue checks that the limit is found by its labels, not by a
// metric whose name starts with its own, nor one with other labels, and
// that an absent gauge says so.
func TestGaugeValue(t *testing.T) {
	v, ok := gaugeValue(strings.NewReader(metricsText), limitMetric, map[string]string{limitLabel: limitLabelValue})
	if !ok || v != 48.5 {
		t.Errorf("limit = %v, %v; want 48.5", v, ok)
	}
	if v, ok := gaugeValue(strings.NewReader(metricsText), "troupe_stage_running", nil); !ok || v != 16 {
		t.Errorf("troupe_stage_running = %v, %v; want 16", v, ok)
	}
	for _, body := range []string{
		"",
		"troupe_stage_running{stage=\"work\"} 16\n",
		"troupe_overload_limit_changes_total{limiter=\"ingress\"} 17\n",
		"troupe_overload_limit{limiter=\"egress\"} 5\n",
		"troupe_overload_limit{limiter=\"ingress\"} not-a-number\n",
		"troupe_overload_limit{limiter=\"ingress\" 5\n",
	} {
		if v, ok := gaugeValue(strings.NewReader(body), limitMetric, map[string]string{limitLabel: limitLabelValue}); ok {
			t.Errorf("%q: found %v", body, v)
		}
	}
}

// TestParseLabels checks quoted values with commas, escapes and a
// trailing comma, and refuses broken ones.
func TestParseLabels(t *testing.T) {
	got, err := parseLabels(`a="x,y", b="say \"hi\"\\",`)
	if err != nil || len(got) != 2 || got["a"] != "x,y" || got["b"] != `say "hi"\` {
		t.Errorf("parseLabels = %v, %v", got, err)
	}
	for _, bad := range []string{`a=x`, `a="x`, `a`} {
		if _, err := parseLabels(bad); err == nil {
			t.Errorf("parseLabels(%q): no error", bad)
		}
	}
}

// TestScrapeLimit checks a scrape over HTTP: the gauge when there, its
// absence, and a failing /metrics as an error.
func TestScrapeLimit(t *testing.T) {
	body := metricsText
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body == "" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c := srv.Client()
	if v, ok, err := scrapeLimit(context.Background(), c, srv.URL); err != nil || !ok || v != 48.5 {
		t.Errorf("scrape = %v, %v, %v; want 48.5", v, ok, err)
	}
	body = "troupe_stage_running 1\n"
	if _, ok, err := scrapeLimit(context.Background(), c, srv.URL); err != nil || ok {
		t.Errorf("scrape without the gauge: %v, %v", ok, err)
	}
	body = ""
	if _, _, err := scrapeLimit(context.Background(), c, srv.URL); err == nil {
		t.Error("a 503 from /metrics: no error")
	}
}
