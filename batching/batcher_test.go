package batching_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"go.uber.org/zap"
)

// Many callers, one batch function call per batch, each caller its own
// answer.
func TestSubmitAnswersEachCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{MaxBatchSize: 4, MaxInFlight: 1}, be.fn)
		first := submit(t.Context(), b, "", 0)
		synctest.Wait()
		var outs []<-chan outcome
		for v := 1; v <= 6; v++ {
			outs = append(outs, submit(t.Context(), b, "", v))
			synctest.Wait() // in this order
		}
		synctest.Wait()
		be.next(t).double() // the eager batch of one
		synctest.Wait()
		be.next(t).double() // 1–4: a full batch went as soon as the slot freed
		synctest.Wait()
		be.next(t).double() // 5, 6 after the delay, or at once as the backend is idle
		if o := <-first; o.v != 0 || o.err != nil {
			t.Errorf("item 0 = %+v", o)
		}
		for i, ch := range outs {
			if o := <-ch; o.v != 2*(i+1) || o.err != nil {
				t.Errorf("item %d = %+v, want %d", i+1, o, 2*(i+1))
			}
		}
		if got, want := be.calls(), [][]int{{0}, {1, 2, 3, 4}, {5, 6}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("batches %v, want %v", got, want)
		}
	})
}

// Per-item errors reach their own callers only.
func TestPartialFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, batching.Config{MaxBatchSize: 4, EagerInFlight: -1, DisableFairShare: true}, func(_ context.Context, items []batching.Item[int]) ([]batching.Result[int], error) {
			rs := make([]batching.Result[int], len(items))
			for i, it := range items {
				if it.Value%2 == 1 {
					rs[i].Err = actors.Errorf(http.StatusUnprocessableEntity, "odd %d", it.Value)
				} else {
					rs[i].Value = it.Value
				}
			}
			return rs, nil
		})
		var outs []<-chan outcome
		for v := range 4 {
			outs = append(outs, submit(t.Context(), b, "", v))
		}
		for v, ch := range outs {
			o := <-ch
			if v%2 == 1 && actors.ErrorStatus(o.err) != http.StatusUnprocessableEntity || v%2 == 0 && (o.err != nil || o.v != v) {
				t.Errorf("item %d = %+v", v, o)
			}
		}
	})
}

// A batch function that fails, panics or miscounts fails every item of
// its batch, once, and the batcher carries on.
func TestWholeBatchFailures(t *testing.T) {
	boom := errors.New("backend down")
	tests := []struct {
		name       string
		give       func() ([]batching.Result[int], error)
		wantIs     error
		wantStatus int
	}{
		{name: "error", give: func() ([]batching.Result[int], error) { return nil, boom }, wantIs: boom, wantStatus: 500},
		{name: "panic", give: func() ([]batching.Result[int], error) { panic("kaput") }, wantStatus: 500},
		{name: "result count", give: func() ([]batching.Result[int], error) { return make([]batching.Result[int], 1), nil }, wantIs: batching.ErrResultCount, wantStatus: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				be := &backend{}
				b := start(t, batching.Config{MaxBatchSize: 3, EagerInFlight: -1, DisableFairShare: true}, be.fn)
				var outs []<-chan outcome
				for v := 1; v <= 3; v++ {
					outs = append(outs, submit(t.Context(), b, "", v))
				}
				synctest.Wait()
				be.next(t).answer(tt.give)
				for i, ch := range outs {
					o := <-ch
					if tt.wantIs != nil && !errors.Is(o.err, tt.wantIs) || actors.ErrorStatus(o.err) != tt.wantStatus {
						t.Errorf("item %d: err %v (status %d), want %v (%d)", i, o.err, actors.ErrorStatus(o.err), tt.wantIs, tt.wantStatus)
					}
				}
				after := submit(t.Context(), b, "", 4)
				time.Sleep(batching.DefaultMaxDelay)
				synctest.Wait()
				be.next(t).double()
				if o := <-after; o.v != 8 || o.err != nil {
					t.Errorf("after the failure: %+v, want 8", o)
				}
			})
		})
	}
}

