package pipeline

import (
	"testing"
	"time"
)

func TestLineBudget(t *testing.T) {
	b := lineBudget{n: 3}
	t0 := time.Unix(1000, 0)
	for i := range 3 {
		if ok, _ := b.allow(t0.Add(time.Duration(i) * time.Millisecond)); !ok {
			t.Fatalf("line %d of 3 in a second refused", i+1)
		}
	}
	for range 5 {
		if ok, _ := b.allow(t0.Add(500 * time.Millisecond)); ok {
			t.Fatal("a fourth line in the same second let through")
		}
	}
	ok, suppressed := b.allow(t0.Add(time.Second))
	if !ok || suppressed != 5 {
		t.Errorf("first line of the next second: ok %v, suppressed %d; want true, 5", ok, suppressed)
	}
	if _, suppressed := b.allow(t0.Add(time.Second + time.Millisecond)); suppressed != 0 {
		t.Errorf("suppressed %d after it was reported, want 0", suppressed)
	}
}
