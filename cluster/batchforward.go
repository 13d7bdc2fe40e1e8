package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/cluster/clusterpb"
)

// Bounds of a forward (a member's batch sent to its key's grain).
const (
	// batchForwardTimeout bounds the wait for a grain's answer to items
	// with no deadline. Items with one wait until the latest of them.
	batchForwardTimeout = 10 * time.Second
	// batchLostBackoff is how long a key's grain counts as lost after a
	// forward to it failed: the member's batches of that key meanwhile do
	// what on_cluster_loss says, without waiting on the grain.
	batchLostBackoff = time.Second
)

// JoinBatches registers the batcher of scope cluster named name on this
// member (see batching.Cluster): the grains of its keys that this member
// holds gather the items every member forwards into batches as cfg says,
// and run them through run. The returned Forwarder sends this member's
// batches to those grains. Every member must register the batcher alike.
func (n *Node) JoinBatches(name string, cfg batching.Config, run batching.BatchFunc[[]byte, []byte]) (batching.Forwarder, error) {
	if name == "" {
		return nil, errors.New("cluster: a batcher of scope cluster needs a name")
	}
	if run == nil {
		return nil, errors.New("cluster: a batcher of scope cluster needs a batch function")
	}
	f := newForwarder(name, n.batches, n.callBatchGrain)
	f.count = func(result string, items int) { n.m.batchItems.WithLabelValues(name, result).Add(float64(items)) }
	size := n.m.batchSizes.WithLabelValues(name)
	f.reg = n.batches.register(name, cfg, func(ctx context.Context, items []batching.Item[[]byte]) ([]batching.Result[[]byte], error) {
		size.Observe(float64(len(items)))
		return run(ctx, items)
	})
	return f, nil
}

var _ batching.Cluster = (*Node)(nil)

// callBatchGrain sends msg to the grain id and waits for its answer, at
// most timeout.
func (n *Node) callBatchGrain(id string, msg *clusterpb.BatchForward, timeout time.Duration) (*clusterpb.BatchAnswer, error) {
	c := n.running.Load()
	if c == nil {
		return nil, errNotRunning
	}
	start := time.Now()
	res, err := c.Request(id, batchKind, msg,
		cluster.WithTimeout(timeout), cluster.WithRetryCount(3), cluster.WithRetryAction(retryPause))
	answer, ok := res.(*clusterpb.BatchAnswer)
	if err == nil && !ok {
		err = fmt.Errorf("cluster: grain %s answered %T", id, res)
	}
	result := "ok"
	switch {
	case err == nil:
		n.lostAt.Store(0)
	case timedOut(err):
		result = "error" // the items' time ran out: not a sign that the grain's member is gone
	default:
		result = "error"
		n.lostAt.Store(time.Now().UnixNano())
	}
	n.m.calls.WithLabelValues(result).Observe(time.Since(start).Seconds())
	return answer, err
}

// timedOut reports whether err says a grain call ran out of time, rather
// than that the grain could not be reached.
func timedOut(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, actor.ErrTimeout)
}

// forwarder is one batcher's way from this member to the grains of its
// keys. It is safe for concurrent use.
type forwarder struct {
	name  string
	host  *batchHost
	reg   *batchReg
	call  func(id string, msg *clusterpb.BatchForward, timeout time.Duration) (*clusterpb.BatchAnswer, error)
	count func(result string, items int)
	now   func() time.Time

	mu        sync.Mutex
	lostUntil map[string]time.Time // grains lost, by identity, until when
}

func newForwarder(name string, host *batchHost, call func(string, *clusterpb.BatchForward, time.Duration) (*clusterpb.BatchAnswer, error)) *forwarder {
	return &forwarder{name: name, host: host, call: call, count: func(string, int) {}, now: time.Now, lostUntil: map[string]time.Time{}}
}

