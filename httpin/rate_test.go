package httpin

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMinRateAllow(t *testing.T) {
	r := minRate{perSecond: 1000, grace: 5 * time.Second}
	for _, tt := range []struct {
		n    int64
		want time.Duration
	}{
		{0, 5 * time.Second},
		{1, 5*time.Second + time.Millisecond},
		{1500, 6500 * time.Millisecond},
		{1 << 62, 1<<63/2 - 1}, // saturates instead of overflowing
	} {
		if got := r.allow(tt.n); got != tt.want {
			t.Errorf("allow(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
}

// clock is a clock the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time               { return c.t }
func (c *clock) advance(d time.Duration)      { c.t = c.t.Add(d) }
func (c *clock) at(d time.Duration) time.Time { return time.Unix(1000, 0).Add(d) }

// script is a body that hands out its chunks one per read, then its end.
type script struct {
	chunks []string
	end    error
}

func (s *script) Read(p []byte) (int, error) {
	if len(s.chunks) == 0 {
		return 0, s.end
	}
	n := copy(p, s.chunks[0])
	s.chunks = s.chunks[1:]
	return n, nil
}

func (s *script) Close() error { return nil }

// newTestBody returns a rateBody over body at 100 bytes/s after a 2 s
// grace, limited to 30 s, on clock c; it records the deadlines it sets and
// the number of cuts.
func newTestBody(c *clock, body io.ReadCloser) (*rateBody, *[]time.Time, *int) {
	var deadlines []time.Time
	cuts := 0
	b := &rateBody{
		body: body, now: c.now, rate: minRate{perSecond: 100, grace: 2 * time.Second},
		limit:       c.at(30 * time.Second),
		setDeadline: func(t time.Time) error { deadlines = append(deadlines, t); return nil },
		cut:         func() { cuts++ },
	}
	return b, &deadlines, &cuts
}

func TestRateBodyDeadlineFollowsData(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	b, deadlines, cuts := newTestBody(c, &script{chunks: []string{"0123456789", strings.Repeat("x", 50)}, end: io.EOF})
	buf := make([]byte, 64)
	if n, err := b.Read(buf); n != 10 || err != nil {
		t.Fatalf("first Read = %d, %v", n, err)
	}
	c.advance(2 * time.Second) // within grace + 10 bytes / 100 bytes/s = 2.1 s
	if n, err := b.Read(buf); n != 50 || err != nil {
		t.Fatalf("second Read = %d, %v", n, err)
	}
	if _, err := b.Read(buf); err != io.EOF {
		t.Fatalf("third Read = %v, want io.EOF", err)
	}
	want := []time.Time{
		c.at(2 * time.Second),         // nothing yet: the grace
		c.at(2100 * time.Millisecond), // 10 bytes: + 0.1 s
		c.at(2600 * time.Millisecond), // 60 bytes: + 0.6 s
		c.at(30 * time.Second),        // the end: back to the request's own deadline
	}
	if !sameTimes(*deadlines, want) {
		t.Errorf("deadlines = %v, want %v", *deadlines, want)
	}
	if *cuts != 0 {
		t.Errorf("cut %d times, want 0", *cuts)
	}
}

func TestRateBodyCutWhenBehind(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	b, deadlines, cuts := newTestBody(c, &script{chunks: []string{"0123456789", "more"}, end: io.EOF})
	buf := make([]byte, 64)
	if _, err := b.Read(buf); err != nil {
		t.Fatal(err)
	}
	c.advance(2100 * time.Millisecond) // exactly the deadline for 10 bytes: too late
	n, err := b.Read(buf)
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, errSlowBody) {
		t.Fatalf("Read behind the rate = %d, %v; want 0 and errSlowBody", n, err)
	}
	if len(*deadlines) != 1 {
		t.Errorf("set %d deadlines, want 1: a read past the deadline must not move it", len(*deadlines))
	}
	if _, err := b.Read(buf); !errors.Is(err, errSlowBody) {
		t.Errorf("Read after the cut = %v, want errSlowBody again", err)
	}
	if *cuts != 1 {
		t.Errorf("cut %d times, want 1", *cuts)
	}
}

func TestRateBodyConnectionDeadline(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	timeout := &os.PathError{Op: "read", Path: "conn", Err: os.ErrDeadlineExceeded}
	b, _, cuts := newTestBody(c, &script{chunks: []string{"ab"}, end: timeout})
	buf := make([]byte, 8)
	_, _ = b.Read(buf)
	_, err := b.Read(buf)
	if !errors.Is(err, errSlowBody) || !errors.Is(err, timeout) {
		t.Errorf("Read that hit the connection's deadline = %v, want errSlowBody wrapping it", err)
	}
	if *cuts != 1 {
		t.Errorf("cut %d times, want 1", *cuts)
	}
}

func TestRateBodyCappedAtLimit(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	b, deadlines, _ := newTestBody(c, &script{chunks: []string{strings.Repeat("x", 5000), "y"}, end: io.EOF})
	buf := make([]byte, 8000)
	_, _ = b.Read(buf)
	_, _ = b.Read(buf) // 5000 bytes would allow 52 s: the limit is 30 s
	if got := (*deadlines)[1]; !got.Equal(c.at(30 * time.Second)) {
		t.Errorf("deadline = %v, want the limit %v", got, c.at(30*time.Second))
	}
}

func TestRateBodyHandlerDone(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	b, deadlines, _ := newTestBody(c, &script{chunks: []string{"ab", "cd"}, end: io.EOF})
	buf := make([]byte, 8)
	_, _ = b.Read(buf)
	c.advance(time.Second)
	b.handlerDone() // left unread: net/http discards the rest within the grace
	if got, want := (*deadlines)[len(*deadlines)-1], c.at(3*time.Second); !got.Equal(want) {
		t.Errorf("deadline after the handler = %v, want now + grace = %v", got, want)
	}
	before := len(*deadlines)
	c.advance(time.Hour)
	if n, err := b.Read(buf); n != 2 || err != nil { // a late read: no deadline, no rate
		t.Errorf("Read after the handler = %d, %v", n, err)
	}
	if len(*deadlines) != before {
		t.Errorf("a read after the handler set a deadline: the connection may be on its next request")
	}
}

func TestRateBodyUnreadAndDone(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	b, deadlines, _ := newTestBody(c, &script{end: io.EOF})
	b.handlerDone()
	if len(*deadlines) != 1 || !(*deadlines)[0].Equal(c.at(2*time.Second)) {
		t.Errorf("deadlines = %v, want the grace from now for the discard", *deadlines)
	}
}

func sameTimes(a, b []time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
