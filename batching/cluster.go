package batching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/troupe-go/troupe/actors"
)

// Scopes of a batcher (Config.Scope).
const (
	// ScopeLocal gathers the items of this server alone: each server of
	// several forms its own batches. The default.
	ScopeLocal = "local"
	// ScopeCluster gathers the items of every server of a cluster (package
	// cluster) into shared batches: each batch key has one grain, on one
	// member, which runs the batches, and every member forwards its items
	// there (a local batch at a time) and answers its callers with what
	// comes back.
	ScopeCluster = "cluster"
)

// What a batcher of scope cluster does while a key's grain cannot be
// reached (Config.OnClusterLoss).
const (
	// LossOpen runs this member's batches itself, with its own items
	// only, until the grain answers again. The default.
	LossOpen = "open"
	// LossClosed answers every item of the batch 503 with Retry-After.
	LossClosed = "closed"
)

// ErrClusterLost is the cause of the 503 that items of a batcher of scope
// cluster and on_cluster_loss closed get while their key's grain cannot
// be reached; a Forwarder's error wraps it when that grain did not answer.
var ErrClusterLost = errors.New("batching: the batch key's grain in the cluster cannot be reached")

// Cluster is what a batcher of scope cluster needs of a cluster: package
// cluster's *Node is one.
type Cluster interface {
	// JoinBatches registers the batcher named name on this member: when
	// the member holds the grain of one of the batcher's keys, that grain
	// gathers the items every member forwards into batches as cfg says
	// and runs them through run. It returns how this member forwards its
	// own batches. Every member registers the same name, configuration
	// and function.
	JoinBatches(name string, cfg Config, run BatchFunc[[]byte, []byte]) (Forwarder, error)
}

// Forwarder sends a member's batches to the grains of their keys.
type Forwarder interface {
	// Forward sends items, all of one key, to that key's grain and waits
	// for its answer: one result per item, in order. It returns ctx's
	// error once ctx ends, and an error wrapping ErrClusterLost when the
	// grain cannot be reached.
	Forward(ctx context.Context, items []Item[[]byte]) ([]Result[[]byte], error)
	// Leave unregisters the batcher: it has stopped.
	Leave()
}

// clusterBatches makes a batcher's BatchFunc forward its batches to the
// cluster: it is fn's stand-in on the member, and fn runs in the grains.
type clusterBatches[In, Out any] struct {
	fwd    Forwarder
	local  BatchFunc[In, Out]
	closed bool
	lost   error // the error of every item while the grain is lost, with closed
}

// joinCluster registers fn with cfg.Cluster and returns the BatchFunc of
// the member's own batcher, which forwards; or, with scope local, fn. The
// grains get raw, the configuration as given (New fills in the defaults
// of each grain's batcher), with cfg's name.
func joinCluster[In, Out any](raw, cfg Config, fn BatchFunc[In, Out]) (BatchFunc[In, Out], Forwarder, error) {
	if cfg.Scope != ScopeCluster {
		return fn, nil, nil
	}
	grain := raw
	grain.Name, grain.Scope, grain.OnClusterLoss, grain.Cluster = cfg.Name, ScopeLocal, "", nil
	fwd, err := cfg.Cluster.JoinBatches(cfg.Name, grain, bytesFunc(fn))
	if err != nil {
		return nil, nil, err
	}
	cb := &clusterBatches[In, Out]{fwd: fwd, local: fn, closed: cfg.OnClusterLoss == LossClosed,
		lost: &actors.Error{Status: http.StatusServiceUnavailable, Detail: "the batch service of the cluster cannot be reached; try again later",
			RetryAfter: cfg.RetryAfter, Err: ErrClusterLost}}
	return cb.run, fwd, nil
}

// forwarding returns c, defaulted, as the member's own batcher of scope
// cluster uses it: its batches are forwards to the key's grain, which
// applies c's rules (size, delay, eager, fair share) to the items of every
// member. So the member waits for nothing: it sends what is waiting
// whenever one of its forward slots is free, and gathers a local batch
// only while they are all taken. It has forwardSlots times c's slots.
func (c Config) forwarding() Config {
	c.MaxInFlight *= forwardSlots
	c.MaxInFlightPerKey *= forwardSlots
	c.EagerInFlight = c.MaxInFlight
	c.PreferredBatchSizes = nil
	return c
}

