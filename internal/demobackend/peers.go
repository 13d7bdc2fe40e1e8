package demobackend

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
)

// This file holds the peers of the side-by-side benchmark (bench/): the
// model served without troupe, one call per request, and through a
// batcher written by hand.

// PerRequestHandler serves the model with plain net/http, one model call
// per request: the baseline batching is measured against. POST a Features
// as JSON; the answer is a Score as JSON, 400 for a bad body, or the
// item's error status.
func PerRequestHandler(m *Model) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := decode(w, r)
		if !ok {
			return
		}
		s, err := m.ScoreOne(r.Context(), f)
		write(w, s, err)
	})
}

// ChannelBatcher is the hand-written peer: the batcher one writes with a
// goroutine, a channel and a slice. Its policy is troupe's default — a
// batch of up to maxBatch items goes whenever one of maxInFlight slots is
// free — and it has none of the rest: no keys, no bounded queue, no
// removal of items whose caller has gone, no deadlines, no metrics.
// Close stops it. It is safe for concurrent use.
type ChannelBatcher struct {
	m                     *Model
	maxBatch, maxInFlight int
	in                    chan chanItem // unbuffered: Submit hands its item to the loop
	freed                 chan struct{} // unbuffered: a batch has finished; the loop always listens until the last one
	stop                  chan struct{} // closed by Close
	done                  chan struct{} // closed when the loop has returned
	closeOnce             sync.Once
	batches               sync.WaitGroup
}

type chanItem struct {
	ctx   context.Context
	f     Features
	reply chan batching.Result[Score] // size one: the batch never waits for its caller
}

// ErrClosed is what ChannelBatcher.Submit returns after Close.
var ErrClosed = errors.New("demobackend: channel batcher closed")

// NewChannelBatcher starts a channel batcher of batches of up to maxBatch
// items over m, at most maxInFlight at once.
func NewChannelBatcher(m *Model, maxBatch, maxInFlight int) *ChannelBatcher {
	c := &ChannelBatcher{m: m, maxBatch: max(maxBatch, 1), maxInFlight: max(maxInFlight, 1),
		in: make(chan chanItem), freed: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// Submit scores f in the next batch and waits for its result.
func (c *ChannelBatcher) Submit(ctx context.Context, f Features) (Score, error) {
	it := chanItem{ctx: ctx, f: f, reply: make(chan batching.Result[Score], 1)}
	select {
	case c.in <- it:
	case <-ctx.Done():
		return Score{}, ctx.Err()
	case <-c.stop:
		return Score{}, ErrClosed
	}
	select {
	case r := <-it.reply:
		return r.Value, r.Err
	case <-ctx.Done():
		return Score{}, ctx.Err()
	}
}

// Close stops taking items, sends those waiting, and waits for every
// batch. It is safe to call twice.
func (c *ChannelBatcher) Close() {
	c.closeOnce.Do(func() { close(c.stop) })
	<-c.done
	c.batches.Wait()
}

// Handler serves the channel batcher over HTTP, as PerRequestHandler does
// the model.
func (c *ChannelBatcher) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := decode(w, r)
		if !ok {
			return
		}
		s, err := c.Submit(r.Context(), f)
		write(w, s, err)
	})
}

func (c *ChannelBatcher) loop() {
	defer close(c.done)
	var pending []chanItem
	inFlight := 0
	in, stop := c.in, c.stop
	for {
		select {
		case it := <-in:
			pending = append(pending, it)
		case <-c.freed:
			inFlight--
		case <-stop:
			in, stop = nil, nil
		}
		for inFlight < c.maxInFlight && len(pending) > 0 {
			n := min(len(pending), c.maxBatch)
			batch := append([]chanItem(nil), pending[:n]...)
			pending = pending[n:]
			inFlight++
			c.batches.Go(func() {
				c.run(batch)
				c.freed <- struct{}{}
			})
		}
		if in == nil && len(pending) == 0 && inFlight == 0 {
			return
		}
	}
}

func (c *ChannelBatcher) run(batch []chanItem) {
	items := make([]batching.Item[Features], len(batch))
	for i, it := range batch {
		items[i] = batching.NewItem(it.ctx, "", it.f)
	}
	rs, err := c.m.Score(context.Background(), items)
	for i, it := range batch {
		if err != nil {
			it.reply <- batching.Result[Score]{Err: err}
			continue
		}
		it.reply <- rs[i]
	}
}

// decode reads a Features from r's body, answering 400 if it cannot.
func decode(w http.ResponseWriter, r *http.Request) (Features, bool) {
	var f Features
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&f); err != nil {
		http.Error(w, "the body is not a valid item: "+err.Error(), http.StatusBadRequest)
		return f, false
	}
	return f, true
}

// write answers with s as JSON, or err's status.
func write(w http.ResponseWriter, s Score, err error) {
	if err != nil {
		http.Error(w, http.StatusText(actors.ErrorStatus(err)), actors.ErrorStatus(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}
