package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/troupe-go/troupe/bench"
	"go.uber.org/zap"
)

// tracingScenario is scenario tracing: the taught peer with tracing off,
// and traced at 1% and at 100% (OTLP/HTTP to a collector on loopback that
// drops the spans). What tracing costs is the difference in CPU per
// request; the target is at most 1 µs at 1%.
func tracingScenario(c *config, log *zap.Logger) (*scenario, error) {
	one, err := bench.NewTraced(c.stages, log, 0.01)
	if err != nil {
		return nil, fmt.Errorf("traced peer: %w", err)
	}
	all, err := bench.NewTraced(c.stages, log, 1)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("traced peer: %w", err), one.Shutdown(context.Background()))
	}
	return &scenario{
		name:  scenarioTracing,
		title: fmt.Sprintf("what tracing costs: troupe as the README teaches, %d trivial middleware + a small JSON handler, tracing off, at 1%%, at 100%%", c.stages),
		notes: []string{
			"off:       the taught peer, no TracerProvider",
			"1%, 100%:  the same with WithTracerProvider: ParentBased(TraceIDRatioBased), batch span processor, OTLP/HTTP to a loopback collector in this process",
			"           (its CPU is in the figures); requests carry no traceparent",
		},
		unit: "req",
		peers: []*namedPeer{
			trivialPeer("off", bench.NewTroupeAsTaught(c.stages, log), c.stages),
			trivialPeer("1%", one, c.stages),
			trivialPeer("100%", all, c.stages),
		},
		comparisons: []comparison{{num: "1%", den: "off"}, {num: "100%", den: "off"}},
	}, nil
}