// A panic's cause is a *PanicError with the value.
func TestPanicError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := start(t, batching.Config{}, func(context.Context, []batching.Item[int]) ([]batching.Result[int], error) {
			panic("kaput")
		})
		_, err := b.Submit(t.Context(), 1)
		if pe, ok := errors.AsType[*batching.PanicError](err); !ok || pe.Value != "kaput" || len(pe.Stack) == 0 {
			t.Errorf("err = %v, want a *PanicError of \"kaput\" with a stack", err)
		}
	})
}

// A caller that goes away is answered at once, and its item, still
// waiting, never reaches the batch function.
func TestCancelledItemNeverSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{MaxInFlight: 1}, be.fn)
		first := submit(t.Context(), b, "", 1)
		synctest.Wait()
		ctx, cancel := context.WithCancel(t.Context())
		gone := submit(ctx, b, "", 2)
		stays := submit(t.Context(), b, "", 3)
		synctest.Wait()
		cancel()
		if o := <-gone; !errors.Is(o.err, context.Canceled) {
			t.Fatalf("cancelled Submit = %+v, want context.Canceled", o)
		}
		be.next(t).double()
		synctest.Wait()
		be.next(t).double()
		<-first
		<-stays
		if got, want := be.calls(), [][]int{{1}, {3}}; !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("batches %v, want %v", got, want)
		}
	})
}

// An item whose deadline passes while it waits is answered
// DeadlineExceeded at its deadline, and never sent.
func TestExpiredItemNeverSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{MaxInFlight: 1}, be.fn)
		first := submit(t.Context(), b, "", 1)
		synctest.Wait()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
		defer cancel()
		begin := time.Now()
		o := <-submit(ctx, b, "", 2)
		if !errors.Is(o.err, context.DeadlineExceeded) || time.Since(begin) != 5*time.Millisecond {
			t.Errorf("Submit = %+v after %v, want DeadlineExceeded after 5ms", o, time.Since(begin))
		}
		be.next(t).double()
		<-first
		synctest.Wait()
		if got := be.calls(); len(got) != 1 {
			t.Errorf("batches %v, want only the first", got)
		}
	})
}

// With EstimatedDuration, an item that could not finish in time is
// answered 504 at once instead of being sent.
func TestTooLateNotSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{EstimatedDuration: 10 * time.Millisecond}, be.fn)
		ctx, cancel := context.WithTimeout(t.Context(), 9*time.Millisecond)
		defer cancel()
		_, err := b.Submit(ctx, 1)
		if !errors.Is(err, batching.ErrTooLate) || actors.ErrorStatus(err) != http.StatusGatewayTimeout {
			t.Errorf("Submit = %v, want ErrTooLate (504)", err)
		}
		if be.waiting() != 0 {
			t.Error("the item was sent")
		}
	})
}

// The batch function's context ends when every caller of the batch has
// gone, not before, and carries the latest deadline.
func TestBatchContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{MaxBatchSize: 2, EagerInFlight: -1, DisableFairShare: true}, be.fn)
		ctx1, cancel1 := context.WithTimeout(t.Context(), time.Second)
		ctx2, cancel2 := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel2()
		o1, o2 := submit(ctx1, b, "", 1), submit(ctx2, b, "", 2)
		synctest.Wait()
		c := be.next(t)
		if d, ok := c.ctx.Deadline(); !ok || d != time.Now().Add(2*time.Second) {
			t.Errorf("batch deadline = %v, %v; want the latest, in 2s", d, ok)
		}
		cancel1()
		<-o1
		synctest.Wait()
		if c.ctx.Err() != nil {
			t.Fatal("the batch's context ended while a caller still waits")
		}
		cancel2()
		<-o2
		synctest.Wait()
		if !errors.Is(c.ctx.Err(), context.Canceled) {
			t.Errorf("batch context: %v, want cancelled once every caller has gone", c.ctx.Err())
		}
		c.double()
	})
}

