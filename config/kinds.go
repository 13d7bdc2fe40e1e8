package config

import (
	"errors"
	"strings"

	"github.com/troupe-go/troupe/actors"
)

// StageKind returns the kind of a stage whose options decode into C and whose
// constructor is build: the shape of every catalogue constructor,
// New(name string, cfg Config) (*actors.Spec, error).
//
//	reg.Register("cors", config.StageKind(doc, cors.Priority, cors.New))
//
// p is the kind's default priority, the one `server -kinds` prints and a
// stage's priority key overrides: pass the constant the package's
// constructor puts in its Spec (cors.Priority), so that both come from one
// place. It is given apart from build because it is printed before any
// options exist. A handler kind may be made the same way; handlers always
// come last, whatever p says.
//
// Unknown options are reported at their line. build's errors are reported
// at the options' line as they are, on one line: name the stage or kind in
// them. An error that has a method OptionKey() string is placed at the line
// of that option's key instead, when the key is given.
func StageKind[C any](doc string, p actors.Priority, build func(name string, c C) (*actors.Spec, error)) Kind {
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
				msg := strings.ReplaceAll(err.Error(), "\n", "; ")
				if ke, ok := errors.AsType[optionKeyer](err); ok {
					return nil, opts.KeyErrorf(ke.OptionKey(), "%s", msg)
				}
				return nil, opts.Errorf("%s", msg)
			}
			return spec, nil
		},
	}
}

// optionKeyer is an error about one option, which StageKind places at the
// line of that option's key.
type optionKeyer interface {
	error
	OptionKey() string
}
