// Package actors is what a stage or handler author uses every day: the
// Exchange a stage receives, the Stage contract it implements, the Spec that
// declares it (name, Kind, Priority, concurrency), and the Error that turns
// into a problem+json response.
//
// Each stage of a troupe pipeline is hosted by a supervised Proto.Actor
// actor; this package shows none of that. A stage sees an *Exchange and
// returns an error:
//
//	func(ex *actors.Exchange) error
//
// The everyday methods of Exchange (documented in full with the type, see
// below) are:
//
//   - Fields Request, Body (the request body, read whole unless the route
//     streams it: BodyReader), Route and Params (the matched pattern and its
//     parameters), RequestID, Start, Deadline (the instant the request must
//     be answered by) and Response (the response being built).
//   - Context: the request's context, cancelled when the client goes away
//     and done at Deadline. Pass it to every call that may wait.
//   - JSON, Respond, RespondStream: answer the request; Fail: answer it with
//     an error (an *Error keeps its status, anything else is a 500).
//   - Shorten: bring the deadline forward (a timeout stage).
//   - Expired, ClientGone: whether the deadline passed or the client left.
//   - Key.Get, Key.Set: typed per-request values shared between stages.
//
// Nothing here can change an exchange's lifecycle: handing it between
// actors, settling it and answering on the deadline belong to troupe's
// internal pipeline package and are driven by the ingress alone, so no
// stage can make a request outlive its deadline.
//
// The types are aliases of those of troupe's internal pipeline package,
// where the code lives; `go doc github.com/troupe-go/troupe/internal/pipeline
// Exchange` prints every method with its documentation, as editors do on
// hover.
package actors