// Past the queue bound, Submit fails at once with the configured status
// and Retry-After — it never waits.
func TestQueueFullRejectsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{MaxQueue: 2, RejectStatus: http.StatusTooManyRequests, RetryAfter: 3 * time.Second}, be.fn)
		busy := submit(t.Context(), b, "", 0)
		synctest.Wait()
		waiting := []<-chan outcome{submit(t.Context(), b, "", 1), submit(t.Context(), b, "", 2)}
		synctest.Wait()
		begin := time.Now()
		_, err := b.Submit(t.Context(), 3)
		ae, _ := errors.AsType[*actors.Error](err)
		if !errors.Is(err, batching.ErrQueueFull) || ae.Status != http.StatusTooManyRequests || ae.RetryAfter != 3*time.Second || time.Since(begin) != 0 {
			t.Errorf("Submit = %v, want ErrQueueFull 429 with Retry-After 3s, at once", err)
		}
		be.next(t).double()
		synctest.Wait()
		be.next(t).double()
		<-busy
		for _, ch := range waiting {
			<-ch
		}
	})
}

// Stop sends what waits at once, answers every item it accepted, refuses
// new ones, and may be called twice.
func TestStopFlushes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		sys := actors.NewSystem(zap.NewNop())
		defer sys.Shutdown()
		b, _ := batching.New(batching.Config{MaxBatchSize: 8, MaxDelay: time.Hour, EagerInFlight: -1, DisableFairShare: true}, be.fn)
		if err := b.Start(sys); err != nil {
			t.Fatal(err)
		}
		var outs []<-chan outcome
		for v := range 5 {
			outs = append(outs, submit(t.Context(), b, "k", v))
			synctest.Wait() // in this order
		}
		synctest.Wait()
		stopped := make(chan error, 1)
		go func() { stopped <- b.Stop(context.Background()) }()
		synctest.Wait()
		c := be.next(t)
		if !slices.Equal(c.values(), []int{0, 1, 2, 3, 4}) {
			t.Errorf("shutdown batch %v, want every waiting item", c.values())
		}
		if _, err := b.Submit(t.Context(), 9); !errors.Is(err, batching.ErrStopped) {
			t.Errorf("Submit while stopping = %v, want ErrStopped", err)
		}
		select {
		case <-stopped:
			t.Fatal("Stop returned with a batch in flight")
		default:
		}
		c.double()
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		for v, ch := range outs {
			if o := <-ch; o.err != nil || o.v != 2*v {
				t.Errorf("item %d = %+v", v, o)
			}
		}
		if err := b.Stop(context.Background()); err != nil {
			t.Errorf("second Stop = %v", err)
		}
		if _, err := b.Submit(t.Context(), 9); !errors.Is(err, batching.ErrStopped) {
			t.Errorf("Submit after Stop = %v, want ErrStopped", err)
		}
	})
}

// When Stop's context ends first, waiting items are answered ErrStopped,
// the batches in flight see their context end, and a later Stop waits
// for them.
func TestStopRunsOutOfTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sys := actors.NewSystem(zap.NewNop())
		defer sys.Shutdown()
		b, _ := batching.New(batching.Config{MaxInFlight: 1}, func(ctx context.Context, items []batching.Item[int]) ([]batching.Result[int], error) {
			<-ctx.Done() // a slow backend that gives up only when told
			return nil, ctx.Err()
		})
		if err := b.Start(sys); err != nil {
			t.Fatal(err)
		}
		inFlight := submit(context.Background(), b, "", 1)
		synctest.Wait()
		waiting := submit(context.Background(), b, "", 2)
		synctest.Wait()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := b.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop = %v, want DeadlineExceeded", err)
		}
		if o := <-waiting; !errors.Is(o.err, batching.ErrStopped) {
			t.Errorf("waiting item = %+v, want ErrStopped", o)
		}
		if o := <-inFlight; !errors.Is(o.err, context.Canceled) {
			t.Errorf("item in flight = %+v, want its batch's context error", o)
		}
		if err := b.Stop(context.Background()); err != nil {
			t.Errorf("second Stop = %v", err)
		}
	})
}

