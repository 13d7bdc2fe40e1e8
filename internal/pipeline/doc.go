// Package pipeline is the plumbing every troupe pipeline shares: the
// Exchange message that carries one HTTP request through the pipeline and
// its lifecycle, the Stage contract that middleware and handlers implement,
// the Itinerary that says which hops an exchange visits and in what order,
// the Hop that hosts stages under a supervised Proto.Actor actor, the Gate a
// crash loop closes, and the System they run on.
//
// The everyday types (Exchange, Stage, Spec, Kind, Priority, Error, Key,
// System) reach stage authors as aliases in the public actors package; the
// rest (NewExchange, Hop, Itinerary and its Serve, Gate, Root, Wrote) is
// internal, for the ingress, the supervisor and the app alone, so that no
// call a stage can make changes an exchange's lifecycle.
//
// One request is one Exchange, driven by Itinerary.Serve on the request's
// own goroutine. Stateless stages run on that goroutine; a Stateful stage's
// exchange is handed to the actor that owns the stage's state and handed
// back when the stage is done. After the terminal handler (or a stage that
// ended the exchange early), the exchange goes back, innermost first,
// through the after-phases of the stages that ran. Exactly one outcome
// settles it: answered, refused, expired (the deadline's 504) or gone (the
// client left).
package pipeline
