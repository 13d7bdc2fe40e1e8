package batching

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/troupe-go/troupe/supervisor"
	"go.uber.org/zap"
)

// Defaults of Config's fields.
const (
	DefaultName         = "batcher"
	DefaultMaxBatchSize = 32
	DefaultMaxDelay     = time.Millisecond
	DefaultMaxQueue     = 1024
	// DefaultMaxQueueDelay is Config.MaxQueueDelay's default: the
	// ingress's queue allowance (overload.DefaultQueueInterval).
	DefaultMaxQueueDelay = 100 * time.Millisecond
	DefaultRetryAfter    = time.Second
)

// Config configures a Batcher. Its zero value works: every field documents
// its default. The yaml tags are the keys of a batch section in a troupe
// configuration file.
type Config struct {
	// Name identifies the batcher in metrics (the "batcher" label) and
	// logs. Defaults to "batcher".
	Name string `yaml:"-"`
	// MaxBatchSize is the most items one batch holds, and a batch that
	// size goes at once (flush reason "size"). Defaults to 32.
	MaxBatchSize int `yaml:"max_batch_size"`
	// PreferredBatchSizes are sizes worth sending at once: when a key has
	// at least one of them waiting, the largest such batch goes without
	// waiting for MaxDelay (reason "preferred"), as Triton's
	// preferred_batch_size. Each is between 1 and MaxBatchSize. None by
	// default.
	PreferredBatchSizes []int `yaml:"preferred_batch_sizes"`
	// MaxDelay is how long the oldest waiting item of a key may wait for
	// a fuller batch while a slot is free: when it has waited that long,
	// what is there goes (reason "delay"). Defaults to 1ms. (Go's timers
	// fire up to a millisecond late on an idle process, so delays below
	// 1ms act as about 1ms; the other rules need no timer.)
	MaxDelay time.Duration `yaml:"max_delay"`
	// EagerInFlight: while fewer than this many batches are in flight,
	// waiting items go at once, all of them up to MaxBatchSize, without
	// waiting for anything (reason "eager"). Defaults to 1: an idle
	// backend is never kept waiting. Set it to MaxInFlight to send
	// whenever a slot is free (Triton's max_queue_delay of 0); a negative
	// value turns eager dispatch off.
	EagerInFlight int `yaml:"eager_in_flight"`
	// DisableFairShare turns off the fair-share rule: while a slot is
	// free, a key's waiting items go as soon as they are at least its fair
	// share of a batch — its items waiting and in flight spread over the
	// slots it may use (MaxInFlightPerKey), rounded up — and a batch of
	// that many goes (reason "share"). At light load the share is one
	// item, so an item goes at once; under load, batches grow with the
	// load without waiting for MaxDelay, and spread over the slots: 64
	// callers on 4 slots make batches of about 16. The rule is on unless
	// this is true.
	DisableFairShare bool `yaml:"disable_fair_share"`
	// MaxInFlight is the most batches running at once, across keys: the
	// backend's concurrency. Defaults to 1.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxInFlightPerKey is the most batches of one key running at once.
	// Defaults to MaxInFlight.
	MaxInFlightPerKey int `yaml:"max_in_flight_per_key"`
	// MaxQueue is the most items waiting (not yet in a batch) across keys.
	// Past it, Submit fails at once with ErrQueueFull. Defaults to 1024.
	MaxQueue int `yaml:"max_queue"`
	// MaxQueuePerKey is the most items of one key waiting. Past it, Submit
	// fails at once with ErrKeyQueueFull. Defaults to MaxQueue.
	MaxQueuePerKey int `yaml:"max_queue_per_key"`
	// MaxQueueDelay bounds the wait of a new item before its batch goes:
	// once a batch has finished, so that the batcher knows how long one
	// takes, an item that would wait longer than this behind the items
	// already queued — even if every slot ran full batches — is refused
	// at once with ErrQueueDelay (Config.RejectStatus, 503 by default), and
	// a Retry-After of that wait, instead of being queued to be served
	// late. Defaults to 100ms; a negative value turns it off, leaving
	// MaxQueue as the only bound.
	MaxQueueDelay time.Duration `yaml:"max_queue_delay"`
	// EstimatedDuration is how long a batch is expected to take. An item
	// whose deadline comes sooner than that when its batch would go is
	// answered ErrTooLate (504) instead of sent. Zero (the default) uses
	// the smoothed time of the batches that have finished (and sends every
	// item whose deadline has not passed until one has).
	EstimatedDuration time.Duration `yaml:"estimated_duration"`
	// PreserveOrder, if true, answers one key's batches in the order they
	// went, holding the results of a batch that finished early until the
	// batches before it have finished. The slot is freed either way.
	// Defaults to false: each batch is answered as soon as it finishes.
	PreserveOrder bool `yaml:"preserve_order"`
	// RejectStatus is the HTTP status of ErrQueueFull: 503 (the default)
	// or 429.
	RejectStatus int `yaml:"reject_status"`
	// KeyRejectStatus is the HTTP status of ErrKeyQueueFull: 429 (the
	// default; one key is sending too much) or 503.
	KeyRejectStatus int `yaml:"key_reject_status"`
	// RetryAfter is the Retry-After of rejections (queue full, stopped).
	// Defaults to 1s.
	RetryAfter time.Duration `yaml:"retry_after"`
	// Scope is "local" (the default: this server's items form this
	// server's batches) or "cluster": the items of every server of the
	// cluster gather in one grain per batch key, which runs the batches
	// (see ScopeCluster). With scope cluster, Cluster must be set (in a
	// configuration file: a cluster section), every member must configure
	// the batcher alike (its name, options and batch function), items and
	// results cross members as bytes ([]byte as is, any other type as
	// JSON), and MaxInFlight bounds each key's batches cluster-wide (the
	// grain's), while each member sends whenever one of its 2 ×
	// MaxInFlight forwards per key is free, gathering a local batch only
	// while they are all out.
	Scope string `yaml:"scope"`
	// OnClusterLoss is what a batcher of scope cluster does with a batch
	// while its key's grain cannot be reached: "open" (the default: run it
	// on this member, with this member's items) or "closed" (503 with
	// Retry-After). See LossOpen and LossClosed.
	OnClusterLoss string `yaml:"on_cluster_loss"`
	// Cluster holds the grains of scope "cluster": package cluster's
	// *Node. Configuration files get the server's own.
	Cluster Cluster `yaml:"-"`
	// Clock tells the time and runs the delay timer. Defaults to the
	// system clock; tests inject a fake one or run in a synctest bubble.
	Clock supervisor.Clock `yaml:"-"`
	// Logger logs batch functions that panic or miscount their results.
	// Defaults to the actor system's logger, given to Start.
	Logger *zap.Logger `yaml:"-"`
}

