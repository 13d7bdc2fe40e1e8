package batching_test

import (
	"testing"
	"testing/synctest"

	"github.com/troupe-go/troupe/batching"
)

// LiveBatcher shows the queue while a batch runs, then the batches sent:
// their count, items, size histogram and flush reasons.
func TestLiveBatcher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{Name: "live", MaxBatchSize: 4, MaxInFlight: 1, MaxQueue: 16}, be.fn)
		first := submit(t.Context(), b, "", 0)
		synctest.Wait() // the eager batch of one runs
		var outs []<-chan outcome
		for v := 1; v <= 6; v++ {
			outs = append(outs, submit(t.Context(), b, "", v))
		}
		synctest.Wait()
		s := b.LiveBatcher()
		if s.Name != "live" || s.Queued != 6 || s.InFlight != 1 || s.MaxQueue != 16 || s.MaxInFlight != 1 || s.MaxBatchSize != 4 || s.Batches != 1 || s.Items != 1 {
			t.Errorf("while the first batch runs: %+v, want 6 queued, 1 batch of 1 sent and in flight", s)
		}
		be.next(t).double()
		synctest.Wait()
		be.next(t).double()
		synctest.Wait()
		be.next(t).double()
		<-first
		for _, ch := range outs {
			<-ch
		}
		s = b.LiveBatcher()
		if s.Queued != 0 || s.InFlight != 0 || s.Batches != 3 || s.Items != 7 {
			t.Errorf("after the batches {0} {1 2 3 4} {5 6}: %+v, want 3 batches of 7 items, nothing queued", s)
		}
		wantSizes := map[float64]uint64{1: 1, 2: 2, 4: 3, 8: 3} // cumulative
		for _, bk := range s.Sizes {
			if w, ok := wantSizes[bk.LE]; ok && bk.Count != w {
				t.Errorf("batches of at most %v items: %d, want %d", bk.LE, bk.Count, w)
			}
		}
		var flushes uint64
		for _, n := range s.Flushes {
			flushes += n
		}
		if flushes != 3 || s.Flushes["size"] != 1 {
			t.Errorf("flushes = %v, want 3, one of them for size", s.Flushes)
		}
		if len(s.Rejections) != 4 || s.Rejections["queue_full"] != 0 || s.Rejections["queue_delay"] != 0 {
			t.Errorf("rejections = %v, want every reason, at 0", s.Rejections)
		}
	})
}
