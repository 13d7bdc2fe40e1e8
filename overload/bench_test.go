package overload

import (
	"context"
	"runtime"
	"testing"
)

// BenchmarkAcquireRelease: one goroutine, a slot always free — the path
// every request takes when the server is not overloaded.
func BenchmarkAcquireRelease(b *testing.B) {
	l, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := l.Acquire(ctx, Default)
		if err != nil {
			b.Fatal(err)
		}
		p.Release()
	}
}

// BenchmarkAcquireReleaseParallel: every P acquiring and releasing at
// once, slots always free: the contention on the counters.
func BenchmarkAcquireReleaseParallel(b *testing.B) {
	l, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			p, err := l.Acquire(ctx, Default)
			if err != nil {
				b.Error(err)
				return
			}
			p.Release()
		}
	})
}

// BenchmarkAcquireReleaseSaturated: more goroutines than slots (4 per P,
// a limit of one per P), so most acquisitions queue and are handed a
// slot by a Release: the slow path.
func BenchmarkAcquireReleaseSaturated(b *testing.B) {
	n := runtime.GOMAXPROCS(0)
	l, err := New(Config{MinLimit: n, MaxLimit: n, MaxQueue: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			p, err := l.Acquire(ctx, Default)
			if err != nil {
				continue // refused: the queue's allowance ran out
			}
			p.Release()
		}
	})
}
