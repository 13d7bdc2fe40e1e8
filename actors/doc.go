// Package actors is the plumbing every troupe pipeline shares: the Exchange
// message that carries one HTTP request through the pipeline, the Stage
// contract that middleware and handlers implement, the Itinerary that says
// which stage actors an exchange visits and in what order, and the stage
// actor that runs stages on Proto.Actor behind a recover-and-reply guard.
//
// One request is one Exchange. No stage waits for another: each stage
// actor runs its stages, then sends the exchange on to the next hop of its
// itinerary. After the terminal handler (or a stage that ended the exchange
// early), the exchange goes back, innermost first, through only the hops
// whose stages declared an after-phase. Whoever finishes the exchange
// replies, exactly once, to the ingress waiting on Exchange.Done.
//
// Stages and handlers see Exchange, Stage and Spec, never an
// actor.Context; Proto.Actor appears only where the supervisor package
// spawns hops (Hop.Spawn, System.Root).
package actors
