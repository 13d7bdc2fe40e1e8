package jobs

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"
)

// State is where a job is in its life.
type State int

// The states of a job.
const (
	// Queued jobs wait for their run time and a free runner.
	Queued State = iota
	// Running jobs are held by a runner under a lease.
	Running
	// Succeeded jobs completed; their result is kept.
	Succeeded
	// Dead jobs failed their last attempt or passed their deadline; a
	// replay queues them again.
	Dead
	// Cancelled jobs were cancelled before they completed.
	Cancelled
)

var stateNames = [...]string{"queued", "running", "succeeded", "dead", "cancelled"}

// String returns the state's lowercase name, as the HTTP API shows it.
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "State(" + strconv.Itoa(int(s)) + ")"
	}
	return stateNames[s]
}

// ParseState returns the state with the given lowercase name.
func ParseState(name string) (State, bool) {
	for i, n := range stateNames {
		if n == name {
			return State(i), true
		}
	}
	return 0, false
}

// Finished reports whether a job in state s will not run again unless
// replayed.
func (s State) Finished() bool { return s == Succeeded || s == Dead || s == Cancelled }

// Job is a stored job, as a Store returns it: a snapshot, not a live view.
type Job struct {
	// ID identifies the job in its store.
	ID int64
	// Queue is the queue it belongs to.
	Queue string
	// Priority orders the queued jobs of a queue: higher first, then by
	// run time.
	Priority int
	// Payload is the job's input, the body of its exchange.
	Payload []byte
	// PayloadHash is the hex SHA-256 of Payload (see Hash).
	PayloadHash string
	// IdempotencyKey, if not empty, is unique within the queue.
	IdempotencyKey string
	// State is where the job is.
	State State
	// Attempt is the number of attempts started so far; the running
	// attempt's number while Running. It fences a lease.
	Attempt int
	// MaxAttempts is how many attempts the job gets before it is dead.
	MaxAttempts int
	// RunAt is when a queued job may run next.
	RunAt time.Time
	// Deadline, if not zero, is when the job is dead whatever its attempts.
	Deadline time.Time
	// LeaseUntil is when a running job's lease expires.
	LeaseUntil time.Time
	// Result is what the last successful attempt returned.
	Result []byte
	// Errors are the failed attempts' errors, oldest first.
	Errors []AttemptError
	// CreatedAt and UpdatedAt are when the job was enqueued and last
	// changed.
	CreatedAt, UpdatedAt time.Time
}

// Lease returns the lease of a running job, as a claim gave it.
func (j *Job) Lease() Lease { return Lease{ID: j.ID, Attempt: j.Attempt} }

// AttemptError is why one attempt failed.
type AttemptError struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
}

// Lease names one attempt of a running job. A store accepts a heartbeat,
// completion or failure only for the job's current attempt, so a runner
// whose lease expired and was claimed again cannot overwrite the newer
// attempt's outcome.
type Lease struct {
	ID      int64
	Attempt int
}

// NewJob is what Enqueue stores.
type NewJob struct {
	// Queue names the queue. Required.
	Queue string
	// Payload is the job's input.
	Payload []byte
	// Priority orders the queue's jobs, higher first. Defaults to 0.
	Priority int
	// IdempotencyKey, if set, makes a second Enqueue with the same key in
	// the same queue return the first job (or ErrConflict if its payload
	// differs).
	IdempotencyKey string
	// MaxAttempts is how many attempts the job gets. Defaults to
	// DefaultMaxAttempts.
	MaxAttempts int
	// RunAt is when it may first run. Defaults to now.
	RunAt time.Time
	// Deadline, if set, is when it is dead whatever its attempts.
	Deadline time.Time
	// MaxQueued, if above 0, is the queue's budget: Enqueue fails with
	// ErrQueueFull when the queue already holds that many unfinished jobs.
	MaxQueued int
}

// DefaultMaxAttempts is the attempts a job gets when NewJob leaves it 0.
const DefaultMaxAttempts = 10

// Hash returns the hex SHA-256 of a payload: the idempotency check compares
// it.
func Hash(payload []byte) string {
	sum := sha256.Sum256(payload)
	return hex.EncodeToString(sum[:])
}

// SortClaimed sorts claimed jobs in the order they should start: higher
// priority first, then earlier run time, then lower id. Stores whose claim
// returns rows in no particular order use it.
func SortClaimed(js []Job) {
	slices.SortFunc(js, func(a, b Job) int {
		return cmp.Or(cmp.Compare(b.Priority, a.Priority), a.RunAt.Compare(b.RunAt), cmp.Compare(a.ID, b.ID))
	})
}
