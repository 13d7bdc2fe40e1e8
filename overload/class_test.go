package overload

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestClassNames: the three names round-trip through String, ParseClass
// and the text encoding; the zero value and unknown values are Default.
func TestClassNames(t *testing.T) {
	for c, name := range map[Class]string{Critical: "critical", Default: "default", Sheddable: "sheddable"} {
		if c.String() != name {
			t.Errorf("%d.String() = %q, want %q", c, c.String(), name)
		}
		got, err := ParseClass(name)
		if err != nil || got != c {
			t.Errorf("ParseClass(%q) = %v, %v; want %v", name, got, err, c)
		}
		var u Class
		if err := u.UnmarshalText([]byte(name)); err != nil || u != c {
			t.Errorf("UnmarshalText(%q) = %v, %v", name, u, err)
		}
	}
	var zero Class
	if zero != Default || zero.String() != "default" {
		t.Errorf("zero Class = %v, want default", zero)
	}
	if Class(200).String() != "default" || Class(200).norm() != Default {
		t.Error("an unknown Class value is not treated as default")
	}
	for _, bad := range []string{"", "Critical", "high", "default "} {
		if _, err := ParseClass(bad); err == nil || !strings.Contains(err.Error(), "critical, default or sheddable") {
			t.Errorf("ParseClass(%q) error = %v, want one naming the choices", bad, err)
		}
	}
}

// FuzzParseClass: ParseClass accepts exactly the three names, and what it
// accepts prints back as itself.
func FuzzParseClass(f *testing.F) {
	for _, s := range []string{"critical", "default", "sheddable", "", "CRITICAL", "shed"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseClass(s)
		if err != nil {
			return
		}
		if c.String() != s || int(c) >= NumClasses {
			t.Fatalf("ParseClass(%q) = %d, which prints as %q", s, c, c)
		}
	})
}

// TestRejection: the error text says what happened, Unwrap tells a
// refusal for load from one for the request's context, and Status picks
// the HTTP status.
func TestRejection(t *testing.T) {
	for _, tc := range []struct {
		r      Reason
		name   string
		is     error
		status int
	}{
		{ReasonLimit, "limit", ErrOverload, http.StatusServiceUnavailable},
		{ReasonQueueDelay, "queue_delay", ErrOverload, http.StatusServiceUnavailable},
		{ReasonDeadline, "deadline", context.DeadlineExceeded, http.StatusGatewayTimeout},
		{ReasonCanceled, "canceled", context.Canceled, http.StatusServiceUnavailable},
	} {
		rej := &Rejection{Reason: tc.r, Class: Sheddable, RetryAfter: 3 * time.Second, Waited: 2 * time.Millisecond}
		var err error = rej
		if tc.r.String() != tc.name {
			t.Errorf("Reason %d = %q, want %q", tc.r, tc.r, tc.name)
		}
		if !errors.Is(err, tc.is) || rej.Status() != tc.status {
			t.Errorf("%s: Is(%v) %v, status %d; want true, %d", tc.name, tc.is, errors.Is(err, tc.is), rej.Status(), tc.status)
		}
		msg := err.Error()
		for _, want := range []string{"sheddable", tc.name, "2ms", "3s"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%q does not say %q", msg, want)
			}
		}
	}
	if Reason(9).String() != "Reason(9)" {
		t.Errorf("unknown reason prints %q", Reason(9))
	}
}

// TestConfigDefaults: the zero Config is the documented defaults.
func TestConfigDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{MinLimit: 4, MaxLimit: 1024, InitialLimit: 20, Smoothing: 0.5, Tolerance: 0.25,
		QueueTarget: 5 * time.Millisecond, QueueInterval: 100 * time.Millisecond, MaxQueue: 1024,
		MaxRetryAfter: 30 * time.Second, ProbeInterval: 10 * time.Second}
	if c != want {
		t.Errorf("defaults %+v, want %+v", c, want)
	}
	// An InitialLimit left zero follows MinLimit and MaxLimit.
	if c, _ := (Config{MinLimit: 50}).withDefaults(); c.InitialLimit != 50 {
		t.Errorf("InitialLimit with MinLimit 50 = %d, want 50", c.InitialLimit)
	}
	if c, _ := (Config{MaxLimit: 8}).withDefaults(); c.InitialLimit != 8 {
		t.Errorf("InitialLimit with MaxLimit 8 = %d, want 8", c.InitialLimit)
	}
}

// TestConfigErrors: New refuses what is out of range and names it.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{MinLimit: -1}, "MinLimit must not be negative"},
		{Config{MaxQueue: -3}, "MaxQueue must not be negative"},
		{Config{QueueTarget: -time.Second}, "QueueTarget must not be negative"},
		{Config{Smoothing: 1.5}, "Smoothing must be in (0, 1]"},
		{Config{Tolerance: -0.1}, "Tolerance must not be negative"},
		{Config{MinLimit: 10, MaxLimit: 5}, "MinLimit 10 is above MaxLimit 5"},
		{Config{MinLimit: 10, MaxLimit: 20, InitialLimit: 30}, "InitialLimit 30 is outside [MinLimit 10, MaxLimit 20]"},
		{Config{QueueTarget: time.Second}, "QueueTarget 1s is above QueueInterval 100ms"},
		{Config{MaxRetryAfter: time.Millisecond}, "MaxRetryAfter 1ms is under the 1s floor"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error saying %q", tc.cfg, err, tc.want)
		}
	}
}

// TestZeroPermit: ending a zero Permit is a no-op.
func TestZeroPermit(t *testing.T) {
	var p Permit
	p.Release()
	p.Drop()
	p.Ignore()
}
