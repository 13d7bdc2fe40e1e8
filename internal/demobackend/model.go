package demobackend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
)

// Features is one item to score: what a client posts.
type Features struct {
	// ID names the item; it comes back in its Score. Required.
	ID string `json:"id"`
	// Features are the numbers scored: at least one, at most
	// Config.MaxFeatures.
	Features []float64 `json:"features"`
}

// Score is the answer to one item.
type Score struct {
	// ID is the item's.
	ID string `json:"id"`
	// Score is the sum of the squares of the item's features.
	Score float64 `json:"score"`
}

// Defaults of Config's fields.
const (
	DefaultCallCost    = time.Millisecond
	DefaultItemCost    = 10 * time.Microsecond
	DefaultConcurrency = 4
	DefaultMaxFeatures = 1024
)

// Config sets the model's cost profile. Its zero value works: every field
// documents its default. The yaml tags are the keys of demo_score's
// backend section.
type Config struct {
	// CallCost is the time one call takes whatever its size. Defaults to
	// 1ms.
	CallCost time.Duration `yaml:"call_cost"`
	// ItemCost is the time each item adds to a call. Defaults to 10µs.
	ItemCost time.Duration `yaml:"item_cost"`
	// Concurrency is the most calls running at once; more wait for a
	// slot. Defaults to 4.
	Concurrency int `yaml:"concurrency"`
	// MaxFeatures is the most features an item may have; an item with
	// more (or none) fails on its own with 422. Defaults to 1024.
	MaxFeatures int `yaml:"max_features"`
}

// Model is the simulated model. It is safe for concurrent use and starts
// no goroutines: a call runs on its caller's.
type Model struct {
	cfg Config
	// slots is a counting semaphore: a call holds one token while it
	// runs, so its capacity, Concurrency, is the most calls at once.
	slots chan struct{}
	calls atomic.Int64
	items atomic.Int64
}

// New returns a model with the cost profile cfg, or an error if a field is
// negative.
func New(cfg Config) (*Model, error) {
	if cfg.CallCost < 0 || cfg.ItemCost < 0 || cfg.Concurrency < 0 || cfg.MaxFeatures < 0 {
		return nil, errors.New("demobackend: call_cost, item_cost, concurrency and max_features must not be negative")
	}
	if cfg.CallCost == 0 {
		cfg.CallCost = DefaultCallCost
	}
	if cfg.ItemCost == 0 {
		cfg.ItemCost = DefaultItemCost
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxFeatures == 0 {
		cfg.MaxFeatures = DefaultMaxFeatures
	}
	return &Model{cfg: cfg, slots: make(chan struct{}, cfg.Concurrency)}, nil
}

// Config returns the model's settings, defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// Score scores a batch in one call: it is a batching.BatchFunc. An item
// with no id, or no features or too many, fails on its own (422); the
// others are scored. It waits for a slot, then for CallCost plus ItemCost
// per item, and gives up when ctx ends.
func (m *Model) Score(ctx context.Context, items []batching.Item[Features]) ([]batching.Result[Score], error) {
	if err := m.run(ctx, len(items)); err != nil {
		return nil, err
	}
	out := make([]batching.Result[Score], len(items))
	for i, it := range items {
		out[i].Value, out[i].Err = m.score(it.Value)
	}
	return out, nil
}

// ScoreOne scores one item in a call of its own: the per-request baseline.
func (m *Model) ScoreOne(ctx context.Context, f Features) (Score, error) {
	if err := m.run(ctx, 1); err != nil {
		return Score{}, err
	}
	return m.score(f)
}

// Calls and Items return how many calls the model has run, and how many
// items they held.
func (m *Model) Calls() int64 { return m.calls.Load() }

// Items returns how many items the model's calls have held.
func (m *Model) Items() int64 { return m.items.Load() }

// run simulates one call of n items.
func (m *Model) run(ctx context.Context, n int) error {
	select {
	case m.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-m.slots }()
	m.calls.Add(1)
	m.items.Add(int64(n))
	t := time.NewTimer(m.cfg.CallCost + time.Duration(n)*m.cfg.ItemCost)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// score scores one item: the sum of the squares of its features.
func (m *Model) score(f Features) (Score, error) {
	switch {
	case f.ID == "":
		return Score{}, actors.NewError(http.StatusUnprocessableEntity, "id is required")
	case len(f.Features) == 0:
		return Score{}, actors.NewError(http.StatusUnprocessableEntity, "features must hold at least one number")
	case len(f.Features) > m.cfg.MaxFeatures:
		return Score{}, actors.NewError(http.StatusUnprocessableEntity, fmt.Sprintf("at most %d features", m.cfg.MaxFeatures))
	}
	s := 0.0
	for _, x := range f.Features {
		s += x * x
	}
	return Score{ID: f.ID, Score: s}, nil
}
