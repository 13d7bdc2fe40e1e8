package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/troupe-go/troupe/config"
)

// routesConfig returns a configuration of n routes (n a multiple of 10)
// as a generated file declares them, one line each: half at the top level,
// half in groups of ten; most merge the defaults anchored on the first,
// and they name stages or a stack.
func routesConfig(n int) []byte {
	var b strings.Builder
	b.WriteString(`stages:
  a: {kind: tag, options: {value: a}}
  b: {kind: tag, options: {value: b}}
stacks:
  ab: [a, b]
routes:
  - &defaults {method: GET, path: /, handler: ok, timeout: 2s}
`)
	for i := range n/2 - 1 {
		if i%2 == 0 {
			fmt.Fprintf(&b, "  - {<<: *defaults, path: \"/items/r%d/{id}\", stages: [ab]}\n", i)
		} else {
			fmt.Fprintf(&b, "  - {method: POST, path: \"/items/r%d\", handler: ok, stages: [a], options: {body: r%d}}\n", i, i)
		}
	}
	b.WriteString("groups:\n")
	for g := range n / 20 {
		fmt.Fprintf(&b, "  - prefix: /g%d\n    stages: [b]\n    routes:\n", g)
		for i := range 10 {
			fmt.Fprintf(&b, "      - {<<: *defaults, path: \"/r%d/{id}\"}\n", i)
		}
	}
	return []byte(b.String())
}

// Parse takes memory linear in the number of routes: four times the routes
// allocate four times the bytes, in four times the allocations, give or
// take a tenth (a quadratic cost would make it sixteen, and n log n 4.7 at
// these sizes). Allocations, unlike time, do not vary with the load of the
// machine.
func TestParseScalesLinearly(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 10,000 routes")
	}
	reg := testRegistry()
	measure := func(n int) (bytes uint64, allocs float64) {
		data := routesConfig(n)
		parse := func() {
			cfg, err := config.Parse("r.yaml", data, reg)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(cfg.Routes) + 10*len(cfg.Groups); got != n {
				t.Fatalf("parsed %d routes, want %d", got, n)
			}
		}
		parse() // warm up: lazily built tables and pools are not per route
		return allocated(parse), testing.AllocsPerRun(1, parse)
	}
	const n = 2_000
	bytes1, allocs1 := measure(n)
	bytes4, allocs4 := measure(4 * n)
	t.Logf("%d routes: %d bytes, %.0f allocations (%d B, %.1f allocations a route)", n, bytes1, allocs1, bytes1/n, allocs1/n)
	t.Logf("%d routes: %d bytes, %.0f allocations (%d B, %.1f allocations a route)", 4*n, bytes4, allocs4, bytes4/(4*n), allocs4/(4*n))
	if r := float64(bytes4) / float64(bytes1); r < 3.6 || r > 4.4 {
		t.Errorf("4× the routes allocate %.2f× the bytes, want 4 ± 0.4", r)
	}
	if r := allocs4 / allocs1; r < 3.6 || r > 4.4 {
		t.Errorf("4× the routes take %.2f× the allocations, want 4 ± 0.4", r)
	}
}

// BenchmarkParseRoutes parses configurations of routesConfig, reporting
// the time and memory per route.
func BenchmarkParseRoutes(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		data := routesConfig(n)
		reg := testRegistry()
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := config.Parse("r.yaml", data, reg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/route")
		})
	}
}
