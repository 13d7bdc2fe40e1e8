package pipeline_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/troupe-go/troupe/internal/pipeline"
	"github.com/troupe-go/troupe/supervisor"
)

func nopStage(name string, kind pipeline.Kind) *pipeline.Spec {
	s := pipeline.StageFunc(func(*pipeline.Exchange) error { return nil })
	if kind == pipeline.Stateful {
		return &pipeline.Spec{Name: name, Kind: kind, New: func() pipeline.Stage { return s }}
	}
	return &pipeline.Spec{Name: name, Kind: kind, Stage: s}
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
//   - stateful/6: six stateful stages, six trips to pipeline.
//
// The figures are recorded in docs/ARCHITECTURE.md.
func BenchmarkItinerary(b *testing.B) {
	six := func(kind pipeline.Kind) []*pipeline.Spec {
		var out []*pipeline.Spec
		for _, n := range []string{"s1", "s2", "s3", "s4", "s5"} {
			out = append(out, nopStage(n, kind))
		}
		return append(out, handlerSpec(kind))
	}
	capped := func() [][]*pipeline.Spec {
		specs := six(pipeline.Stateless)
		for _, s := range specs {
			s.Concurrency = 64
		}
		return [][]*pipeline.Spec{specs}
	}
	oneStateful := func() [][]*pipeline.Spec {
		specs := six(pipeline.Stateless)
		return [][]*pipeline.Spec{specs[:3], {nopStage("st", pipeline.Stateful)}, specs[3:]}
	}
	cases := []struct {
		name string
		hops func() [][]*pipeline.Spec
	}{
		{"stateless", func() [][]*pipeline.Spec { return [][]*pipeline.Spec{six(pipeline.Stateless)} }},
		{"stateless/capped", capped},
		{"stateful/1", oneStateful},
		{"stateful/6", func() [][]*pipeline.Spec { return split(six(pipeline.Stateful)) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			p := newPipeline(b, supervisor.Policy{}, nil, c.hops()...)
			req := httptest.NewRequest("GET", "/x", nil)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ex := pipeline.NewExchange(context.Background(), req, p.it)
					ex.Deadline = time.Now().Add(time.Minute)
					if o := p.it.Serve(ex, nil); o != pipeline.Answered {
						b.Fatal(o)
					}
				}
			})
		})
	}
}

func handlerSpec(kind pipeline.Kind) *pipeline.Spec {
	h := func(ex *pipeline.Exchange) error { ex.Response.Status = 200; return nil }
	if kind == pipeline.Stateful {
		return &pipeline.Spec{Name: "h", Kind: kind, New: func() pipeline.Stage { return pipeline.StageFunc(h) }}
	}
	return &pipeline.Spec{Name: "h", Kind: kind, Stage: pipeline.StageFunc(h)}
}

func split(specs []*pipeline.Spec) [][]*pipeline.Spec {
	out := make([][]*pipeline.Spec, len(specs))
	for i, s := range specs {
		out[i] = []*pipeline.Spec{s}
	}
	return out
}
