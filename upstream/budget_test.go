package upstream

import (
	"testing"
	"time"
)

// Within a window, retries stay within max(min_retries, ratio × requests).
func TestBudgetWithinWindow(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBudget(BudgetConfig{Ratio: 0.1, MinRetries: 3, Window: 10 * time.Second}, now)
	granted := 0
	for i := 1; i <= 1000; i++ {
		b.request(now)
		if b.tryRetry(now) {
			granted++
		}
		if want := max(3, i/10); granted > want {
			t.Fatalf("after %d requests, %d retries granted; want at most %d", i, granted, want)
		}
	}
	if granted != 100 {
		t.Errorf("1000 requests, each wanting a retry: %d granted, want 100", granted)
	}
}

// The floor lets a quiet upstream be retried.
func TestBudgetFloor(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBudget(BudgetConfig{Ratio: 0.1, MinRetries: 3, Window: 10 * time.Second}, now)
	b.request(now)
	for i := range 3 {
		if !b.tryRetry(now) {
			t.Fatalf("retry %d of the floor refused", i+1)
		}
	}
	if b.tryRetry(now) {
		t.Error("a fourth retry for one request granted")
	}
}

// Old windows fade: after two quiet windows, only the floor is left.
func TestBudgetSlides(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBudget(BudgetConfig{Ratio: 0.5, MinRetries: 1, Window: 10 * time.Second}, now)
	for range 100 {
		b.request(now)
	}
	for range 50 {
		if !b.tryRetry(now) {
			t.Fatal("refused within the ratio")
		}
	}
	if b.tryRetry(now) {
		t.Fatal("granted past the ratio")
	}
	// Half of the previous window still counts: 50 requests and 25
	// retries; 10 new requests make room for 5 more retries.
	now = now.Add(15 * time.Second)
	for range 10 {
		b.request(now)
	}
	for i := range 5 {
		if !b.tryRetry(now) {
			t.Fatalf("retry %d of 5 refused with the old window half gone", i+1)
		}
	}
	if b.tryRetry(now) {
		t.Error("a sixth retry granted")
	}
	now = now.Add(30 * time.Second)
	if !b.tryRetry(now) || b.tryRetry(now) {
		t.Error("after quiet windows: want exactly the floor, 1")
	}
}
