package actors_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/supervisor"
)

func nopStage(name string, kind actors.Kind) *actors.Spec {
	s := actors.StageFunc(func(*actors.Exchange) error { return nil })
	if kind == actors.Stateful {
		return &actors.Spec{Name: name, Kind: kind, New: func() actors.Stage { return s }}
	}
	return &actors.Spec{Name: name, Kind: kind, Stage: s, Concurrency: 4}
}

// BenchmarkItinerary measures one exchange through five trivial stages plus
// a handler, without HTTP, for the ways of hosting them troupe could choose:
//
//   - fused: all six in one pure hop (one actor, run on the sender's
//     goroutine by the synchronized dispatcher) — what troupe does for pure
//     stages;
//   - hops/sync: six hops of one stage each, every hop on the synchronized
//     dispatcher — the cost of a hop that needs no goroutine handoff
//     (troupe's stateful stages);
//   - hops/goroutine: six hops on Proto.Actor's default dispatcher (each
//     idle mailbox starts a goroutine) — the cost of handing off at every
//     stage (troupe's blocking stages, and Proto.Actor's default).
//
// The figures are recorded in docs/ARCHITECTURE.md; they decide what is
// fused and which dispatcher a kind gets.
func BenchmarkItinerary(b *testing.B) {
	six := func(kind actors.Kind) []*actors.Spec {
		var out []*actors.Spec
		for _, n := range []string{"s1", "s2", "s3", "s4", "s5"} {
			out = append(out, nopStage(n, kind))
		}
		return append(out, handlerSpec(kind))
	}
	cases := []struct {
		name string
		hops func() [][]*actors.Spec
	}{
		{"fused", func() [][]*actors.Spec { return [][]*actors.Spec{six(actors.Pure)} }},
		{"hops/sync", func() [][]*actors.Spec { return split(six(actors.Stateful)) }},
		{"hops/goroutine", func() [][]*actors.Spec { return split(six(actors.Blocking)) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := newPipeline(b, supervisor.Policy{}, nil, c.hops()...)
			req := httptest.NewRequest("GET", "/x", nil)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ex := actors.NewExchange(context.Background(), req, p.it)
					if err := p.it.Dispatch(ex); err != nil {
						b.Fatal(err)
					}
					<-ex.Done()
				}
			})
		})
	}
}

func handlerSpec(kind actors.Kind) *actors.Spec {
	h := func(ex *actors.Exchange) error { ex.Response.Status = 200; return nil }
	if kind == actors.Stateful {
		return &actors.Spec{Name: "h", Kind: kind, New: func() actors.Stage { return actors.StageFunc(h) }}
	}
	return &actors.Spec{Name: "h", Kind: kind, Stage: actors.StageFunc(h), Concurrency: 4}
}

func split(specs []*actors.Spec) [][]*actors.Spec {
	out := make([][]*actors.Spec, len(specs))
	for i, s := range specs {
		out[i] = []*actors.Spec{s}
	}
	return out
}
