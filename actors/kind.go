package actors

import (
	"errors"
	"fmt"
)

// Kind says how a stage is hosted by actors, which decides what it may do.
type Kind int

const (
	// Pure stages are functions of the exchange alone: no state between
	// requests, no blocking. Adjacent pure stages of a route are fused into
	// one actor, and that actor runs on its sender's goroutine, so a pure
	// stage costs no hop. A pure Stage value is shared by many actors and
	// must be safe for concurrent use.
	Pure Kind = iota
	// Stateful stages own state between requests (buckets, caches). Each
	// actor gets its own instance from Spec.New and runs one exchange at a
	// time; with Spec.Partitions > 1, Spec.PartitionKey picks the actor, so
	// one key's state always lives in one actor. Stateful stages must not
	// block.
	Stateful
	// Blocking stages may block (I/O, slow calls). They run on a pool of
	// Spec.Concurrency actors, each on a goroutine of its own, so at most
	// that many run at once; an exchange goes to an idle actor if there is
	// one, else to the least loaded.
	Blocking
)

var kindNames = [...]string{"pure", "stateful", "blocking"}

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
	return 0, fmt.Errorf("unknown stage kind %q (want pure, stateful or blocking)", name)
}

// DefaultConcurrency is the pool size of a Blocking stage whose Spec leaves
// Concurrency at zero.
const DefaultConcurrency = 16

// Spec declares a stage: its name, its kind and how to make it. A Spec is
// read-only once handed to a pipeline.
type Spec struct {
	// Name identifies the stage in logs, metrics and readiness; required
	// and unique within a pipeline.
	Name string
	// Kind says how the stage is hosted. Defaults to Pure.
	Kind Kind
	// Priority orders the stage among a route's stages. Defaults to Global.
	Priority Priority
	// Stage is the stage for Pure and Blocking kinds. It is shared by every
	// actor that hosts it and must be safe for concurrent use.
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
	// Concurrency is the number of actors of a Blocking stage, and so the
	// most exchanges it runs at once. Defaults to DefaultConcurrency.
	Concurrency int
}

// Validate reports what is wrong with s, if anything.
func (s *Spec) Validate() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	switch s.Kind {
	case Pure, Blocking:
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
