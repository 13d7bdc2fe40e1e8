package bench

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// BenchmarkBatch POSTs the batch scenario's item to each batch peer over
// loopback HTTP from 4, 64 and 256 client goroutines in a closed loop
// (Go's HTTP client, in this process: its CPU is in ns/op and the
// allocations). It reports items/s (one item per request) and the mean
// batch size, items/call, from the peer's model. ns/op is wall time per
// item over all clients, so it falls as batching lets more items through.
//
//	go test -run='^$' -bench=Batch -benchtime=2s .
func BenchmarkBatch(b *testing.B) {
	for _, clients := range []int{4, 64, 256} {
		for _, name := range []string{"per-request", "chan-batcher", "troupe"} {
			b.Run(fmt.Sprintf("%s/clients=%d", name, clients), func(b *testing.B) {
				p := batchPeers(b)[name]
				base := startServer(b, p)
				benchBatchPeer(b, p, newClient(b, clients), base+BatchPath, clients)
			})
		}
	}
}

// benchBatchPeer loads url from clients goroutines and reports items/s
// and items per model call.
func benchBatchPeer(b *testing.B, p batchPeer, c *http.Client, url string, clients int) {
	post := func() error {
		req, err := http.NewRequestWithContext(b.Context(), http.MethodPost, url, strings.NewReader(BatchBody))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		status, h, body, err := roundTrip(c, req)
		if err != nil {
			return err
		}
		return BatchCases[0].Check(status, h, body)
	}
	if err := post(); err != nil {
		b.Fatal(err)
	}
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((clients + procs - 1) / procs)
	b.ReportAllocs()
	before := p.ModelCounts()
	begin := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := post(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(begin)
	after := p.ModelCounts()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "items/s")
	if calls := after.Calls - before.Calls; calls > 0 {
		b.ReportMetric(float64(after.Items-before.Items)/float64(calls), "items/call")
	}
}
