package batching_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
)

// fakeCluster stands for package cluster's Node: its "grain" runs the
// registered function on each forwarded batch in the caller's goroutine,
// unless lost is set.
type fakeCluster struct {
	mu       sync.Mutex
	name     string
	cfg      batching.Config
	run      batching.BatchFunc[[]byte, []byte]
	lost     bool
	forwards [][]string // the payloads of each forwarded batch
	left     int
}

func (c *fakeCluster) JoinBatches(name string, cfg batching.Config, run batching.BatchFunc[[]byte, []byte]) (batching.Forwarder, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.name, c.cfg, c.run = name, cfg, run
	return (*fakeForwarder)(c), nil
}

type fakeForwarder fakeCluster

func (f *fakeForwarder) Forward(ctx context.Context, items []batching.Item[[]byte]) ([]batching.Result[[]byte], error) {
	f.mu.Lock()
	var payloads []string
	for _, it := range items {
		payloads = append(payloads, string(it.Value))
	}
	f.forwards = append(f.forwards, payloads)
	lost, run := f.lost, f.run
	f.mu.Unlock()
	if lost {
		return nil, fmt.Errorf("no answer: %w", batching.ErrClusterLost)
	}
	return run(ctx, items)
}

func (f *fakeForwarder) Leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.left++
}

func (c *fakeCluster) snapshot() (forwards [][]string, left int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.forwards, c.left
}

// tripleOddFails answers 3 × each item, and 422 to 7.
func tripleOddFails(_ context.Context, items []batching.Item[int]) ([]batching.Result[int], error) {
	out := make([]batching.Result[int], len(items))
	for i, it := range items {
		if it.Value == 7 {
			out[i].Err = &actors.Error{Status: http.StatusUnprocessableEntity, Detail: "seven", RetryAfter: 2 * time.Second}
			continue
		}
		out[i].Value = 3 * it.Value
	}
	return out, nil
}

// A batcher of scope cluster registers its batch function, on bytes, with
// the cluster, forwards its batches (items as JSON) and answers each
// caller from the grain's answer, errors with their status.
func TestScopeClusterForwardsAndAnswersEachItem(t *testing.T) {
	c := &fakeCluster{}
	b := start(t, batching.Config{Name: "triple", Scope: batching.ScopeCluster, Cluster: c, MaxBatchSize: 8, EagerInFlight: -1, MaxDelay: 10 * time.Millisecond}, tripleOddFails)
	if c.name != "triple" || c.cfg.Scope != batching.ScopeLocal || c.cfg.Cluster != nil || c.cfg.EagerInFlight != -1 {
		t.Errorf("registered %q with scope %q, cluster %v, eager %d; want the name, the options as given, and scope local for the grain",
			c.name, c.cfg.Scope, c.cfg.Cluster, c.cfg.EagerInFlight)
	}
	var outs []<-chan outcome
	for v := range 8 {
		outs = append(outs, submit(t.Context(), b, "", v))
	}
	for v, ch := range outs {
		o := <-ch
		if v == 7 {
			var ae *actors.Error
			if !errors.As(o.err, &ae) || ae.Status != http.StatusUnprocessableEntity || ae.Detail != "seven" || ae.RetryAfter != 2*time.Second {
				t.Errorf("item 7: %v, want the grain's 422 with its detail and Retry-After", o.err)
			}
			continue
		}
		if o.err != nil || o.v != 3*v {
			t.Errorf("item %d = %+v, want %d", v, o, 3*v)
		}
	}
	forwards, _ := c.snapshot()
	var sent []string
	for _, f := range forwards {
		sent = append(sent, f...)
	}
	slices.Sort(sent)
	if want := []string{"0", "1", "2", "3", "4", "5", "6", "7"}; !slices.Equal(sent, want) {
		t.Errorf("forwarded %v, want the 8 items as JSON, each once", forwards)
	}
}

