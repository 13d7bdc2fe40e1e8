package live

import "time"

// Snapshot is the whole state the live page shows, as GET /api/state
// returns it. Durations are in milliseconds (fields ending in _ms); lists
// are never null in JSON.
type Snapshot struct {
	// Time is when the snapshot was taken.
	Time time.Time `json:"time"`
	// Server is the ingress's admission state and the server's readiness.
	Server Server `json:"server"`
	// Hops are the supervision tree's stage supervisors, one per hop, in
	// planning order.
	Hops []Hop `json:"hops"`
	// Components are the supervised components (batchers, upstreams), by
	// the name their health has in the tree ("component NAME").
	Components []Stage `json:"components"`
	// Routes are the routes with their itineraries, in declaration order.
	Routes []Route `json:"routes"`
	// Batchers are the app's batchers.
	Batchers []Batcher `json:"batchers"`
	// Upstreams are the app's upstreams and their circuit breakers.
	Upstreams []Upstream `json:"upstreams"`
	// Limiters are the overload limiters: the ingress's adaptive limit
	// ("ingress"), each stage's concurrency cap ("stage:NAME") and each
	// upstream's bulkhead ("upstream:NAME").
	Limiters []Limiter `json:"limiters"`
	// Jobs are the durable job queues and their dead letters; empty lists
	// for an app without queues.
	Jobs Jobs `json:"jobs"`
}

// Server is the ingress's admission state and the server's readiness.
type Server struct {
	// Ready is what /readyz answers.
	Ready bool `json:"ready"`
	// Reasons say why the server is not ready; Degraded what is wrong
	// without making it unready.
	Reasons  []string `json:"reasons"`
	Degraded []string `json:"degraded"`
	// InFlight is the requests admitted and not yet answered.
	InFlight int64 `json:"in_flight"`
	// MaxInFlight is the admission limit (server.max_in_flight): past it,
	// 503 at once.
	MaxInFlight int `json:"max_in_flight"`
}

// Hop is one stop of an itinerary, hosted under a stage supervisor of its
// own: a stateful stage's actors, or the sentinel actor of a run of
// stateless stages.
type Hop struct {
	// Name is the names of its stages joined by "+".
	Name string `json:"name"`
	// Kind is "stateless", "stateful", or "partitioned" (a stateful stage
	// with more than one actor).
	Kind string `json:"kind"`
	// Actors are the ids of the hop's actors: one sentinel for a
	// stateless hop, one per partition for a stateful one.
	Actors []string `json:"actors"`
	// Mailbox is the number of exchanges waiting in the hop's mailboxes
	// (always 0 for a stateless hop, whose requests wait on their own
	// goroutines).
	Mailbox int `json:"mailbox"`
	// Stages are the hop's stages, in order.
	Stages []Stage `json:"stages"`
}

// Stage is one supervised stage (or component): its restarts and its gate.
type Stage struct {
	// Name is the stage's name.
	Name string `json:"name"`
	// Restarts counts its actors' restarts after a failure.
	Restarts int64 `json:"restarts"`
	// Up is false while its gate is closed after a crash loop: its routes
	// answer 503.
	Up bool `json:"up"`
	// Critical says the server is unready while the stage is down.
	Critical bool `json:"critical"`
	// ReopensInMS is how long until a closed gate reopens; 0 when up.
	ReopensInMS float64 `json:"reopens_in_ms"`
	// Closures counts the times its gate was closed.
	Closures int64 `json:"closures"`
	// LastFailure is the last failure's reason (a panic's value), or "".
	LastFailure string `json:"last_failure"`
	// LastFailureAt is when it happened; absent when none did.
	LastFailureAt *time.Time `json:"last_failure_at,omitempty"`
	// Concurrency is the stage's concurrency cap (0: none); Running and
	// Waiting are the requests under it and waiting for it.
	Concurrency int `json:"concurrency"`
	Running     int `json:"running"`
	Waiting     int `json:"waiting"`
}

// Route is one route and its itinerary.
type Route struct {
	// Method and Pattern are as declared ("*" for any method).
	Method  string `json:"method"`
	Pattern string `json:"pattern"`
	// Hops are the names of the hops it runs, in order; Stages the names
	// of its stages, in order, its handler last.
	Hops   []string `json:"hops"`
	Stages []string `json:"stages"`
	// Criticality is its overload class: critical, default or sheddable.
	Criticality string `json:"criticality"`
}

