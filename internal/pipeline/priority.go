package pipeline

import "fmt"

// Priority orders the stages of a route, as in the middleware frameworks
// troupe carries its ideas over from: every Global stage runs before every
// Routing stage, and so on down to Terminating. Stages of one priority keep
// the order in which they were declared: global, then outer group, inner
// group, then route.
type Priority int

const (
	// Global stages run first: CORS, logging, security headers.
	Global Priority = iota
	// Routing stages rewrite or resolve the request.
	Routing
	// Auth stages authenticate and authorise.
	Auth
	// Preprocessing stages validate and sanitise input.
	Preprocessing
	// Business stages hold application logic that precedes the handler.
	Business
	// Terminating stages run last before the handler; with an after-phase
	// they are the first to see its response (formatting, cleanup).
	Terminating
)

var priorityNames = [...]string{"global", "routing", "auth", "preprocessing", "business", "terminating"}

// String returns the priority's lowercase name, as used in configuration.
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return fmt.Sprintf("Priority(%d)", int(p))
	}
	return priorityNames[p]
}

// ParsePriority returns the priority with the given lowercase name.
func ParsePriority(name string) (Priority, error) {
	for i, n := range priorityNames {
		if n == name {
			return Priority(i), nil
		}
	}
	return 0, fmt.Errorf("unknown priority %q (want one of global, routing, auth, preprocessing, business, terminating)", name)
}
