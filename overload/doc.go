// Package overload keeps a server fast under more load than it can serve:
// an adaptive concurrency limit, a short queue that refuses what it cannot
// serve in time, request priorities, deadline awareness, and refusals that
// come at once and say when to come back.
//
// # Use
//
//	l, err := overload.New(overload.Config{}) // the defaults need no tuning
//	...
//	p, err := l.Acquire(ctx, overload.Default)
//	if err != nil {
//		rej := err.(*overload.Rejection) // Status(): 503 or 504; RetryAfter
//		...
//	}
//	defer p.Release() // or p.Drop() on an overload failure, p.Ignore() when the client left
//
// Acquire returns at once when a slot is free (a compare-and-swap, no lock,
// no allocation: Permit is a value) or when it refuses; otherwise the
// request waits in the queue. Release, Drop and Measure take a short lock
// to add their sample to the measurement window (a few field updates; the
// limit is recomputed under it only when a window closes, every 100 ms or
// so). Stats is lock-free, for /metrics and a live page. An uncontended Acquire and Release cost about 230 ns on a 2-core
// VM, half of it the two clock reads (58 ns each on kvm-clock), and no
// allocation; a waiter costs none either (waiters and their timers are
// pooled).
//
// For an HTTP server: answer a *Rejection with Status() (503, or 504 for
// ReasonDeadline) and a Retry-After of RetryAfter's whole seconds, at
// once; end a permit with Drop when the work timed out or something it
// called refused it for load (a 503 or 504 from an upstream), with Ignore
// when the client went away before the work said anything, and with
// Release otherwise (a 4xx or 5xx that took ordinary time is a service
// time like any other). Classes come from configuration through
// ParseClass or Class's UnmarshalText.
//
// # The limit: a gradient, with the unloaded service time re-measured
//
// The limit L is recomputed at the end of every window (at least 100 ms,
// at least the unloaded service time, and 10 completions) from the mean
// service time of the window's completions (rtt) and the unloaded service
// time (minRTT), as Envoy's adaptive concurrency filter does:
//
//	gradient = clamp((1+Tolerance)·minRTT / rtt, 0.5, 2)
//	L' = gradient·L + √(gradient·L)        // headroom keeps the backend busy
//	L  = L + Smoothing·(L' − L), within [MinLimit, MaxLimit]
//
// The limit does not grow while the traffic uses less than half of it,
// and does not fall while it does not bind (no request reached it or
// waited): below it, the concurrency is the clients' own — a closed loop of
// callers, a backend that batches and whose latency rises with its
// throughput — and cutting under it would turn their requests away rather
// than shed an excess; arrivals that outrun the backend fill it within a
// window. A window with a Drop cuts it to at most 90%. A window far past the
// target (rtt over 2·(1+Tolerance)·minRTT) cuts it at once, unsmoothed,
// to Little's law: completions per second × minRTT × (1+Tolerance).
//
// minRTT is kept per Workload (a route, at the ingress): each workload's
// is the lowest of its window means, and a window's minRTT is their mean
// over the window's samples, so a change in the mix of cheap and
// expensive requests is not mistaken for a slow-down. It is re-measured
// (it can only fall otherwise) by pinning the limit to MinLimit until 8
// requests have run at that concurrency: every ProbeInterval (±10%) while
// the limit binds, and after 3 windows in a row far past the target,
// which is what a backend that became slower for good looks like. A probe
// ends with the limit back where it was, kept between once and twice
// Little's law at the new figure.
//
// A cold limiter's first window closes at its 10th completion, not after
// 100 ms: the first requests to end met an idle server, and a window of
// overload admitted before the first measurement is what a handler would
// have to work off. Until a window's service time first goes past the
// tolerance, a binding limit doubles each window (slow start), so a
// healthy backend that needs more than InitialLimit gets it within a few
// windows.
//
// Chosen by measurement (sim_compare_test.go: a backend of 16 slots at
// 20 ms ±10%, 800 req/s, fed open loop in fake time; every algorithm
// behind the same queue and minimum-RTT probes, with its library's
// default smoothing):
//
//	                     p99 of the served      limit     slow-down (400 req/s, 20→200→20 ms)
//	algorithm            2×     5×     10×      at 10×    limit ≤32 after  goodput(/80)  p99
//	gradient + probe     38ms   38ms   38ms     24-25     0.6 s            80/s          376ms
//	Gradient2 (Netflix)  56ms   58ms   58ms     4-42      (was 32)         44/s          359ms
//	Vegas (Netflix)      36ms   36ms   36ms     23        2.8 s            80/s          444ms
//	AIMD (Netflix)       86ms   88ms   87ms     4-67      (was 34)         62/s          630ms
//
// Gradient2's baseline is a long average of the measured service time, so
// under sustained overload it drifts up with the queueing it should
// prevent (the limit climbs until the service time is 2.5× its minimum and
// a probe pins it), and after a slow-down it serves half of what it
// could. AIMD does not see latency below its timeout and lets the
// backend's own queue grow, 88% goodput at overload. Vegas holds a
// slightly shorter backend queue, but moves by log10(L) per window: it
// took 2.8 s to come down from 41 where the gradient took 0.6 s from 50,
// and a limit in the hundreds would take minutes. The gradient moves
// multiplicatively and tracks the slow-down best. Tolerance 0.25 settles
// about 50% above the backend's true concurrency (L ≈ 25 for 16 slots,
// including the √L headroom), which keeps it busy.
//
// # The queue: CoDel's standing-queue test, sized to what it can serve
//
// A request over the limit waits, if the queue has room for it. The queue
// stands once it has gone QueueInterval (100 ms) without emptying or its
// oldest waiter being younger than QueueTarget (5 ms); it stops standing
// when it is short again and nobody has been refused for load for
// QueueInterval. Outside a standing queue a waiter may wait QueueInterval
// (a burst that drains within it is served, not refused); in one,
// QueueTarget. The queue's room is computed from the throughput (Little's
// law: L/rtt): what is served within the allowance, and only a third of
// QueueTarget's worth in a standing queue, so that under overload almost
// every refusal is made at admission, without waiting (more than 99% at
// 2×-10× in the simulation, the rest after at most QueueTarget; p99 of the
// served 37 ms, goodput 100% of capacity). A waiter keeps the allowance
// it was queued with, so the onset of a standing queue does not refuse
// those already waiting. A static limit (a stage's cap) whose service
// times are steady also predicts when its slots free from the order of
// its admissions, and refuses at once a waiter that would wait past half
// its allowance (see admissions in nextfree.go).
//
// Adaptive LIFO (Facebook's "Fail at Scale": newest first while the queue
// stands) is left out: in the simulation it did not change the p99 of the
// served (38.0/37.9/37.9 ms against 37.7/37.9/37.8 ms at 2×/5×/10×, with
// or without 100 ms client timeouts) and tripled the refusals made after
// a wait (242/313/328 against 72/112/110), because a standing queue here holds only
// a few milliseconds of work, so LIFO has no old waiters to rescue
// anybody from, only young ones to let rot to the target. It pays with a
// long queue, which this one never is.
//
// # Priorities and deadlines
//
// Critical waiters are served before Default, Default before Sheddable; a
// full queue makes room for a request by refusing the oldest waiter of a
// lower class. Critical keeps the QueueInterval allowance and room in a
// standing queue; Sheddable is not queued at all while the queue stands and
// gets half of Default's room otherwise. With 10% of the traffic Critical
// and 30% Sheddable at 5× overload for 32 s, 99.7% of the Critical
// requests were served within 5× the service time in the simulation (p99
// 39 ms; the 0.3% refused fell in the three probes, when the limit is
// pinned to MinLimit); Sheddable was refused 96.6%, Default 85.2%.
//
// A request whose context's deadline leaves less than the smoothed service
// time (or, to queue, less than that plus its expected wait) is refused
// with ReasonDeadline and never started; a waiter is refused the moment
// that becomes true.
//
// # Refusals
//
// A *Rejection carries its Reason ("limit", "queue_delay", "deadline",
// "canceled"), the Class, how long it waited, and RetryAfter: the recent
// demand over the recent throughput in whole seconds, clamped to
// [1s, MaxRetryAfter] (2s at 2× overload, 10s at 10×), so that clients
// that wait as told offer about what the server serves.
//
// # Why not a library
//
// github.com/platinummonkey/go-concurrency-limits is not served by the Go
// module proxy (403 for every version). github.com/failsafe-go/failsafe-go
// v0.9.8's adaptivelimiter, read in full, is a good limiter but not this
// one: it allocates a permit per acquisition and takes a limiter-wide
// mutex on every acquisition (its semaphore) as well as every completion
// (which ours takes too, briefly, for its window); it
// reads the wall clock directly, so it cannot be driven by a test clock;
// its queue is FIFO with a random rejection rate from the queue's length
// relative to the limit, with no sojourn time and no deadline awareness,
// so a waiter that will not be served in time still waits; its
// priorities need a Prioritizer calibrated by a goroutine on a ticker; and
// it brings t-digest, bitset and gRPC into the module graph.
//
// # Defaults
//
// MinLimit 4, MaxLimit 1024, InitialLimit 20, Smoothing 0.5, Tolerance
// 0.25, QueueTarget 5ms, QueueInterval 100ms, MaxQueue 1024, MaxRetryAfter
// 30s, ProbeInterval 10s.
package overload
