package metrics

import (
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/troupe-go/troupe/httpin"
	"github.com/troupe-go/troupe/overload"
)

func TestMethodLabel(t *testing.T) {
	for give, want := range map[string]string{
		"GET": "GET", "HEAD": "HEAD", "POST": "POST", "PUT": "PUT", "PATCH": "PATCH", "DELETE": "DELETE",
		"CONNECT": "CONNECT", "OPTIONS": "OPTIONS", "TRACE": "TRACE",
		"get": OtherMethod, "PROPFIND": OtherMethod, "BREW": OtherMethod, "": OtherMethod, strings.Repeat("X", 1000): OtherMethod,
	} {
		if got := MethodLabel(give); got != want {
			t.Errorf("MethodLabel(%.20q) = %q, want %q", give, got, want)
		}
	}
	for _, m := range Methods {
		if MethodLabel(m) != m {
			t.Errorf("MethodLabel(%q) is not itself, though listed in Methods", m)
		}
	}
}

// family returns the gathered family named name.
func family(t *testing.T, m *Metrics, name string) *dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f
		}
	}
	t.Fatalf("no %s gathered", name)
	return nil
}

// labels returns a metric's labels as a map.
func labels(mt *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range mt.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// Requests are counted by route, method (bounded: a made-up method is
// OTHER) and status; 404 and 405 apart, in the statuses and the
// rejection reasons.
func TestObserveByMethod(t *testing.T) {
	m := New()
	m.Observe("/x", http.MethodGet, 200, time.Millisecond)
	m.Observe("/x", http.MethodGet, 200, time.Millisecond)
	m.Observe("/x", "BREW", 200, time.Millisecond)
	m.Observe("/x", "PROPFIND", 200, time.Millisecond)
	m.Observe("", http.MethodGet, 404, time.Millisecond)
	m.Rejected(httpin.RejectNotFound)
	m.Observe("", http.MethodDelete, 405, time.Millisecond)
	m.Rejected(httpin.RejectMethod)

	got := map[string]float64{}
	for _, mt := range family(t, m, "troupe_requests_total").GetMetric() {
		l := labels(mt)
		got[l["route"]+" "+l["method"]+" "+l["status"]] = mt.GetCounter().GetValue()
	}
	want := map[string]float64{"/x GET 200": 2, "/x OTHER 200": 2, "unmatched GET 404": 1, "unmatched DELETE 405": 1}
	if !mapsEqual(got, want) {
		t.Errorf("troupe_requests_total = %v, want %v", got, want)
	}
	counts := map[string]uint64{}
	for _, mt := range family(t, m, "troupe_request_duration_seconds").GetMetric() {
		l := labels(mt)
		counts[l["route"]+" "+l["method"]] = mt.GetHistogram().GetSampleCount()
	}
	if counts["/x GET"] != 2 || counts["/x OTHER"] != 2 || len(counts) != 4 {
		t.Errorf("troupe_request_duration_seconds counts = %v", counts)
	}
	reasons := map[string]float64{}
	for _, mt := range family(t, m, "troupe_rejections_total").GetMetric() {
		reasons[labels(mt)["reason"]] = mt.GetCounter().GetValue()
	}
	if reasons["not_found"] != 1 || reasons["method_not_allowed"] != 1 {
		t.Errorf("troupe_rejections_total = %v, want not_found 1 and method_not_allowed 1", reasons)
	}
}

func mapsEqual[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// Every value of a label that takes a fixed set is snake_case (the method
// label's are HTTP's own spelling) and is named in its metric's HELP.
func TestLabelValuesSpelledAndListed(t *testing.T) {
	m := New()
	for _, r := range httpin.Rejections {
		m.Rejected(r)
	}
	for _, r := range httpin.ConnRejections {
		m.ConnRejected(r)
	}
	for _, meth := range append(slices.Clone(Methods), "BREW") {
		m.Observe("/x", meth, 200, time.Millisecond)
	}
	l, err := overload.New(overload.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m.Registry().MustRegister(NewOverloadCollector(func() []Limiter { return []Limiter{{Name: "ingress", L: l}} }))
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			for name, value := range labels(mt) {
				switch name {
				case "reason", "class", "estimate", "limiter":
					if !snake.MatchString(value) {
						t.Errorf("%s{%s=%q}: not snake_case", f.GetName(), name, value)
					}
				case "method":
					if value != MethodLabel(value) {
						t.Errorf("%s{method=%q}: not a bounded method label", f.GetName(), value)
					}
				default:
					continue
				}
				seen++
				if !strings.Contains(f.GetHelp(), value) {
					t.Errorf("%s's HELP does not list %s=%q: %s", f.GetName(), name, value, f.GetHelp())
				}
			}
		}
	}
	// The overload collector's 8 families each have a limiter label;
	// queued and admitted a class, service_time an estimate, rejected a
	// reason and a class for each.
	classes, reasons := overload.NumClasses, overload.NumReasons
	overloadValues := 4 + 2*classes + 2*classes + 2*2 + 3*reasons*classes
	if want := len(httpin.Rejections) + len(httpin.ConnRejections) + 2*(len(Methods)+1) + overloadValues; seen != want {
		t.Errorf("checked %d label values, want %d", seen, want)
	}
}

// troupe_build_info is 1, labelled with the build.
func TestBuildInfo(t *testing.T) {
	f := family(t, New(), "troupe_build_info")
	if len(f.GetMetric()) != 1 {
		t.Fatalf("%d troupe_build_info series, want 1", len(f.GetMetric()))
	}
	mt := f.GetMetric()[0]
	l := labels(mt)
	if mt.GetGauge().GetValue() != 1 || l["goversion"] != runtime.Version() || l["version"] == "" || l["revision"] == "" {
		t.Errorf("troupe_build_info%v = %g; want 1 with goversion %s, a version and a revision", l, mt.GetGauge().GetValue(), runtime.Version())
	}
}