// Before Start, Submit fails with ErrNotStarted; a batcher starts once;
// Stop before Start is fine.
func TestLifecycleErrors(t *testing.T) {
	sys := actors.NewSystem(zap.NewNop())
	defer sys.Shutdown()
	fn := func(context.Context, []batching.Item[int]) ([]batching.Result[int], error) { return nil, nil }
	b, _ := batching.New(batching.Config{}, fn)
	if _, err := b.Submit(t.Context(), 1); !errors.Is(err, batching.ErrNotStarted) {
		t.Errorf("Submit before Start = %v, want ErrNotStarted", err)
	}
	if err := b.Start(sys); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(sys); err == nil {
		t.Error("second Start succeeded")
	}
	if err := b.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	never, _ := batching.New(batching.Config{}, fn)
	if err := never.Stop(t.Context()); err != nil {
		t.Errorf("Stop before Start = %v", err)
	}
	if err := never.Start(sys); err == nil {
		t.Error("Start after Stop succeeded")
	}
}

// New refuses bad settings, naming them.
func TestNewRejectsBadConfig(t *testing.T) {
	fn := func(context.Context, []batching.Item[int]) ([]batching.Result[int], error) { return nil, nil }
	tests := []struct {
		name string
		give batching.Config
		want string
	}{
		{name: "negative size", give: batching.Config{MaxBatchSize: -1}, want: "must not be negative"},
		{name: "negative delay", give: batching.Config{MaxDelay: -time.Second}, want: "must not be negative"},
		{name: "preferred above max", give: batching.Config{MaxBatchSize: 4, PreferredBatchSizes: []int{8}}, want: "preferred batch size 8"},
		{name: "reject status", give: batching.Config{RejectStatus: 200}, want: "reject status 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := batching.New(tt.give, fn); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.give, err, tt.want)
			}
		})
	}
	if _, err := batching.New[int, int](batching.Config{}, nil); err == nil {
		t.Error("New with no batch function succeeded")
	}
}

// The metrics count batches, flush reasons, rejections and drops, under
// the batcher's name.
func TestMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		be := &backend{}
		b := start(t, batching.Config{Name: "scores", MaxBatchSize: 2, MaxQueue: 2}, be.fn)
		reg := prometheus.NewRegistry()
		reg.MustRegister(b)
		first := submit(t.Context(), b, "", 1) // eager
		synctest.Wait()
		ctx, cancel := context.WithCancel(t.Context())
		gone := submit(ctx, b, "", 2)
		full := submit(t.Context(), b, "", 3) // fills the queue with the one above
		synctest.Wait()
		if _, err := b.Submit(t.Context(), 4); !errors.Is(err, batching.ErrQueueFull) {
			t.Fatalf("Submit = %v, want ErrQueueFull", err)
		}
		if got := metric(t, reg, "troupe_batch_queue_items", ""); got != 2 {
			t.Errorf("troupe_batch_queue_items = %v, want 2", got)
		}
		if got := metric(t, reg, "troupe_batch_in_flight", ""); got != 1 {
			t.Errorf("troupe_batch_in_flight = %v, want 1", got)
		}
		cancel()
		<-gone
		be.next(t).double()
		synctest.Wait()
		be.next(t).double()
		<-first
		<-full
		synctest.Wait()
		tests := []struct {
			name, reason string
			want         float64
		}{
			{"troupe_batch_flushes_total", "eager", 2},
			{"troupe_batch_flushes_total", "size", 0},
			{"troupe_batch_rejections_total", "queue_full", 1},
			{"troupe_batch_dropped_total", "canceled", 1},
			{"troupe_batch_failures_total", "panic", 0},
			{"troupe_batch_size", "", 2},               // count of batches
			{"troupe_batch_queue_wait_seconds", "", 2}, // count of items sent
			{"troupe_batch_duration_seconds", "", 2},   // count of batches
			{"troupe_batch_queue_items", "", 0},
			{"troupe_batch_in_flight", "", 0},
		}
		for _, tt := range tests {
			if got := metric(t, reg, tt.name, tt.reason); got != tt.want {
				t.Errorf("%s{reason=%q} = %v, want %v", tt.name, tt.reason, got, tt.want)
			}
		}
	})
}

// fataler is what metric needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// metric returns the value of the series of name in reg whose reason
// label is reason ("" for none): a counter's or gauge's value, a
// histogram's count. Every series must carry the batcher label.
func metric(t fataler, reg *prometheus.Registry, name, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["batcher"] == "" {
				t.Errorf("%s has no batcher label", name)
			}
			if labels["reason"] != reason {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no series %s{reason=%q}", name, reason)
	return 0
}