// withDefaults returns c with its defaults filled in, or an error if a
// field is out of range.
func (c Config) withDefaults() (Config, error) {
	if err := c.validate(); err != nil {
		return c, err
	}
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.MaxBatchSize == 0 {
		c.MaxBatchSize = DefaultMaxBatchSize
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1
	}
	if c.MaxInFlightPerKey == 0 || c.MaxInFlightPerKey > c.MaxInFlight {
		c.MaxInFlightPerKey = c.MaxInFlight
	}
	switch {
	case c.EagerInFlight == 0:
		c.EagerInFlight = 1
	case c.EagerInFlight < 0:
		c.EagerInFlight = 0
	}
	if c.MaxQueue == 0 {
		c.MaxQueue = DefaultMaxQueue
	}
	if c.MaxQueuePerKey == 0 || c.MaxQueuePerKey > c.MaxQueue {
		c.MaxQueuePerKey = c.MaxQueue
	}
	if c.MaxQueueDelay == 0 {
		c.MaxQueueDelay = DefaultMaxQueueDelay
	}
	if c.RejectStatus == 0 {
		c.RejectStatus = http.StatusServiceUnavailable
	}
	if c.KeyRejectStatus == 0 {
		c.KeyRejectStatus = http.StatusTooManyRequests
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	if c.Clock == nil {
		c.Clock = supervisor.SystemClock()
	}
	c.PreferredBatchSizes = slices.Clone(c.PreferredBatchSizes)
	slices.Sort(c.PreferredBatchSizes)
	c.PreferredBatchSizes = slices.Compact(c.PreferredBatchSizes)
	return c, nil
}

// validate reports every field out of range.
func (c Config) validate() error {
	var errs []error
	if c.MaxBatchSize < 0 || c.MaxInFlight < 0 || c.MaxInFlightPerKey < 0 || c.MaxQueue < 0 || c.MaxQueuePerKey < 0 {
		errs = append(errs, errors.New("max_batch_size, max_in_flight, max_in_flight_per_key, max_queue and max_queue_per_key must not be negative"))
	}
	if c.MaxDelay < 0 || c.EstimatedDuration < 0 || c.RetryAfter < 0 {
		errs = append(errs, errors.New("max_delay, estimated_duration and retry_after must not be negative"))
	}
	max := c.MaxBatchSize
	if max == 0 {
		max = DefaultMaxBatchSize
	}
	for _, p := range c.PreferredBatchSizes {
		if p < 1 || p > max {
			errs = append(errs, fmt.Errorf("preferred batch size %d is not between 1 and max_batch_size (%d)", p, max))
		}
	}
	for _, s := range []int{c.RejectStatus, c.KeyRejectStatus} {
		if s != 0 && (s < 400 || s > 599) {
			errs = append(errs, fmt.Errorf("reject status %d is not an HTTP error status (400 to 599)", s))
		}
	}
	errs = append(errs, c.validateScope()...)
	return errors.Join(errs...)
}

// capacity returns how many items a batcher with these (defaulted)
// settings holds at most: waiting, and in full batches in flight.
func (c Config) capacity() int { return c.MaxQueue + c.MaxInFlight*c.MaxBatchSize }
