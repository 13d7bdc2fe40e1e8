package supervisor

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// manualClock is a Clock whose time the test sets; nothing here arms a
// timer.
type manualClock struct{ now time.Time }

func (c *manualClock) Now() time.Time                        { return c.now }
func (c *manualClock) AfterFunc(time.Duration, func()) Timer { return stopped{} }

type stopped struct{}

func (stopped) Stop() bool { return false }

// A stage's last failure is the latest reason noted, at the clock's time,
// cut to a bounded size without splitting a character.
func TestLastFailure(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC)}
	h := newHealth("s", Policy{}, clock)
	if _, _, ok := h.LastFailure(); ok {
		t.Fatal("a stage that never failed has a last failure")
	}
	h.noteFailure(errors.New("first"))
	clock.now = clock.now.Add(time.Second)
	h.noteFailure("second")
	reason, at, ok := h.LastFailure()
	if !ok || reason != "second" || !at.Equal(clock.now) {
		t.Errorf("LastFailure = %q, %v, %v; want second, at %v", reason, at, ok, clock.now)
	}
	h.noteFailure(strings.Repeat("é", maxReasonBytes)) // two bytes each: the cut falls inside one at an odd offset
	h.noteFailure("x" + strings.Repeat("é", maxReasonBytes))
	reason, _, _ = h.LastFailure()
	if !utf8.ValidString(reason) || len(reason) > maxReasonBytes+len("…") || !strings.HasSuffix(reason, "…") {
		t.Errorf("a long reason is kept as %d bytes, valid UTF-8 %v, want at most %d, valid, marked cut", len(reason), utf8.ValidString(reason), maxReasonBytes+len("…"))
	}
}