// forwardSlots is how many forwards a member may have in flight per slot
// of the grain's (Config.MaxInFlight): two, so that one forward per grain
// slot can wait at the grain while another runs. More send smaller
// forwards, more of them; fewer hold items back on the member while the
// grain has room. Measured with 2, 4 and 16 on a loaded 2-core machine
// (TestBatchFigures in package cluster), the differences were within the
// machine's noise.
const forwardSlots = 2

// run forwards items to their key's grain and decodes its answers. While
// the grain is lost it runs the batch here (open) or fails it (closed).
func (cb *clusterBatches[In, Out]) run(ctx context.Context, items []Item[In]) ([]Result[Out], error) {
	enc := make([]Item[[]byte], len(items))
	for i, it := range items {
		p, err := encodeValue(it.Value)
		if err != nil {
			return nil, fmt.Errorf("batching: encoding an item for the cluster: %w", err)
		}
		enc[i] = Item[[]byte]{Value: p, Key: it.Key, ctx: it.ctx}
	}
	res, err := cb.fwd.Forward(ctx, enc)
	switch {
	case errors.Is(err, ErrClusterLost) && cb.closed:
		return nil, cb.lost
	case errors.Is(err, ErrClusterLost):
		return cb.local(ctx, items)
	case err != nil:
		return nil, err
	case len(res) != len(items):
		return nil, fmt.Errorf("%w: the grain answered %d for %d items", ErrResultCount, len(res), len(items))
	}
	out := make([]Result[Out], len(res))
	for i, r := range res {
		if r.Err != nil {
			out[i].Err = r.Err
			continue
		}
		if out[i].Value, err = decodeValue[Out](r.Value); err != nil {
			out[i].Err = failure(fmt.Errorf("batching: decoding a result from the cluster: %w", err))
		}
	}
	return out, nil
}

// bytesFunc returns fn on encoded items and results: what a grain runs.
// An item that does not decode fails alone (400), without reaching fn.
func bytesFunc[In, Out any](fn BatchFunc[In, Out]) BatchFunc[[]byte, []byte] {
	return func(ctx context.Context, items []Item[[]byte]) ([]Result[[]byte], error) {
		out := make([]Result[[]byte], len(items))
		ins := make([]Item[In], 0, len(items))
		at := make([]int, 0, len(items)) // where each of ins came from
		for i, it := range items {
			v, err := decodeValue[In](it.Value)
			if err != nil {
				out[i].Err = actors.Errorf(http.StatusBadRequest, "the item could not be decoded: %v", err)
				continue
			}
			ins = append(ins, Item[In]{Value: v, Key: it.Key, ctx: it.ctx})
			at = append(at, i)
		}
		if len(ins) == 0 {
			return out, nil
		}
		res, err := fn(ctx, ins)
		switch {
		case err != nil:
			return nil, err
		case len(res) != len(ins):
			return nil, failure(fmt.Errorf("%w: %d for %d items", ErrResultCount, len(res), len(ins)))
		}
		for j, r := range res {
			i := at[j]
			if r.Err != nil {
				out[i].Err = r.Err
				continue
			}
			if out[i].Value, err = encodeValue(r.Value); err != nil {
				out[i].Err = failure(fmt.Errorf("batching: encoding a result for the cluster: %w", err))
			}
		}
		return out, nil
	}
}

// encodeValue returns v's bytes for the cluster: v itself if it is a
// []byte, else its JSON.
func encodeValue[T any](v T) ([]byte, error) {
	if b, ok := any(v).([]byte); ok {
		return b, nil
	}
	return json.Marshal(v)
}

// decodeValue undoes encodeValue.
func decodeValue[T any](b []byte) (T, error) {
	var v T
	if p, ok := any(&v).(*[]byte); ok {
		*p = b
		return v, nil
	}
	err := json.Unmarshal(b, &v)
	return v, err
}

// validateScope reports what is wrong with c's scope options.
func (c Config) validateScope() []error {
	var errs []error
	switch c.Scope {
	case "", ScopeLocal:
	case ScopeCluster:
		if c.Cluster == nil {
			errs = append(errs, errors.New("scope cluster needs a cluster (a cluster section in the configuration)"))
		}
	default:
		errs = append(errs, fmt.Errorf("scope %q: want local or cluster", c.Scope))
	}
	switch c.OnClusterLoss {
	case "", LossOpen, LossClosed:
	default:
		errs = append(errs, fmt.Errorf("on_cluster_loss %q: want open or closed", c.OnClusterLoss))
	}
	return errs
}