// While the grain is lost, on_cluster_loss open runs the batch here, and
// closed answers 503 with Retry-After.
func TestScopeClusterLoss(t *testing.T) {
	for _, tc := range []struct {
		loss   string
		status int
	}{{batching.LossOpen, 0}, {batching.LossClosed, http.StatusServiceUnavailable}} {
		t.Run(tc.loss, func(t *testing.T) {
			c := &fakeCluster{lost: true}
			b := start(t, batching.Config{Scope: batching.ScopeCluster, OnClusterLoss: tc.loss, Cluster: c, RetryAfter: 3 * time.Second}, tripleOddFails)
			out, err := b.Submit(t.Context(), 5)
			if tc.status == 0 {
				if err != nil || out != 15 {
					t.Fatalf("Submit = %d, %v; want 15 from the batch run on this member", out, err)
				}
				return
			}
			var ae *actors.Error
			if !errors.As(err, &ae) || ae.Status != tc.status || ae.RetryAfter != 3*time.Second || !errors.Is(err, batching.ErrClusterLost) {
				t.Fatalf("Submit = %d, %v; want %d with Retry-After 3s and ErrClusterLost", out, err, tc.status)
			}
		})
	}
}

// The grain's function decodes items and encodes results; []byte crosses
// as is; an item that does not decode fails alone, with 400.
func TestScopeClusterGrainFunction(t *testing.T) {
	c := &fakeCluster{}
	echo := func(_ context.Context, items []batching.Item[[]byte]) ([]batching.Result[[]byte], error) {
		out := make([]batching.Result[[]byte], len(items))
		for i, it := range items {
			out[i].Value = append([]byte("re:"), it.Value...)
		}
		return out, nil
	}
	if _, err := batching.New(batching.Config{Scope: batching.ScopeCluster, Cluster: c}, echo); err != nil {
		t.Fatal(err)
	}
	res, err := c.run(t.Context(), []batching.Item[[]byte]{batching.NewItem(t.Context(), "k", []byte("x"))})
	if err != nil || len(res) != 1 || string(res[0].Value) != "re:x" {
		t.Errorf("bytes: %q, %v; want re:x", res, err)
	}

	ints := &fakeCluster{}
	if _, err := batching.New(batching.Config{Scope: batching.ScopeCluster, Cluster: ints}, tripleOddFails); err != nil {
		t.Fatal(err)
	}
	res, err = ints.run(t.Context(), []batching.Item[[]byte]{
		batching.NewItem(t.Context(), "k", []byte("2")),
		batching.NewItem(t.Context(), "k", []byte("not json")),
		batching.NewItem(t.Context(), "k", []byte("4")),
	})
	if err != nil || len(res) != 3 || string(res[0].Value) != "6" || string(res[2].Value) != "12" || actors.ErrorStatus(res[1].Err) != http.StatusBadRequest {
		t.Errorf("ints: %v, %v; want 6, a 400, 12", res, err)
	}
}

// Stop unregisters the batcher from the cluster, once.
func TestScopeClusterLeavesOnStop(t *testing.T) {
	c := &fakeCluster{}
	b, err := batching.New(batching.Config{Scope: batching.ScopeCluster, Cluster: c}, tripleOddFails)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Stop(t.Context())
	_ = b.Stop(t.Context())
	if _, left := c.snapshot(); left != 1 {
		t.Errorf("left %d times, want 1", left)
	}
}

// Scope options are checked: scope cluster needs a cluster.
func TestScopeOptionsChecked(t *testing.T) {
	for _, tc := range []struct {
		cfg  batching.Config
		want string
	}{
		{batching.Config{Scope: batching.ScopeCluster}, "scope cluster needs a cluster"},
		{batching.Config{Scope: "galaxy"}, `scope "galaxy"`},
		{batching.Config{OnClusterLoss: "maybe"}, `on_cluster_loss "maybe"`},
	} {
		_, err := batching.New(tc.cfg, tripleOddFails)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tc.cfg, err, tc.want)
		}
	}
}