// batchGrainID returns the identity of the grain of batcher name's key:
// the name, "/", and the first 128 bits of the key's SHA-256 in hex, so
// that every member names it alike and keys stay out of the cluster's
// logs.
func batchGrainID(name, key string) string {
	sum := sha256.Sum256([]byte(key))
	return name + "/" + hex.EncodeToString(sum[:16])
}

// Forward sends items, all of one key, to the key's grain, and returns its
// results. See batching.Forwarder.
func (f *forwarder) Forward(ctx context.Context, items []batching.Item[[]byte]) ([]batching.Result[[]byte], error) {
	if len(items) == 0 {
		return nil, nil
	}
	key := items[0].Key
	id := batchGrainID(f.name, key)
	if until, lost := f.lost(id); lost {
		f.count("lost", len(items))
		return nil, fmt.Errorf("%w: a call to it failed; the next try after %s", batching.ErrClusterLost, until.Format(time.RFC3339Nano))
	}
	timeout := batchForwardTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = d.Sub(f.now())
	}
	if timeout <= 0 {
		f.count("expired", len(items))
		return nil, context.DeadlineExceeded
	}
	msg := &clusterpb.BatchForward{Batcher: f.name, Key: key, Items: make([]*clusterpb.BatchItem, len(items))}
	for i, it := range items {
		msg.Items[i] = &clusterpb.BatchItem{Payload: it.Value}
		if d, ok := it.Context().Deadline(); ok {
			msg.Items[i].TimeoutNs = max(int64(d.Sub(f.now())), 1)
		}
	}
	type outcome struct {
		answer *clusterpb.BatchAnswer
		err    error
	}
	done := make(chan outcome, 1)
	// The call runs apart, so that the batch ends with its context: a
	// call may outlive its timeout (Proto.Actor's identity lookup waits up
	// to 5s for a member that is gone).
	if !f.host.goCall(func() {
		a, err := f.call(id, msg, timeout)
		done <- outcome{a, err}
	}) {
		f.count("lost", len(items))
		return nil, fmt.Errorf("%w: this member has left the cluster", batching.ErrClusterLost)
	}
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		f.count("expired", len(items))
		return nil, ctx.Err()
	}
	switch {
	case o.err != nil && timedOut(o.err):
		f.count("expired", len(items))
		return nil, fmt.Errorf("%w: the batcher's grain did not answer in time", context.DeadlineExceeded)
	case o.err != nil:
		f.markLost(id)
		f.count("lost", len(items))
		return nil, fmt.Errorf("%w: %w", batching.ErrClusterLost, o.err)
	case o.answer.Unavailable != "":
		f.markLost(id)
		f.count("lost", len(items))
		return nil, fmt.Errorf("%w: %s", batching.ErrClusterLost, o.answer.Unavailable)
	case len(o.answer.Results) != len(items):
		f.count("error", len(items))
		return nil, fmt.Errorf("%w: the grain answered %d results for %d items", batching.ErrResultCount, len(o.answer.Results), len(items))
	}
	f.count("ok", len(items))
	out := make([]batching.Result[[]byte], len(items))
	for i, r := range o.answer.Results {
		out[i] = decodeResult(r)
	}
	return out, nil
}

// lost reports whether the grain id counts as lost, and until when.
func (f *forwarder) lost(id string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	until, ok := f.lostUntil[id]
	if ok && !f.now().Before(until) {
		delete(f.lostUntil, id)
		return time.Time{}, false
	}
	return until, ok
}

// markLost makes the grain id count as lost for batchLostBackoff.
func (f *forwarder) markLost(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if len(f.lostUntil) >= 64 { // keys come and go: forget the back-offs that are over
		for k, until := range f.lostUntil {
			if !now.Before(until) {
				delete(f.lostUntil, k)
			}
		}
	}
	f.lostUntil[id] = now.Add(batchLostBackoff)
}

// Leave unregisters the batcher from this member. Its grains here, if
// any, run on until they are idle.
func (f *forwarder) Leave() { f.host.unregister(f.name, f.reg) }
