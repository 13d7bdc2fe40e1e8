// Package supervisor decides who restarts what. Every hop of stage actors
// runs under a stage supervisor actor whose Strategy restarts a failed actor
// at once (its queued exchanges carry on) and counts the failures of each
// stage against its Policy. A stage that fails more often than its restart
// intensity allows is marked down: its Gate closes, exchanges that need it
// are answered 503 with Retry-After, readiness reports it, and it comes back
// after an exponential back-off. The Tree owns the stage supervisors and
// stops them.
package supervisor
