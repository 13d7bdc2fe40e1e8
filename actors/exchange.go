package actors

import "github.com/troupe-go/troupe/internal/pipeline"

// Exchange is the message that carries one HTTP request through a pipeline:
// the request, the response being built, per-request values, the request id
// and the deadline. It has exactly one owner at a time (the request's own
// goroutine, or the Stateful stage actor it was handed to), and a stage may
// read and change it freely while it runs. A stage must not keep it after
// Process returns. See the package documentation for its methods.
type Exchange = pipeline.Exchange

// Response is the response an exchange is building: status, header, body or
// stream. Exchange.Respond, JSON and Fail fill it; an after-phase may change
// it.
type Response = pipeline.Response

// StageTiming is how long one stage took on one exchange (Exchange.Timings,
// once Exchange.EnableTiming is on).
type StageTiming = pipeline.StageTiming

// Key is a typed key for per-request values: one stage sets a value with
// Key.Set, later ones read it with Key.Get. Make keys once, with NewKey, as
// package-level variables.
type Key[T any] = pipeline.Key[T]

// NewKey returns a new key named name (the name is for debugging only: two
// keys with one name are still distinct).
func NewKey[T any](name string) Key[T] { return pipeline.NewKey[T](name) }
