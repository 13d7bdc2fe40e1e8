// Package actors is the plumbing every troupe pipeline shares: the Exchange
// message that carries one HTTP request through the pipeline, the Stage
// contract that middleware and handlers implement, the Itinerary that says
// which stage actors an exchange visits and in what order, and the stage
// actor that runs stages on Proto.Actor behind a recover-and-reply guard.
//
// One request is one Exchange. It moves forward only: each stage actor runs
// its stages, then sends the exchange on to the next hop of its itinerary.
// After the terminal handler, the exchange visits, innermost first, only the
// hops whose stages declared an after-phase. Whoever finishes the exchange
// replies, exactly once, to the ingress waiting on Exchange.Done.
//
// Proto.Actor stays behind this package: callers see Exchange, Stage, Spec,
// Itinerary and System, never an actor.Context.
package actors
