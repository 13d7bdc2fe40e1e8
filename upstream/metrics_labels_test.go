package upstream

import (
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Every value of an upstream metric's fixed-set labels is snake_case and
// named in the metric's HELP.
func TestMetricLabelValuesSpelledAndListed(t *testing.T) {
	m := newMetrics("api", func() int { return 1 })
	for _, from := range []State{Closed, HalfOpen, Open} {
		for _, to := range []State{Closed, HalfOpen, Open} {
			if from != to {
				m.transitions.WithLabelValues(from.String(), to.String()).Inc()
			}
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.collectors()...)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	seen := 0
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				switch l.GetName() {
				case "state", "from", "to", "result", "reason":
				default:
					continue
				}
				seen++
				if !snake.MatchString(l.GetValue()) {
					t.Errorf("%s{%s=%q}: not snake_case", f.GetName(), l.GetName(), l.GetValue())
				}
				if !strings.Contains(f.GetHelp(), l.GetValue()) {
					t.Errorf("%s's HELP does not list %s=%q: %s", f.GetName(), l.GetName(), l.GetValue(), f.GetHelp())
				}
			}
		}
	}
	// 3 states, 6 transitions of 2, every result, every refusal, 2 denials.
	if want := 3 + 12 + int(numResults) + int(numRejects) + 2; seen != want {
		t.Errorf("checked %d label values, want %d", seen, want)
	}
}
