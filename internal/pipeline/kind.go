package pipeline

import (
	"errors"
	"fmt"
	"github.com/troupe-go/troupe/overload"
)

// Kind says how a stage is hosted, which decides what it may do.
type Kind int

const (
	// Stateless stages keep no state between requests of their own (or
	// keep it in something safe for concurrent use), and may block: wait on
	// a database, call a service. They run on the request's own goroutine,
	// which waits for the pipeline anyway, under the supervision of their
	// hop's actor, so a stage that blocks holds up only the request it
	// serves. A stateless Stage value is shared by every request and must
	// be safe for concurrent use. Spec.Concurrency caps how many requests
	// run it at once; by default nothing does. This is the default kind.
	Stateless Kind = iota
	// Stateful stages own state between requests (buckets, caches) without
	// locks: each actor gets its own instance from Spec.New and runs one
	// exchange at a time; with Spec.Partitions > 1, Spec.PartitionKey picks
	// the actor, so one key's state always lives in one actor. The request
	// hands its exchange to the actor and gets it back once the stage has
	// run. Stateful stages must not block: every request that needs the
	// actor waits behind the one it runs.
	Stateful
)

var kindNames = [...]string{"stateless", "stateful"}

// String returns the kind's lowercase name, as used in configuration.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// ParseKind returns the kind with the given lowercase name.
func ParseKind(name string) (Kind, error) {
	for i, n := range kindNames {
		if n == name {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown stage kind %q (want stateless or stateful)", name)
}

// Spec declares a stage: its name, its kind and how to make it. A Spec is
// read-only once handed to a pipeline.
type Spec struct {
	// Name identifies the stage in logs, metrics and readiness; required
	// and unique within a pipeline.
	Name string
	// Kind says how the stage is hosted. Defaults to Stateless.
	Kind Kind
	// Priority orders the stage among a route's stages. Defaults to Global.
	Priority Priority
	// Stage is the stage of the Stateless kind. It is shared by every
	// request and must be safe for concurrent use.
	Stage Stage
	// New returns a fresh stage instance, for the Stateful kind: one per
	// actor, and a new one each time the actor restarts.
	New func() Stage
	// Partitions is the number of actors of a Stateful stage. Defaults to 1.
	Partitions int
	// PartitionKey picks the actor of a partitioned Stateful stage: equal
	// keys always go to the same actor. Required when Partitions > 1. It is
	// asked again when the exchange comes back for the stage's
	// after-phase, so it must give the same key both times: compute it from
	// the request, or keep it in a per-request value on the first call.
	PartitionKey func(ex *Exchange) string
	// Concurrency caps how many requests run a Stateless stage at once:
	// the others wait for a slot, each on its own goroutine, critical ones
	// first, for a short while (100 ms; 5 ms once the wait has stood that
	// long), and are then refused 503 with Retry-After rather than served
	// late (package overload's queue, at a fixed limit). Zero, the
	// default, means no cap. Use it to protect what the stage calls (a
	// database pool of 20 connections); it is reported on /metrics as the
	// stage's running and waiting counts.
	Concurrency int
	// HTTPOnly marks a stage that only makes sense for an HTTP request
	// from a client (CORS, compression, security headers): the plan of a
	// job queue, whose exchanges come from a store, refuses it.
	HTTPOnly bool

	limit *limit // the Concurrency cap, shared by every hop the stage is in; made by NewHop
}

// Load returns how many requests run the stage now and how many wait for
// a slot, if it has a concurrency cap (Concurrency); capped is false if it
// has none, or is not in a pipeline yet.
func (s *Spec) Load() (running, waiting int, capped bool) {
	if s.limit == nil {
		return 0, 0, false
	}
	st := s.limit.l.Stats() // one snapshot for both counts
	return st.InFlight, st.QueuedTotal(), true
}

// Limiter returns the overload limiter of s's concurrency cap, or nil if
// it has none (or is not in a pipeline yet): for /metrics.
func Limiter(s *Spec) *overload.Limiter {
	if s.limit == nil {
		return nil
	}
	return s.limit.l
}

// Validate reports what is wrong with s, if anything.
func (s *Spec) Validate() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	switch s.Kind {
	case Stateless:
		if s.Stage == nil {
			errs = append(errs, fmt.Errorf("a %s stage needs Stage", s.Kind))
		}
	case Stateful:
		if s.New == nil {
			errs = append(errs, errors.New("a stateful stage needs New"))
		}
		if s.Partitions > 1 && s.PartitionKey == nil {
			errs = append(errs, errors.New("a partitioned stage needs PartitionKey"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown kind %d", int(s.Kind)))
	}
	if s.Partitions < 0 || s.Concurrency < 0 {
		errs = append(errs, errors.New("partitions and concurrency must not be negative"))
	}
	if s.Kind == Stateful && s.Concurrency > 0 {
		errs = append(errs, errors.New("concurrency is for stateless stages: a stateful actor runs one exchange at a time"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("stage %q: %w", s.Name, errors.Join(errs...))
	}
	return nil
}

// hasAfter reports whether the stage declares an after-phase. For a
// stateful stage it asks a throwaway instance, so a New that panics is
// reported here, while the pipeline is being built.
func (s *Spec) hasAfter() (ok bool, err error) {
	st := s.Stage
	if s.Kind == Stateful {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("stage %q: New panicked: %v", s.Name, r)
			}
		}()
		st = s.New()
	}
	_, ok = st.(AfterStage)
	return ok, nil
}
