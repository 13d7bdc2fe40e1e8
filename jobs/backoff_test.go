package jobs_test

import (
	"testing"
	"time"

	"github.com/troupe-go/troupe/jobs"
)

func TestBackoffDelay(t *testing.T) {
	b := jobs.Backoff{Base: time.Second, Max: 10 * time.Second, Jitter: 0.2}
	tests := []struct {
		name    string
		attempt int
		r       float64
		want    time.Duration
	}{
		{"first, no jitter", 1, 0.5, time.Second},
		{"second doubles", 2, 0.5, 2 * time.Second},
		{"fourth", 4, 0.5, 8 * time.Second},
		{"capped", 5, 0.5, 10 * time.Second},
		{"far past the cap", 80, 0.5, 10 * time.Second},
		{"lowest jitter", 2, 0, 1600 * time.Millisecond},
		{"highest jitter", 2, 1, 2400 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Delay(tt.attempt, tt.r); got != tt.want {
				t.Errorf("Delay(%d, %g) = %v, want %v", tt.attempt, tt.r, got, tt.want)
			}
		})
	}
}

func TestBackoffDefaults(t *testing.T) {
	var b jobs.Backoff
	if got := b.Delay(1, 0.5); got != time.Second {
		t.Errorf("zero Backoff's first delay = %v, want 1s", got)
	}
	if got := b.Delay(100, 1); got != 72*time.Minute {
		t.Errorf("zero Backoff's largest delay = %v, want 1h + 20%%", got)
	}
	if got := (jobs.Backoff{Jitter: -1}).Delay(1, 0); got != time.Second {
		t.Errorf("negative jitter = %v, want none", got)
	}
}
