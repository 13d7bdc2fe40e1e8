package batching_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"go.uber.org/zap"
)

// A batcher of string lengths: three callers, one answer each.
func Example() {
	sys := actors.NewSystem(zap.NewNop())
	defer sys.Shutdown()
	lengths := func(_ context.Context, items []batching.Item[string]) ([]batching.Result[int], error) {
		out := make([]batching.Result[int], len(items))
		for i, it := range items {
			out[i].Value = len(it.Value)
		}
		return out, nil
	}
	b, err := batching.New(batching.Config{Name: "lengths", MaxBatchSize: 8}, lengths)
	if err != nil {
		panic(err)
	}
	if err := b.Start(sys); err != nil {
		panic(err)
	}
	defer b.Stop(context.Background()) // answers every item it accepted, then stops

	results := make([]int, 3)
	var wg sync.WaitGroup
	for i, word := range []string{"a", "bb", "ccc"} {
		wg.Go(func() { results[i], _ = b.Submit(context.Background(), word) })
	}
	wg.Wait()
	fmt.Println(results)
	// Output: [1 2 3]
}
