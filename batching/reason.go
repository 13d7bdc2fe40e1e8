package batching

import "fmt"

// FlushReason says why a batch went: the "reason" label of
// troupe_batch_flushes_total.
type FlushReason int

const (
	// FlushSize: a full batch (Config.MaxBatchSize) was waiting.
	FlushSize FlushReason = iota
	// FlushPreferred: one of Config.PreferredBatchSizes could be formed.
	FlushPreferred
	// FlushDelay: the oldest item had waited Config.MaxDelay.
	FlushDelay
	// FlushEager: fewer than Config.EagerInFlight batches were in flight.
	FlushEager
	// FlushShare: the key's fair share of a batch was waiting (see
	// Config.DisableFairShare).
	FlushShare
	// FlushShutdown: the batcher is stopping and sends what is waiting.
	FlushShutdown
	numFlushReasons
)

var flushReasonNames = [...]string{"size", "preferred", "delay", "eager", "share", "shutdown"}

// String returns the reason's label value.
func (r FlushReason) String() string {
	if r < 0 || r >= numFlushReasons {
		return fmt.Sprintf("FlushReason(%d)", int(r))
	}
	return flushReasonNames[r]
}

// dropReason says why an item was taken out of the queue unsent: the
// "reason" label of troupe_batch_dropped_total.
type dropReason int

const (
	dropCanceled dropReason = iota // its caller went away
	dropExpired                    // its deadline passed
	dropTooLate                    // its deadline would pass before its batch finished
	dropStopped                    // Stop ran out of time before the item could go
	dropFailed                     // the actor failed (panicked) and dropped its queue
	numDropReasons
)

var dropReasonNames = [...]string{"canceled", "deadline", "too_late", "stopped", "failed"}

// String returns the reason's label value.
func (r dropReason) String() string { return dropReasonNames[r] }

// rejectReason says why Submit refused an item: the "reason" label of
// troupe_batch_rejections_total.
type rejectReason int

const (
	rejectQueueFull rejectReason = iota
	rejectKeyQueueFull
	rejectStopped
	rejectQueueDelay
	numRejectReasons
)

var rejectReasonNames = [...]string{"queue_full", "key_queue_full", "stopped", "queue_delay"}

// String returns the reason's label value.
func (r rejectReason) String() string { return rejectReasonNames[r] }

// failReason says why a whole batch failed: the "reason" label of
// troupe_batch_failures_total.
type failReason int

const (
	failError       failReason = iota // the BatchFunc returned an error
	failPanic                         // it panicked
	failResultCount                   // it returned the wrong number of results
	numFailReasons
)

var failReasonNames = [...]string{"error", "panic", "result_count"}

// String returns the reason's label value.
func (r failReason) String() string { return failReasonNames[r] }
