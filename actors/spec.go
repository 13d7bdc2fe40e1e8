package actors

import "github.com/troupe-go/troupe/internal/pipeline"

// Spec declares a stage: its Name, its Kind, its Priority, and how to make
// it (Stage for a Stateless stage, New for a Stateful one), with an
// optional Concurrency cap or Partitions. A Spec is read-only once handed
// to a pipeline.
type Spec = pipeline.Spec

// Kind says how a stage is hosted, which decides what it may do: Stateless
// (the default) or Stateful.
type Kind = pipeline.Kind

// The stage kinds.
const (
	// Stateless stages keep no state of their own between requests, may
	// block, and run on the request's own goroutine under their actor's
	// supervision. The default.
	Stateless = pipeline.Stateless
	// Stateful stages own state without locks: each actor of the stage has
	// its own instance and runs one exchange at a time; they must not block.
	Stateful = pipeline.Stateful
)

// ParseKind returns the kind with the given lowercase name ("stateless" or
// "stateful").
func ParseKind(name string) (Kind, error) { return pipeline.ParseKind(name) }

// Priority orders the stages of a route: every Global stage runs before
// every Routing stage, and so on down to Terminating; stages of one priority
// keep the order they were declared in.
type Priority = pipeline.Priority

// The priorities, in the order their stages run.
const (
	// Global stages run first: CORS, logging, security headers.
	Global = pipeline.Global
	// Routing stages rewrite or resolve the request.
	Routing = pipeline.Routing
	// Auth stages authenticate and authorise.
	Auth = pipeline.Auth
	// Preprocessing stages validate and sanitise input.
	Preprocessing = pipeline.Preprocessing
	// Business stages hold application logic that precedes the handler.
	Business = pipeline.Business
	// Terminating stages run last before the handler; with an after-phase
	// they are the first to see its response.
	Terminating = pipeline.Terminating
)

// ParsePriority returns the priority with the given lowercase name.
func ParsePriority(name string) (Priority, error) { return pipeline.ParsePriority(name) }
