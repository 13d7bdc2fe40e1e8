package auth

import (
	"fmt"

	"github.com/troupe-go/troupe/actors"
)

// Priority is the priority of every stage of the package: actors.Auth.
const Priority = actors.Auth

// spec returns a function that turns a constructor's stage into the Spec
// of a stage named name, or prefixes its error with the kind of stage, as
// the configuration names it.
func spec(name, kind string) func(actors.Stage, error) (*actors.Spec, error) {
	return func(s actors.Stage, err error) (*actors.Spec, error) {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kind, err)
		}
		return &actors.Spec{Name: name, Kind: actors.Stateless, Priority: Priority, Stage: s}, nil
	}
}
