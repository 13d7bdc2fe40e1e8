package config

import (
	"fmt"
	"strings"

	"github.com/troupe-go/troupe/actors"
)

// PureKind returns the kind of a stateless stage whose options decode into C and
// whose constructor is build: the usual shape of a catalogue stage.
// Unknown options and build's errors are reported at the options' line,
// build's prefixed with the kind's name.
//
//	reg.Register("cors", config.PureKind("cors", doc, actors.Global, cors.New))
func PureKind[C any](kind, doc string, p actors.Priority, build func(C) (actors.Stage, error)) Kind {
	return SpecKind(kind, doc, p, func(_ string, c C) (*actors.Spec, error) {
		s, err := build(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		return &actors.Spec{Kind: actors.Stateless, Stage: s}, nil
	})
}

// SpecKind returns the kind of a stage whose options decode into C and whose
// constructor builds the whole Spec (for stateful stages, or stateless ones with a concurrency cap),
// given the stage's name. build's errors are reported at the options' line
// as they are: name the stage in them.
func SpecKind[C any](kind, doc string, p actors.Priority, build func(name string, c C) (*actors.Spec, error)) Kind {
	return Kind{
		Doc:      doc,
		Priority: p,
		New: func(name string, opts Options) (*actors.Spec, error) {
			var c C
			if err := opts.Decode(&c); err != nil {
				return nil, err
			}
			spec, err := build(name, c)
			if err != nil {
				return nil, opts.Errorf("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
			}
			return spec, nil
		},
	}
}
