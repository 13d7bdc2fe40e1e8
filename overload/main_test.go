package overload

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// withAlgorithm replaces the limit algorithm, for the comparisons.
func withAlgorithm(a algorithm) Option { return func(o *options) { o.algo = a } }

// withLIFO turns adaptive LIFO on or off, for the comparisons.
func withLIFO(on bool) Option { return func(o *options) { o.lifo = on } }
