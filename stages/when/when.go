// Package when makes stages conditional: a stage wrapped by Stage runs only
// for the requests a Predicate accepts; for the others it is as if it were
// not on the route.
//
//	audit := when.Stage(when.All(when.PathPrefix("/admin"), when.Method("POST", "DELETE")), auditSpec)
//
// Predicates look at the request only (canonical path, method, headers,
// query), never at what earlier stages did, so the after-phase of a
// conditional stage runs exactly when its Process did.
package when

import (
	"net/http"
	"strings"

	"github.com/troupe-go/troupe/actors"
)

// Predicate decides whether a conditional stage runs for a request. It must
// depend on the request alone and be safe for concurrent use.
type Predicate func(ex *actors.Exchange) bool

// PathPrefix holds for the canonical path prefix and the paths below it,
// segment by segment: "/admin" matches "/admin" and "/admin/users", not
// "/administrator".
func PathPrefix(prefix string) Predicate {
	prefix = "/" + strings.Trim(prefix, "/")
	return func(ex *actors.Exchange) bool {
		p := ex.Path
		if prefix == "/" {
			return true
		}
		return p == prefix || strings.HasPrefix(p, prefix) && p[len(prefix)] == '/'
	}
}

// Method holds for the given methods.
func Method(methods ...string) Predicate {
	return func(ex *actors.Exchange) bool {
		for _, m := range methods {
			if ex.Request.Method == m {
				return true
			}
		}
		return false
	}
}

// Header holds when the request has the header, whatever its value.
func Header(name string) Predicate {
	name = http.CanonicalHeaderKey(name)
	return func(ex *actors.Exchange) bool { _, ok := ex.Request.Header[name]; return ok }
}

// HeaderEquals holds when one of the header's values is value.
func HeaderEquals(name, value string) Predicate {
	name = http.CanonicalHeaderKey(name)
	return func(ex *actors.Exchange) bool {
		for _, v := range ex.Request.Header[name] {
			if v == value {
				return true
			}
		}
		return false
	}
}

// Query holds when the query has the parameter, whatever its value.
func Query(name string) Predicate {
	return func(ex *actors.Exchange) bool { return ex.Request.URL.Query().Has(name) }
}

// QueryEquals holds when one of the parameter's values is value.
func QueryEquals(name, value string) Predicate {
	return func(ex *actors.Exchange) bool {
		for _, v := range ex.Request.URL.Query()[name] {
			if v == value {
				return true
			}
		}
		return false
	}
}

// All holds when every predicate holds (and for none).
func All(ps ...Predicate) Predicate {
	return func(ex *actors.Exchange) bool {
		for _, p := range ps {
			if !p(ex) {
				return false
			}
		}
		return true
	}
}

// Any holds when at least one predicate holds.
func Any(ps ...Predicate) Predicate {
	return func(ex *actors.Exchange) bool {
		for _, p := range ps {
			if p(ex) {
				return true
			}
		}
		return false
	}
}

// Not holds when p does not.
func Not(p Predicate) Predicate { return func(ex *actors.Exchange) bool { return !p(ex) } }

// Stage returns spec made conditional on pred: the same name, kind,
// priority and partitioning, running only where pred holds. It is a
// combinator over the Spec of any stage, such as one a catalogue package's
// New returns, not a stage constructor of its own: spec is not changed.
func Stage(pred Predicate, spec *actors.Spec) *actors.Spec {
	out := *spec
	if spec.Stage != nil {
		out.Stage = wrap(pred, spec.Stage)
	}
	if spec.New != nil {
		newInner := spec.New
		out.New = func() actors.Stage { return wrap(pred, newInner()) }
	}
	return &out
}

func wrap(pred Predicate, s actors.Stage) actors.Stage {
	if a, ok := s.(actors.AfterStage); ok {
		return conditionalAfter{conditional: conditional{pred, s}, after: a, ran: actors.NewKey[bool]("when: ran")}
	}
	return conditional{pred, s}
}

type conditional struct {
	pred  Predicate
	inner actors.Stage
}

func (c conditional) Process(ex *actors.Exchange) error {
	if !c.pred(ex) {
		return nil
	}
	return c.inner.Process(ex)
}

// conditionalAfter is a conditional stage with an after-phase. The
// predicate is asked once, in Process, and the after-phase runs if and only
// if the inner Process did: a later stage may change what the predicate
// reads (a header), and a throttle's After must free the slot its Process
// took, never another's.
type conditionalAfter struct {
	conditional
	after actors.AfterStage
	ran   actors.Key[bool] // this stage's decision, per exchange
}

func (c conditionalAfter) Process(ex *actors.Exchange) error {
	if !c.pred(ex) {
		return nil
	}
	c.ran.Set(ex, true)
	return c.inner.Process(ex)
}

func (c conditionalAfter) After(ex *actors.Exchange) {
	if ran, _ := c.ran.Get(ex); ran {
		c.after.After(ex)
	}
}

var _ actors.AfterStage = conditionalAfter{}