// Batcher is one batcher's queue and what it has sent.
type Batcher struct {
	// Name is the batcher's name.
	Name string `json:"name"`
	// Queued is the items waiting for a batch; MaxQueue the most that may.
	Queued   int `json:"queued"`
	MaxQueue int `json:"max_queue"`
	// InFlight is the batches running; MaxInFlight the most that may.
	InFlight    int `json:"in_flight"`
	MaxInFlight int `json:"max_in_flight"`
	// MaxBatchSize is the largest batch.
	MaxBatchSize int `json:"max_batch_size"`
	// Batches counts the batches sent, Items the items in them.
	Batches uint64 `json:"batches"`
	Items   uint64 `json:"items"`
	// Sizes is the histogram of batch sizes: how many batches had at most
	// LE items (cumulative, like Prometheus buckets), the last bucket's LE
	// being the largest bound.
	Sizes []Bucket `json:"sizes"`
	// Flushes counts batches by the reason they went (size, preferred,
	// delay, eager, share, shutdown).
	Flushes map[string]uint64 `json:"flushes"`
	// Rejections counts items refused at once, by reason.
	Rejections map[string]uint64 `json:"rejections"`
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	// LE is the bucket's upper bound.
	LE float64 `json:"le"`
	// Count is how many observations were at most LE.
	Count uint64 `json:"count"`
}

// Upstream is one upstream and its circuit breaker.
type Upstream struct {
	// Name is the upstream's name.
	Name string `json:"name"`
	// State is the breaker's state: closed, half_open or open.
	State string `json:"state"`
	// OpenForMS is how long the breaker stays open; 0 unless open.
	OpenForMS float64 `json:"open_for_ms"`
	// Requests, TotalFailures and ConsecutiveFailures are the breaker's
	// counts in its current window.
	Requests            uint32 `json:"requests"`
	TotalFailures       uint32 `json:"total_failures"`
	ConsecutiveFailures uint32 `json:"consecutive_failures"`
	// Targets are its targets' health and load.
	Targets []Target `json:"targets"`
}

// Target is one target of an upstream.
type Target struct {
	// URL is the target's base URL.
	URL string `json:"url"`
	// Healthy is false while it is ejected or failing its health checks.
	Healthy bool `json:"healthy"`
	// InFlight is the attempts in progress on it.
	InFlight int `json:"in_flight"`
}

// Limiter is one overload limiter (package overload).
type Limiter struct {
	// Name is "ingress", "stage:NAME" or "upstream:NAME".
	Name string `json:"name"`
	// Limit is how many may run at once now.
	Limit int `json:"limit"`
	// InFlight is how many run.
	InFlight int `json:"in_flight"`
	// Queued is how many wait, all classes together.
	Queued int `json:"queued"`
	// Standing reports sustained overload: waits cut to the queue target.
	Standing bool `json:"standing"`
	// MinRTTMS and RTTMS are its unloaded and recent service times.
	MinRTTMS float64 `json:"min_rtt_ms"`
	RTTMS    float64 `json:"rtt_ms"`
	// Admitted and Rejected count admissions and refusals since start.
	Admitted uint64 `json:"admitted"`
	Rejected uint64 `json:"rejected"`
}

// Jobs are the app's job queues, as its job store counts them, and the
// dead-letter queue.
type Jobs struct {
	// Queues are the app's queues, in declaration order.
	Queues []JobQueue `json:"queues"`
	// Dead are the oldest dead jobs of every queue, at most DeadShown of
	// them (each queue's Dead counts them all).
	Dead []DeadJob `json:"dead"`
	// DeadShown is the most dead jobs Dead lists.
	DeadShown int `json:"dead_shown"`
	// Error, if not empty, says why the store could not be read: the
	// counts and the list are then empty.
	Error string `json:"error,omitempty"`
}

// JobQueue is one job queue: its jobs by state, in the whole store (every
// server sharing it), and the attempts running on this server.
type JobQueue struct {
	// Name is the queue's name.
	Name string `json:"name"`
	// Queued, Running, Succeeded, Dead and Cancelled count the queue's
	// jobs in each state.
	Queued    int `json:"queued"`
	Running   int `json:"running"`
	Succeeded int `json:"succeeded"`
	Dead      int `json:"dead"`
	Cancelled int `json:"cancelled"`
	// Concurrency is how many of its attempts may run at once on this
	// server; InUse how many do.
	Concurrency int `json:"concurrency"`
	InUse       int `json:"in_use"`
}

// DeadJob is one job of the dead-letter queue.
type DeadJob struct {
	// ID is the job's id.
	ID int64 `json:"id"`
	// Queue is its queue.
	Queue string `json:"queue"`
	// Attempts is how many attempts it had before it died.
	Attempts int `json:"attempts"`
	// LastError is why its last attempt failed.
	LastError string `json:"last_error"`
	// DiedAt is when it died.
	DiedAt time.Time `json:"died_at"`
	// Replay is the admin path a POST to which queues it again.
	Replay string `json:"replay"`
}

// Millis returns d in milliseconds, for the _ms fields.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
