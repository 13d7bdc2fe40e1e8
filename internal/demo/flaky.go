package demo

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/troupe-go/troupe"
	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/config"
)

// flakyOptions are the options of a flaky stage.
type flakyOptions struct {
	// PanicParam is the query parameter holding the probability of a
	// panic. Defaults to "panic".
	PanicParam string `yaml:"panic_param"`
}

// flakyKind is the stage kind "flaky": it panics with the probability the
// request asks for, to show that a panic fails only the request that hit it
// (500 at once) while the stage's actor is restarted under its supervision
// policy.
//
//	stages:
//	  flaky:
//	    kind: flaky
//	    options: {panic_param: panic}   # GET /demo/flaky?panic=0.3
//
// The parameter must be a number from 0 (never, the default) to 1
// (always); anything else is answered 400. Too many panics within the
// policy's window mark the stage down: its routes answer 503 until it
// comes back.
func flakyKind() config.Kind {
	return config.Kind{
		Doc:      "panics with the probability given by a query parameter (0 to 1). Options: panic_param (default panic).",
		Priority: actors.Business,
		New: func(name string, opts config.Options) (*actors.Spec, error) {
			o := flakyOptions{PanicParam: "panic"}
			if err := opts.Decode(&o); err != nil {
				return nil, err
			}
			if o.PanicParam == "" {
				return nil, opts.Errorf("flaky: option panic_param must not be empty")
			}
			return troupe.Stage(name, actors.Business, flaky{param: o.PanicParam, float: rand.Float64}), nil
		},
	}
}

// flaky panics at random, as often as the request asks.
type flaky struct {
	param string
	float func() float64 // a number in [0, 1); rand.Float64, safe for concurrent use
}

// Process panics with the requested probability.
func (f flaky) Process(ex *actors.Exchange) error {
	raw := ex.Request.URL.Query().Get(f.param)
	if raw == "" {
		return nil
	}
	p, err := strconv.ParseFloat(raw, 64)
	if err != nil || !(p >= 0 && p <= 1) { // NaN fails both comparisons
		return actors.NewError(http.StatusBadRequest,
			fmt.Sprintf("query parameter %s must be a number from 0 to 1, got %q", f.param, raw))
	}
	if f.float() < p {
		panic(fmt.Sprintf("flaky: simulated failure (%s=%s)", f.param, raw))
	}
	return nil
}
