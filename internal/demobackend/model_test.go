package demobackend_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/troupe-go/troupe/actors"
	"github.com/troupe-go/troupe/batching"
	"github.com/troupe-go/troupe/internal/demobackend"
)

func newModel(t *testing.T, cfg demobackend.Config) *demobackend.Model {
	t.Helper()
	m, err := demobackend.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func items(fs ...demobackend.Features) []batching.Item[demobackend.Features] {
	out := make([]batching.Item[demobackend.Features], len(fs))
	for i, f := range fs {
		out[i] = batching.NewItem(context.Background(), "", f)
	}
	return out
}

// A score is the sum of squares; bad items fail on their own with 422.
func TestScore(t *testing.T) {
	m := newModel(t, demobackend.Config{CallCost: time.Microsecond, ItemCost: time.Nanosecond, MaxFeatures: 3})
	tests := []struct {
		name       string
		give       demobackend.Features
		want       float64
		wantStatus int
	}{
		{name: "example", give: demobackend.Features{ID: "a1", Features: []float64{0.5, 1.5}}, want: 2.5},
		{name: "negative", give: demobackend.Features{ID: "b", Features: []float64{-2, 1, 0}}, want: 5},
		{name: "no id", give: demobackend.Features{Features: []float64{1}}, wantStatus: http.StatusUnprocessableEntity},
		{name: "no features", give: demobackend.Features{ID: "c"}, wantStatus: http.StatusUnprocessableEntity},
		{name: "too many", give: demobackend.Features{ID: "d", Features: []float64{1, 2, 3, 4}}, wantStatus: http.StatusUnprocessableEntity},
	}
	var batch []demobackend.Features
	for _, tt := range tests {
		batch = append(batch, tt.give)
	}
	rs, err := m.Score(t.Context(), items(batch...))
	if err != nil || len(rs) != len(tests) {
		t.Fatalf("Score = %d results, %v", len(rs), err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rs[i]
			if tt.wantStatus != 0 {
				if actors.ErrorStatus(r.Err) != tt.wantStatus {
					t.Errorf("Score(%+v) = %v, want status %d", tt.give, r.Err, tt.wantStatus)
				}
				return
			}
			if r.Err != nil || r.Value.Score != tt.want || r.Value.ID != tt.give.ID {
				t.Errorf("Score(%+v) = %+v, %v; want %v", tt.give, r.Value, r.Err, tt.want)
			}
		})
	}
	if m.Calls() != 1 || m.Items() != int64(len(tests)) {
		t.Errorf("Calls %d, Items %d; want 1 and %d", m.Calls(), m.Items(), len(tests))
	}
}

// A call costs CallCost plus ItemCost per item, and no more than
// Concurrency calls run at once.
func TestModelCost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newModel(t, demobackend.Config{CallCost: time.Millisecond, ItemCost: 10 * time.Microsecond, Concurrency: 2})
		f := demobackend.Features{ID: "a", Features: []float64{1}}
		begin := time.Now()
		if _, err := m.Score(t.Context(), items(f, f, f, f)); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(begin); took != 1040*time.Microsecond {
			t.Errorf("a call of 4 took %v, want 1.04ms", took)
		}
		begin = time.Now()
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := m.ScoreOne(t.Context(), f); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if took := time.Since(begin); took != 2*1010*time.Microsecond {
			t.Errorf("4 calls of one with 2 at once took %v, want 2.02ms", took)
		}
	})
}

// A call gives up when its context ends, waiting for a slot or running.
func TestModelCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newModel(t, demobackend.Config{CallCost: time.Second, Concurrency: 1})
		f := demobackend.Features{ID: "a", Features: []float64{1}}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		defer cancel()
		var wg sync.WaitGroup
		for range 2 { // one runs, one waits for the slot
			wg.Go(func() {
				if _, err := m.ScoreOne(ctx, f); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("ScoreOne = %v, want DeadlineExceeded", err)
				}
			})
		}
		wg.Wait()
	})
}

// New refuses negative settings.
func TestNewRejectsNegative(t *testing.T) {
	if _, err := demobackend.New(demobackend.Config{Concurrency: -1}); err == nil {
		t.Error("New accepted a negative concurrency")
	}
}
