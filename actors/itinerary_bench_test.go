package actors_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/supervisor"
)

func nopStage(name string, kind actors.Kind) *actors.Spec {
	s := actors.StageFunc(func(*actors.Exchange) error { return nil })
	if kind == actors.Stateful {
		return &actors.Spec{Name: name, Kind: kind, New: func() actors.Stage { return s }}
	}
	return &actors.Spec{Name: name, Kind: kind, Stage: s}
}

// BenchmarkItinerary measures one exchange through five trivial stages plus
// a handler, without HTTP, hosted the ways troupe hosts stages:
//
//   - stateless: all six run on the calling goroutine (the request's), as
//     troupe runs stateless stages;
//   - stateless/capped: the same, each with a concurrency cap, the cost of
//     taking and giving back a slot per stage;
//   - stateful/1: five stateless stages and one stateful stage, whose
//     actor the exchange is handed to and back from — the README's shape;
//   - stateful/6: six stateful stages, six trips to actors.
//
// The figures are recorded in docs/ARCHITECTURE.md.
func BenchmarkItinerary(b *testing.B) {
	six := func(kind actors.Kind) []*actors.Spec {
		var out []*actors.Spec
		for _, n := range []string{"s1", "s2", "s3", "s4", "s5"} {
			out = append(out, nopStage(n, kind))
		}
		return append(out, handlerSpec(kind))
	}
	capped := func() [][]*actors.Spec {
		specs := six(actors.Stateless)
		for _, s := range specs {
			s.Concurrency = 64
		}
		return [][]*actors.Spec{specs}
	}
	oneStateful := func() [][]*actors.Spec {
		specs := six(actors.Stateless)
		return [][]*actors.Spec{specs[:3], {nopStage("st", actors.Stateful)}, specs[3:]}
	}
	cases := []struct {
		name string
		hops func() [][]*actors.Spec
	}{
		{"stateless", func() [][]*actors.Spec { return [][]*actors.Spec{six(actors.Stateless)} }},
		{"stateless/capped", capped},
		{"stateful/1", oneStateful},
		{"stateful/6", func() [][]*actors.Spec { return split(six(actors.Stateful)) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := newPipeline(b, supervisor.Policy{}, nil, c.hops()...)
			req := httptest.NewRequest("GET", "/x", nil)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ex := actors.NewExchange(context.Background(), req, p.it)
					ex.Deadline = time.Now().Add(time.Minute)
					if o := p.it.Serve(ex, nil); o != actors.Answered {
						b.Fatal(o)
					}
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
	return &actors.Spec{Name: "h", Kind: kind, Stage: actors.StageFunc(h)}
}

func split(specs []*actors.Spec) [][]*actors.Spec {
	out := make([][]*actors.Spec, len(specs))
	for i, s := range specs {
		out[i] = []*actors.Spec{s}
	}
	return out
}
