package batching_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/internal/demobackend"
	"go.uber.org/zap"
)

// BenchmarkSubmit measures items per second through Submit to the demo
// model (1ms per call plus 10µs per item, at most 4 calls at once), with
// 4, 64 and 256 goroutines submitting in a closed loop, beside two peers:
// per-request, the same goroutines calling the model one item at a time
// (the baseline: 4 calls per ~1ms whatever the load), and channel, the
// hand-written batcher of demobackend.ChannelBatcher with the same policy.
// The batcher runs with the settings of batcherPolicies. It reports
// items/s, the mean batch size (items per model call), and the median
// and 99th
// percentile latency of one Submit.
//
//	go test -run=^$ -bench=Submit -benchtime=2s -count=3 ./batching
func BenchmarkSubmit(b *testing.B) {
	for _, n := range []int{4, 64, 256} {
		b.Run(fmt.Sprintf("per-request/submitters=%d", n), func(b *testing.B) {
			m := newModel(b)
			runSubmitters(b, m, n, func(ctx context.Context, f demobackend.Features) error {
				_, err := m.ScoreOne(ctx, f)
				return err
			})
		})
		b.Run(fmt.Sprintf("channel/max=16/submitters=%d", n), func(b *testing.B) {
			m := newModel(b)
			c := demobackend.NewChannelBatcher(m, 16, 4)
			defer c.Close()
			runSubmitters(b, m, n, func(ctx context.Context, f demobackend.Features) error {
				_, err := c.Submit(ctx, f)
				return err
			})
		})
		for _, p := range batcherPolicies {
			b.Run(fmt.Sprintf("batcher/%s/submitters=%d", p.name, n), func(b *testing.B) {
				m := newModel(b)
				sys := actors.NewSystem(zap.NewNop())
				defer sys.Shutdown()
				cfg := p.cfg
				cfg.MaxInFlight, cfg.MaxQueue = 4, 4096
				bt, err := batching.New(cfg, m.Score)
				if err != nil {
					b.Fatal(err)
				}
				if err := bt.Start(sys); err != nil {
					b.Fatal(err)
				}
				defer bt.Stop(context.Background())
				runSubmitters(b, m, n, func(ctx context.Context, f demobackend.Features) error {
					_, err := bt.Submit(ctx, f)
					return err
				})
			})
		}
	}
}

// batcherPolicies are the settings BenchmarkSubmit runs the batcher with:
// its defaults (eager when idle, fair share) with two batch sizes, and
// Triton's default policy (a batch whenever a slot is free), which the
// channel peer has too.
var batcherPolicies = []struct {
	name string
	cfg  batching.Config
}{
	{"max=32", batching.Config{MaxBatchSize: 32}},
	{"max=64", batching.Config{MaxBatchSize: 64}},
	{"max=16/any-free-slot", batching.Config{MaxBatchSize: 16, EagerInFlight: 4, DisableFairShare: true}},
}

func newModel(b *testing.B) *demobackend.Model {
	m, err := demobackend.New(demobackend.Config{CallCost: time.Millisecond, ItemCost: 10 * time.Microsecond, Concurrency: 4})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// runSubmitters runs submit from n goroutines until the benchmark has its
// items, and reports items/s, the mean batch size and the median latency.
func runSubmitters(b *testing.B, m *demobackend.Model, n int, submit func(context.Context, demobackend.Features) error) {
	b.ReportAllocs()
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((n + procs - 1) / procs)
	var mu sync.Mutex
	var lat []time.Duration
	f := demobackend.Features{ID: "a1", Features: []float64{0.5, 1.5}}
	begin := time.Now()
	calls0, items0 := m.Calls(), m.Items()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if err := submit(context.Background(), f); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(begin)
	slices.Sort(lat)
	calls, items := m.Calls()-calls0, m.Items()-items0
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "items/s")
	if calls > 0 {
		b.ReportMetric(float64(items)/float64(calls), "items/call")
	}
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkSubmitOverhead measures the batcher's own cost per item: a
// batch function that does nothing, many goroutines submitting. ns/op is
// CPU time per item on the machine, spread over its cores.
//
//	go test -run=^$ -bench=SubmitOverhead ./batching
func BenchmarkSubmitOverhead(b *testing.B) {
	sys := actors.NewSystem(zap.NewNop())
	defer sys.Shutdown()
	noop := func(_ context.Context, items []batching.Item[int]) ([]batching.Result[int], error) {
		return make([]batching.Result[int], len(items)), nil
	}
	bt, err := batching.New(batching.Config{MaxBatchSize: 64, MaxInFlight: 4, MaxQueue: 1 << 16}, noop)
	if err != nil {
		b.Fatal(err)
	}
	if err := bt.Start(sys); err != nil {
		b.Fatal(err)
	}
	defer bt.Stop(context.Background())
	b.ReportAllocs()
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bt.Submit(context.Background(), 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
