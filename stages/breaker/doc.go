// Package breaker is the stage that puts a circuit breaker around the rest
// of a route — the stages after it and the handler — such as a handler
// that calls a database:
//
//	db, err := breaker.New("orders-db", breaker.Config{ConsecutiveFailures: 5, OpenTimeout: 30 * time.Second})
//	if err != nil { … }
//	app.Add(breaker.Metrics(db)) // troupe_breaker_* on /metrics
//	app.Group("/orders").Use(db)
//
// It is the breaker of package upstream, for any call: the same gobreaker
// v2 TwoStepCircuitBreaker, the same options with the same names and
// defaults (see Config), the same 503 with Retry-After while it is open.
//
// # What it wraps
//
// A breaker stage wraps what comes after it on the route, as
// troupe.Middleware does: its Process asks the breaker for permission, its
// after-phase reports how the exchange came out. It does not take named
// inner stages as when.Stage does, because what a breaker guards is
// mostly the handler (the database call), which is no stage that a
// wrapper could hold; and a stage gets exactly one Process and one
// after-phase per request, which is exactly one admission and one report.
// Its Priority is Terminating, so that it wraps the handler and the
// terminating stages declared after it, while authentication and
// validation run before it: their refusals never reach the breaker, and a
// client that is refused them never gets the fallback. To wrap more (a
// Business stage that loads from the same database), give the stage an
// earlier priority (Spec.Priority in Go, priority: in a configuration).
//
// # Outcomes
//
// The after-phase judges the exchange by its final response, once the
// rest of the route is done with it, in this order:
//
//   - the client went away: neutral;
//   - a breaker stage inside this one refused it: neutral (that breaker
//     counts its own dependency);
//   - a later stage's concurrency queue shed it: neutral (load, not a
//     failure of what the breaker guards);
//   - it took longer than SlowCallDuration, when set: a failure, whatever
//     the status — even one that ran out of time;
//   - its deadline passed (the client got 504): neutral;
//   - its status is one of FailureStatuses (5xx by default, the 500 of an
//     error or a panic included): a failure;
//   - anything else, 4xx included: a success.
//
// A CORS preflight, which never reaches the handler, passes without
// asking the breaker and counts for nothing. A neutral exchange counts
// neither way, and frees its half-open probe slot (gobreaker's
// IsExcluded), as an upstream's cancelled call does.
// Since an exchange that runs out of time is neutral, a dependency that
// hangs rather than fails trips the breaker only with SlowCallDuration
// set below the route's timeout.
//
// # Refusals
//
// Open, the breaker refuses every request at once: 503 problem+json whose
// detail starts "circuit open", with Retry-After the time it stays open
// (rounded up to whole seconds, at least 1). Half-open with every probe
// out, it refuses with Retry-After 1. With Config.Fallback, the fallback's
// static response is answered instead, without running the rest of the
// route.
//
// # Metrics
//
// Metrics returns the stage's Prometheus collector as a troupe.Component;
// app.Add registers it on the app's /metrics (the configuration's kind
// breaker adds it by itself): troupe_breaker_state (0 closed, 1
// half_open, 2 open), troupe_breaker_transitions_total,
// troupe_breaker_rejections_total and troupe_breaker_calls_total, each
// labelled breaker="NAME".
//
// # Time
//
// gobreaker reads the clock itself (time.Now) and takes no clock of its
// own; the package's tests make the breaker inside a testing/synctest
// bubble, whose fake clock time.Now then reads.
package breaker
